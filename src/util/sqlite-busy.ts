// better-sqlite3 is synchronous, and SQLite's busy_timeout is a sleep loop inside the call: while
// another process held the file's write lock, the whole event loop (every server, /healthz) stood
// still (review F13). So the busy timeout is 0: SQLite answers SQLITE_BUSY at once, and the wait
// happens here, between attempts, on timers, while the loop keeps serving everything else.

/** PRAGMA busy_timeout for every connection the gateway opens: never wait inside SQLite. */
export const SQLITE_BUSY_TIMEOUT_MS = 0;

const FIRST_DELAY_MS = 2;
const MAX_DELAY_MS = 50;

/** The lock was still held when the deadline passed; `cause` is SQLite's last SQLITE_BUSY. */
export class SqliteLockedError extends Error {
  constructor(
    readonly waitedMs: number,
    options: { cause: unknown },
  ) {
    super(
      `the database file is locked by another process (waited ${Math.round(waitedMs)} ms); ` +
        'find the process holding it (a long transaction in the sqlite3 shell, a backup tool) and end it',
      options,
    );
    this.name = 'SqliteLockedError';
  }
}

/** SQLITE_BUSY (and its extended codes) and SQLITE_LOCKED: someone else holds a lock. */
export function isSqliteBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/**
 * Runs `fn` (one synchronous statement or transaction), and while it fails because the file is
 * locked, runs it again after a short, growing, jittered pause, until `deadlineMs` has passed;
 * then throws SqliteLockedError. `fn` must be safe to repeat after SQLITE_BUSY: a statement or
 * a better-sqlite3 transaction is (a busy failure changed nothing; the transaction rolled back).
 */
export async function whileBusy<T>(
  fn: () => T,
  deadlineMs: number,
  now: () => number = performance.now.bind(performance),
): Promise<T> {
  const started = now();
  let delay = FIRST_DELAY_MS;
  for (;;) {
    try {
      return fn();
    } catch (err) {
      if (!isSqliteBusy(err)) throw err;
      const waited = now() - started;
      if (waited >= deadlineMs) throw new SqliteLockedError(waited, { cause: err });
      // Jitter: many calls waiting on one lock should not all retry in the same millisecond.
      const pause = Math.min(delay * (0.5 + Math.random()), deadlineMs - waited);
      await new Promise((r) => setTimeout(r, pause));
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }
}
