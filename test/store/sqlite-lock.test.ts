/**
 * Review F13 for the SQLite store: a write waits for another connection's lock on timers, fails
 * closed with StoreUnavailableError past its deadline, and the store reports itself down (with
 * the reason) until the lock is gone, which its probe notices without any traffic.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/types.js';
import { isStoreUnavailable, openStore, type Store, StoreUnavailableError } from '../../src/store/index.js';

const entry = (n: number): AuditEntry => ({
  ts: 1_700_000_000_000 + n,
  grant: 'g',
  server: 's',
  tool: 't',
  method: 'tools/call',
  argsDigest: 'd',
  decision: 'allow',
  latencyMs: 1,
  upstream: 'ok',
});

describe('sqlite store while another connection holds the file', () => {
  let dir: string;
  let store: Store;
  let holder: Database.Database;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tg-store-lock-'));
    const file = join(dir, 'toolgate.db');
    store = await openStore({ sqlite: file });
    holder = new Database(file);
  });

  afterEach(async () => {
    if (holder.inTransaction) holder.exec('ROLLBACK');
    holder.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits on timers and writes once the lock is released', async () => {
    holder.exec('BEGIN EXCLUSIVE');
    const order: string[] = [];
    setTimeout(() => {
      holder.exec('COMMIT');
      order.push('released');
    }, 150);
    const [rec] = await store.audit.append([entry(1)]);
    order.push('appended');
    expect(rec?.seq).toBe(1);
    expect(order).toEqual(['released', 'appended']);
    expect(store.health().state).toBe('up');
  });

  it('fails closed past the deadline, reports down with the reason, and is up again once the lock is gone', async () => {
    holder.exec('BEGIN EXCLUSIVE');
    const changes: string[] = [];
    store.onHealthChange((s) => changes.push(s.state));
    const err = await store.audit.append([entry(1)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(isStoreUnavailable(err)).toBe(true);
    expect((err as Error).message).toMatch(
      /^SQLite database .*toolgate\.db: the database file is locked by another process \(waited \d+ ms\); find the process holding it/,
    );
    expect(store.health()).toMatchObject({ state: 'down', reason: (err as Error).message });
    // A read works under WAL; it does not make the store look healthy while writes cannot happen.
    expect(await store.grants.list()).toEqual([]);
    expect(store.health().state).toBe('down');
    holder.exec('COMMIT');
    for (const deadline = Date.now() + 5_000; store.health().state !== 'up'; ) {
      if (Date.now() > deadline) throw new Error(`still down: ${store.health().reason}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(changes).toEqual(['down', 'up']);
    expect(await store.audit.append([entry(2)])).toHaveLength(1);
  }, 20_000);
});
