import type {
  ApprovalFilter,
  ApprovalMatch,
  ApprovalRecord,
  ApprovalStatus,
  ApprovalStore,
  NewApproval,
} from './approval-types.js';

/**
 * The approvals half of both stores. Every state change is one UPDATE ... WHERE status = ...
 * RETURNING statement, so the database decides races (two approvers, an approver and the timeout,
 * two retry calls wanting one approval) and exactly one side wins. Both SQLite (3.35+) and
 * PostgreSQL support RETURNING, so the SQL is shared; only placeholders and row locking differ.
 */

type Row = Record<string, unknown>;
export type Exec = (sql: string, params: unknown[]) => Promise<Row[]>;

export interface Dialect {
  /** The n-th placeholder: `?` or `$n`. */
  ph(n: number): string;
  /** Appended to the sub-select that picks the approval to consume (row locking where supported). */
  lockClause: string;
}

const COLUMNS = [
  'id',
  'grant_name',
  'session',
  'server',
  'tool',
  'args',
  'args_digest',
  'status',
  'mode',
  'rule',
  'reason',
  'created_at',
  'expires_at',
  'decided_at',
  'approver',
  'note',
  'consumed_at',
  'holder',
  'held_until',
  'updated_at',
] as const;

const num = (v: unknown) => (typeof v === 'number' ? v : Number(v));
const opt = <T>(v: unknown, f: (x: unknown) => T): T | undefined =>
  v === null || v === undefined ? undefined : f(v);

export function rowToApproval(r: Row): ApprovalRecord {
  const a: ApprovalRecord = {
    id: String(r.id),
    grant: String(r.grant_name),
    server: String(r.server),
    tool: String(r.tool),
    argsDigest: String(r.args_digest),
    status: String(r.status) as ApprovalStatus,
    mode: r.mode === 'retry' ? 'retry' : 'hold',
    createdAt: num(r.created_at),
    expiresAt: num(r.expires_at),
  };
  const optional: Partial<ApprovalRecord> = {
    session: opt(r.session, String),
    args: opt(r.args, (v) => JSON.parse(String(v)) as unknown),
    rule: opt(r.rule, String),
    reason: opt(r.reason, String),
    decidedAt: opt(r.decided_at, num),
    approver: opt(r.approver, String),
    note: opt(r.note, String),
    consumedAt: opt(r.consumed_at, num),
    holder: opt(r.holder, String),
    heldUntil: opt(r.held_until, num),
  };
  for (const [k, v] of Object.entries(optional)) if (v !== undefined) (a as unknown as Row)[k] = v;
  return a;
}

export class SqlApprovals implements ApprovalStore {
  constructor(
    private readonly exec: Exec,
    private readonly d: Dialect,
  ) {}

  /** Renders `?` placeholders in order into the dialect's form. */
  private q(sql: string, params: unknown[]): Promise<Row[]> {
    let n = 0;
    return this.exec(
      sql.replace(/\?/g, () => this.d.ph(++n)),
      params,
    );
  }

  async create(a: NewApproval): Promise<ApprovalRecord> {
    const values: Record<(typeof COLUMNS)[number], unknown> = {
      id: a.id,
      grant_name: a.grant,
      session: a.session ?? null,
      server: a.server,
      tool: a.tool,
      args: a.args === undefined ? null : JSON.stringify(a.args),
      args_digest: a.argsDigest,
      status: 'pending',
      mode: a.mode,
      rule: a.rule ?? null,
      reason: a.reason ?? null,
      created_at: a.createdAt,
      expires_at: a.expiresAt,
      decided_at: null,
      approver: null,
      note: null,
      consumed_at: null,
      holder: a.holder ?? null,
      held_until: a.heldUntil ?? null,
      updated_at: a.createdAt,
    };
    const rows = await this.q(
      `INSERT INTO approvals (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')}) RETURNING *`,
      COLUMNS.map((c) => values[c]),
    );
    return rowToApproval(rows[0]!);
  }

  async get(id: string): Promise<ApprovalRecord | undefined> {
    const [row] = await this.q('SELECT * FROM approvals WHERE id = ?', [id]);
    return row ? rowToApproval(row) : undefined;
  }

  async list(filter: ApprovalFilter = {}): Promise<ApprovalRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (col: string, v: unknown) => {
      if (v === undefined) return;
      where.push(`${col} = ?`);
      params.push(v);
    };
    add('status', filter.status);
    add('grant_name', filter.grant);
    add('server', filter.server);
    add('tool', filter.tool);
    add('args_digest', filter.argsDigest);
    add('mode', filter.mode);
    params.push(Math.max(1, Math.min(1000, Math.floor(filter.limit ?? 100))));
    const sql =
      'SELECT * FROM approvals' +
      (where.length ? ` WHERE ${where.join(' AND ')}` : '') +
      ' ORDER BY created_at DESC, id LIMIT ?';
    return (await this.q(sql, params)).map(rowToApproval);
  }

  async decide(
    id: string,
    d: { approved: boolean; approver: string; note?: string; now: number },
  ): Promise<ApprovalRecord | false> {
    const rows = await this.q(
      `UPDATE approvals SET status = ?, decided_at = ?, approver = ?, note = ?, updated_at = ?,
         expires_at = CASE WHEN mode = 'retry' AND ? = 1 THEN ? + (expires_at - created_at) ELSE expires_at END
       WHERE id = ? AND status = 'pending' AND expires_at > ? RETURNING *`,
      [
        d.approved ? 'approved' : 'denied',
        d.now,
        d.approver,
        d.note ?? null,
        d.now,
        d.approved ? 1 : 0,
        d.now,
        id,
        d.now,
      ],
    );
    return rows[0] ? rowToApproval(rows[0]) : false;
  }

  async consume(which: { id: string } | ApprovalMatch, now: number): Promise<ApprovalRecord | undefined> {
    const usable = `status = 'approved' AND consumed_at IS NULL AND expires_at > ?`;
    const pick =
      'id' in which
        ? { sql: `SELECT id FROM approvals WHERE id = ? AND ${usable}`, params: [which.id, now] }
        : {
            sql: `SELECT id FROM approvals WHERE grant_name = ? AND server = ? AND tool = ? AND args_digest = ?
                    AND mode = 'retry' AND ${usable} ORDER BY decided_at, id LIMIT 1`,
            params: [which.grant, which.server, which.tool, which.argsDigest, now],
          };
    // The outer condition repeats `consumed_at IS NULL`: under concurrency the loser re-checks it
    // after the winner's commit and updates nothing.
    const rows = await this.q(
      `UPDATE approvals SET consumed_at = ?, updated_at = ?
       WHERE id = (${pick.sql}${this.d.lockClause}) AND consumed_at IS NULL RETURNING *`,
      [now, now, ...pick.params],
    );
    return rows[0] ? rowToApproval(rows[0]) : undefined;
  }

  async end(
    id: string,
    e: { status: 'expired' | 'withdrawn'; now: number; note?: string },
  ): Promise<ApprovalRecord | undefined> {
    const rows = await this.q(
      `UPDATE approvals SET status = ?, decided_at = ?, note = ?, updated_at = ?
       WHERE id = ? AND status = 'pending' RETURNING *`,
      [e.status, e.now, e.note ?? null, e.now, id],
    );
    return rows[0] ? rowToApproval(rows[0]) : undefined;
  }

  async expire(now: number): Promise<ApprovalRecord[]> {
    const rows = await this.q(
      `UPDATE approvals SET status = 'expired', decided_at = ?, updated_at = ?,
         note = CASE WHEN expires_at <= ? THEN 'nobody decided in time'
                     ELSE 'the gateway holding the call stopped' END
       WHERE status = 'pending'
         AND (expires_at <= ? OR (mode = 'hold' AND held_until IS NOT NULL AND held_until < ?))
       RETURNING *`,
      [now, now, now, now, now],
    );
    return rows.map(rowToApproval);
  }

  async renew(holder: string, heldUntil: number): Promise<number> {
    const rows = await this.q(
      `UPDATE approvals SET held_until = ? WHERE holder = ? AND status = 'pending' RETURNING id`,
      [heldUntil, holder],
    );
    return rows.length;
  }
}
