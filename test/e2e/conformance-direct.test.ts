/**
 * The MCP conformance suite (server side, 0.1.16) run straight against our fixture server. This
 * is the baseline the gateway run is compared with: whatever passes here must pass through toolgate.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConformanceServerHandle,
  startConformanceServer,
} from '../fixtures/servers/conformance-server.js';
import { listServerScenarios, runConformance } from '../support/conformance.js';
import { CONFORMANCE_STDIO_COMMAND, spawnConformanceServer } from '../support/conformance-fixture.js';
import { ensureConformanceCli } from '../support/node22.js';

describe('conformance suite, direct to the fixture server', () => {
  let fixture: ConformanceServerHandle;
  let scenarios: string[];

  beforeAll(async () => {
    await ensureConformanceCli(); // first run downloads Node 22 and the CLI into .cache/
    scenarios = await listServerScenarios();
    fixture = await startConformanceServer();
  }, 360_000);

  afterAll(async () => {
    await fixture?.close();
  });

  it('passes every server scenario, with no failed check and no warning', async () => {
    const result = await runConformance(fixture.url, { timeoutMs: 120_000 });

    expect(scenarios.length).toBeGreaterThanOrEqual(32);
    expect(result.failures).toEqual({});
    expect(result.failed).toEqual([]);
    expect(result.warnings).toEqual({});
    expect([...result.passed].sort()).toEqual([...scenarios].sort());
    // The request log sees what the suite sent, so gateway tests can assert on the upstream side.
    expect(fixture.log.count('tools/call', 'test_sampling')).toBe(1);
    expect(fixture.log.count('resources/subscribe', 'test://watched-resource')).toBe(2);
    expect(fixture.log.records.some((r) => r.kind === 'response')).toBe(true); // sampling/elicitation answers
  }, 150_000);

  it('without the stale-header upgrade, server-sse-polling only warns (the CLI sends 2025-03-26)', async () => {
    // Documents why upgradeStaleProtocolHeader exists: see docs/conformance.md.
    const strict = await startConformanceServer({ upgradeStaleProtocolHeader: false });
    try {
      const result = await runConformance(strict.url, {
        scenarios: ['server-sse-polling'],
        timeoutMs: 60_000,
      });
      expect(result.passed).toEqual(['server-sse-polling']);
      expect(result.warnings).toEqual({
        'server-sse-polling': ['server-sse-priming-event', 'server-sse-retry-field'],
      });
    } finally {
      await strict.close();
    }
  }, 90_000);
});

describe('fixture server as a child process', () => {
  it('serves HTTP on an ephemeral port and reports what it received on stderr', async () => {
    const server = await spawnConformanceServer();
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      const result = await runConformance(server.url, {
        scenarios: ['tools-call-simple-text', 'dns-rebinding-protection'],
        timeoutMs: 60_000,
      });
      expect(result.failed).toEqual([]);
      expect(result.passed).toEqual(['tools-call-simple-text', 'dns-rebinding-protection']);
      const calls = server.records.filter((r) => r.method === 'tools/call').map((r) => r.name);
      expect(calls).toEqual(['test_simple_text']);
      // The rebinding probe with a bad Host is refused before MCP handling, so only one initialize is seen
      // from that scenario (plus one from tools-call-simple-text).
      expect(server.records.filter((r) => r.method === 'initialize')).toHaveLength(2);
    } finally {
      await server.close();
    }
  }, 90_000);

  it('speaks newline-delimited JSON-RPC on stdout and logs each request to stderr', async () => {
    const child = spawn(CONFORMANCE_STDIO_COMMAND.command, CONFORMANCE_STDIO_COMMAND.args, {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stdout: unknown[] = [];
    const stderr: string[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => stdout.push(JSON.parse(line)));
    createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
    const send = (message: object) => child.stdin.write(`${JSON.stringify(message)}\n`);
    const waitFor = async (id: number) => {
      for (let i = 0; i < 200; i++) {
        const hit = stdout.find((m) => (m as { id?: number }).id === id);
        if (hit) return hit as { result?: Record<string, unknown> };
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no response ${id}; stderr: ${stderr.join('\n')}`);
    };
    try {
      send({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      });
      await waitFor(1);
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      send({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'test_simple_text', arguments: {} },
      });
      const call = await waitFor(2);
      expect(call.result?.content).toEqual([
        { type: 'text', text: 'This is a simple text response for testing.' },
      ]);

      const logged = stderr.map((line) => JSON.parse(line) as { method?: string; name?: string });
      expect(logged.map((r) => r.method)).toEqual(['initialize', 'notifications/initialized', 'tools/call']);
      expect(logged[2]?.name).toBe('test_simple_text');
    } finally {
      child.stdin.end();
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
      });
    }
  }, 30_000);
});
