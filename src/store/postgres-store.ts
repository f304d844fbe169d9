import type { Pool, PoolClient, QueryConfig, QueryResult } from 'pg';
import { GENESIS_HASH, sealEntries } from '../audit/chain.js';
import type { AuditCheckpoint, AuditEntry, AuditQuery, AuditRecord, AuditStore } from '../audit/types.js';
import { tokensEqual } from '../auth/tokens.js';
import type { ApprovalStore } from './approval-types.js';
import { SqlApprovals } from './approvals-sql.js';
import { auditPages, auditQuerySql } from './audit-sql.js';
import { isStoreUnavailable, StoreError } from './errors.js';
import { StoreHealth, type StoreStatus } from './health.js';
import { MIGRATIONS_TABLE, pendingMigrations, postgresMigrations } from './migrations.js';
import type { PinStore } from './pin-types.js';
import { PostgresPins } from './pins-sql.js';
import { mapPgError } from './postgres-errors.js';
import { AUDIT_COLUMNS, auditParams, rowToAudit, rowToCheckpoint, rowToGrant } from './rows.js';
import type { GrantRecord, GrantStore, NewGrant, Store } from './types.js';

type Row = Record<string, unknown>;
const ph = (n: number) => `$${n}`;
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** Advisory lock keys are per schema, so test schemas (or tenants) sharing a database do not contend. */
const AUDIT_LOCK = `SELECT pg_advisory_xact_lock(hashtext('toolgate.audit:' || coalesce(current_schema(), '')))`;
/** Keyed by the configured schema name: before CREATE SCHEMA runs, current_schema() is null. */
const MIGRATE_LOCK = `SELECT pg_advisory_xact_lock(hashtext('toolgate.migrate:' || coalesce($1, current_schema(), '')))`;
/** 18 columns x 1000 rows stays well under PostgreSQL's 65,535 bind parameters. */
const ROWS_PER_INSERT = 1000;
/** The health probe and /readyz's ping give up after this: a frozen server must not hold a probe. */
const PING_TIMEOUT_MS = 2_000;
// pg reads `query_timeout` from a query's config; its type declarations leave it out.
const PING = { text: 'SELECT 1', query_timeout: PING_TIMEOUT_MS } as QueryConfig;

export interface PostgresStoreOptions {
  url: string;
  schema?: string;
  maxConnections?: number;
  queryTimeoutMs?: number;
}

/** Opens a pool, creates the schema if asked, and applies pending migrations under a lock. */
export async function openPostgresStore(opts: PostgresStoreOptions): Promise<Store> {
  if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) {
    throw new StoreError(
      'INVALID_CONFIG',
      `schema "${opts.schema}" must be a plain identifier (letters, digits, _)`,
    );
  }
  // Loaded only here, so SQLite users never load the PostgreSQL driver.
  const mod = await import('pg');
  const PgPool = (mod.default ?? mod).Pool;
  const pool = new PgPool({
    connectionString: opts.url,
    max: opts.maxConnections ?? 10,
    connectionTimeoutMillis: 5000,
    // A peer that vanished without a FIN/RST (a frozen host, a firewall dropping packets): the
    // query fails after query_timeout, and an idle connection is noticed by TCP keepalive.
    query_timeout: opts.queryTimeoutMs ?? 30_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
  });
  const store = new PostgresStore(pool, opts.url);
  // An idle client losing its connection emits here; without a listener the process would crash.
  // The pool has already dropped that client; the store checks whether the server is still there.
  pool.on('error', () => store.suspect());
  try {
    await store.tx(async (c) => {
      // Two replicas starting together: the second waits here, then finds nothing pending.
      await c.query(MIGRATE_LOCK, [opts.schema ?? null]);
      if (opts.schema) await c.query(`CREATE SCHEMA IF NOT EXISTS "${opts.schema}"`);
      await c.query(MIGRATIONS_TABLE);
      const applied = (await c.query('SELECT version FROM schema_migrations')).rows.map((r) =>
        Number(r.version),
      );
      for (const m of pendingMigrations(postgresMigrations, applied)) {
        for (const stmt of m.statements) await c.query(stmt);
        await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          Date.now(),
        ]);
      }
    });
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}

class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly grants: GrantStore;
  readonly audit: AuditStore;
  readonly approvals: ApprovalStore;
  readonly pins: PinStore;
  private closed = false;
  private readonly state: StoreHealth;

  constructor(
    private readonly pool: Pool,
    private readonly url: string,
  ) {
    // The probe is a plain round trip on a fresh or pooled connection: pg reconnects on use.
    this.state = new StoreHealth(async () => {
      try {
        await this.pool.query(PING);
      } catch (err) {
        throw mapPgError(err, this.url);
      }
    });
    this.grants = new PostgresGrants(this);
    this.audit = new PostgresAudit(this);
    this.approvals = new SqlApprovals((sql, params) => this.query(sql, params), {
      ph,
      lockClause: ' FOR UPDATE SKIP LOCKED',
    });
    this.pins = new PostgresPins(this);
  }

  /** `name`: a prepared statement's name (each connection parses it once, then only binds). */
  async query(sql: string, params: unknown[] = [], name?: string): Promise<Row[]> {
    this.assertOpen();
    const epoch = this.state.epoch();
    try {
      // pool.query listens for the checked-out client's 'error' itself (pg-pool's query()).
      const rows = (
        await (name ? this.pool.query({ name, text: sql, values: params }) : this.pool.query(sql, params))
      ).rows as Row[];
      this.state.succeeded(epoch);
      return rows;
    } catch (err) {
      throw this.failure(err, epoch);
    }
  }

  /**
   * Runs fn in one transaction on one connection; a broken connection is discarded, not reused.
   * `first`: parameterless statements sent with BEGIN in one round trip; fn gets their results.
   */
  async tx<T>(fn: (c: PoolClient, first: QueryResult[]) => Promise<T>, first?: string): Promise<T> {
    this.assertOpen();
    const epoch = this.state.epoch();
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.failure(err, epoch);
    }
    // A checked-out client is no longer watched by the pool: when its connection drops, pg emits
    // 'error' on it, and an 'error' nobody listens to kills the process (review F1). The query in
    // flight is rejected too; this listener only keeps the client from being reused.
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken ??= err;
    };
    client.on('error', onError);
    try {
      const begun = await client.query(first ? `BEGIN; ${first}` : 'BEGIN');
      const out = await fn(client, first ? (begun as unknown as QueryResult[]).slice(1) : []);
      await client.query('COMMIT');
      this.state.succeeded(epoch);
      return out;
    } catch (err) {
      const failure = this.failure(err, epoch);
      // A connection that failed or timed out is dropped, not rolled back: a ROLLBACK would queue
      // behind the query that never answered. PostgreSQL rolls back when the connection closes.
      if (isStoreUnavailable(failure)) broken ??= failure;
      if (!broken) {
        await client.query('ROLLBACK').catch((e: Error) => {
          broken = e;
        });
      }
      throw failure;
    } finally {
      // Released first: from here the pool's own listener catches a late 'error' on this client.
      client.release(broken);
      client.off('error', onError);
    }
  }

  /** Maps a driver error, and tells the health view when it means the server cannot be reached. */
  private failure(err: unknown, epoch: number): StoreError {
    const mapped = mapPgError(err, this.url);
    if (isStoreUnavailable(mapped)) this.state.failed(epoch, mapped.message);
    return mapped;
  }

  /** A pooled connection was lost while idle: find out now whether the server went away. */
  suspect(): void {
    if (!this.closed) this.state.suspect();
  }

  health(): StoreStatus {
    return this.state.get();
  }

  onHealthChange(listener: (s: StoreStatus) => void): () => void {
    return this.state.onChange(listener);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'the store is closed');
  }

  async ping(): Promise<void> {
    this.assertOpen();
    const epoch = this.state.epoch();
    try {
      await this.pool.query(PING);
      this.state.succeeded(epoch);
    } catch (err) {
      throw this.failure(err, epoch);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.state.close();
    await this.pool.end();
  }
}

class PostgresGrants implements GrantStore {
  constructor(private readonly s: PostgresStore) {}

  async create(g: NewGrant): Promise<GrantRecord> {
    const createdAt = g.createdAt ?? Date.now();
    const rows = await this.s
      .query(
        `INSERT INTO grants (name, token_sha256, servers, policy, created_at, expires_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $5) RETURNING *`,
        [g.name, g.tokenSha256, JSON.stringify(g.servers), g.policy ?? null, createdAt, g.expiresAt ?? null],
      )
      .catch((err: unknown) => {
        const constraint = (err as StoreError).cause as { code?: string; constraint?: string } | undefined;
        if (constraint?.code === '23505' && constraint.constraint === 'grants_pkey') {
          throw new StoreError(
            'GRANT_EXISTS',
            `a grant named "${g.name}" already exists; pick another name or revoke it first`,
          );
        }
        if (constraint?.code === '23505') {
          throw new StoreError('TOKEN_REUSED', 'another grant already uses this token; generate a new one');
        }
        throw err;
      });
    return rowToGrant(rows[0]!);
  }

  async findByTokenHash(sha256Hex: string): Promise<GrantRecord | undefined> {
    const want = sha256Hex.toLowerCase();
    const [row] = await this.s.query('SELECT * FROM grants WHERE token_sha256 = $1', [want]);
    // The index lookup finds the row; the constant-time compare is what decides.
    return row && tokensEqual(String(row.token_sha256), want) ? rowToGrant(row) : undefined;
  }

  async get(name: string): Promise<GrantRecord | undefined> {
    const [row] = await this.s.query('SELECT * FROM grants WHERE name = $1', [name]);
    return row ? rowToGrant(row) : undefined;
  }

  async list(): Promise<GrantRecord[]> {
    return (await this.s.query('SELECT * FROM grants ORDER BY name')).map(rowToGrant);
  }

  async revoke(name: string, nowMs: number): Promise<boolean> {
    const rows = await this.s.query(
      'UPDATE grants SET revoked_at = $1, updated_at = $1 WHERE name = $2 AND revoked_at IS NULL RETURNING name',
      [nowMs, name],
    );
    return rows.length > 0;
  }

  async changedSince(ms: number): Promise<GrantRecord[]> {
    return (
      await this.s.query('SELECT * FROM grants WHERE updated_at >= $1 ORDER BY updated_at, name', [ms])
    ).map(rowToGrant);
  }
}

class PostgresAudit implements AuditStore {
  /**
   * The newest record this gateway appended, while nothing says another writer may have moved
   * past it: cleared when an append starts and set again only by one that committed.
   */
  private written: { seq: number; hash: string } | undefined;

  constructor(private readonly s: PostgresStore) {}

  /**
   * Several gateways may share this table: every append links onto the true newest record, so the
   * chain stays linear. With write-ahead records each group of concurrent calls waits for this, so
   * the usual case is one statement, one round trip: the entries are sealed onto the head this
   * gateway last wrote and inserted under the audit lock in one autocommitted INSERT. If another
   * writer appended since, the first seq is taken and the primary key refuses the whole statement;
   * the append then reads the head under the lock and links onto it (`lockedAppend`).
   */
  async append(entries: AuditEntry[]): Promise<AuditRecord[]> {
    if (entries.length === 0) return [];
    const known = this.written;
    this.written = undefined;
    if (known && entries.length <= ROWS_PER_INSERT) {
      const sealed = sealEntries(known, entries);
      try {
        await this.s.query(
          appendStatement(sealed.length),
          sealed.flatMap(auditParams),
          appendName(sealed.length),
        );
        this.written = headOf(sealed);
        return sealed;
      } catch (err) {
        if (!isSeqTaken(err)) throw err;
      }
    }
    const sealed = await this.lockedAppend(entries);
    this.written = headOf(sealed);
    return sealed;
  }

  /** The lock serializes appends, and the head is read only after it is held. */
  private lockedAppend(entries: AuditEntry[]): Promise<AuditRecord[]> {
    // BEGIN, the lock and the head go in one round trip (a simple query may hold several statements).
    return this.s.tx(async (c, [, last]) => {
      const newest = last?.rows[0];
      const head = newest ? { seq: Number(newest.seq), hash: String(newest.hash) } : await chainHead(c);
      const sealed = sealEntries(head, entries);
      for (let i = 0; i < sealed.length; i += ROWS_PER_INSERT) {
        const chunk = sealed.slice(i, i + ROWS_PER_INSERT);
        const params = chunk.flatMap(auditParams);
        const n = AUDIT_COLUMNS.length;
        const values = chunk.map(
          (_, r) => `(${AUDIT_COLUMNS.map((_, k) => `$${r * n + k + 1}`).join(', ')})`,
        );
        await c.query(`INSERT INTO audit (${AUDIT_COLUMNS.join(', ')}) VALUES ${values.join(', ')}`, params);
      }
      return sealed;
    }, `${AUDIT_LOCK}; ${LAST_RECORD}`);
  }

  async query(filter: AuditQuery = {}): Promise<AuditRecord[]> {
    const { sql, params } = auditQuerySql(filter, ph);
    return (await this.s.query(sql, params)).map(rowToAudit);
  }

  iterate(opts: { since?: number; afterSeq?: number; batchSize?: number } = {}): AsyncIterable<AuditRecord> {
    return auditPages(opts, ph, async (sql, params) => (await this.s.query(sql, params)).map(rowToAudit));
  }

  async head(): Promise<{ seq: number; hash: string } | undefined> {
    const [row] = await this.s.query('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    return row ? { seq: Number(row.seq), hash: String(row.hash) } : undefined;
  }

  async checkpoint(): Promise<AuditCheckpoint | undefined> {
    const [row] = await this.s.query('SELECT * FROM audit_checkpoint WHERE id = 1');
    return row ? rowToCheckpoint(row) : undefined;
  }

  async count(): Promise<number> {
    const [row] = await this.s.query('SELECT COUNT(*) AS n FROM audit');
    return Number(row?.n ?? 0);
  }

  async prune(beforeMs: number, nowMs = Date.now()): Promise<number> {
    return this.s.tx(async (c) => {
      await c.query(AUDIT_LOCK);
      // A prefix of the chain goes: everything before the first record new enough to keep.
      const keep = (await c.query('SELECT MIN(seq) AS seq FROM audit WHERE ts >= $1', [beforeMs])).rows[0];
      const head = await chainHead(c);
      const boundary = keep?.seq === null || keep?.seq === undefined ? head.seq + 1 : Number(keep.seq);
      const first = (await c.query('SELECT seq, prev_hash FROM audit WHERE seq = $1', [boundary])).rows[0];
      const anchor = first
        ? { seq: boundary, prevHash: String(first.prev_hash) }
        : { seq: boundary, prevHash: head.hash };
      const deleted = (await c.query('DELETE FROM audit WHERE seq < $1', [boundary])).rowCount ?? 0;
      if (deleted === 0) return 0;
      await c.query(
        `INSERT INTO audit_checkpoint (id, seq, prev_hash, pruned_at, pruned_count) VALUES (1, $1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, prev_hash = EXCLUDED.prev_hash,
           pruned_at = EXCLUDED.pruned_at, pruned_count = audit_checkpoint.pruned_count + EXCLUDED.pruned_count`,
        [anchor.seq, anchor.prevHash, nowMs, deleted],
      );
      return deleted;
    });
  }
}

const LAST_RECORD = 'SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1';

/** Column types for the parameters of the one-statement append (a VALUES list in a SELECT has none). */
const AUDIT_TYPES: Record<(typeof AUDIT_COLUMNS)[number], string> = {
  seq: 'bigint',
  ts: 'bigint',
  grant_name: 'text',
  session: 'text',
  server: 'text',
  tool: 'text',
  method: 'text',
  args_digest: 'text',
  args: 'text',
  decision: 'text',
  rule: 'text',
  reason: 'text',
  latency_ms: 'double precision',
  upstream: 'text',
  approver: 'text',
  note: 'text',
  call_id: 'text',
  prev_hash: 'text',
  hash: 'text',
};
/** Appends of up to this many rows are named prepared statements: each connection parses them once. */
const PREPARED_APPEND_ROWS = 64;
const appendStatements = new Map<number, string>();

/**
 * One INSERT of `rows` sealed records under the audit lock. The lock is a CTE the rows are joined
 * to, so it is held before the first row goes in, until the statement's own transaction ends.
 */
function appendStatement(rows: number): string {
  let sql = appendStatements.get(rows);
  if (sql) return sql;
  const n = AUDIT_COLUMNS.length;
  const values = Array.from(
    { length: rows },
    (_, r) => `(${AUDIT_COLUMNS.map((col, k) => `$${r * n + k + 1}::${AUDIT_TYPES[col]}`).join(', ')})`,
  );
  sql =
    `WITH audit_lock AS (${AUDIT_LOCK}) INSERT INTO audit (${AUDIT_COLUMNS.join(', ')}) ` +
    `SELECT v.* FROM audit_lock, (VALUES ${values.join(', ')}) AS v`;
  if (rows <= PREPARED_APPEND_ROWS) appendStatements.set(rows, sql);
  return sql;
}

function appendName(rows: number): string | undefined {
  return rows <= PREPARED_APPEND_ROWS ? `toolgate_audit_append_${rows}` : undefined;
}

function headOf(sealed: AuditRecord[]): { seq: number; hash: string } {
  const last = sealed.at(-1)!;
  return { seq: last.seq, hash: last.hash };
}

/** Another writer already holds the seq this append would take (unique_violation on the key). */
function isSeqTaken(err: unknown): boolean {
  const cause = (err as StoreError).cause as { code?: string; constraint?: string } | undefined;
  return cause?.code === '23505' && cause.constraint === 'audit_pkey';
}

/** The record new entries link onto: the newest record, else the prune checkpoint, else genesis. */
async function chainHead(c: PoolClient): Promise<{ seq: number; hash: string }> {
  const last = (await c.query(LAST_RECORD)).rows[0];
  if (last) return { seq: Number(last.seq), hash: String(last.hash) };
  const cp = (await c.query('SELECT seq, prev_hash FROM audit_checkpoint WHERE id = 1')).rows[0];
  if (cp) return { seq: Number(cp.seq) - 1, hash: String(cp.prev_hash) };
  return { seq: 0, hash: GENESIS_HASH };
}
