/**
 * Issue 14 part 6 (F12), fair shares: one grant filled sessions.max and locked every other grant
 * out, and sessions of clients that never close lived 10 minutes. Now each grant has a cap
 * (grants[].max_sessions, else sessions.max_per_grant), a session that sent nothing after
 * initialize is reaped after sessions.idle_timeout_unused, and /metrics shows sessions per grant
 * and what they cost in memory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type RawMcpServer, startRawMcpServer } from '../fixtures/servers/raw-http-mcp.js';
import { CONFORMANCE_STDIO_COMMAND } from '../support/conformance-fixture.js';
import { ALLOW_ALL, startTestGateway, type TestGateway } from '../support/gateway.js';
import {
  CLIENT_INFO,
  McpSession,
  PROTOCOL_VERSION,
  post,
  resultText,
  rpcError,
  until,
} from '../support/mcp-http.js';

const TOKENS = { TG_SHARE_A: 'token-for-grant-a-0123456789', TG_SHARE_B: 'token-for-grant-b-0123456789' };
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const A = bearer(TOKENS.TG_SHARE_A);
const B = bearer(TOKENS.TG_SHARE_B);

let upstream: RawMcpServer | undefined;
let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
  await upstream?.close();
  upstream = undefined;
});

async function start(sessions: Record<string, unknown>, grantA: Record<string, unknown> = {}) {
  upstream = await startRawMcpServer({ count: (args) => ({ text: `counted ${String(args.n)}` }) });
  gw = await startTestGateway(
    {
      sessions,
      servers: { bank: { url: upstream.url, policy: ALLOW_ALL } },
      grants: [
        { name: 'a', servers: ['bank'], token_env: 'TG_SHARE_A', ...grantA },
        { name: 'b', servers: ['bank'], token_env: 'TG_SHARE_B' },
      ],
    },
    { env: { ...process.env, ...TOKENS } },
  );
  return gw;
}

/** A bare initialize with these headers: its status and error show whether a session was admitted. */
const initialize = (url: string, headers: Record<string, string>) =>
  post(
    url,
    {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: CLIENT_INFO },
    },
    { headers },
  );

async function metric(gw: TestGateway, name: string): Promise<string[]> {
  const text = await (await gw.adminFetch('/metrics', { signal: AbortSignal.timeout(10_000) })).text();
  return text.split('\n').filter((l) => l.startsWith(name));
}

describe('session fair shares (F12)', () => {
  it('a grant at its max_sessions is refused with 429 naming its cap, while another grant opens sessions', async () => {
    const gw = await start({ max: 20 }, { max_sessions: 2 });
    const url = `${gw.url}/mcp/bank`;
    const a1 = await McpSession.open(url, A);
    await McpSession.open(url, A);
    const refused = await initialize(url, A);
    expect(refused.status).toBe(429);
    expect(rpcError(refused)).toEqual({
      code: -32000,
      message:
        'grant "a" already has 2 open sessions, its limit (max_sessions = 2); close sessions it no longer uses (HTTP DELETE) or retry later',
    });
    expect(refused.headers.get('mcp-session-id')).toBeNull();

    // Grant b is not locked out, and works.
    const b1 = await McpSession.open(url, B);
    expect(resultText(await b1.request('tools/call', { name: 'count', arguments: { n: 1 } }))).toBe(
      'counted 1',
    );

    // Grant b has no max_sessions: it gets sessions.max_per_grant, by default sessions.max / 4 = 5.
    for (let i = 0; i < 4; i++) await McpSession.open(url, B);
    const bRefused = await initialize(url, B);
    expect(bRefused.status).toBe(429);
    expect(rpcError(bRefused)?.message).toContain(
      'grant "b" already has 5 open sessions, its limit (max_sessions = 5)',
    );

    // Closing one gives grant a its place back.
    await a1.close();
    await McpSession.open(url, A);
    expect(await metric(gw, 'toolgate_sessions_by_grant')).toEqual([
      'toolgate_sessions_by_grant{grant="a"} 2',
      'toolgate_sessions_by_grant{grant="b"} 5',
    ]);
    expect(await metric(gw, 'toolgate_sessions_max ')).toEqual(['toolgate_sessions_max 20']);
    const perSession = await metric(gw, 'toolgate_memory_per_session_bytes ');
    expect(perSession).toHaveLength(1);
    expect(Number(perSession[0]?.split(' ')[1])).toBeGreaterThan(1024 * 1024);
  }, 60_000);

  it('sessions.max still bounds the whole gateway: under its own cap, a grant gets 503 when it is full', async () => {
    const gw = await start({ max: 3, max_per_grant: 2 });
    const url = `${gw.url}/mcp/bank`;
    await McpSession.open(url, A);
    await McpSession.open(url, A);
    await McpSession.open(url, B);
    const full = await initialize(url, B);
    expect(full.status).toBe(503);
    expect(rpcError(full)?.message).toBe('too many sessions (sessions.max = 3); retry later');
  }, 60_000);

  it('a session that sent nothing after initialize is reaped after idle_timeout_unused; a used one stays', async () => {
    const gw = await start({ idle_timeout: '1h', idle_timeout_unused: '1s' });
    const url = `${gw.url}/mcp/bank`;
    const unused = await McpSession.open(url, A);
    const used = await McpSession.open(url, A);
    expect(resultText(await used.request('tools/call', { name: 'count', arguments: { n: 2 } }))).toBe(
      'counted 2',
    );
    const opened = Date.now();
    await until(
      'the unused session to be reaped',
      () => (gw.sessions.get(unused.id) ? undefined : true),
      10_000,
    );
    expect(Date.now() - opened).toBeLessThan(5_000);
    expect(gw.sessions.get(used.id)).toBeDefined();
    expect(resultText(await used.request('tools/call', { name: 'count', arguments: { n: 3 } }))).toBe(
      'counted 3',
    );
    const gone = await unused.request('ping');
    expect(gone.status).toBe(404);
  }, 30_000);

  it('/metrics shows the memory of stdio sessions: their processes and their resident memory', async () => {
    gw = await startTestGateway({
      auth: { mode: 'none' },
      servers: { fx: { ...CONFORMANCE_STDIO_COMMAND, policy: ALLOW_ALL } },
    });
    const s = await McpSession.open(`${gw.url}/mcp/fx`, {}, { timeoutMs: 30_000 });
    const running = await metric(gw, 'toolgate_stdio_servers_running ');
    expect(Number(running[0]?.split(' ')[1])).toBeGreaterThanOrEqual(1);
    const rss = await metric(gw, 'toolgate_stdio_servers_rss_bytes ');
    expect(Number(rss[0]?.split(' ')[1])).toBeGreaterThan(10 * 1024 * 1024);
    const perSession = await metric(gw, 'toolgate_memory_per_session_bytes ');
    expect(Number(perSession[0]?.split(' ')[1])).toBeGreaterThan(Number(rss[0]?.split(' ')[1]));
    await s.close();
  }, 60_000);
});
