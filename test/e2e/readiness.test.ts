/**
 * /readyz notices an upstream that goes down after start-up, and `toolgate_upstream_up` with it:
 * the HTTP upstream is a real process (the conformance fixture) that the test kills and starts
 * again on the same port. Without traffic the background check finds it (health.probe_interval);
 * with traffic, the failing request itself marks it down, even with the background check off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startConformanceServer } from '../fixtures/servers/conformance-server.js';
import { type ConformanceChild, spawnConformanceServer } from '../support/conformance-fixture.js';
import { ALLOW_ALL, startTestGateway, type TestGateway } from '../support/gateway.js';
import { McpSession, SIMPLE_TEXT_RESULT, until } from '../support/mcp-http.js';
import { freePort } from '../support/processes.js';

interface ServerReadiness {
  status: string;
  reason?: string;
  since?: string;
  checkedAt?: string;
}

interface Readyz {
  status: number;
  body: { status: string; problems: Record<string, string>; servers: Record<string, ServerReadiness> };
}

async function readyz(gw: TestGateway): Promise<Readyz> {
  const res = await fetch(`${gw.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as Readyz['body'] };
}

/** `toolgate_upstream_up` by server, from /metrics. */
async function upGauge(gw: TestGateway): Promise<Record<string, number>> {
  const text = await (await gw.adminFetch('/metrics', { signal: AbortSignal.timeout(10_000) })).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^toolgate_upstream_up\{server="([^"]+)"\} (\d+)$/gm))
    out[m[1]!] = Number(m[2]);
  return out;
}

/** Polls /readyz until it answers `status`; returns that answer and how long it took. */
async function readyzBecomes(gw: TestGateway, status: number, timeoutMs: number) {
  const started = Date.now();
  const ready = await until(
    `/readyz ${status}`,
    async () => {
      const r = await readyz(gw);
      return r.status === status ? r : undefined;
    },
    timeoutMs,
    100,
  );
  return { ready, ms: Date.now() - started };
}

describe('/readyz and toolgate_upstream_up follow an upstream that goes down and comes back', () => {
  let gw: TestGateway | undefined;
  let fx: ConformanceChild | undefined;
  let good: Awaited<ReturnType<typeof startConformanceServer>> | undefined;

  afterEach(async () => {
    await gw?.close();
    await fx?.close();
    await good?.close();
    gw = fx = good = undefined;
  });

  async function start(probeInterval: string) {
    const port = await freePort();
    fx = await spawnConformanceServer(15_000, port);
    good = await startConformanceServer();
    gw = await startTestGateway(
      {
        auth: { mode: 'none' },
        // The cap of the backoff (health.retry_max): the fixture may take seconds to start again
        // under load, and a longer wait would be the test's wait too.
        health: { probe_interval: probeInterval, retry_max: '2s' },
        servers: { fx: { url: fx.url, policy: ALLOW_ALL }, good: { url: good.url, policy: ALLOW_ALL } },
      },
      { probe: true },
    );
    await gw.probed;
    return { gw, port };
  }

  it('an idle gateway: the background check finds it down, names it, and finds it back', async () => {
    const { gw, port } = await start('300ms');
    const before = await readyz(gw);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ status: 'ready', problems: {}, servers: { fx: { status: 'up' } } });
    expect(await upGauge(gw)).toEqual({ fx: 1, good: 1 });

    // The upstream process dies. Nobody calls it: only the background check can notice.
    const killedAt = Date.now();
    fx!.child.kill('SIGKILL');
    await fx!.close();
    const { ready: down } = await readyzBecomes(gw, 503, 5_000);
    expect(Date.now() - killedAt).toBeLessThan(5_000);
    expect(down.body.status).toBe('not ready');
    expect(Object.keys(down.body.problems)).toEqual(['server:fx']);
    expect(down.body.problems['server:fx']).toContain('ECONNREFUSED');
    const fxState = down.body.servers.fx!;
    expect(fxState).toMatchObject({ status: 'down', reason: down.body.problems['server:fx'] });
    expect(Date.parse(fxState.since!)).toBeGreaterThanOrEqual(killedAt - 1_000);
    expect(down.body.servers.good).toMatchObject({ status: 'up' });
    expect(await upGauge(gw)).toEqual({ fx: 0, good: 1 });
    expect(gw.logs.join('')).toContain('"server":"fx"');

    // Back on the same port: ready again, without a restart of the gateway.
    fx = await spawnConformanceServer(15_000, port);
    await readyzBecomes(gw, 200, 8_000);
    expect(await upGauge(gw)).toEqual({ fx: 1, good: 1 });
    const s = await McpSession.open(`${gw.url}/mcp/fx`);
    expect((await s.callTool('test_simple_text')).body?.result).toEqual(SIMPLE_TEXT_RESULT);
    await s.close();
  }, 60_000);

  it('live traffic: the failing request marks it down at once, even with the background check off', async () => {
    const { gw, port } = await start('0s');
    const s = await McpSession.open(`${gw.url}/mcp/fx`);
    expect((await s.callTool('test_simple_text')).body?.result).toEqual(SIMPLE_TEXT_RESULT);

    fx!.child.kill('SIGKILL');
    await fx!.close();
    const failed = await s.callTool('test_simple_text');
    expect((failed.body?.error as { message?: string } | undefined)?.message).toContain('ECONNREFUSED');
    // No waiting: the request that failed already told the health view.
    const down = await readyz(gw);
    expect(down.status).toBe(503);
    expect(Object.keys(down.body.problems)).toEqual(['server:fx']);
    expect(down.body.problems['server:fx']).toContain('ECONNREFUSED');
    expect(await upGauge(gw)).toEqual({ fx: 0, good: 1 });

    // /readyz itself re-probes a server that is down, as before the background check existed.
    fx = await spawnConformanceServer(15_000, port);
    await readyzBecomes(gw, 200, 8_000);
    expect(await upGauge(gw)).toEqual({ fx: 1, good: 1 });
    await s.close();
  }, 30_000);
});
