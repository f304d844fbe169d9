/**
 * Review F13 for the SQLite counter store: a lock held on the file by another connection is
 * waited for on timers (the holder here releases from a timer, which could never fire if the
 * consume blocked the loop), and past the deadline the consume fails closed naming the lock,
 * which readiness (`ping`) reports until the file can be written again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CounterBackendError, type CounterStore, createCounterStore } from '../../src/limits/index.js';
import { T0 } from './counter-store.suite.js';

const charge = { key: 'grant:a:rate', windowSeconds: 60, max: 100, amount: 1 };

describe('sqlite counter store while another connection holds the file', () => {
  let dir: string;
  let store: CounterStore;
  let holder: Database.Database;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-limits-lock-'));
    const path = join(dir, 'c.db');
    store = await createCounterStore({ backend: 'sqlite', path });
    holder = new Database(path);
  });

  afterEach(async () => {
    if (holder.inTransaction) holder.exec('ROLLBACK');
    holder.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits without blocking the loop and counts once the lock is released', async () => {
    holder.exec('BEGIN EXCLUSIVE');
    const order: string[] = [];
    setTimeout(() => {
      holder.exec('COMMIT');
      order.push('released');
    }, 150);
    const r = await store.consume([charge], T0);
    order.push('consumed');
    expect(r).toEqual({ ok: true });
    expect(order).toEqual(['released', 'consumed']);
    expect(await store.usage([charge], T0)).toEqual([1]);
  });

  it('fails closed past the deadline, reports it in ping, and recovers after the release', async () => {
    holder.exec('BEGIN EXCLUSIVE');
    const err = await store.consume([charge], T0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CounterBackendError);
    expect((err as Error).message).toMatch(
      /^the limit store \(sqlite at .*c\.db\) is unreachable: the database file is locked by another process \(waited \d+ ms\)/,
    );
    // Reads still work under WAL, but readiness must not say all is well.
    expect(await store.usage([charge], T0)).toEqual([0]);
    await expect(store.ping()).rejects.toThrow(/locked by another process/);
    holder.exec('COMMIT');
    await expect(store.ping()).resolves.toBeUndefined();
    expect(await store.consume([charge], T0)).toEqual({ ok: true });
  });
});
