import type { AuditInput } from '../audit/types.js';
import { defaultRedactor } from '../redact/index.js';
import type { ApprovalRecord, Store } from '../store/index.js';

export type DecideOutcome =
  | { ok: true; approval: ApprovalRecord }
  | { ok: false; code: 'not_found' | 'not_pending'; message: string; approval?: ApprovalRecord };

/**
 * Approve or deny one approval and audit it with the approver's identity and note. Shared by the
 * CLI and the admin API: whoever decides writes the record, because in retry mode no gateway is
 * waiting to notice. The held call (on any replica) sees the new status on its next poll.
 */
export async function decideApproval(
  store: Store,
  audit: { record(input: AuditInput): void },
  id: string,
  d: { approved: boolean; approver: string; note?: string; now?: number },
): Promise<DecideOutcome> {
  const now = d.now ?? Date.now();
  // A person's note is shown to everyone who reads approvals: a credential pasted into it is masked.
  const note = d.note?.trim() ? defaultRedactor.text(d.note.trim()) : undefined;
  const decided = await store.approvals.decide(id, { approved: d.approved, approver: d.approver, note, now });
  if (!decided) {
    const current = await store.approvals.get(id);
    if (!current) return { ok: false, code: 'not_found', message: `no approval with id ${id}` };
    return { ok: false, code: 'not_pending', message: notPending(current), approval: current };
  }
  audit.record({
    ts: now,
    grant: decided.grant,
    session: decided.session,
    server: decided.server,
    tool: decided.tool,
    method: 'tools/call',
    // Already redacted when stored; the digest is the one taken from the raw arguments.
    args: decided.args,
    argsDigest: decided.argsDigest,
    decision: d.approved ? 'approval_granted' : 'approval_denied',
    rule: decided.rule,
    reason: `${d.approved ? 'approved' : 'denied'} by ${d.approver} (approval ${decided.id}, ${decided.mode} mode)`,
    upstream: 'none',
    approver: d.approver,
    note,
  });
  return { ok: true, approval: decided };
}

function notPending(a: ApprovalRecord): string {
  if (a.status === 'pending') return `approval ${a.id} expired at ${new Date(a.expiresAt).toISOString()}`;
  if (a.status === 'approved' || a.status === 'denied') {
    return `approval ${a.id} was already ${a.status} by ${a.approver ?? 'someone'}`;
  }
  return `approval ${a.id} is ${a.status}${a.note ? ` (${a.note})` : ''}`;
}
