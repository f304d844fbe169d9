import type { ApprovalRecord } from '../store/index.js';

/**
 * An approval as `toolgate approvals list --json` and the webhook payload show it: the call as
 * the audit log shows it (redacted), never a secret; what is unset is null.
 */
export function approvalJson(a: ApprovalRecord) {
  return {
    id: a.id,
    status: a.status,
    mode: a.mode,
    server: a.server,
    tool: a.tool,
    grant: a.grant,
    session: a.session ?? null,
    args: a.args ?? null,
    argsDigest: a.argsDigest,
    rule: a.rule ?? null,
    reason: a.reason ?? null,
    createdAt: a.createdAt,
    expiresAt: a.expiresAt,
  };
}
