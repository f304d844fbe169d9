/**
 * Issue 14 part 5 (F11), health is the server's: a `ping` nested 100,000 arrays deep made the
 * gateway log "server down" (the stack overflowed while encoding it, and the send error was taken
 * for a dead server): /readyz 503 and toolgate_upstream_up 0 while the server was healthy. Now the
 * front ends refuse messages nested too deeply, and a message that cannot be encoded is its
 * sender's error, never a server outage.
 */
import { PassThrough } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonRpcMessage } from '../../src/mcp/jsonrpc.js';
import { OPEN_GATE } from '../../src/proxy/gate.js';
import { ClientSession } from '../../src/proxy/session.js';
import { serveStdio } from '../../src/proxy/stdio-frontend.js';
import { UpstreamLink } from '../../src/upstream/link.js';
import { MAX_JSON_DEPTH } from '../../src/util/json-depth.js';
import { type RawMcpServer, startRawMcpServer } from '../fixtures/servers/raw-http-mcp.js';
import { CONFORMANCE_STDIO_COMMAND } from '../support/conformance-fixture.js';
import { ALLOW_ALL, startTestGateway, type TestGateway } from '../support/gateway.js';
import { McpSession, post, resultText, rpcError, until } from '../support/mcp-http.js';

let upstream: RawMcpServer | undefined;
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  await upstream?.close();
  upstream = undefined;
});

const TOOLS = {
  count: (args: Record<string, unknown>) => ({ text: `counted ${String(args.n)}` }),
  // A hostile server: its result hides 100,000 nested arrays.
  deep: () => ({ resultJson: `{"content":[{"type":"text","text":"x"}],"extra":${nestedText(100_000)}}` }),
};

/** `[[[...]]]` nested `levels` deep, as text (building it as a value and stringifying it would overflow). */
const nestedText = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const deepPing = (id: number, levels: number) =>
  `{"jsonrpc":"2.0","id":${id},"method":"ping","params":{"x":${nestedText(levels)}}}`;

function deepValue(levels: number): unknown {
  let v: unknown = [];
  for (let i = 1; i < levels; i++) v = [v];
  return v;
}

async function readyz(gw: TestGateway): Promise<number> {
  return (await fetch(`${gw.url}/readyz`, { signal: AbortSignal.timeout(10_000) })).status;
}

async function upGauge(gw: TestGateway, server: string): Promise<number | undefined> {
  const text = await (await gw.adminFetch('/metrics', { signal: AbortSignal.timeout(10_000) })).text();
  const m = new RegExp(`^toolgate_upstream_up\\{server="${server}"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

const silent = pino({ level: 'silent' });

function healthRecorder() {
  const down: string[] = [];
  return { down, health: { answered: () => {}, unreachable: (_s: string, why: string) => down.push(why) } };
}

describe('a deeply nested request from one client (F11)', () => {
  it('is refused with -32600 while /readyz stays 200, the gauge stays 1 and other clients work', async () => {
    upstream = await startRawMcpServer(TOOLS);
    gw = await startTestGateway(
      {
        auth: { mode: 'none' },
        health: { probe_interval: '300ms' },
        servers: { bank: { url: upstream.url, policy: ALLOW_ALL } },
      },
      { probe: true },
    );
    await gw.probed;
    const hostile = await McpSession.open(`${gw.url}/mcp/bank`);
    const other = await McpSession.open(`${gw.url}/mcp/bank`);
    const headers = hostile.sessionHeaders;
    const statuses: number[] = [];
    const gauges: Array<number | undefined> = [];
    for (let i = 0; i < 40; i++) {
      const reply = await post(`${gw.url}/mcp/bank`, deepPing(1000 + i, 100_000), { headers });
      expect(reply.status).toBe(400);
      expect(rpcError(reply)).toEqual({
        code: -32600,
        message: `Invalid Request: the message is nested more than ${MAX_JSON_DEPTH} levels deep; the gateway accepts at most ${MAX_JSON_DEPTH} levels of objects and arrays`,
      });
      statuses.push(await readyz(gw));
      gauges.push(await upGauge(gw, 'bank'));
      if (i % 4 === 0) {
        const ok = await other.request('tools/call', { name: 'count', arguments: { n: i } });
        expect(resultText(ok)).toBe(`counted ${i}`);
      }
    }
    expect(statuses).toEqual(Array(40).fill(200));
    expect(gauges).toEqual(Array(40).fill(1));
    expect(gw.logs.join('')).not.toContain('server down');

    // Within the bound, nesting is fine: the same client's ping 60 levels deep goes through.
    const fine = await post(`${gw.url}/mcp/bank`, deepPing(2000, MAX_JSON_DEPTH - 4), { headers });
    expect(fine.status).toBe(200);
    expect(fine.body?.result).toEqual({});
    // None of the refused pings reached the server; the accepted one did.
    expect(upstream.executions.filter((e) => e === 'ping')).toEqual(['ping']);
  }, 60_000);

  it('past the edge, a message that cannot be encoded is the sender’s error: the server stays up (HTTP and stdio)', async () => {
    upstream = await startRawMcpServer(TOOLS);
    const servers = {
      http: { url: upstream.url, headers: {}, transport: 'streamable-http' as const },
      stdio: { ...CONFORMANCE_STDIO_COMMAND, env: {} },
    };
    for (const [name, cfg] of Object.entries(servers)) {
      const { down, health } = healthRecorder();
      const hooks = {
        onServerRequest: () => {},
        onServerNotification: () => {},
        onProgress: () => {},
        health,
      };
      const link = new UpstreamLink(
        name,
        { shared: false, on_backend_error: 'deny', timeout: 20_000, passthrough_methods: [], ...cfg },
        hooks,
        silent,
      );
      try {
        const init = await link.initializeWith({
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'nested-test', version: '1' },
        });
        expect('result' in init).toBe(true);
        const res = await link.request('ping', { x: deepValue(100_000) }, undefined);
        expect('error' in res && res.error).toEqual({
          code: -32600,
          message: expect.stringMatching(
            /^Invalid Request: the message cannot be encoded as JSON: Maximum call stack/,
          ),
        });
        expect(down).toEqual([]);
        expect(link.isUp).toBe(true);
        const ping = await link.request('ping', {}, undefined);
        expect('result' in ping).toBe(true);
      } finally {
        await link.close();
      }
    }
  }, 60_000);

  it('the stdio front end refuses a deeply nested line and goes on serving', async () => {
    upstream = await startRawMcpServer(TOOLS);
    const { down, health } = healthRecorder();
    const session = new ClientSession({
      id: 'stdio',
      scope: 'local\n*',
      caller: { grant: 'local', sessionId: 'stdio' },
      servers: new Map([
        [
          'bank',
          {
            url: upstream.url,
            headers: {},
            transport: 'streamable-http' as const,
            shared: false,
            on_backend_error: 'deny' as const,
            passthrough_methods: [],
            timeout: 20_000,
          },
        ],
      ]),
      aggregate: false,
      separator: '__',
      gate: OPEN_GATE,
      log: silent,
      linkHealth: health,
    });
    const input = new PassThrough();
    const output = new PassThrough();
    const out: JsonRpcMessage[] = [];
    let buffered = '';
    output.on('data', (c: Buffer) => {
      buffered += c.toString('utf8');
      let nl = buffered.indexOf('\n');
      while (nl >= 0) {
        out.push(JSON.parse(buffered.slice(0, nl)));
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf('\n');
      }
    });
    const served = serveStdio(session, input, output);
    try {
      input.write(`${deepPing(1, 100_000)}\n`);
      input.write(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' })}\n`);
      await until('both answers', () => (out.length >= 2 ? true : undefined), 20_000, 10);
      expect(out[0]).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32600,
          message: `Invalid Request: the message is nested more than ${MAX_JSON_DEPTH} levels deep; the gateway accepts at most ${MAX_JSON_DEPTH} levels of objects and arrays`,
        },
      });
      expect(out[1]).toEqual({ jsonrpc: '2.0', id: 2, result: {} });
      expect(down).toEqual([]);
      expect(upstream.executions).toEqual(['ping']);
    } finally {
      input.end();
      await served;
      await session.close();
    }
  }, 30_000);

  it('a server answering with a deeply nested result: that call gets an error, the gateway and the server stay up', async () => {
    upstream = await startRawMcpServer(TOOLS);
    gw = await startTestGateway(
      { auth: { mode: 'none' }, servers: { bank: { url: upstream.url, policy: ALLOW_ALL } } },
      { probe: true },
    );
    await gw.probed;
    const s = await McpSession.open(`${gw.url}/mcp/bank`);
    const reply = await s.request('tools/call', { name: 'deep', arguments: {} });
    expect(rpcError(reply)).toEqual({
      code: -32003,
      message: `server "bank" sent a message nested more than ${4 * MAX_JSON_DEPTH} levels deep; the gateway does not relay it`,
    });
    expect(resultText(await s.request('tools/call', { name: 'count', arguments: { n: 1 } }))).toBe(
      'counted 1',
    );
    expect(await readyz(gw)).toBe(200);
    expect(await upGauge(gw, 'bank')).toBe(1);
  }, 30_000);
});
