/**
 * Approvals as the store keeps them. A row is created when a call needs a person; it is decided
 * (approved / denied) by the CLI or the admin API, possibly on another replica, and ends expired or
 * withdrawn when nobody decided in time or the client went away.
 */
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'withdrawn';
export type ApprovalMode = 'hold' | 'retry';

export const APPROVAL_STATUSES: readonly ApprovalStatus[] = [
  'pending',
  'approved',
  'denied',
  'expired',
  'withdrawn',
];

export interface ApprovalRecord {
  id: string;
  grant: string;
  session?: string;
  server: string;
  tool: string;
  /** The arguments redacted as in the audit log: for display, never for matching. */
  args?: unknown;
  /** sha256 of the canonical JSON of the raw arguments: what binds the approval to the exact call. */
  argsDigest: string;
  status: ApprovalStatus;
  mode: ApprovalMode;
  rule?: string;
  reason?: string;
  createdAt: number;
  /** Pending: the deadline for a decision. Approved in retry mode: the deadline for the one use. */
  expiresAt: number;
  decidedAt?: number;
  approver?: string;
  note?: string;
  /** When the approved call was made (hold: released; retry: the one call used it). */
  consumedAt?: number;
  /** The gateway process holding the call (hold mode). */
  holder?: string;
  /** The holder's lease: a held approval whose lease lapsed lost its call (crashed replica). */
  heldUntil?: number;
}

export interface NewApproval {
  id: string;
  grant: string;
  session?: string;
  server: string;
  tool: string;
  args?: unknown;
  argsDigest: string;
  mode: ApprovalMode;
  rule?: string;
  reason?: string;
  createdAt: number;
  expiresAt: number;
  holder?: string;
  heldUntil?: number;
}

export interface ApprovalFilter {
  status?: ApprovalStatus;
  grant?: string;
  server?: string;
  tool?: string;
  argsDigest?: string;
  mode?: ApprovalMode;
  /** Default 100, at most 1000. Newest first. */
  limit?: number;
}

/** What a retry-mode call may consume: an approval for exactly this grant, server, tool and arguments. */
export interface ApprovalMatch {
  grant: string;
  server: string;
  tool: string;
  argsDigest: string;
}

export interface ApprovalStore {
  create(a: NewApproval): Promise<ApprovalRecord>;
  get(id: string): Promise<ApprovalRecord | undefined>;
  list(filter?: ApprovalFilter): Promise<ApprovalRecord[]>;
  /**
   * Approve or deny, atomically: only a pending approval whose deadline has not passed can be
   * decided. Returns the decided record, or false when it was not pending (or is unknown).
   * Approving a retry-mode approval restarts its clock: the agent gets the full timeout to call again.
   */
  decide(
    id: string,
    d: { approved: boolean; approver: string; note?: string; now: number },
  ): Promise<ApprovalRecord | false>;
  /**
   * Marks an approved, unused, unexpired approval used and returns it; undefined when there is none.
   * Single use: of two concurrent consumers exactly one gets it.
   */
  consume(which: { id: string } | ApprovalMatch, now: number): Promise<ApprovalRecord | undefined>;
  /** pending -> expired or withdrawn (the holder's own timeout, a client that went away). */
  end(
    id: string,
    e: { status: 'expired' | 'withdrawn'; now: number; note?: string },
  ): Promise<ApprovalRecord | undefined>;
  /**
   * Expires every pending approval past its deadline, and every held one whose holder's lease
   * lapsed; returns them (the caller audits each once: only one caller gets a given row).
   */
  expire(now: number): Promise<ApprovalRecord[]>;
  /** Extends the lease of the pending approvals this holder is holding; returns how many. */
  renew(holder: string, heldUntil: number): Promise<number>;
}
