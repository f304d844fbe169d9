/** Public types of the policy language. Kept apart so every module imports them without cycles. */

export type Scope = 'grant' | 'session' | 'server' | 'global';

/** What the gateway knows about one tools/call when it asks for a decision. */
export interface CallFacts {
  /** Configured server name. */
  server: string;
  /** Upstream tool name (not namespaced). */
  tool: string;
  args: Record<string, unknown>;
  grant: { name: string; claims?: Record<string, unknown> };
  session: { id: string };
}

/** One counter the caller must check and consume (atomically, with the others) before forwarding. */
export interface LimitCharge {
  counter: string;
  /** As written in the policy: 'minute', '15m', '60'. */
  window: string;
  windowSeconds: number;
  max: number;
  scope: Scope;
  /** 1 for a call count, or the numeric value at `sum` for a spend cap. */
  amount: number;
  /** Where in the policy: 'tools.track_event.limits[0]'. */
  rule: string;
}

export type Outcome = 'allow' | 'deny' | 'hide' | 'approval';

export interface Decision {
  outcome: Outcome;
  /** A sentence an agent can read and act on. */
  reason: string;
  /** Where in the policy: 'tools.create_refund.deny_if[0]', 'default', 'hide[1]'. */
  rule: string;
  /** Which rule fired and why, in words ("args.amount is 12000, greater than 10000"). */
  explanation: string;
  /** Counters to consume when the outcome is allow or approval; empty otherwise. */
  limits: readonly LimitCharge[];
  approval?: { timeoutSeconds: number; mode: 'hold' | 'retry' };
  /** The policy has `mode: shadow`: the gateway records the decision but lets the call through. */
  shadow: boolean;
}

export type NewToolsMode = 'quarantine' | 'policy';

/** A validated policy compiled for fast decisions. Internals are not part of the contract. */
export interface CompiledPolicy {
  /** File path, or a label such as 'inline' for documents from toolgate.yaml. */
  readonly source: string;
  readonly mode: 'enforce' | 'shadow';
  readonly name: string | undefined;
  readonly description: string | undefined;
  /** `new_tools` as written; undefined when the document does not say. */
  readonly newTools: NewToolsMode | undefined;
  /**
   * `hide_denied` (default true): tools denied whatever their arguments are left out of
   * tools/list (see unlisted.ts); a call to one still gets the deny reason.
   */
  readonly hideDenied: boolean;
}

/** One load error; line and column are 1-based, 0 when the document did not come from text. */
export interface PolicyIssue {
  file: string;
  line: number;
  column: number;
  /** Path inside the document, e.g. 'tools.create_refund.deny_if[0].op'; '' for the whole document. */
  path: string;
  message: string;
}
