/**
 * The asynchronous wait for another connection's SQLite lock (src/util/sqlite-busy.ts). The
 * holder releases its lock from a timer: if the wait blocked the event loop, that timer could
 * never fire and the waiting operation could never succeed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isSqliteBusy,
  SQLITE_BUSY_TIMEOUT_MS,
  SqliteLockedError,
  whileBusy,
} from '../../src/util/sqlite-busy.js';

describe('whileBusy', () => {
  let dir: string;
  let holder: Database.Database;
  let waiter: Database.Database;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tg-busy-'));
    const file = join(dir, 'x.db');
    holder = new Database(file);
    holder.pragma('journal_mode = WAL');
    holder.exec('CREATE TABLE t (n INTEGER)');
    waiter = new Database(file);
    waiter.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  });

  afterEach(() => {
    if (holder.inTransaction) holder.exec('ROLLBACK');
    holder.close();
    waiter.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits on timers while the lock is held and runs once it is released', async () => {
    holder.exec('BEGIN IMMEDIATE');
    expect(() => waiter.exec('INSERT INTO t VALUES (1)')).toThrow(
      expect.objectContaining({ code: 'SQLITE_BUSY' }),
    );
    let attempts = 0;
    const order: string[] = [];
    setTimeout(() => {
      holder.exec('COMMIT');
      order.push('released');
    }, 100);
    const changes = await whileBusy(() => {
      attempts++;
      return waiter.prepare('INSERT INTO t VALUES (1)').run().changes;
    }, 5_000);
    order.push('written');
    expect(changes).toBe(1);
    expect(order).toEqual(['released', 'written']);
    expect(attempts).toBeGreaterThan(1);
  });

  it('fails with SqliteLockedError once the deadline passes, with the busy error as cause', async () => {
    holder.exec('BEGIN IMMEDIATE');
    const err = await whileBusy(() => waiter.exec('INSERT INTO t VALUES (1)'), 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SqliteLockedError);
    expect((err as SqliteLockedError).waitedMs).toBeGreaterThanOrEqual(100);
    expect((err as Error).message).toMatch(/locked by another process \(waited \d+ ms\); find the process/);
    expect(isSqliteBusy((err as Error).cause)).toBe(true);
    expect(waiter.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 0 });
  });

  it('does not retry other errors', async () => {
    let attempts = 0;
    await expect(
      whileBusy(() => {
        attempts++;
        waiter.exec('INSERT INTO missing VALUES (1)');
      }, 1_000),
    ).rejects.toThrow(/no such table/);
    expect(attempts).toBe(1);
  });
});
