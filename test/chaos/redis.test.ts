/**
 * Redis counters under faults: a redis-server of the test's own (its own port, no persistence)
 * is stopped (SIGTERM) and later frozen (SIGSTOP) while calls flow through a `toolgate serve`
 * process. The gateway stays up, refuses calls that need a count with a reason
 * (on_backend_error: deny), reports the counters in /readyz, and recovers without a restart once
 * Redis is back (restart on the same port, SIGCONT). The recovery times are printed.
 */
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  type ConformanceServerHandle,
  startConformanceServer,
} from '../fixtures/servers/conformance-server.js';
import {
  ensureFreshBuild,
  freePort,
  type GatewayProcess,
  killProcess,
  spawnGateway,
  startRedisServer,
} from '../support/e2e.js';
import { McpSession } from '../support/mcp-http.js';
import { Load, readyz, readyzUntil } from './helpers.js';

const OK_TEXT = (t: string) => t === 'This is a simple text response for testing.';

describe('Redis counters stopped and frozen under load', () => {
  let dir: string;
  let port: number;
  let redis: ChildProcess | undefined;
  let fx: ConformanceServerHandle;
  let gw: GatewayProcess | undefined;

  beforeAll(async () => {
    await ensureFreshBuild();
    dir = mkdtempSync(join(tmpdir(), 'toolgate-chaos-redis-'));
    port = await freePort();
    redis = await startRedisServer(port);
    fx = await startConformanceServer();
    const file = join(dir, 'toolgate.yaml');
    writeFileSync(
      file,
      stringify({
        listen: { host: '127.0.0.1', port: 0 },
        auth: { mode: 'none' },
        storage: { sqlite: join(dir, 'toolgate.db') },
        counters: { backend: 'redis', url: `redis://127.0.0.1:${port}` },
        log: { level: 'info' },
        servers: {
          counted: {
            url: fx.url,
            on_backend_error: 'deny',
            policy: {
              version: '1',
              default: 'allow',
              tools: {
                test_simple_text: {
                  limits: [{ counter: 'calls', window: 'hour', max: 1_000_000, scope: 'grant' }],
                },
              },
            },
          },
        },
      }),
    );
    gw = await spawnGateway(file);
  }, 300_000);

  afterAll(async () => {
    if (redis) {
      redis.kill('SIGCONT');
      await killProcess(redis);
    }
    await gw?.stop();
    await fx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses with a reason while Redis is stopped or frozen, and recovers when it is back', async () => {
    const base = gw!.url;
    const load = new Load();
    const sessions = await Promise.all([0, 1, 2, 3].map(() => McpSession.open(`${base}/mcp/counted`)));
    sessions.forEach((s, i) => {
      load.start(`w${i}`, s, 'test_simple_text', {}, OK_TEXT);
    });
    const refusal = (o: { kind: string; text: string }) =>
      o.kind === 'refused' &&
      o.text.includes(`limit store (redis at 127.0.0.1:${port})`) &&
      o.text.includes('it fails closed. Retry shortly.');
    const figures: string[] = [];
    try {
      await load.first('a call', (o) => o.kind === 'ok', 0, 20_000);

      // 1. Stopped: SIGTERM, the process exits, connections are refused.
      const stoppedAt = Date.now();
      const exited = once(redis!, 'exit');
      redis!.kill('SIGTERM');
      await exited;
      redis = undefined;
      const stopped = await load.first('a refusal while Redis is stopped', refusal, stoppedAt, 15_000);
      expect(stopped.text).toMatch(/is unreachable/);
      const down = await readyzUntil(
        base,
        'the counters problem',
        (r) => r.problems.counters !== undefined,
        15_000,
      );
      expect(down.status).toBe(503);
      expect(down.problems.counters).toMatch(`limit store (redis at 127.0.0.1:${port}) is unreachable`);
      expect(gw!.child.exitCode).toBeNull();

      // Back on the same port (empty: no persistence).
      redis = await startRedisServer(port);
      const restartedAt = Date.now();
      const ok = await load.first('a call after the restart', (o) => o.kind === 'ok', restartedAt, 20_000);
      await readyzUntil(base, 'ready', (r) => r.status === 200, 20_000);
      figures.push(
        `stopped: first call ok ${ok.at - restartedAt} ms after redis-server was ready, /readyz 200 after ${Date.now() - restartedAt} ms`,
      );

      // 2. Frozen: SIGSTOP keeps the TCP connection open but nothing answers.
      const frozenAt = Date.now();
      redis.kill('SIGSTOP');
      const frozen = await load.first('a refusal while Redis is frozen', refusal, frozenAt, 15_000);
      expect(frozen.text).toMatch(/timed out/i);
      const stuck = await readyzUntil(
        base,
        'the counters problem',
        (r) => r.problems.counters !== undefined,
        15_000,
      );
      expect(stuck.status).toBe(503);
      expect(gw!.child.exitCode).toBeNull();
      // /healthz does not wait for Redis.
      expect((await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(10_000) })).status).toBe(200);

      redis.kill('SIGCONT');
      const thawedAt = Date.now();
      const thawed = await load.first('a call after SIGCONT', (o) => o.kind === 'ok', thawedAt, 20_000);
      await readyzUntil(base, 'ready', (r) => r.status === 200, 20_000);
      figures.push(
        `frozen: first call ok ${thawed.at - thawedAt} ms after SIGCONT, /readyz 200 after ${Date.now() - thawedAt} ms`,
      );
    } finally {
      await load.stop();
      await Promise.all(sessions.map((s) => s.close()));
    }
    const count = (k: string) => load.outcomes.filter((o) => o.kind === k).length;
    console.log(
      `redis: ${figures.join('; ')}; calls: ${count('ok')} ok, ${count('refused')} refused, ${count('bad')} bad`,
    );

    // Every answer was the server's or a clear refusal: no 500, no hang, no dead gateway.
    const bad = load.outcomes.filter((o) => o.kind === 'bad');
    expect(bad.map((o) => `${o.worker} ${o.status} ${o.text}`)).toEqual([]);
    expect(gw!.child.exitCode).toBeNull();
    expect((await readyz(base)).status).toBe(200);
  }, 180_000);
});
