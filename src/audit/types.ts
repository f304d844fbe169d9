/** What the gateway decided about one request. Every decision gets exactly one audit record. */
export type AuditDecision =
  | 'allow'
  | 'deny'
  | 'hide'
  | 'rate_limited'
  | 'approval_requested'
  | 'approval_granted'
  | 'approval_denied'
  | 'approval_expired'
  | 'upstream_error'
  | 'shadow_deny'
  /** Not a decision: how a forwarded call ended, written after its write-ahead record (`call` links them). */
  | 'outcome';

export const AUDIT_DECISIONS: readonly AuditDecision[] = [
  'allow',
  'deny',
  'hide',
  'rate_limited',
  'approval_requested',
  'approval_granted',
  'approval_denied',
  'approval_expired',
  'upstream_error',
  'shadow_deny',
  'outcome',
];

/**
 * What became of a forwarded call upstream: answered (`ok`), failed (`error`), never sent (`none`),
 * or sent with its answer lost (`unknown`: a reset, a crash or a timeout; the server may have run it).
 * `pending`: a write-ahead record, written before the call was forwarded; its `outcome` record
 * says how it ended.
 */
export type UpstreamOutcome = 'ok' | 'error' | 'none' | 'pending' | 'unknown';

/** What a caller hands to `AuditLog.record()`: raw arguments, which are digested and redacted there. */
export interface AuditInput {
  ts?: number;
  grant: string;
  session?: string;
  server: string;
  tool?: string;
  method: string;
  args?: unknown;
  /**
   * Only for records written from already-redacted arguments (an approval decided from the CLI):
   * the digest taken from the raw arguments when the call arrived.
   */
  argsDigest?: string;
  decision: AuditDecision;
  rule?: string;
  reason?: string;
  latencyMs?: number;
  upstream: UpstreamOutcome;
  approver?: string;
  note?: string;
  /** Links a forwarded call's write-ahead record (`upstream: pending`) to its `outcome` record. */
  call?: string;
}

/** The content of a record as stored and hashed: arguments already redacted, digest computed. */
export interface AuditEntry {
  ts: number;
  grant: string;
  session?: string;
  server: string;
  tool?: string;
  method: string;
  /** sha256 hex of the canonical JSON of the arguments before redaction. */
  argsDigest: string;
  /** Redacted arguments; absent when the request had none. */
  args?: unknown;
  decision: AuditDecision;
  rule?: string;
  reason?: string;
  latencyMs: number;
  upstream: UpstreamOutcome;
  approver?: string;
  note?: string;
  /** The call id shared by a write-ahead record and its outcome record. */
  call?: string;
}

/** A stored record: its place in the chain plus the hash that seals it. */
export interface AuditRecord extends AuditEntry {
  seq: number;
  prevHash: string;
  hash: string;
}

/** Where the chain starts after `prune()`: the first kept record must have this seq and prevHash. */
export interface AuditCheckpoint {
  seq: number;
  prevHash: string;
  prunedAt: number;
  prunedCount: number;
}

export interface AuditQuery {
  since?: number;
  until?: number;
  grant?: string;
  session?: string;
  server?: string;
  tool?: string;
  decision?: AuditDecision;
  afterSeq?: number;
  /** Default 100, at most 10,000. */
  limit?: number;
  /** 'asc' (oldest first, the default) or 'desc' (newest first). */
  order?: 'asc' | 'desc';
}

/** The audit half of the Store. Implementations serialize `append` so the chain stays linear. */
export interface AuditStore {
  /** Seals and appends the entries in one transaction; returns them with seq, prevHash and hash. */
  append(entries: AuditEntry[]): Promise<AuditRecord[]>;
  query(filter?: AuditQuery): Promise<AuditRecord[]>;
  /** Every record in seq order, paged, for verify and export. */
  iterate(opts?: { since?: number; afterSeq?: number; batchSize?: number }): AsyncIterable<AuditRecord>;
  /** The newest record's seq and hash, or undefined when the log is empty. */
  head(): Promise<{ seq: number; hash: string } | undefined>;
  checkpoint(): Promise<AuditCheckpoint | undefined>;
  count(): Promise<number>;
  /** Deletes the oldest records (a prefix of the chain) older than `beforeMs`; returns how many. */
  prune(beforeMs: number, nowMs?: number): Promise<number>;
}
