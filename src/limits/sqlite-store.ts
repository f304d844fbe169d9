import type BetterSqlite3 from 'better-sqlite3';
import { SQLITE_BUSY_TIMEOUT_MS, SqliteLockedError, whileBusy } from '../util/sqlite-busy.js';
import { checkFit, validateCharges } from './charges.js';
import { CounterBackendError } from './errors.js';
import type { ConsumeResult, CounterCharge, CounterStore } from './types.js';
import { windowEnd, windowStart } from './window.js';

// Prune at most this often by the caller's clock, and keep windows this long after they end so a
// process whose clock runs a little behind another's (two gateways on one file) still finds its count.
const PRUNE_INTERVAL_MS = 60_000;
const PRUNE_GRACE_MS = 60_000;
// How long a consume waits (asynchronously, see util/sqlite-busy.ts) for another process's
// transaction on the same file before the call fails closed. A call is waiting on it: keep it short.
const CONSUME_DEADLINE_MS = 2_000;
// Opening may wait longer: another gateway may be creating the table.
const OPEN_DEADLINE_MS = 15_000;

// The table may live in a file shared with other toolgate tables, hence IF NOT EXISTS and a
// table name of its own. WITHOUT ROWID: the primary key is the only access path we use.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS counters (
  key            TEXT    NOT NULL,
  window_start   INTEGER NOT NULL,
  window_seconds INTEGER NOT NULL,
  used           REAL    NOT NULL,
  window_end     INTEGER NOT NULL,
  PRIMARY KEY (key, window_start, window_seconds)
) WITHOUT ROWID`;

type Row = [key: string, start: number, seconds: number];

/**
 * Counters in a SQLite table: the embedded default. Each consume is one IMMEDIATE transaction,
 * which takes the file's write lock before reading, so two processes on one file serialise and
 * the check and the increment see the same counts. Counts survive a restart.
 */
export class SqliteCounterStore implements CounterStore {
  readonly kind = 'sqlite' as const;
  private readonly select: BetterSqlite3.Statement<Row, { used: number }>;
  private readonly upsert: BetterSqlite3.Statement<[...Row, number, number]>;
  private readonly prune: BetterSqlite3.Statement<[number]>;
  private readonly consumeTx: (charges: readonly CounterCharge[], nowMs: number) => ConsumeResult;
  private nextPruneMs = Number.NEGATIVE_INFINITY;
  /** Set while consumes fail because another process holds the file; readiness reports it. */
  private locked: CounterBackendError | undefined;

  private constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly path: string,
  ) {
    this.select = db.prepare<Row, { used: number }>(
      'SELECT used FROM counters WHERE key = ? AND window_start = ? AND window_seconds = ?',
    );
    this.upsert = db.prepare<[...Row, number, number]>(
      `INSERT INTO counters (key, window_start, window_seconds, used, window_end) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (key, window_start, window_seconds) DO UPDATE SET used = used + excluded.used`,
    );
    this.prune = db.prepare<[number]>('DELETE FROM counters WHERE window_end < ?');
    const tx = db.transaction((charges: readonly CounterCharge[], nowMs: number) =>
      this.checkAndAdd(charges, nowMs),
    );
    this.consumeTx = (charges, nowMs) => tx.immediate(charges, nowMs);
  }

  static async open(path: string): Promise<SqliteCounterStore> {
    // Loaded on demand so a memory- or Redis-only deployment never loads the native module.
    const { default: Database } = await import('better-sqlite3');
    let db: BetterSqlite3.Database | undefined;
    try {
      const opened = new Database(path, { timeout: SQLITE_BUSY_TIMEOUT_MS });
      db = opened;
      await whileBusy(() => {
        opened.pragma('journal_mode = WAL');
        // NORMAL under WAL survives a process crash; only an OS crash can lose the last commits,
        // which for rate counters is an acceptable trade for not syncing on every call.
        opened.pragma('synchronous = NORMAL');
        opened.exec(SCHEMA);
      }, OPEN_DEADLINE_MS);
      return new SqliteCounterStore(opened, path);
    } catch (err) {
      db?.close();
      throw new CounterBackendError(
        `the limit store (sqlite at ${path}) cannot be opened: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  async consume(charges: readonly CounterCharge[], nowMs: number): Promise<ConsumeResult> {
    validateCharges(charges, nowMs);
    const result = await this.guard(() => this.consumeTx(charges, nowMs));
    this.locked = undefined; // the write lock was ours: whatever held the file has let go
    if (nowMs >= this.nextPruneMs) {
      this.nextPruneMs = nowMs + PRUNE_INTERVAL_MS;
      // Housekeeping: never waited for, never fails the call that happened to trigger it.
      try {
        this.prune.run(nowMs - PRUNE_GRACE_MS);
      } catch {
        this.nextPruneMs = nowMs; // the file was busy: try again on the next consume
      }
    }
    return result;
  }

  async usage(charges: readonly CounterCharge[], nowMs: number): Promise<number[]> {
    validateCharges(charges, nowMs);
    return this.guard(() => charges.map((c) => this.select.get(...rowOf(c, nowMs))?.used ?? 0));
  }

  async ping(): Promise<void> {
    // Reads work during another process's write lock (WAL): report the lock the consumes met.
    if (this.locked) {
      try {
        this.db.exec('BEGIN IMMEDIATE');
        this.db.exec('ROLLBACK');
        this.locked = undefined;
      } catch {
        throw this.locked;
      }
    }
    await this.guard(() => this.db.prepare('SELECT 1').get());
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // Runs inside the IMMEDIATE transaction: read every counter, decide, then write all or none.
  private checkAndAdd(charges: readonly CounterCharge[], nowMs: number): ConsumeResult {
    const rows = charges.map((c) => rowOf(c, nowMs));
    const ids = rows.map((r) => r.join('\u0000'));
    const used = rows.map((r) => this.select.get(...r)?.used ?? 0);
    const result = checkFit(charges, ids, used, nowMs);
    if (!result.ok) return result;
    for (let i = 0; i < charges.length; i++) {
      const c = charges[i]!;
      if (c.amount === 0) continue;
      this.upsert.run(...rows[i]!, c.amount, windowEnd(nowMs, c.windowSeconds));
    }
    return result;
  }

  // Every SQLite failure (locked past the deadline, I/O error, closed handle) means "cannot count".
  private async guard<T>(fn: () => T): Promise<T> {
    try {
      return await whileBusy(fn, CONSUME_DEADLINE_MS);
    } catch (err) {
      if (err instanceof RangeError) throw err;
      const failure = new CounterBackendError(
        `the limit store (sqlite at ${this.path}) is unreachable: ${(err as Error).message}`,
        { cause: err },
      );
      if (err instanceof SqliteLockedError) this.locked = failure;
      throw failure;
    }
  }
}

function rowOf(c: CounterCharge, nowMs: number): Row {
  return [c.key, windowStart(nowMs, c.windowSeconds), c.windowSeconds];
}
