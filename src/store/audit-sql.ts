import type { AuditQuery, AuditRecord } from '../audit/types.js';
import { AUDIT_COLUMNS } from './rows.js';

export const MAX_QUERY_LIMIT = 10_000;

/** One SELECT for `AuditStore.query`, shared by both dialects; `ph(n)` renders the n-th placeholder. */
export function auditQuerySql(
  filter: AuditQuery,
  ph: (n: number) => string,
): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace('?', ph(params.length)));
  };
  if (filter.since !== undefined) add('ts >= ?', filter.since);
  if (filter.until !== undefined) add('ts < ?', filter.until);
  if (filter.grant !== undefined) add('grant_name = ?', filter.grant);
  if (filter.session !== undefined) add('session = ?', filter.session);
  if (filter.server !== undefined) add('server = ?', filter.server);
  if (filter.tool !== undefined) add('tool = ?', filter.tool);
  if (filter.decision !== undefined) add('decision = ?', filter.decision);
  if (filter.afterSeq !== undefined) add('seq > ?', filter.afterSeq);
  const limit = Math.max(1, Math.min(MAX_QUERY_LIMIT, Math.floor(filter.limit ?? 100)));
  params.push(limit);
  const sql =
    `SELECT ${AUDIT_COLUMNS.join(', ')} FROM audit` +
    (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') +
    ` ORDER BY seq ${filter.order === 'desc' ? 'DESC' : 'ASC'} LIMIT ${ph(params.length)}`;
  return { sql, params };
}

/** One page of the full scan used by verify and export (keyset pagination on seq). */
function auditPageSql(
  page: { afterSeq: number; since?: number; size: number },
  ph: (n: number) => string,
): { sql: string; params: unknown[] } {
  const params: unknown[] = [page.afterSeq];
  let sql = `SELECT ${AUDIT_COLUMNS.join(', ')} FROM audit WHERE seq > ${ph(1)}`;
  if (page.since !== undefined) {
    params.push(page.since);
    sql += ` AND ts >= ${ph(params.length)}`;
  }
  params.push(page.size);
  return { sql: `${sql} ORDER BY seq ASC LIMIT ${ph(params.length)}`, params };
}

/**
 * `AuditStore.iterate` for both dialects: every record after `afterSeq` (and from `since`), read a
 * page at a time; `fetch` runs one page's SELECT.
 */
export async function* auditPages(
  opts: { since?: number; afterSeq?: number; batchSize?: number },
  ph: (n: number) => string,
  fetch: (sql: string, params: unknown[]) => Promise<AuditRecord[]>,
): AsyncIterable<AuditRecord> {
  const size = opts.batchSize ?? 1000;
  let after = opts.afterSeq ?? Number.MIN_SAFE_INTEGER;
  for (;;) {
    const { sql, params } = auditPageSql({ afterSeq: after, since: opts.since, size }, ph);
    const page = await fetch(sql, params);
    yield* page;
    if (page.length < size) return;
    after = page.at(-1)!.seq;
  }
}
