import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ApprovalGate } from '../approvals/index.js';
import type { AuditInput, AuditRecord } from '../audit/types.js';
import { withPinnedView } from '../catalog/index.js';
import type { PinChangeMode } from '../config/index.js';
import { CounterBackendError, type CounterCharge, type CounterStore } from '../limits/index.js';
import { declarationsOf, type ParamHeaderDeclaration } from '../mcp/param-headers.js';
import {
  type CompiledPolicy,
  type Decision,
  decide,
  isHidden,
  isUnlisted,
  type LimitCharge,
} from '../policy/index.js';
import type { CallContext, Caller, CallOutcome, CallVerdict, Gate, Refusal } from '../proxy/gate.js';
import { type CallTrace, NOOP_TRACER, type Tracer } from '../telemetry/index.js';
import type { ParamHeaderRegistry } from '../upstream/tool-headers.js';
import type { GatewayMetrics } from './metrics.js';
import type { PinRegistry, PinVerdict } from './pins.js';
import type { PolicyLookup, PolicySet } from './policies.js';
import { auditDownResult, backendDownResult, deniedResult, rateLimitedResult } from './results.js';

export interface GateDeps {
  policies: PolicySet;
  counters: CounterStore;
  audit?: {
    record(input: AuditInput): void;
    /** Resolves once the record is committed; rejects when the store cannot take it. */
    recordDurable?(input: AuditInput): Promise<AuditRecord>;
  };
  /**
   * `audit.write_ahead` (default on when the audit log can commit records): a call is forwarded
   * only after the record of its decision is committed; the outcome follows as a second record.
   */
  writeAhead?: boolean;
  /** Per server: what to do when the counter store cannot answer. */
  onBackendError(server: string): 'deny' | 'allow';
  /** A grant's own policy reference (store grants carry one), if any. */
  grantPolicy?(grant: string): string | undefined;
  log: Logger;
  metrics?: GatewayMetrics;
  /** Spans of each call (src/telemetry); NOOP_TRACER when tracing is off. */
  tracer?: Tracer;
  now?: () => number;
  /** Asks a person (src/approvals); absent: calls that need approval fail closed. */
  approvals?: ApprovalGate;
  /** Tool pins: rug-pull check and quarantine of new tools (absent: no pin checks). */
  pins?: PinRegistry;
  /**
   * `pins.on_change`: what lists and calls make of a tool whose definition changed since it was
   * accepted. Read on each use, so a config reload applies; absent: `pinned`.
   */
  pinChange?(): PinChangeMode;
  /** SEP-2243: `x-mcp-header` declarations of listed tools, for the HTTP front end's header check. */
  paramHeaders?: ParamHeaderRegistry;
}

/** The rule of a denial because the caller's own policy cannot be loaded (see PolicySet.lookup). */
export const POLICY_UNAVAILABLE = 'policy_unavailable';

/** What every audit record of a decision says. */
type AuditFields = Pick<AuditInput, 'decision' | 'rule' | 'reason' | 'upstream'>;

/**
 * Audits a call's outcome and ends its span: exactly once per call. `ahead` commits a forwarded
 * call's write-ahead record (`upstream: pending`) before it goes out; the call then ends with an
 * outcome record.
 */
type AuditCall = ((d: AuditFields, extra?: Partial<AuditInput>) => void) & {
  ahead(d: Omit<AuditFields, 'upstream'> & Partial<AuditInput>): Promise<void>;
  /** Whether the call's write-ahead record was committed (its end is then an outcome record). */
  wroteAhead(): boolean;
};

/** What makes a call's span an error: the gateway could not decide, or the upstream failed. */
function callError(d: Pick<AuditInput, 'rule' | 'reason' | 'upstream'>, note: string | undefined) {
  if (d.upstream === 'error' || d.upstream === 'unknown') return note ?? 'upstream error';
  if (
    d.rule === 'internal' ||
    d.rule === 'on_backend_error' ||
    d.rule === POLICY_UNAVAILABLE ||
    d.rule === AUDIT_DOWN_RULE
  )
    return d.reason;
  return undefined;
}

/** The rule of a call refused because the store could not take its write-ahead record. */
const AUDIT_DOWN_RULE = 'audit_unavailable';

function counterKey(c: LimitCharge, caller: Caller, server: string): string {
  switch (c.scope) {
    case 'grant':
      return `grant:${caller.grant}:${c.counter}`;
    case 'session':
      return `session:${caller.sessionId}:${c.counter}`;
    case 'server':
      return `server:${server}:${c.counter}`;
    default:
      return `global:${c.counter}`;
  }
}

/**
 * The decision pipeline for tools/call (DESIGN section 3), after authentication:
 * policy -> limits (only if allowed) -> approval -> forward, with an audit record for every outcome.
 */
export class DecisionGate implements Gate {
  private readonly now: () => number;
  private readonly tracer: Tracer;

  constructor(private readonly deps: GateDeps) {
    this.now = deps.now ?? Date.now;
    this.tracer = deps.tracer ?? NOOP_TRACER;
  }

  /**
   * Left out of tools/list: hidden by the policy, or denied whatever the arguments (`hide_denied`,
   * the policy's decision still answers a call), or held back by pins. Fails closed: a caller whose own policy cannot be loaded is shown no tools at all (its calls
   * are denied with the reason, see checkCall), and an error while deciding hides the tool.
   */
  isHidden(caller: Caller, server: string, tool: string): boolean {
    try {
      const looked = this.lookup(caller, server);
      if (looked.broken) return true;
      const policy = looked.policy;
      return (
        isUnlisted(policy, tool) ||
        this.deps.pins?.quarantined(policy, server, tool) === true ||
        (this.pinChangeMode() === 'hide' && this.deps.pins?.changed(caller, server, tool) !== undefined)
      );
    } catch (err) {
      this.deps.log.error(
        { err: (err as Error).message, server, tool },
        'cannot decide whether a tool is hidden; hiding it',
      );
      return true;
    }
  }

  /** A changed tool is listed as it was accepted: the model must never read unreviewed text. */
  shownDefinition(caller: Caller, server: string, tool: Record<string, unknown>): Record<string, unknown> {
    const pinned = this.shownPin(caller, server, String(tool.name));
    return pinned ? withPinnedView(tool, pinned) : tool;
  }

  /**
   * SEP-2243: the `x-mcp-header` declarations of the definition this caller is shown. A 2026 client
   * builds its `Mcp-Param-*` headers from the schema it was listed, so while a changed tool is
   * listed as accepted, its headers are checked against the accepted schema: the call then meets
   * the pin check's denial, not a header mismatch the client cannot fix from what it was shown.
   */
  shownParamHeaders(
    caller: Caller,
    server: string,
    tool: string,
  ): readonly ParamHeaderDeclaration[] | undefined {
    const pinned = this.shownPin(caller, server, tool);
    return pinned ? declarationsOf(pinned.inputSchema) : this.deps.paramHeaders?.get(server, tool);
  }

  /** The accepted definition listed in place of a changed one (`pins.on_change: pinned`), if any. */
  private shownPin(caller: Caller, server: string, tool: string): Record<string, unknown> | undefined {
    if (this.pinChangeMode() !== 'pinned') return undefined;
    return this.deps.pins?.changed(caller, server, tool)?.pin.definition;
  }

  /** Every tools/list result: definitions are pinned on first use, changes and new tools noted. */
  observeTools(caller: Caller, server: string, tools: readonly Record<string, unknown>[]): void {
    // SEP-2243: remember which tools declare `x-mcp-header` (checked on 2026 calls, never trusted).
    this.deps.paramHeaders?.observe(server, tools);
    try {
      this.deps.pins?.observe(server, tools, caller, [
        this.lookup(caller, server).policy,
        this.deps.policies.sourceOf(server).policy,
      ]);
    } catch (err) {
      // Pinning what was seen is bookkeeping: the list is still filtered (isHidden fails closed).
      this.deps.log.error({ err: (err as Error).message, server }, 'could not pin the listed tools');
    }
  }

  async checkCall(
    caller: Caller,
    server: string,
    tool: string,
    args: Record<string, unknown>,
    context?: CallContext,
  ): Promise<CallVerdict> {
    const started = performance.now();
    const trace = this.tracer.startCall(server, tool, caller.grant, caller.sessionId, context?.meta);
    let audited = false;
    // Set once the call's write-ahead record is committed: its end is then an outcome record.
    let intent: AuditRecord | undefined;
    const ended = (d: AuditFields, extra: Partial<AuditInput> = {}) => {
      // Every outcome is audited exactly once: the call's span ends here too.
      audited = true;
      trace.end(d.decision, d.rule, d.reason, callError(d, extra.note));
      const latencyMs = performance.now() - started;
      if (intent) this.recordOutcome(caller, server, tool, intent, latencyMs, { ...d, ...extra });
      else this.record(caller, server, tool, args, latencyMs, { ...d, ...extra });
    };
    const audit: AuditCall = Object.assign(ended, {
      ahead: async (d: Omit<AuditFields, 'upstream'> & Partial<AuditInput>) => {
        intent = await this.deps.audit!.recordDurable!({
          grant: caller.grant,
          session: caller.sessionId,
          server,
          tool,
          method: 'tools/call',
          args,
          latencyMs: performance.now() - started,
          ...d,
          upstream: 'pending',
          call: randomUUID(),
        });
      },
      wroteAhead: () => intent !== undefined,
    });

    try {
      return await this.decideCall(caller, server, tool, args, context, audit, trace);
    } catch (err) {
      // The gate never throws (proxy/gate.ts): whatever failed, nobody decided, so nothing passes.
      const detail = (err as Error).message;
      this.deps.log.error(
        { err: detail, grant: caller.grant, server, tool },
        'the gate failed; the call is denied',
      );
      if (!audited)
        audit({ decision: 'deny', rule: 'internal', reason: `the gate failed: ${detail}`, upstream: 'none' });
      return {
        kind: 'answer',
        result: deniedResult(
          'the gateway could not decide this call (an internal error) and fails closed; retry later, and if it persists ask an operator to read the gateway log',
        ),
      };
    }
  }

  private async decideCall(
    caller: Caller,
    server: string,
    tool: string,
    args: Record<string, unknown>,
    context: CallContext | undefined,
    audit: AuditCall,
    trace: CallTrace,
  ): Promise<CallVerdict> {
    // First the caller's policy, once for the whole call. One that cannot be loaded denies, and says why.
    const looked = this.lookup(caller, server);
    if (looked.broken) {
      audit({ decision: 'deny', rule: POLICY_UNAVAILABLE, reason: looked.broken.detail, upstream: 'none' });
      return { kind: 'answer', result: deniedResult(looked.broken.reason) };
    }
    const policy = looked.policy;

    // 0. Pin check: a quarantined tool is unknown, a changed definition is denied until accepted.
    // Synchronous when nothing is wrong: the hot path awaits nothing here.
    const pinned = this.deps.pins ? this.pinCheck(caller, policy, server, tool, audit, trace) : undefined;
    if (pinned) {
      const verdict = await pinned;
      if (verdict) return verdict;
    }

    // 1. Policy: pure and synchronous.
    let decision: Decision;
    const policySpan = trace.policy();
    try {
      decision = decide(policy, {
        server,
        tool,
        args,
        grant: { name: caller.grant, claims: caller.claims },
        session: { id: caller.sessionId },
      });
      policySpan.end(decision.outcome, undefined, decision.rule);
    } catch (err) {
      // decide() is not supposed to throw; if it does, nobody decided, so nothing passes.
      policySpan.end('error', (err as Error).message);
      this.deps.log.error({ err: (err as Error).message, server, tool }, 'policy evaluation failed');
      audit({ decision: 'deny', rule: 'internal', reason: 'policy evaluation failed', upstream: 'none' });
      return {
        kind: 'answer',
        result: deniedResult('the gateway could not evaluate its policy for this call; it fails closed'),
      };
    }

    // 2. Hidden and denied calls never reach the upstream and consume nothing.
    if (decision.outcome === 'hide') {
      audit({ decision: 'hide', rule: decision.rule, reason: decision.reason, upstream: 'none' });
      return { kind: 'unknown' };
    }
    if (decision.outcome === 'deny') {
      if (decision.shadow) return this.forwardShadow(server, decision, audit, trace);
      audit({ decision: 'deny', rule: decision.rule, reason: decision.reason, upstream: 'none' });
      return { kind: 'answer', result: deniedResult(decision.reason) };
    }

    // 3. Limits, all counters of the call at once (an input_required retry was charged already).
    if (decision.limits.length > 0 && context?.alreadyCharged !== true) {
      const charges: CounterCharge[] = decision.limits.map((c) => ({
        key: counterKey(c, caller, server),
        windowSeconds: c.windowSeconds,
        max: c.max,
        amount: c.amount,
      }));
      const countersSpan = trace.counters(this.deps.counters.kind, charges.length);
      try {
        const r = await this.deps.counters.consume(charges, this.now());
        countersSpan.end(
          r.ok ? 'ok' : 'limited',
          undefined,
          r.ok ? undefined : decision.limits[r.index]?.rule,
        );
        if (!r.ok) {
          const c = decision.limits[r.index]!;
          const reason = `${c.counter}: ${c.max} per ${c.window} reached`;
          if (decision.shadow)
            return this.forwardShadow(
              server,
              { ...decision, rule: c.rule, reason },
              audit,
              trace,
              'rate_limited',
            );
          audit({ decision: 'rate_limited', rule: c.rule, reason, upstream: 'none' });
          return {
            kind: 'answer',
            result: rateLimitedResult(c.counter, c.max, c.window, r.retryAfterSeconds),
          };
        }
      } catch (err) {
        const detail =
          err instanceof CounterBackendError ? err.message : `limit store error: ${(err as Error).message}`;
        countersSpan.end('error', detail);
        this.deps.log.warn({ server, tool, err: detail }, 'counter backend error');
        this.deps.metrics?.backendError('counters');
        if (this.deps.onBackendError(server) === 'deny') {
          audit({ decision: 'deny', rule: 'on_backend_error', reason: detail, upstream: 'none' });
          return { kind: 'answer', result: backendDownResult(detail) };
        }
      }
    }

    // 4. Approval: a person decides (src/approvals); with nobody to ask, the call fails closed.
    let approvedBy: Partial<AuditInput> = {};
    if (decision.outcome === 'approval') {
      if (!this.deps.approvals) {
        const reason = `${tool} needs a person's approval (${decision.rule}) and this gateway has no approval queue configured`;
        audit({ decision: 'deny', rule: decision.rule, reason, upstream: 'none' });
        return { kind: 'answer', result: deniedResult(reason) };
      }
      const v = await this.deps.approvals.request({ caller, server, tool, args, decision, context });
      if (v.kind === 'refused') {
        if (v.audit) audit({ decision: v.decision, rule: decision.rule, reason: v.reason, upstream: 'none' });
        else {
          // The approval service (or the approver) already wrote this outcome's audit record.
          trace.end(v.decision, decision.rule, v.reason, undefined);
          this.deps.metrics?.decision(server, tool, v.decision);
        }
        return { kind: 'answer', result: v.result };
      }
      approvedBy = { approver: v.approver, note: `approval ${v.id}${v.note ? `: ${v.note}` : ''}` };
    }

    // 5. Allowed: the decision is committed (write-ahead), then forwarded; the outcome follows.
    const reason = approvedBy.approver ? `approved by ${approvedBy.approver}` : decision.reason;
    const allowed = { decision: 'allow', rule: decision.rule, reason } as const;
    return this.forward(server, trace, audit, { ...allowed, ...approvedBy }, (o) => {
      // With a write-ahead record the approval is on it; the outcome only says how the call ended.
      const note = [audit.wroteAhead() ? undefined : approvedBy.note, o.error].filter(Boolean).join('; ');
      audit({ ...allowed, upstream: o.upstream }, { ...approvedBy, ...(note ? { note } : {}) });
    });
  }

  /**
   * The verdict of every call that goes upstream (allowed, approved, or let through by a shadow
   * policy). The span and the latency metric are ended here, in one place, so no kind of forwarded
   * call can miss them (shadow calls once did); `audited` writes the call's own audit record.
   * With write-ahead on, nothing goes upstream before `writeAhead` committed the decision: a store
   * that cannot take it refuses the call (fail closed), since a crash could then lose the only
   * trace of a call the server executed.
   */
  private async forward(
    server: string,
    trace: CallTrace,
    audit: AuditCall,
    decided: Omit<AuditFields, 'upstream'> & Partial<AuditInput>,
    audited: (o: CallOutcome) => void,
  ): Promise<CallVerdict> {
    if (this.writeAheadOn()) {
      try {
        await audit.ahead(decided);
      } catch (err) {
        const detail = `the audit store cannot record it: ${(err as Error).message}`;
        this.logAuditRefusal(server, (err as Error).message);
        this.deps.metrics?.backendError('audit');
        audit({ decision: 'deny', rule: AUDIT_DOWN_RULE, reason: detail, upstream: 'none' });
        return { kind: 'answer', result: auditDownResult(detail) };
      }
    }
    const upstreamSpan = trace.upstream();
    return {
      kind: 'forward',
      meta: trace.outgoingMeta(),
      done: (o) => {
        upstreamSpan.end(o.upstream, o.error);
        this.deps.metrics?.upstream(server, o.latencyMs / 1000, o.upstream === 'ok');
        audited(o);
      },
    };
  }

  recordUnknown(caller: Caller, server: string, tool: string): void {
    this.record(caller, server, tool, undefined, 0, {
      decision: 'deny',
      rule: 'unknown_tool',
      reason: `${tool} is not a tool of ${server}`,
      upstream: 'none',
    });
  }

  recordRefusal(caller: Caller, server: string, r: Refusal): void {
    this.record(caller, server, r.tool ?? r.method, r.args, 0, {
      decision: 'deny',
      method: r.method,
      rule: `admission:${r.rule}`,
      reason: r.reason,
      upstream: 'none',
    });
  }

  recordFailure(caller: Caller, server: string, tool: string, error: string): void {
    this.record(caller, server, tool, undefined, 0, {
      decision: 'deny',
      rule: 'internal',
      reason: `internal gateway error: ${error}`,
      upstream: 'none',
    });
  }

  /**
   * One log line per 10 s while the audit store refuses write-ahead records, with how many calls
   * were refused since the last one: an outage under load must not bury the log (the store's own
   * down and back lines, the metric and /readyz say the rest).
   */
  private logAuditRefusal(server: string, err: string): void {
    const now = Date.now();
    if (now - this.auditRefusalLog.at < 10_000) {
      this.auditRefusalLog.suppressed++;
      return;
    }
    const refusedSince = this.auditRefusalLog.suppressed;
    this.auditRefusalLog = { at: now, suppressed: 0 };
    this.deps.log.error(
      { server, err, ...(refusedSince > 0 ? { refusedSince } : {}) },
      'audit write-ahead failed; call refused (logged once per 10 s while it lasts)',
    );
  }
  private auditRefusalLog = { at: 0, suppressed: 0 };

  private writeAheadOn(): boolean {
    return this.deps.writeAhead !== false && this.deps.audit?.recordDurable !== undefined;
  }

  /**
   * A forwarded call's end, after its write-ahead record: how it went and how long it took. The
   * decision, rule and arguments are on the write-ahead record (`call` links the two).
   */
  private recordOutcome(
    caller: Caller,
    server: string,
    tool: string,
    intent: AuditRecord,
    latencyMs: number,
    d: AuditFields & Partial<AuditInput>,
  ): void {
    this.deps.metrics?.decision(server, tool, d.decision);
    this.deps.audit?.record({
      grant: caller.grant,
      session: caller.sessionId,
      server,
      tool,
      method: 'tools/call',
      argsDigest: intent.argsDigest,
      decision: 'outcome',
      latencyMs,
      upstream: d.upstream,
      call: intent.call,
      ...(d.note ? { note: d.note } : {}),
    });
  }

  /** One audit record and one metric per decision. */
  private record(
    caller: Caller,
    server: string,
    tool: string,
    args: Record<string, unknown> | undefined,
    latencyMs: number,
    d: AuditFields & Partial<AuditInput>,
  ): void {
    this.deps.metrics?.decision(server, tool, d.decision);
    this.deps.audit?.record({
      grant: caller.grant,
      session: caller.sessionId,
      server,
      tool,
      method: 'tools/call',
      args,
      latencyMs,
      ...d,
    });
  }

  private forwardShadow(
    server: string,
    decision: Decision,
    audit: AuditCall,
    trace: CallTrace,
    would: 'deny' | 'rate_limited' = 'deny',
  ): Promise<CallVerdict> {
    const shadow = {
      decision: 'shadow_deny',
      rule: decision.rule,
      reason: `would be ${would}: ${decision.reason}`,
    } as const;
    return this.forward(server, trace, audit, shadow, (o) =>
      audit({ ...shadow, upstream: o.upstream }, o.error ? { note: o.error } : {}),
    );
  }

  /** Undefined when the call may go on to the policy (see PinRegistry.check). */
  private pinCheck(
    caller: Caller,
    policy: CompiledPolicy,
    server: string,
    tool: string,
    audit: AuditCall,
    trace: CallTrace,
  ): Promise<CallVerdict | undefined> | undefined {
    // A tool the policy hides answers as unknown (policy step): never say it changed.
    if (isHidden(policy, tool)) return undefined;
    const pending = this.deps.pins!.check(caller, policy, server, tool);
    if (pending === undefined) return undefined;
    return Promise.resolve(pending).then((v) =>
      v ? this.pinVerdict(v, policy, server, tool, audit, trace) : undefined,
    );
  }

  private pinVerdict(
    v: PinVerdict,
    policy: CompiledPolicy,
    server: string,
    tool: string,
    audit: AuditCall,
    trace: CallTrace,
  ): CallVerdict | Promise<CallVerdict> {
    if (v.kind === 'quarantined') {
      audit({ decision: 'hide', rule: 'new_tools', reason: v.reason, upstream: 'none' });
      return { kind: 'unknown' };
    }
    const reason = `tool definition changed since it was approved (${v.changes.join('; ') || 'definition changed'})`;
    if (this.pinChangeMode() === 'hide') {
      // Not listed, so unknown, like a hidden or quarantined tool (which shadow mode keeps hidden too).
      audit({ decision: 'hide', rule: 'pin', reason, upstream: 'none' });
      return { kind: 'unknown' };
    }
    if (policy.mode === 'shadow') {
      const d: Decision = {
        outcome: 'deny',
        rule: 'pin',
        reason,
        explanation: reason,
        limits: [],
        shadow: true,
      };
      return this.forwardShadow(server, d, audit, trace);
    }
    audit({ decision: 'deny', rule: 'pin', reason, upstream: 'none' });
    // The agent gets the fact, not the diff: the new text may itself be the attack.
    return {
      kind: 'answer',
      result: deniedResult(
        `tool definition changed since it was approved; an operator must review and accept it (toolgate catalog accept ${server} ${tool}) before it can be called`,
      ),
    };
  }

  private pinChangeMode(): PinChangeMode {
    return this.deps.pinChange?.() ?? 'pinned';
  }

  private lookup(caller: Caller, server: string): PolicyLookup {
    return this.deps.policies.lookup(caller.grant, server, this.deps.grantPolicy?.(caller.grant));
  }
}
