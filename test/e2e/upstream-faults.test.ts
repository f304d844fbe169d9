/**
 * Upstream faults: a server that cannot start, a server killed in the middle of a call, an HTTP
 * server that is down. Each gives the client a clear error, and everything else keeps working.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConformanceServerHandle,
  startConformanceServer,
} from '../fixtures/servers/conformance-server.js';
import { CONFORMANCE_STDIO_COMMAND } from '../support/conformance-fixture.js';
import { ALLOW_ALL, startTestGateway, type TestGateway } from '../support/gateway.js';
import { McpSession, post, SIMPLE_TEXT_RESULT, until } from '../support/mcp-http.js';

const MISSING_COMMAND = '/nonexistent/toolgate-e2e-no-such-server';

async function readyz(
  gw: TestGateway,
): Promise<{ status: number; body: { status: string; problems: Record<string, string> } }> {
  const res = await fetch(`${gw.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return {
    status: res.status,
    body: (await res.json()) as { status: string; problems: Record<string, string> },
  };
}

function initialize(url: string) {
  return post(url, {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'faults', version: '1' } },
  });
}

/** Pids of this test process's children running the stdio fixture. */
function stdioFixturePids(): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['--ppid', String(process.pid), '-o', 'pid=,args='], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there are no children
  }
  return out
    .split('\n')
    .filter((line) => line.includes('conformance-server.ts') && line.includes('--stdio'))
    .map((line) => Number.parseInt(line.trim(), 10));
}

/** Requests the stdio fixture logged (its stderr lines, relayed into the gateway log). */
function stdioRecords(gw: TestGateway, server: string): { method?: string; name?: string }[] {
  const out: { method?: string; name?: string }[] = [];
  for (const line of gw.logs.join('').split('\n')) {
    if (!line.includes(`"upstream":"${server}"`) || !line.includes('"stderr"')) continue;
    try {
      const record = JSON.parse((JSON.parse(line) as { stderr: string }).stderr) as {
        fixture?: string;
        method?: string;
        name?: string;
      };
      if (record.fixture === 'conformance-server') out.push(record);
    } catch {}
  }
  return out;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('upstream faults', () => {
  let fixture: ConformanceServerHandle;

  beforeAll(async () => {
    fixture = await startConformanceServer();
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('a server whose command does not exist: the gateway starts, reports it down with the reason, and serves the others', async () => {
    const gw = await startTestGateway(
      {
        auth: { mode: 'none' },
        servers: {
          broken: { command: MISSING_COMMAND, policy: ALLOW_ALL },
          good: { url: fixture.url, policy: ALLOW_ALL },
        },
      },
      { probe: true },
    );
    try {
      await gw.probed;
      const ready = await readyz(gw);
      expect(ready.status).toBe(503);
      expect(ready.body.status).toBe('not ready');
      expect(Object.keys(ready.body.problems)).toEqual(['server:broken']);
      // The cause, and when it is tried again (the backoff: health.retry_max).
      expect(ready.body.problems['server:broken']).toMatch(
        /^could not start server "broken": command not found: \S+ \(is it installed and on PATH\?\) \(failed (once|\d+ times in a row); next attempt in .+ \(at \d{4}-/,
      );
      expect(gw.logs.join('')).toContain('server down');

      // Its endpoint answers initialize with a JSON-RPC error that names the reason.
      const init = await initialize(`${gw.url}/mcp/broken`);
      const error = init.body?.error as { code: number; message: string } | undefined;
      expect(error?.code).toBe(-32003);
      expect(error?.message).toContain(`command not found: ${MISSING_COMMAND}`);

      // The other server is unaffected, and so is the gateway's liveness.
      const s = await McpSession.open(`${gw.url}/mcp/good`);
      expect((await s.callTool('test_simple_text')).body?.result).toEqual(SIMPLE_TEXT_RESULT);
      await s.close();
      expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);

      // Asking again still gives the reason (and does not hang on restart backoff).
      const again = await initialize(`${gw.url}/mcp/broken`);
      expect((again.body?.error as { message?: string } | undefined)?.message).toContain('command not found');
    } finally {
      await gw.close();
    }
  }, 60_000);

  it('a stdio server killed mid-call: the call in flight gets an error naming the exit; the next call works', async () => {
    const gw = await startTestGateway({
      auth: { mode: 'none' },
      servers: { fx: { ...CONFORMANCE_STDIO_COMMAND, policy: ALLOW_ALL, timeout: '30s' } },
    });
    try {
      // The client declares sampling but never answers it, so test_sampling stays in flight.
      const s = await McpSession.open(`${gw.url}/mcp/fx`, {}, { capabilities: { sampling: {} } });
      const [pid] = await until('the stdio fixture process', () => {
        const pids = stdioFixturePids();
        return pids.length === 1 ? pids : undefined;
      });
      const call = s.stream(
        'tools/call',
        { name: 'test_sampling', arguments: { prompt: 'never answered' } },
        40_000,
      );
      // The server's request reached the client: the call is in the middle of its work.
      await call.next('sampling/createMessage', (m) => m.method === 'sampling/createMessage');
      process.kill(pid as number, 'SIGKILL');

      const reply = await call.finished;
      expect(reply.status).toBe(200);
      const error = reply.body?.error as { code: number; message: string } | undefined;
      // It died while handling the call: it may have run it, so the error says so (F7).
      expect(error?.code).toBe(-32004);
      expect(error?.message).toBe(
        'server "fx" was killed by SIGKILL while handling this request; toolgate restarts it on the next request. The server may have run this request: check its effect before sending it again',
      );
      expect((error as { data?: unknown }).data).toEqual({ outcome: 'unknown' });

      // The next call restarts the server, replays initialize, and works.
      const next = await s.callTool('test_simple_text', {}, { timeoutMs: 30_000 });
      expect(next.body?.result).toEqual(SIMPLE_TEXT_RESULT);
      const pids = stdioFixturePids();
      expect(pids).toHaveLength(1);
      expect(pids[0]).not.toBe(pid);
      expect(gw.logs.join('')).toContain('replaying initialize after restart');
      const methods = stdioRecords(gw, 'fx').map((r) => r.method);
      expect(methods).toEqual([
        'initialize',
        'notifications/initialized',
        'tools/list', // the gateway reads the tool list before the first call is decided
        'tools/call',
        'initialize', // the restarted server gets the client's handshake again
        'notifications/initialized',
        'tools/call',
      ]);
      await s.close();
    } finally {
      await gw.close();
    }
    expect(stdioFixturePids()).toEqual([]); // nothing left behind
  }, 90_000);

  it('an HTTP server that is down: reported with the reason, calls fail clearly, and it recovers once it is up', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/mcp`;
    const gw = await startTestGateway(
      {
        auth: { mode: 'none' },
        servers: { down: { url, policy: ALLOW_ALL }, good: { url: fixture.url, policy: ALLOW_ALL } },
      },
      { probe: true },
    );
    let late: ConformanceServerHandle | undefined;
    try {
      await gw.probed;
      const ready = await readyz(gw);
      expect(ready.status).toBe(503);
      expect(Object.keys(ready.body.problems)).toEqual(['server:down']);
      expect(ready.body.problems['server:down']).toMatch(/^server "down" .*ECONNREFUSED/);

      const init = await initialize(`${gw.url}/mcp/down`);
      const error = init.body?.error as { code: number; message: string } | undefined;
      expect(error?.code).toBe(-32003);
      expect(error?.message).toMatch(/server "down"/);
      expect(error?.message).toContain(`ECONNREFUSED 127.0.0.1:${port}`); // the cause, not just "fetch failed"

      const s = await McpSession.open(`${gw.url}/mcp/good`);
      expect((await s.callTool('test_simple_text')).body?.result).toEqual(SIMPLE_TEXT_RESULT);
      await s.close();

      // Once the server is up, a new session through the gateway works.
      late = await startConformanceServer({ port });
      const recovered = await McpSession.open(`${gw.url}/mcp/down`);
      expect((await recovered.callTool('test_simple_text')).body?.result).toEqual(SIMPLE_TEXT_RESULT);
      await recovered.close();
    } finally {
      await gw.close();
      await late?.close();
    }
  }, 60_000);
});
