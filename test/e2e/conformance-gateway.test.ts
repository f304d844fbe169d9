/**
 * The MCP conformance suite (server side, 0.1.16) run through toolgate (auth none, allow-all
 * policy) in front of the fixture server, once with the fixture as a streamable-HTTP upstream and
 * once as a stdio upstream. Whatever passes direct must pass through the gateway, with no failed
 * check and no warning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConformanceServerHandle,
  startConformanceServer,
} from '../fixtures/servers/conformance-server.js';
import { type ConformanceResult, listServerScenarios, runConformance } from '../support/conformance.js';
import { CONFORMANCE_STDIO_COMMAND } from '../support/conformance-fixture.js';
import { ALLOW_ALL, startTestGateway, type TestGateway } from '../support/gateway.js';
import { ensureConformanceCli } from '../support/node22.js';

/** What the stdio fixture logged (one JSON line per received message, relayed to the gateway log). */
function stdioRecords(gw: TestGateway): { method?: string; name?: string; kind?: string }[] {
  const out: { method?: string; name?: string; kind?: string }[] = [];
  for (const line of gw.logs.join('').split('\n')) {
    if (!line.includes('"upstream":"stdio"') || !line.includes('"stderr"')) continue;
    try {
      const stderr = (JSON.parse(line) as { stderr?: string }).stderr ?? '';
      const record = JSON.parse(stderr) as {
        fixture?: string;
        method?: string;
        name?: string;
        kind?: string;
      };
      if (record.fixture === 'conformance-server') out.push(record);
    } catch {}
  }
  return out;
}

function sorted(list: string[]): string[] {
  return [...list].sort();
}

describe('conformance suite through toolgate', () => {
  let fixture: ConformanceServerHandle;
  let gw: TestGateway;
  let scenarios: string[];
  let direct: ConformanceResult;

  beforeAll(async () => {
    await ensureConformanceCli(); // first run downloads Node 22 and the CLI into .cache/
    scenarios = await listServerScenarios();
    fixture = await startConformanceServer();
    // The baseline, measured in the same run: the gateway must pass exactly what passes direct.
    direct = await runConformance(fixture.url, { timeoutMs: 120_000 });
    gw = await startTestGateway({
      auth: { mode: 'none' },
      // The CLI opens a session per scenario and never closes one (no DELETE), all as one grant:
      // this run measures conformance, not the per-grant fair share (test/e2e/session-shares).
      sessions: { max_per_grant: 1000 },
      servers: {
        // Bounded upstream timeouts: a lost message fails its scenario instead of hanging the run.
        http: { url: fixture.url, policy: ALLOW_ALL, timeout: '20s' },
        stdio: { ...CONFORMANCE_STDIO_COMMAND, policy: ALLOW_ALL, timeout: '20s' },
      },
    });
  }, 360_000);

  afterAll(async () => {
    await gw?.close();
    await fixture?.close();
  });

  it('direct baseline: every listed scenario passes', () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(32);
    expect(direct.failures).toEqual({});
    expect(sorted(direct.passed)).toEqual(sorted(scenarios));
  });

  it('HTTP upstream: every scenario that passes direct passes through the gateway', async () => {
    const before = fixture.log.records.length;
    const result = await runConformance(`${gw.url}/mcp/http`, { timeoutMs: 240_000 });

    expect(result.failures).toEqual({});
    expect(result.failed).toEqual([]);
    expect(result.warnings).toEqual({});
    expect(sorted(result.passed)).toEqual(sorted(direct.passed));
    expect(result.passed).toContain('dns-rebinding-protection');
    expect(result.passed).toContain('server-sse-polling');

    // The upstream saw the suite's traffic through the gateway, server-to-client answers included.
    const seen = fixture.log.records.slice(before);
    const called = (name: string) => seen.filter((r) => r.method === 'tools/call' && r.name === name).length;
    expect(called('test_sampling')).toBe(1);
    expect(called('test_elicitation')).toBe(1);
    expect(called('test_reconnection')).toBe(1); // SEP-1699: the upstream closed its stream mid-call
    expect(seen.filter((r) => r.kind === 'response').length).toBeGreaterThanOrEqual(4);
    expect(seen.filter((r) => r.method === 'resources/subscribe').length).toBe(2);
  }, 300_000);

  it('stdio upstream: every scenario that passes direct passes through the gateway', async () => {
    const result = await runConformance(`${gw.url}/mcp/stdio`, { timeoutMs: 240_000 });

    expect(result.failures).toEqual({});
    expect(result.failed).toEqual([]);
    expect(result.warnings).toEqual({});
    expect(sorted(result.passed)).toEqual(sorted(direct.passed));
    expect(result.passed).toContain('dns-rebinding-protection');

    const records = stdioRecords(gw);
    const called = (name: string) =>
      records.filter((r) => r.method === 'tools/call' && r.name === name).length;
    expect(called('test_sampling')).toBe(1);
    expect(called('test_elicitation')).toBe(1);
    expect(records.filter((r) => r.kind === 'response').length).toBeGreaterThanOrEqual(4);
  }, 300_000);
});
