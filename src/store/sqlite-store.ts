import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { GENESIS_HASH, sealEntries } from '../audit/chain.js';
import type { AuditCheckpoint, AuditEntry, AuditQuery, AuditRecord, AuditStore } from '../audit/types.js';
import { tokensEqual } from '../auth/tokens.js';
import { SQLITE_BUSY_TIMEOUT_MS, SqliteLockedError, whileBusy } from '../util/sqlite-busy.js';
import type { ApprovalStore } from './approval-types.js';
import { SqlApprovals } from './approvals-sql.js';
import { auditPages, auditQuerySql } from './audit-sql.js';
import { StoreError, StoreUnavailableError } from './errors.js';
import { StoreHealth, type StoreStatus } from './health.js';
import { MIGRATIONS_TABLE, pendingMigrations, sqliteMigrations } from './migrations.js';
import type { PinStore } from './pin-types.js';
import { SqlitePins } from './pins-sql.js';
import { AUDIT_COLUMNS, auditParams, rowToAudit, rowToCheckpoint, rowToGrant } from './rows.js';
import type { GrantRecord, GrantStore, NewGrant, Store } from './types.js';

type Row = Record<string, unknown>;
const ph = () => '?';

/** A store operation waits this long for another process's lock (asynchronously), then fails closed. */
const OP_DEADLINE_MS = 5_000;
/** The lock probe costs microseconds and no I/O: look often, so a released lock is noticed soon. */
const SQLITE_PROBE = { minDelayMs: 50, maxDelayMs: 500 };
/** Opening may wait longer: another gateway may be migrating the same file. */
const OPEN_DEADLINE_MS = 15_000;

/**
 * The embedded default. better-sqlite3 is synchronous: each call below runs to completion on the
 * event loop, which for single-row statements is microseconds. The audit log batches its writes so
 * the call path never waits on one (see AuditLog). A lock held by another process is never waited
 * for inside SQLite (busy_timeout 0): `whileBusy` retries on timers, so the loop keeps serving.
 */
export async function openSqliteStore(path: string): Promise<Store> {
  let db: Database.Database | undefined;
  try {
    if (path !== ':memory:' && !path.startsWith('file:')) {
      mkdirSync(dirname(path), { recursive: true });
      // A new database is readable by its owner only: it holds the audit log (arguments of every
      // call) and the grants. SQLite gives its -wal and -shm files the database file's mode.
      closeSync(openSync(path, 'a', 0o600));
    }
    const opened = new Database(path);
    db = opened;
    opened.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    await whileBusy(() => {
      // WAL lets readers (CLI, other replicas on this host) run while the gateway writes, and
      // lets this gateway read while another process holds the write lock.
      opened.pragma('journal_mode = WAL');
      // NORMAL in WAL mode survives a process crash; only an OS crash or power loss can drop the last commits.
      opened.pragma('synchronous = NORMAL');
      migrate(opened);
    }, OPEN_DEADLINE_MS);
  } catch (err) {
    db?.close();
    if (err instanceof StoreError) throw err;
    throw new StoreUnavailableError(`cannot open SQLite database ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return new SqliteStore(db, path);
}

function migrate(db: Database.Database): void {
  db.exec(MIGRATIONS_TABLE);
  // IMMEDIATE: two processes opening a fresh file at once must not both run migration 1.
  db.transaction(() => {
    const applied = (db.prepare('SELECT version FROM schema_migrations').all() as Row[]).map((r) =>
      Number(r.version),
    );
    for (const m of pendingMigrations(sqliteMigrations, applied)) {
      for (const stmt of m.statements) db.exec(stmt);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        m.version,
        m.name,
        Date.now(),
      );
    }
  }).immediate();
}

class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly grants: GrantStore;
  readonly audit: AuditStore;
  readonly approvals: ApprovalStore;
  readonly pins: PinStore;
  private closed = false;
  private readonly state: StoreHealth;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
  ) {
    const run = <T>(fn: () => T): Promise<T> => this.run(fn);
    this.grants = new SqliteGrants(db, run);
    this.audit = new SqliteAudit(db, run);
    this.approvals = new SqlApprovals((sql, params) => run(() => db.prepare(sql).all(...params) as Row[]), {
      ph,
      lockClause: '',
    });
    this.pins = new SqlitePins(db, run);
    // Back up when the write lock can be taken again: reads work during another process's lock
    // (WAL), so `SELECT 1` would say nothing. Taken and given back at once, never waited for.
    this.state = new StoreHealth(async () => {
      if (this.closed) return;
      try {
        this.db.exec('BEGIN IMMEDIATE');
        this.db.exec('ROLLBACK');
      } catch (err) {
        throw this.mapError(err);
      }
    }, SQLITE_PROBE);
  }

  /** Every operation goes through here: closed-store checks, lock waits and error mapping live in one place. */
  private async run<T>(fn: () => T): Promise<T> {
    const epoch = this.state.epoch();
    try {
      const out = await whileBusy(() => {
        // Checked on every attempt: the store may be closed while an operation waits for a lock.
        if (this.closed) throw new StoreError('STORE_CLOSED', 'the store is closed');
        return fn();
      }, OP_DEADLINE_MS);
      // A read succeeds during another process's write lock (WAL), so success proves nothing
      // here: while down, it only prompts the probe, which tries the write lock.
      if (this.state.get().state === 'down') this.state.suspect();
      return out;
    } catch (err) {
      const mapped = this.mapError(err);
      if (mapped instanceof StoreUnavailableError) this.state.failed(epoch, mapped.message);
      throw mapped;
    }
  }

  private mapError(err: unknown): StoreError {
    if (err instanceof StoreError) return err;
    const code = String((err as { code?: unknown }).code ?? '');
    if (
      err instanceof SqliteLockedError ||
      code.startsWith('SQLITE_BUSY') ||
      code.startsWith('SQLITE_LOCKED')
    ) {
      const detail =
        err instanceof SqliteLockedError ? err.message : 'the database file is locked by another process';
      return new StoreUnavailableError(`SQLite database ${this.path}: ${detail}`, { cause: err });
    }
    if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL' || code === 'SQLITE_CANTOPEN') {
      return new StoreUnavailableError(
        `SQLite database ${this.path} cannot be written (${code}): check the disk and the file's permissions`,
        { cause: err },
      );
    }
    return new StoreError('STORE_FAILED', `SQLite: ${(err as Error).message}`, { cause: err });
  }

  ping(): Promise<void> {
    return this.run(() => {
      this.db.prepare('SELECT 1').get();
    });
  }

  health(): StoreStatus {
    return this.state.get();
  }

  onHealthChange(listener: (s: StoreStatus) => void): () => void {
    return this.state.onChange(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.state.close();
    this.db.close();
  }
}

type Runner = <T>(fn: () => T) => Promise<T>;

class SqliteGrants implements GrantStore {
  constructor(
    private readonly db: Database.Database,
    private readonly run: Runner,
  ) {}

  create(g: NewGrant): Promise<GrantRecord> {
    return this.run(() => {
      const createdAt = g.createdAt ?? Date.now();
      try {
        this.db
          .prepare(
            `INSERT INTO grants (name, token_sha256, servers, policy, created_at, expires_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            g.name,
            g.tokenSha256,
            JSON.stringify(g.servers),
            g.policy ?? null,
            createdAt,
            g.expiresAt ?? null,
            createdAt,
          );
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
          throw new StoreError(
            'GRANT_EXISTS',
            `a grant named "${g.name}" already exists; pick another name or revoke it first`,
          );
        }
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new StoreError('TOKEN_REUSED', 'another grant already uses this token; generate a new one');
        }
        throw err;
      }
      return rowToGrant(this.db.prepare('SELECT * FROM grants WHERE name = ?').get(g.name) as Row);
    });
  }

  findByTokenHash(sha256Hex: string): Promise<GrantRecord | undefined> {
    return this.run(() => {
      const row = this.db
        .prepare('SELECT * FROM grants WHERE token_sha256 = ?')
        .get(sha256Hex.toLowerCase()) as Row | undefined;
      // The index lookup finds the row; the constant-time compare is what decides.
      return row && tokensEqual(String(row.token_sha256), sha256Hex.toLowerCase())
        ? rowToGrant(row)
        : undefined;
    });
  }

  get(name: string): Promise<GrantRecord | undefined> {
    return this.run(() => {
      const row = this.db.prepare('SELECT * FROM grants WHERE name = ?').get(name) as Row | undefined;
      return row ? rowToGrant(row) : undefined;
    });
  }

  list(): Promise<GrantRecord[]> {
    return this.run(() =>
      (this.db.prepare('SELECT * FROM grants ORDER BY name').all() as Row[]).map(rowToGrant),
    );
  }

  revoke(name: string, nowMs: number): Promise<boolean> {
    return this.run(
      () =>
        this.db
          .prepare('UPDATE grants SET revoked_at = ?, updated_at = ? WHERE name = ? AND revoked_at IS NULL')
          .run(nowMs, nowMs, name).changes > 0,
    );
  }

  changedSince(ms: number): Promise<GrantRecord[]> {
    return this.run(() =>
      (
        this.db
          .prepare('SELECT * FROM grants WHERE updated_at >= ? ORDER BY updated_at, name')
          .all(ms) as Row[]
      ).map(rowToGrant),
    );
  }
}

class SqliteAudit implements AuditStore {
  /**
   * The append path's statements and transaction, prepared once: with the write-ahead log every
   * group of concurrent calls is one append, so preparing them per append was a cost per call.
   */
  private appendTx: ((entries: AuditEntry[]) => AuditRecord[]) | undefined;
  private lastStmt: Database.Statement | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly run: Runner,
  ) {}

  append(entries: AuditEntry[]): Promise<AuditRecord[]> {
    if (entries.length === 0) return Promise.resolve([]);
    return this.run(() => {
      if (!this.appendTx) {
        const insert = this.db.prepare(
          `INSERT INTO audit (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map(() => '?').join(', ')})`,
        );
        const tx = this.db.transaction((batch: AuditEntry[]) => {
          const sealed = sealEntries(this.chainHead(), batch);
          for (const r of sealed) insert.run(...auditParams(r));
          return sealed;
        });
        // IMMEDIATE takes the write lock before reading the head, so another process on the same
        // file cannot link onto the same head between our read and our insert.
        this.appendTx = (batch) => tx.immediate(batch);
      }
      return this.appendTx(entries);
    });
  }

  /** The record new entries link onto: the newest record, else the prune checkpoint, else genesis. */
  private chainHead(): { seq: number; hash: string } {
    this.lastStmt ??= this.db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1');
    const last = this.lastStmt.get() as Row | undefined;
    if (last) return { seq: Number(last.seq), hash: String(last.hash) };
    const cp = this.db.prepare('SELECT seq, prev_hash FROM audit_checkpoint WHERE id = 1').get() as
      | Row
      | undefined;
    if (cp) return { seq: Number(cp.seq) - 1, hash: String(cp.prev_hash) };
    return { seq: 0, hash: GENESIS_HASH };
  }

  query(filter: AuditQuery = {}): Promise<AuditRecord[]> {
    return this.run(() => {
      const { sql, params } = auditQuerySql(filter, ph);
      return (this.db.prepare(sql).all(...params) as Row[]).map(rowToAudit);
    });
  }

  iterate(opts: { since?: number; afterSeq?: number; batchSize?: number } = {}): AsyncIterable<AuditRecord> {
    return auditPages(opts, ph, (sql, params) =>
      this.run(() => (this.db.prepare(sql).all(...params) as Row[]).map(rowToAudit)),
    );
  }

  head(): Promise<{ seq: number; hash: string } | undefined> {
    return this.run(() => {
      const row = this.db.prepare('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1').get() as
        | Row
        | undefined;
      return row ? { seq: Number(row.seq), hash: String(row.hash) } : undefined;
    });
  }

  checkpoint(): Promise<AuditCheckpoint | undefined> {
    return this.run(() => {
      const row = this.db.prepare('SELECT * FROM audit_checkpoint WHERE id = 1').get() as Row | undefined;
      return row ? rowToCheckpoint(row) : undefined;
    });
  }

  count(): Promise<number> {
    return this.run(() => Number((this.db.prepare('SELECT COUNT(*) AS n FROM audit').get() as Row).n));
  }

  prune(beforeMs: number, nowMs = Date.now()): Promise<number> {
    return this.run(() =>
      this.db
        .transaction(() => {
          // Delete a prefix of the chain: everything before the first record that is new enough.
          // Timestamps from several writers are not strictly ordered by seq, so a few slightly older
          // records may survive; none newer than beforeMs is ever deleted.
          const keep = this.db
            .prepare('SELECT MIN(seq) AS seq FROM audit WHERE ts >= ?')
            .get(beforeMs) as Row;
          const last = this.db.prepare('SELECT MAX(seq) AS seq FROM audit').get() as Row;
          if (last.seq === null) return 0;
          const boundary = keep.seq === null ? Number(last.seq) + 1 : Number(keep.seq);
          const first = this.db.prepare('SELECT seq, prev_hash FROM audit WHERE seq = ?').get(boundary) as
            | Row
            | undefined;
          // When everything goes, the next record links onto the old head: remember it as the checkpoint.
          const anchor = first
            ? { seq: Number(first.seq), prevHash: String(first.prev_hash) }
            : { seq: boundary, prevHash: this.chainHeadHash() };
          const deleted = this.db.prepare('DELETE FROM audit WHERE seq < ?').run(boundary).changes;
          if (deleted === 0) return 0;
          const prior = this.db.prepare('SELECT pruned_count FROM audit_checkpoint WHERE id = 1').get() as
            | Row
            | undefined;
          this.db
            .prepare(
              `INSERT INTO audit_checkpoint (id, seq, prev_hash, pruned_at, pruned_count) VALUES (1, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, prev_hash = excluded.prev_hash,
                 pruned_at = excluded.pruned_at, pruned_count = excluded.pruned_count`,
            )
            .run(anchor.seq, anchor.prevHash, nowMs, Number(prior?.pruned_count ?? 0) + deleted);
          return deleted;
        })
        .immediate(),
    );
  }

  private chainHeadHash(): string {
    return this.chainHead().hash;
  }
}
