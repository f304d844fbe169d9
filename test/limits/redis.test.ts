import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CounterBackendError, type CounterStore, createCounterStore } from '../../src/limits/index.js';
import { eventually, freePort, killProcess, startRedisServer } from '../support/processes.js';
import { counterStoreSuite, T0 } from './counter-store.suite.js';
import { splitAcrossProcesses } from './helpers.js';

// The shared Redis other suites use too: everything here lives under a prefix of its own and is
// deleted afterwards (keys would expire with their windows anyway).
const URL = process.env.TOOLGATE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `toolgate-test:${randomUUID()}:`;

let admin: Redis;
beforeAll(() => {
  admin = new Redis(URL);
});
afterAll(async () => {
  const keys = await admin.keys(`${PREFIX}*`);
  if (keys.length) await admin.del(...keys);
  await admin.quit();
});

counterStoreSuite('redis', () => createCounterStore({ backend: 'redis', url: URL, prefix: PREFIX }));

describe('redis counter store', () => {
  const charge = (key: string) => ({ key: `${randomUUID()}:${key}`, windowSeconds: 60, max: 20, amount: 1 });

  it('admits exactly max when 64 concurrent consumes are split across two clients', async () => {
    const a = await createCounterStore({ backend: 'redis', url: URL, prefix: PREFIX });
    const b = await createCounterStore({ backend: 'redis', url: URL, prefix: PREFIX });
    for (let round = 0; round < 5; round++) {
      const c = charge('split');
      const results = await Promise.all(
        Array.from({ length: 64 }, (_, i) => (i % 2 ? a : b).consume([c], T0)),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(20);
      expect(await a.usage([c], T0)).toEqual([20]);
    }
    await a.close();
    await b.close();
  });

  it('admits exactly max when two processes share one Redis', async () => {
    const store = await createCounterStore({ backend: 'redis', url: URL, prefix: PREFIX });
    for (let round = 0; round < 3; round++) {
      const c = charge('procs');
      const config = { backend: 'redis' as const, url: URL, prefix: PREFIX };
      const got = await splitAcrossProcesses(store, { config, charge: c, count: 32, nowMs: T0 }, 32);
      expect(got.local + got.remote).toBe(20);
      expect(await store.usage([c], T0)).toEqual([20]);
    }
    await store.close();
  });

  it('lays keys out as <prefix><key>:<windowSeconds>:<windowStartMs>, expiring at the window end', async () => {
    const store = await createCounterStore({ backend: 'redis', url: URL, prefix: PREFIX });
    const c = charge('layout');
    const now = Date.now();
    const start = Math.floor(now / 60_000) * 60_000;
    await store.consume([c], now);
    const key = `${PREFIX}${c.key}:60:${start}`;
    expect(await admin.get(key)).toBe('1');
    const ttl = await admin.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(start + 60_000 - now + 2_000);
    await store.close();
  });

  it("uses the prefix 'toolgate:' by default", async () => {
    const store = await createCounterStore({ backend: 'redis', url: URL });
    const c = charge('default-prefix');
    await store.consume([c], T0);
    const key = `toolgate:${c.key}:60:${T0}`;
    expect(await admin.get(key)).toBe('1');
    await admin.del(key);
    await store.close();
  });

  it('fails fast with CounterBackendError when nothing listens at the address', async () => {
    const port = await freePort();
    const started = Date.now();
    const store = await createCounterStore({ backend: 'redis', url: `redis://127.0.0.1:${port}` });
    const err = await store.consume([charge('down')], T0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CounterBackendError);
    expect((err as Error).message).toMatch(/limit store \(redis at 127\.0\.0\.1:\d+\) is unreachable/);
    await expect(store.usage([charge('down')], T0)).rejects.toBeInstanceOf(CounterBackendError);
    await expect(store.ping()).rejects.toBeInstanceOf(CounterBackendError);
    expect(Date.now() - started).toBeLessThan(3_000);
    await store.close();
  });

  it('starts while Redis is down, fails closed, and counts once Redis starts', async () => {
    const port = await freePort();
    const store = await createCounterStore({ backend: 'redis', url: `redis://127.0.0.1:${port}` });
    const c = charge('late-start');
    await expect(store.consume([c], T0)).rejects.toBeInstanceOf(CounterBackendError);
    const server = await startRedisServer(port, 10_000);
    try {
      await eventually(() => store.ping(), 10_000);
      expect(await store.consume([c], T0)).toEqual({ ok: true });
    } finally {
      await store.close();
      await killProcess(server);
    }
  });

  describe('with a throwaway redis-server that is killed and restarted', () => {
    let port: number;
    let server: ChildProcess | undefined;
    let store: CounterStore;

    beforeAll(async () => {
      port = await freePort();
      server = await startRedisServer(port, 10_000);
      store = await createCounterStore({ backend: 'redis', url: `redis://127.0.0.1:${port}` });
    });
    afterAll(async () => {
      await store?.close();
      if (server) await killProcess(server);
    });

    it('fails closed while Redis is down and counts again once it is back, without a restart', async () => {
      const c = charge('comeback');
      expect(await store.consume([c], T0)).toEqual({ ok: true });

      await killProcess(server!);
      const err = await eventually(async () => {
        const started = Date.now();
        const e = await store.consume([c], T0).then(
          () => undefined,
          (x: unknown) => x,
        );
        if (!(e instanceof CounterBackendError)) throw new Error('consume still succeeded');
        return { e, took: Date.now() - started };
      }, 5_000);
      expect(err.e.message).toMatch(/limit store .* is unreachable/);
      expect(err.took).toBeLessThan(1_500);
      await expect(store.ping()).rejects.toBeInstanceOf(CounterBackendError);

      server = await startRedisServer(port, 10_000); // same port, empty data, empty script cache
      await eventually(() => store.ping(), 10_000);
      expect(await store.consume([c], T0)).toEqual({ ok: true });
      expect(await store.usage([c], T0)).toEqual([1]);
    });

    it('reloads the script when Redis has forgotten it (NOSCRIPT)', async () => {
      const other = new Redis(port, '127.0.0.1');
      await other.script('FLUSH');
      await other.quit();
      const c = charge('noscript');
      expect(await store.consume([c], T0)).toEqual({ ok: true });
      expect(await store.consume([c], T0)).toEqual({ ok: true });
      expect(await store.usage([c], T0)).toEqual([2]);
    });
  });
});
