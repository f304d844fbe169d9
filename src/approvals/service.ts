import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuditDecision, AuditInput } from '../audit/types.js';
import type { Decision } from '../policy/index.js';
import type { CallContext, Caller } from '../proxy/gate.js';
import { defaultRedactor, type Redactor } from '../redact/index.js';
import type { ApprovalRecord, Store } from '../store/index.js';
import { canonicalJson } from '../util/canonical-json.js';
import { waitForDecision } from './hold.js';
import { holderIsGone, newApprovalId, newHolderId, releaseHolderId } from './holder.js';
import { approvalExpiredResult, approvalRequiredResult, approvalUnavailableResult } from './results.js';
import type { WebhookNotifier } from './webhooks.js';

export interface ApprovalCall {
  caller: Caller;
  server: string;
  tool: string;
  args: Record<string, unknown>;
  decision: Decision;
  context?: CallContext;
}

/** What the gate does next: forward the approved call, or answer with `result`. */
export type ApprovalVerdict =
  | { kind: 'approved'; id: string; approver?: string; note?: string }
  | {
      kind: 'refused';
      result: Record<string, unknown>;
      decision: AuditDecision;
      reason: string;
      /** The gate must audit this outcome (nobody else has). */
      audit: boolean;
    };

/** The seam the gate uses; tests of the gate can stub it. */
export interface ApprovalGate {
  request(call: ApprovalCall): Promise<ApprovalVerdict>;
}

export interface ApprovalServiceOptions {
  store: Store;
  audit: { record(input: AuditInput): void };
  log: Logger;
  webhooks?: WebhookNotifier;
  /** The audit log's redactor (with `audit.redact`): approvers see what the audit log stores. */
  redactor?: Redactor;
  /** Used when a decision carries no timeout of its own. */
  /** How often a held call reads its approval (another replica may decide it). Default 250 ms. */
  pollMs?: number;
  /** Progress notifications to a waiting client that sent a token. Default every 3 s. */
  progressEveryMs?: number;
  /** A held approval whose holder stops renewing for this long is expired by any replica. Default 15 s. */
  leaseMs?: number;
  /** Expiry sweep and lease renewal period. Default 1 s. */
  sweepMs?: number;
  now?: () => number;
}

/**
 * Approvals on the call path (DESIGN section 3, after limits). Hold mode keeps the call open and
 * polls the store until a person decides (on this or any replica), the approval times out, or the
 * client withdraws. Retry mode answers at once and lets exactly that call through once, later.
 * All state is in the store; this process only holds open calls, renews their lease, and sweeps.
 */
export class ApprovalService implements ApprovalGate {
  readonly holder = newHolderId();
  private readonly now: () => number;
  private readonly stopping = new AbortController();
  private readonly held = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;

  private readonly redactor: Redactor;

  constructor(private readonly o: ApprovalServiceOptions) {
    this.now = o.now ?? Date.now;
    this.redactor = o.redactor ?? defaultRedactor;
  }

  /** Expire what earlier processes left held, then sweep and renew leases in the background. */
  async start(): Promise<void> {
    try {
      const pending = await this.o.store.approvals.list({ status: 'pending', mode: 'hold', limit: 1000 });
      for (const a of pending) {
        if (!a.holder || !holderIsGone(a.holder)) continue;
        const ended = await this.o.store.approvals.end(a.id, {
          status: 'expired',
          now: this.now(),
          note: 'the gateway process holding the call stopped',
        });
        if (ended) this.auditEnd(ended, 'expired: the gateway process holding the call stopped');
      }
      await this.sweep();
    } catch (err) {
      this.o.log.warn(
        { err: (err as Error).message },
        'approvals: start-up cleanup failed; the sweep retries',
      );
    }
    const every = this.o.sweepMs ?? 1000;
    this.timer = setInterval(() => void this.tick(), every);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.stopping.abort();
    await Promise.allSettled([...this.held]);
    await this.o.webhooks?.drain();
    releaseHolderId(this.holder);
  }

  async request(call: ApprovalCall): Promise<ApprovalVerdict> {
    const mode = call.decision.approval?.mode ?? 'hold';
    const argsDigest = digest(call.args);
    try {
      if (mode === 'retry') return await this.retry(call, argsDigest);
      const approval = await this.create(call, argsDigest, 'hold');
      const waiting = this.hold(approval, call);
      this.held.add(waiting);
      return await waiting.finally(() => this.held.delete(waiting));
    } catch (err) {
      const detail = (err as Error).message;
      this.o.log.warn({ server: call.server, tool: call.tool, err: detail }, 'approvals: store error');
      return {
        kind: 'refused',
        result: approvalUnavailableResult(detail),
        decision: 'deny',
        reason: `approval needed but the store failed: ${detail}`,
        audit: true,
      };
    }
  }

  private async retry(call: ApprovalCall, argsDigest: string): Promise<ApprovalVerdict> {
    const match = { grant: call.caller.grant, server: call.server, tool: call.tool, argsDigest };
    const used = await this.o.store.approvals.consume(match, this.now());
    if (used) return { kind: 'approved', id: used.id, approver: used.approver, note: used.note };
    // An agent that calls again before anyone decided gets the same approval, not a new one each time.
    const [open] = await this.o.store.approvals.list({
      ...match,
      status: 'pending',
      mode: 'retry',
      limit: 1,
    });
    const approval =
      open && open.expiresAt > this.now() ? open : await this.create(call, argsDigest, 'retry');
    if (approval === open) this.auditRequested(call, approval, 'asked again; still waiting');
    return {
      kind: 'refused',
      result: approvalRequiredResult(approval.id, call.decision.reason, approval.expiresAt),
      decision: 'approval_requested',
      reason: `approval ${approval.id} requested`,
      audit: false,
    };
  }

  private async create(
    call: ApprovalCall,
    argsDigest: string,
    mode: 'hold' | 'retry',
  ): Promise<ApprovalRecord> {
    const now = this.now();
    // The policy always fills in the timeout (10 minutes unless `approval.timeout` says otherwise).
    const timeoutMs = (call.decision.approval?.timeoutSeconds ?? 600) * 1000;
    const approval = await this.o.store.approvals.create({
      id: newApprovalId(),
      grant: call.caller.grant,
      session: call.caller.sessionId,
      server: call.server,
      tool: call.tool,
      // In the order the client sent them: the approver reads what the server will receive.
      args: this.redactor.args(call.args),
      argsDigest,
      mode,
      rule: call.decision.rule,
      reason: call.decision.reason === undefined ? undefined : this.redactor.text(call.decision.reason),
      createdAt: now,
      expiresAt: now + timeoutMs,
      ...(mode === 'hold' ? { holder: this.holder, heldUntil: now + this.leaseMs } : {}),
    });
    this.auditRequested(call, approval);
    this.o.webhooks?.notify(approval);
    this.o.log.info(
      { approval: approval.id, server: call.server, tool: call.tool, grant: call.caller.grant, mode },
      'approval requested',
    );
    return approval;
  }

  private async hold(approval: ApprovalRecord, call: ApprovalCall): Promise<ApprovalVerdict> {
    const signals = [this.stopping.signal, ...(call.context ? [call.context.signal] : [])];
    const outcome = await waitForDecision({
      store: this.o.store,
      approval,
      signal: AbortSignal.any(signals),
      progress: call.context?.progress,
      pollMs: this.o.pollMs ?? 250,
      progressEveryMs: this.o.progressEveryMs ?? 3000,
      now: this.now,
      log: this.o.log,
      whyAborted: () => {
        if (this.stopping.signal.aborted) return 'withdrawn: the gateway shut down while the call was held';
        // The session says why when it was not the client (it closed: DELETE, idle timeout, shutdown).
        const reason: unknown = call.context?.signal.reason;
        return typeof reason === 'string'
          ? `withdrawn: ${reason}`
          : 'withdrawn: the client cancelled the request or went away';
      },
    });
    switch (outcome.kind) {
      case 'approved':
        return {
          kind: 'approved',
          id: approval.id,
          approver: outcome.record.approver,
          note: outcome.record.note,
        };
      case 'denied':
        return {
          kind: 'refused',
          result: outcome.result,
          decision: 'approval_denied',
          reason: `denied by ${outcome.record.approver ?? 'a person'}`,
          audit: false,
        };
      case 'ended': {
        // This process ended it (timeout, withdrawal): it is the one that audits it.
        this.auditEnd(outcome.record, outcome.why);
        return this.expired(approval.id, outcome.why);
      }
      case 'gone':
        // Someone else ended it (the sweep on another replica) and audited it there.
        return this.expired(approval.id, outcome.why);
    }
  }

  private expired(id: string, why: string): ApprovalVerdict {
    return {
      kind: 'refused',
      result: approvalExpiredResult(id, why),
      decision: 'approval_expired',
      reason: why,
      audit: false,
    };
  }

  private get leaseMs(): number {
    return this.o.leaseMs ?? 15_000;
  }

  private async tick(): Promise<void> {
    this.ticks++;
    try {
      // Renew every other tick: a lease of 15 s survives several missed renewals.
      if (this.held.size > 0 && this.ticks % 2 === 0)
        await this.o.store.approvals.renew(this.holder, this.now() + this.leaseMs);
      await this.sweep();
    } catch (err) {
      this.o.log.warn({ err: (err as Error).message }, 'approvals: sweep failed; retrying');
    }
  }

  /** Expire overdue approvals; the store hands each row to one sweeper only, which audits it. */
  private async sweep(): Promise<void> {
    for (const a of await this.o.store.approvals.expire(this.now())) {
      this.auditEnd(a, `expired: ${a.note ?? 'nobody decided in time'}`);
    }
  }

  private auditRequested(call: ApprovalCall, a: ApprovalRecord, extra?: string): void {
    this.o.audit.record({
      grant: call.caller.grant,
      session: call.caller.sessionId,
      server: call.server,
      tool: call.tool,
      method: 'tools/call',
      args: call.args,
      decision: 'approval_requested',
      rule: call.decision.rule,
      reason: `${call.decision.reason} (approval ${a.id}, ${a.mode} mode${extra ? `; ${extra}` : ''})`,
      upstream: 'none',
    });
  }

  private auditEnd(a: ApprovalRecord, why: string): void {
    this.o.audit.record({
      grant: a.grant,
      session: a.session,
      server: a.server,
      tool: a.tool,
      method: 'tools/call',
      args: a.args,
      argsDigest: a.argsDigest,
      decision: 'approval_expired',
      rule: a.rule,
      reason: `approval ${a.id} ${why}`,
      upstream: 'none',
      note: a.note,
    });
  }
}

function digest(args: Record<string, unknown>): string {
  return createHash('sha256')
    .update(canonicalJson(args ?? null), 'utf8')
    .digest('hex');
}
