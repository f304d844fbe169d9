/**
 * `shared: true`: one upstream connection (one process, one upstream session) serves several
 * client sessions; request ids and progress tokens are remapped so nothing crosses between them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConformanceServerHandle,
  startConformanceServer,
} from '../fixtures/servers/conformance-server.js';
import { startTestGateway } from '../support/gateway.js';
import {
  childPids,
  EVERYTHING_STDIO,
  gatewayHarness,
  type Harness,
  type Probe,
  progressOf,
  serversConfig,
} from '../support/parity.js';

const CLIENTS = 3;

describe('shared upstream over HTTP (conformance fixture)', () => {
  let fixture: ConformanceServerHandle;
  let harness: Harness;
  let probes: Probe[];

  beforeAll(async () => {
    fixture = await startConformanceServer();
    const gw = await startTestGateway({
      auth: { mode: 'none' },
      servers: serversConfig({ fixture: { url: fixture.url, shared: true } }),
    });
    harness = gatewayHarness(gw);
    probes = [];
    for (let i = 0; i < CLIENTS; i++) probes.push(await harness.connect('fixture', { capabilities: {} }));
  });

  afterAll(async () => {
    await harness?.close();
    await fixture?.close();
  });

  it('opens one upstream session for every client session', async () => {
    await Promise.all(probes.map((p) => p.client.callTool({ name: 'test_simple_text', arguments: {} })));
    expect(fixture.sessionCount()).toBe(1);
    expect(fixture.log.count('initialize')).toBe(1);
  });

  it('keeps progress and results apart for concurrent calls from three clients', async () => {
    const from = probes.map((p) => progressOf(p).length);
    const runs = await Promise.all(
      probes.map(async (p) => {
        const seen: unknown[] = [];
        const result = await p.client.callTool(
          { name: 'test_tool_with_progress', arguments: {} },
          { onprogress: (n) => seen.push(n.progress) },
        );
        return { result, seen };
      }),
    );
    const upstreamTokens = new Set<string>();
    probes.forEach((p, i) => {
      const mine = progressOf(p).slice(from[i]);
      // Exactly this call's three steps, each carrying one token: the one this client sent.
      expect(mine.map((m) => m.progress)).toEqual([0, 50, 100]);
      expect(new Set(mine.map((m) => m.progressToken)).size).toBe(1);
      expect(runs[i]!.seen.length).toBeGreaterThanOrEqual(2); // the SDK callback saw its own token
      const text = JSON.stringify(runs[i]!.result);
      const token = /Progress reported for token ([^"\\]+)/.exec(text)?.[1];
      expect(token, text).toBeDefined();
      upstreamTokens.add(token!);
    });
    // Upstream, the three calls had three different tokens (the clients may all have used the same).
    expect(upstreamTokens.size).toBe(CLIENTS);
  });
});

describe('shared stdio upstream (server-everything)', () => {
  let harness: Harness | undefined;

  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('runs one process for three client sessions, and ids and progress never cross', async () => {
    expect(childPids('server-everything')).toEqual([]);
    const gw = await startTestGateway({
      auth: { mode: 'none' },
      servers: serversConfig({ everything: { ...EVERYTHING_STDIO, shared: true } }),
    });
    harness = gatewayHarness(gw);
    const probes: Probe[] = [];
    for (let i = 0; i < CLIENTS; i++) probes.push(await harness.connect('everything', { capabilities: {} }));

    // Many concurrent calls per client: every answer is the one its own request asked for.
    const echoes = await Promise.all(
      probes.flatMap((p, c) =>
        Array.from({ length: 10 }, async (_, k) => {
          const message = `client ${c} call ${k}`;
          const res = await p.client.callTool({ name: 'echo', arguments: { message } });
          return { res, message };
        }),
      ),
    );
    for (const { res, message } of echoes)
      expect(res.content).toEqual([{ type: 'text', text: `Echo: ${message}` }]);

    const from = probes.map((p) => progressOf(p).length);
    const steps = [2, 3, 4];
    const runs = await Promise.all(
      probes.map((p, i) =>
        p.client.callTool(
          { name: 'trigger-long-running-operation', arguments: { duration: 0.6, steps: steps[i] } },
          { onprogress: () => {}, timeout: 30_000 },
        ),
      ),
    );
    probes.forEach((p, i) => {
      const mine = progressOf(p).slice(from[i]);
      const n = steps[i]!;
      expect(mine.map((m) => [m.progress, m.total])).toEqual(Array.from({ length: n }, (_, k) => [k + 1, n]));
      expect(new Set(mine.map((m) => m.progressToken)).size).toBe(1);
      expect(JSON.stringify(runs[i])).toContain(`Steps: ${n}.`);
    });

    expect(childPids('server-everything')).toHaveLength(1);
  });
});
