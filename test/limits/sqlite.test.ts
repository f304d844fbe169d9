import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { CounterBackendError, createCounterStore } from '../../src/limits/index.js';
import { counterStoreSuite, T0 } from './counter-store.suite.js';
import { splitAcrossProcesses } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'toolgate-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshFile = () => join(dir, `counters-${n++}.db`);

counterStoreSuite('sqlite', () => createCounterStore({ backend: 'sqlite', path: freshFile() }));

describe('sqlite counter store', () => {
  const charge = { key: 'grant:a:rate', windowSeconds: 60, max: 20, amount: 1 };

  it('keeps counts across a restart (close, reopen the file)', async () => {
    const path = freshFile();
    const first = await createCounterStore({ backend: 'sqlite', path });
    expect(first.kind).toBe('sqlite');
    for (let i = 0; i < 7; i++) await first.consume([charge], T0);
    await first.close();
    const second = await createCounterStore({ backend: 'sqlite', path });
    expect(await second.usage([charge], T0)).toEqual([7]);
    expect(await second.consume([{ ...charge, max: 7 }], T0)).toMatchObject({ ok: false, used: 7 });
    await second.close();
  });

  it('admits exactly max when two store instances on one file share 64 concurrent consumes', async () => {
    const path = freshFile();
    const a = await createCounterStore({ backend: 'sqlite', path });
    const b = await createCounterStore({ backend: 'sqlite', path });
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) => (i % 2 ? a : b).consume([charge], T0)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(20);
    expect(await b.usage([charge], T0)).toEqual([20]);
    await a.close();
    await b.close();
  });

  it('admits exactly max when two processes share one file', async () => {
    for (let round = 0; round < 3; round++) {
      const path = freshFile();
      const store = await createCounterStore({ backend: 'sqlite', path });
      const got = await splitAcrossProcesses(
        store,
        { config: { backend: 'sqlite', path }, charge, count: 32, nowMs: T0 },
        32,
      );
      expect(got.local + got.remote).toBe(20);
      expect(await store.usage([charge], T0)).toEqual([20]);
      await store.close();
    }
  });

  it('lives beside other tables in a shared database file', async () => {
    const path = freshFile();
    const other = new Database(path);
    other.exec("CREATE TABLE grants (name TEXT PRIMARY KEY); INSERT INTO grants VALUES ('support-agent')");
    const store = await createCounterStore({ backend: 'sqlite', path });
    expect(await store.consume([charge], T0)).toEqual({ ok: true });
    await store.close();
    const again = await createCounterStore({ backend: 'sqlite', path }); // CREATE TABLE IF NOT EXISTS
    expect(await again.usage([charge], T0)).toEqual([1]);
    await again.close();
    expect(other.prepare('SELECT count(*) AS n FROM grants').get()).toEqual({ n: 1 });
    other.close();
  });

  it('prunes windows that ended more than a minute ago', async () => {
    const path = freshFile();
    const store = await createCounterStore({ backend: 'sqlite', path });
    for (let s = 0; s < 5; s++) await store.consume([{ ...charge, key: `old-${s}` }], T0);
    await store.consume([charge], T0 + 10 * 60_000);
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT key FROM counters').all()).toEqual([{ key: charge.key }]);
    db.close();
    await store.close();
  });

  it('fails to open an unusable path with CounterBackendError', async () => {
    const err = await createCounterStore({ backend: 'sqlite', path: join(dir, 'no/such/dir/c.db') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CounterBackendError);
    expect((err as Error).message).toMatch(/sqlite .*cannot be opened/);
  });
});
