import type { AuditCheckpoint, AuditDecision, AuditRecord, UpstreamOutcome } from '../audit/types.js';
import type { GrantRecord } from './types.js';

/** Both dialects share column names; these map rows to records and back. */

type Row = Record<string, unknown>;

/** pg returns BIGINT as a string (to avoid precision loss); our values are ms timestamps, safe as numbers. */
function num(v: unknown): number {
  return typeof v === 'number' ? v : Number(v);
}
function optNum(v: unknown): number | undefined {
  return v === null || v === undefined ? undefined : num(v);
}
function optStr(v: unknown): string | undefined {
  return v === null || v === undefined ? undefined : String(v);
}

export function rowToGrant(r: Row): GrantRecord {
  const g: GrantRecord = {
    name: String(r.name),
    tokenSha256: String(r.token_sha256),
    servers: JSON.parse(String(r.servers)) as string[],
    createdAt: num(r.created_at),
    source: 'store',
  };
  const policy = optStr(r.policy);
  if (policy !== undefined) g.policy = policy;
  const expiresAt = optNum(r.expires_at);
  if (expiresAt !== undefined) g.expiresAt = expiresAt;
  const revokedAt = optNum(r.revoked_at);
  if (revokedAt !== undefined) g.revokedAt = revokedAt;
  return g;
}

export const AUDIT_COLUMNS = [
  'seq',
  'ts',
  'grant_name',
  'session',
  'server',
  'tool',
  'method',
  'args_digest',
  'args',
  'decision',
  'rule',
  'reason',
  'latency_ms',
  'upstream',
  'approver',
  'note',
  'call_id',
  'prev_hash',
  'hash',
] as const;

/** Parameters in AUDIT_COLUMNS order. Absent optional fields become NULL, never empty strings. */
export function auditParams(r: AuditRecord): unknown[] {
  return [
    r.seq,
    r.ts,
    r.grant,
    r.session ?? null,
    r.server,
    r.tool ?? null,
    r.method,
    r.argsDigest,
    r.args === undefined ? null : JSON.stringify(r.args),
    r.decision,
    r.rule ?? null,
    r.reason ?? null,
    r.latencyMs,
    r.upstream,
    r.approver ?? null,
    r.note ?? null,
    r.call ?? null,
    r.prevHash,
    r.hash,
  ];
}

export function rowToAudit(r: Row): AuditRecord {
  const rec: AuditRecord = {
    seq: num(r.seq),
    ts: num(r.ts),
    grant: String(r.grant_name),
    server: String(r.server),
    method: String(r.method),
    argsDigest: String(r.args_digest),
    decision: String(r.decision) as AuditDecision,
    latencyMs: num(r.latency_ms),
    upstream: String(r.upstream) as UpstreamOutcome,
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
  };
  // Only set optional keys that hold a value, so records compare and hash the same after a round trip.
  const optional = {
    session: r.session,
    tool: r.tool,
    rule: r.rule,
    reason: r.reason,
    approver: r.approver,
    note: r.note,
    call: r.call_id,
  };
  for (const [key, v] of Object.entries(optional)) {
    if (v !== null && v !== undefined) (rec as unknown as Row)[key] = String(v);
  }
  if (r.args !== null && r.args !== undefined) rec.args = parseArgs(String(r.args));
  return rec;
}

/** A stored args cell that is not JSON (someone edited it by hand) is kept as text so verify reports it. */
function parseArgs(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function rowToCheckpoint(row: Row): AuditCheckpoint {
  return {
    seq: num(row.seq),
    prevHash: String(row.prev_hash),
    prunedAt: num(row.pruned_at),
    prunedCount: num(row.pruned_count),
  };
}
