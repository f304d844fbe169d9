/**
 * Issue 3, Redis counters end to end: two `toolgate serve` processes on one Redis share a limit
 * exactly under concurrency; a Redis outage fails closed (or passes where the server says
 * `on_backend_error: allow`) and limits work again when Redis returns, without a restart.
 * The shared Redis (127.0.0.1:6379) is only read and written under a unique key prefix; the
 * outage test runs a throwaway redis-server of its own.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  awayFromWindowEnd,
  connect,
  ensureFreshBuild,
  eventually,
  freePort,
  type GatewayProcess,
  isEcho,
  killProcess,
  RATE_LIMITED,
  type Session,
  spawnGateway,
  startRedisServer,
} from '../support/e2e.js';
import { EVERYTHING, startTestGateway, type TestGateway } from '../support/gateway.js';

const SHARED_REDIS = 'redis://127.0.0.1:6379';
const RUNS = 3;
const CALLS = 64;
const MAX = 20;

describe('two gateway processes on one Redis', () => {
  const prefix = `tg-test-${randomBytes(6).toString('hex')}:`;
  const tokens = Object.fromEntries(
    Array.from({ length: RUNS }, (_, i) => [
      `TG_E2E_RUN${i + 1}`,
      `run-${i + 1}-${randomBytes(12).toString('hex')}`,
    ]),
  );
  const env = { ...process.env, ...tokens };
  let dir: string;
  const gateways: GatewayProcess[] = [];
  let redis: Redis;

  beforeAll(async () => {
    await ensureFreshBuild();
    dir = mkdtempSync(join(tmpdir(), 'toolgate-e2e-redis-'));
    redis = new Redis(SHARED_REDIS, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    // One grant per run: each run starts from a fresh counter (grant scope) on the same processes.
    const config = (name: string) => ({
      listen: { host: '127.0.0.1', port: 0 },
      storage: { sqlite: join(dir, `${name}.db`) },
      counters: { backend: 'redis', url: SHARED_REDIS, prefix },
      log: { level: 'warn' },
      servers: {
        everything: {
          ...EVERYTHING,
          shared: true,
          policy: {
            version: '1',
            default: 'deny',
            tools: { echo: { limits: [{ counter: 'burst', window: 'hour', max: MAX, scope: 'grant' }] } },
          },
        },
      },
      grants: Object.keys(tokens).map((v, i) => ({
        name: `run${i + 1}`,
        servers: ['everything'],
        token_env: v,
      })),
    });
    for (const name of ['a', 'b']) {
      const file = join(dir, `${name}.yaml`);
      writeFileSync(file, stringify(config(name)));
      gateways.push(await spawnGateway(file, env));
    }
  }, 420_000);

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    if (redis) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (let run = 1; run <= RUNS; run++) {
    it(`64 concurrent calls split across both processes admit exactly ${MAX} (run ${run})`, async () => {
      const token = tokens[`TG_E2E_RUN${run}`]!;
      // Two sessions on each process, 16 calls each, all in flight at once.
      const sessions: Session[] = [];
      try {
        for (const g of gateways)
          for (let i = 0; i < 2; i++) sessions.push(await connect(`${g.url}/mcp/everything`, { token }));
        await awayFromWindowEnd(3600, 60_000);
        const results = await Promise.all(
          Array.from({ length: CALLS }, (_, i) =>
            sessions[i % sessions.length]!.call('echo', { message: `run ${run} call ${i}` }),
          ),
        );
        const admitted = results.filter((r) => isEcho(r));
        const limited = results.filter((r) => RATE_LIMITED.test(r.text));
        expect({ admitted: admitted.length, limited: limited.length }).toEqual({
          admitted: MAX,
          limited: CALLS - MAX,
        });
        for (const r of limited) expect(r.meta?.retryAfterSeconds).toEqual(expect.any(Number));
        // Redis holds one counter for this grant, at exactly the limit.
        const keys = await redis.keys(`${prefix}grant:run${run}:burst:*`);
        expect(keys).toHaveLength(1);
        expect(Number(await redis.get(keys[0]!))).toBe(MAX);
      } finally {
        await Promise.all(sessions.map((s) => s.close()));
      }
    }, 120_000);
  }
});

describe('Redis down mid-run', () => {
  let port: number;
  let server: ChildProcess | undefined;
  let gw: TestGateway | undefined;

  afterAll(async () => {
    await gw?.close();
    if (server) await killProcess(server);
  });

  it('fails closed while Redis is down (or passes with on_backend_error: allow) and limits work again once it returns', async () => {
    port = await freePort();
    server = await startRedisServer(port);
    const policy = {
      version: '1',
      default: 'deny',
      tools: { echo: { limits: [{ counter: 'echo_calls', window: 'hour', max: 3, scope: 'session' }] } },
    };
    gw = await startTestGateway({
      auth: { mode: 'none' },
      counters: {
        backend: 'redis',
        url: `redis://127.0.0.1:${port}`,
        prefix: `tg-test-${randomBytes(6).toString('hex')}:`,
      },
      servers: {
        strict: { ...EVERYTHING, policy },
        lenient: { ...EVERYTHING, policy, on_backend_error: 'allow' },
      },
    });
    const strict = await connect(`${gw.url}/mcp/strict`);
    const lenient = await connect(`${gw.url}/mcp/lenient`);
    try {
      await awayFromWindowEnd(3600, 120_000);
      expect(isEcho(await strict.call('echo', { message: 'before' }), 'before')).toBe(true);
      expect(isEcho(await lenient.call('echo', { message: 'before' }), 'before')).toBe(true);

      await killProcess(server);
      server = undefined;
      const down = await eventually(async () => {
        const r = await strict.call('echo', { message: 'while down' });
        if (isEcho(r)) throw new Error('the call still passed');
        return r;
      }, 10_000);
      expect(down.isError).toBe(true);
      expect(down.text).toMatch(/^\[POLICY DENIED\] .*fails closed/);
      expect(down.text).toMatch(
        new RegExp(`limit store \\(redis at 127\\.0\\.0\\.1:${port}\\) is unreachable`),
      );
      // Still closed on the next call, and fast (the client does not queue while disconnected).
      const started = Date.now();
      expect((await strict.call('echo', { message: 'still down' })).text).toMatch(/is unreachable/);
      expect(Date.now() - started).toBeLessThan(5_000);
      // The server with on_backend_error: allow lets calls through, even past its limit of 3.
      for (let i = 0; i < 4; i++)
        expect(isEcho(await lenient.call('echo', { message: `lenient ${i}` }), `lenient ${i}`)).toBe(true);
      expect(gw.logs.some((l) => l.includes('counter backend error'))).toBe(true);

      // Redis returns on the same port, empty (no persistence): counting resumes from zero.
      server = await startRedisServer(port);
      await eventually(
        async () => {
          const r = await strict.call('echo', { message: 'back' });
          if (!isEcho(r, 'back')) throw new Error(`not yet: ${r.text}`);
        },
        20_000,
        200,
      );
      expect(isEcho(await strict.call('echo', { message: 'two' }), 'two')).toBe(true);
      expect(isEcho(await strict.call('echo', { message: 'three' }), 'three')).toBe(true);
      const limited = await strict.call('echo', { message: 'four' });
      expect(limited.text).toMatch(/^\[RATE LIMITED\] echo_calls: 3 per hour reached; retry in \d+s$/);
      // The lenient server enforces its limit again too.
      const lenientResults = [];
      for (let i = 0; i < 4; i++) lenientResults.push(await lenient.call('echo', { message: `again ${i}` }));
      expect(
        lenientResults.map((r) => (isEcho(r) ? 'ok' : RATE_LIMITED.test(r.text) ? 'limited' : r.text)),
      ).toEqual(['ok', 'ok', 'ok', 'limited']);
    } finally {
      await strict.close();
      await lenient.close();
    }
  }, 120_000);
});
