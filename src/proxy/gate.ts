// The seam between the relay and everything that decides. The proxy knows nothing of policy
// files, counter backends or audit storage; it asks the Gate and does what it says.
import type { ParamHeaderDeclaration } from '../mcp/param-headers.js';

export interface Caller {
  /** Grant name; `local` when auth mode is none. */
  grant: string;
  claims?: Record<string, unknown>;
  sessionId: string;
}

export interface CallOutcome {
  /**
   * 'ok' when the upstream answered (even with isError), 'error' for protocol/transport errors,
   * 'unknown' when it was sent and the answer was lost (a reset, a crash, a timeout): it may have run.
   */
  upstream: 'ok' | 'error' | 'unknown';
  latencyMs: number;
  error?: string;
}

export type CallVerdict =
  /** Send it upstream; report how it went with `done` (audit, metrics). */
  | {
      kind: 'forward';
      done(outcome: CallOutcome): void;
      /** Entries to set in the forwarded request's `params._meta` (undefined removes one): trace context. */
      meta?: Record<string, string | undefined>;
    }
  /** Answer the client with this tools/call result (a denial, a rate limit) without asking upstream. */
  | { kind: 'answer'; result: Record<string, unknown> }
  /** The tool is hidden: answer exactly as the upstream answers an unknown tool. */
  | { kind: 'unknown' };

/** What the gate may use while a call waits (for a person's approval, say). */
export interface CallContext {
  /**
   * Aborted when the client cancels the request, goes away for good (a drop it cannot resume from)
   * or its session closes: a held call is withdrawn. A string `reason` says why when not the client.
   */
  signal: AbortSignal;
  /** Send a progress notification to the client, if it asked for progress (a progress token). */
  progress?(progress: number, message: string): void;
  /** The request's `params._meta` as the client sent it (W3C trace context: `traceparent`). */
  meta?: Record<string, unknown>;
  /**
   * Eras (issue 9): this call retries an `input_required` answer whose first attempt already
   * consumed the call's limits (see RetryCharges): decide it again, but do not charge it twice.
   */
  alreadyCharged?: boolean;
}

export interface Gate {
  /** Whether a tool is hidden from this caller (filters tools/list; synchronous, called per tool). */
  isHidden(caller: Caller, server: string, tool: string): boolean;
  /** Decide one tools/call. Never throws: a failure to decide is a denial that says so. */
  checkCall(
    caller: Caller,
    server: string,
    tool: string,
    args: Record<string, unknown>,
    context?: CallContext,
  ): Promise<CallVerdict>;
  /**
   * The definition a client may read of a listed tool that isHidden let through: the listed one,
   * or what the gate trusts instead (the accepted definition of a tool that changed since it was
   * accepted). Absent: the listed one. Called after observeTools saw the same list.
   */
  shownDefinition?(caller: Caller, server: string, tool: Record<string, unknown>): Record<string, unknown>;
  /**
   * SEP-2243: the `x-mcp-header` declarations of the definition shownDefinition gives this caller
   * (undefined: none), for the HTTP front end's `Mcp-Param-*` check. Absent: those of the listed one.
   */
  shownParamHeaders?(
    caller: Caller,
    server: string,
    tool: string,
  ): readonly ParamHeaderDeclaration[] | undefined;
  /** Every tools/list result an upstream sent (before filtering): tool pinning sees definitions here. */
  observeTools?(caller: Caller, server: string, tools: readonly Record<string, unknown>[]): void;
  /** A call to a tool the upstream never listed (answered as unknown without asking the policy). */
  recordUnknown?(caller: Caller, server: string, tool: string): void;
  /**
   * A call the relay could not finish because of an internal error (the client was answered with a
   * JSON-RPC internal error): audited as a denial, so the record says what the client saw.
   */
  recordFailure?(caller: Caller, server: string, tool: string, error: string): void;
  /** A message the admission step refused (src/proxy/admit.ts): audited, never relayed. */
  recordRefusal?(caller: Caller, server: string, refusal: Refusal): void;
}

/** What the admission step refused, for the audit log. */
export interface Refusal {
  method: string;
  tool?: string;
  /** `admission:<rule>` in the audit record. */
  rule: string;
  reason: string;
  args?: Record<string, unknown>;
}

/**
 * Tool names longer than this are neither listed nor called (answered as unknown). The spec asks
 * for at most 128 characters; the policy matches names against globs, which backtrack
 * quadratically on a long name (a 4 MiB name, the body limit, would hold the event loop for
 * minutes), and the name comes from the client or an untrusted upstream.
 */
export const MAX_TOOL_NAME_CHARS = 1024;

/**
 * What a client is shown of one tool an upstream listed: nothing when the gate hides it, else the
 * definition the gate lets it read. The one rule for /mcp/<server>, the aggregate /mcp and stdio.
 */
export function shownTool(
  gate: Gate,
  caller: Caller,
  server: string,
  tool: Record<string, unknown>,
): Record<string, unknown> | undefined {
  const name = String(tool.name);
  if (name.length > MAX_TOOL_NAME_CHARS || gate.isHidden(caller, server, name)) return undefined;
  return gate.shownDefinition ? gate.shownDefinition(caller, server, tool) : tool;
}

/** A gate that lets everything through: tests of the relay itself, and the parity baseline. */
export const OPEN_GATE: Gate = {
  isHidden: () => false,
  checkCall: async () => ({ kind: 'forward', done: () => {} }),
};
