import { decideApproval } from '../../approvals/index.js';
import type { AuditInput } from '../../audit/types.js';
import {
  APPROVAL_STATUSES,
  type ApprovalRecord,
  type ApprovalStatus,
  type Store,
} from '../../store/index.js';
import { ApiError, type Router } from './router.js';

/** The approvals section of docs/admin-api.md; added to the API through `adminRoutes`. */
export function approvalRoutes(deps: {
  store: Store;
  audit: { record(input: AuditInput): void };
}): (router: Router) => void {
  return (router) => {
    router.on('GET', '/api/approvals', async ({ query }) => {
      const status = query.get('status') ?? undefined;
      if (status !== undefined && !APPROVAL_STATUSES.includes(status as ApprovalStatus)) {
        throw new ApiError(400, 'bad_request', `status: one of ${APPROVAL_STATUSES.join(', ')}`);
      }
      const limit = Number(query.get('limit') ?? 100);
      const rows = await deps.store.approvals.list({
        status: status as ApprovalStatus | undefined,
        limit: Number.isFinite(limit) ? limit : 100,
      });
      return { approvals: rows.map(view) };
    });
    for (const action of ['approve', 'deny'] as const) {
      router.on('POST', `/api/approvals/:id/${action}`, async ({ params, body }) => {
        const b = (await body()) as { note?: unknown; by?: unknown };
        if (b.note !== undefined && typeof b.note !== 'string')
          throw new ApiError(400, 'bad_request', 'note: a string');
        // The admin token is one shared identity; `by` lets a script or the dashboard say who.
        const by = typeof b.by === 'string' && /^[\w.@ -]{1,64}$/.test(b.by) ? b.by : undefined;
        const out = await decideApproval(deps.store, deps.audit, params.id!, {
          approved: action === 'approve',
          approver: by ? `admin:${by}` : 'admin',
          note: b.note,
        });
        if (out.ok) return { ok: true };
        if (out.code === 'not_found') throw new ApiError(404, 'unknown_approval', out.message);
        throw new ApiError(409, 'not_pending', out.message, { status: out.approval?.status });
      });
    }
  };
}

function view(a: ApprovalRecord) {
  return {
    id: a.id,
    status: a.status,
    server: a.server,
    tool: a.tool,
    grant: a.grant,
    session: a.session,
    args: a.args ?? null,
    argsDigest: a.argsDigest,
    rule: a.rule,
    reason: a.reason,
    createdAt: a.createdAt,
    expiresAt: a.expiresAt,
    mode: a.mode,
    decidedAt: a.decidedAt,
    decidedBy: a.approver,
    note: a.note,
    consumedAt: a.consumedAt,
  };
}
