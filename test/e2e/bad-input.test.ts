/**
 * Bad input at the HTTP front end: each gets a clear error (status, JSON-RPC code, a message that
 * says what to do), and the gateway keeps serving: a normal call succeeds right after each one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConformanceServerHandle,
  startConformanceServer,
} from '../fixtures/servers/conformance-server.js';
import { ALLOW_ALL, startTestGateway, type TestGateway } from '../support/gateway.js';
import { McpSession, SIMPLE_TEXT_RESULT } from '../support/mcp-http.js';
import { type RawRequest, type RawResponse, rawRequest } from '../support/raw-http.js';

const TOKEN = 'tg_badinput_e2e_token_0123456789abcdefghijklmnopqrstu';
const AUTH = { authorization: `Bearer ${TOKEN}` };

function rpcError(r: RawResponse): { code?: number; message?: string } {
  return (r.json?.error ?? {}) as { code?: number; message?: string };
}

describe('bad input at the HTTP front end', () => {
  let fixture: ConformanceServerHandle;
  let gw: TestGateway;
  let session: McpSession;

  const send = (r: RawRequest) => rawRequest(gw.url, { ...r, headers: { ...AUTH, ...r.headers } });

  /** The gateway still serves: a normal call on an existing session, and a brand-new session. */
  async function stillServing(): Promise<void> {
    const reply = await session.callTool('test_simple_text');
    expect(reply.status).toBe(200);
    expect(reply.body?.result).toEqual(SIMPLE_TEXT_RESULT);
    const fresh = await McpSession.open(`${gw.url}/mcp/a`, AUTH);
    expect((await fresh.callTool('test_simple_text')).body?.result).toEqual(SIMPLE_TEXT_RESULT);
    await fresh.close();
  }

  beforeAll(async () => {
    fixture = await startConformanceServer();
    gw = await startTestGateway(
      {
        servers: { a: { url: fixture.url, policy: ALLOW_ALL }, b: { url: fixture.url, policy: ALLOW_ALL } },
        grants: [{ name: 'agent', servers: ['a'], token_env: 'BAD_INPUT_AGENT_TOKEN' }],
      },
      { env: { ...process.env, BAD_INPUT_AGENT_TOKEN: TOKEN } },
    );
    session = await McpSession.open(`${gw.url}/mcp/a`, AUTH);
  }, 60_000);

  afterAll(async () => {
    await session?.close();
    await gw?.close();
    await fixture?.close();
  });

  it('malformed JSON: 400 with -32700', async () => {
    const r = await send({
      path: '/mcp/a',
      body: '{"jsonrpc":"2.0","id":1,"method":',
      headers: session.sessionHeaders,
    });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    expect(rpcError(r).message).toMatch(/^Parse error/);
    await stillServing();
  });

  it('a JSON-RPC batch: 400 with -32600 saying batches are not supported', async () => {
    const batch = [
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', id: 2, method: 'ping' },
    ];
    const r = await send({ path: '/mcp/a', body: JSON.stringify(batch), headers: session.sessionHeaders });
    expect(r.status).toBe(400);
    expect(rpcError(r).code).toBe(-32600);
    expect(rpcError(r).message).toMatch(/batch/i);
    await stillServing();
  });

  it.each([
    ['a number', '42'],
    ['a string', '"tools/call"'],
    ['null', 'null'],
  ])('a non-object body (%s): 400 with -32600', async (_what, body) => {
    const r = await send({ path: '/mcp/a', body, headers: session.sessionHeaders });
    expect(r.status).toBe(400);
    expect(rpcError(r).code).toBe(-32600);
    expect(rpcError(r).message).toMatch(/must be an object/);
    await stillServing();
  });

  it('a message without jsonrpc: 400 with -32600, echoing the id', async () => {
    const r = await send({
      path: '/mcp/a',
      body: JSON.stringify({ id: 7, method: 'tools/call', params: { name: 'test_simple_text' } }),
      headers: session.sessionHeaders,
    });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ id: 7, error: { code: -32600 } });
    expect(rpcError(r).message).toMatch(/jsonrpc must be "2\.0"/);
    await stillServing();
  });

  it('a body over the default 4 MiB limit: 413, declared or streamed', async () => {
    const big = `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"${'x'.repeat(4 * 1024 * 1024)}"}}`;
    const declared = await send({ path: '/mcp/a', body: big, headers: session.sessionHeaders });
    expect(declared.status).toBe(413);
    expect(rpcError(declared).message).toMatch(/larger than 4194304 bytes.*listen\.max_body/);
    const streamed = await send({
      path: '/mcp/a',
      body: big,
      chunked: true,
      headers: session.sessionHeaders,
    });
    expect(streamed.status).toBe(413);
    // Just under the limit is fine (the fixture answers ping with {}).
    const under = `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"${'x'.repeat(4 * 1024 * 1024 - 200)}"}}`;
    const ok = await send({ path: '/mcp/a', body: under, headers: session.sessionHeaders });
    expect(ok.status).toBe(200);
    await stillServing();
  }, 60_000);

  it('a configured small listen.max_body: 413 above it, normal calls below it still work', async () => {
    const small = await startTestGateway({
      auth: { mode: 'none' },
      listen: { host: '127.0.0.1', port: 0, max_body: 2048 },
      servers: { a: { url: fixture.url, policy: ALLOW_ALL } },
    });
    try {
      const s = await McpSession.open(`${small.url}/mcp/a`);
      const r = await rawRequest(small.url, {
        path: '/mcp/a',
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 9,
          method: 'tools/call',
          params: { name: 'x'.repeat(3000) },
        }),
        headers: s.sessionHeaders,
      });
      expect(r.status).toBe(413);
      expect(rpcError(r).message).toMatch(/larger than 2048 bytes/);
      expect((await s.callTool('test_simple_text')).body?.result).toEqual(SIMPLE_TEXT_RESULT);
      await s.close();
    } finally {
      await small.close();
    }
  });

  it('a missing or wrong token: 401 with WWW-Authenticate', async () => {
    for (const authorization of [undefined, 'Bearer tg_wrong_token', 'Basic dXNlcjpwYXNz']) {
      const r = await rawRequest(gw.url, {
        path: '/mcp/a',
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
        headers: authorization ? { authorization } : {},
      });
      expect(r.status).toBe(401);
      expect(String(r.headers['www-authenticate'])).toMatch(/^Bearer realm="toolgate"/);
      expect(rpcError(r).message).toMatch(/^Unauthorized: /);
    }
    await stillServing();
  });

  it('a grant used for a server it does not cover: 403', async () => {
    const r = await send({ path: '/mcp/b', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) });
    expect(r.status).toBe(403);
    expect(rpcError(r).message).toBe('Forbidden: grant "agent" may not use server "b"');
    await stillServing();
  });

  it("an unknown server: 401 without a token (no server names), else 404 naming only the grant's servers", async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const anonymous = await rawRequest(gw.url, { path: '/mcp/nope', body });
    expect(anonymous.status).toBe(401);
    expect(anonymous.text).not.toMatch(/\ba\b.*\bb\b|configured/);
    const r = await send({ path: '/mcp/nope', body });
    expect(r.status).toBe(404);
    // The grant may use `a` only: `b` is never named to it.
    expect(rpcError(r).message).toBe('unknown server "nope"; this grant may use: a');
    await stillServing();
  });

  it('a malformed percent-escape in the server name: 400, not 500', async () => {
    const r = await send({
      path: '/mcp/%E0%A4%A',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(r.status).toBe(400);
    expect(rpcError(r).message).toMatch(/percent-encoding/);
    await stillServing();
  });

  it('ids that JSON cannot carry exactly (1e309, 2^60, 1.5): -32600, never answered under another id', async () => {
    for (const id of ['1e309', '1152921504606846976', '1.5']) {
      const r = await send({
        path: '/mcp/a',
        body: `{"jsonrpc":"2.0","id":${id},"method":"initialize","params":{}}`,
      });
      expect(r.status).toBe(400);
      expect(rpcError(r).code).toBe(-32600);
      expect(rpcError(r).message).toMatch(/id must be a string or an integer/);
    }
    await stillServing();
  });

  it('an unknown session id: 404 with -32001 (the client re-initializes)', async () => {
    const r = await send({
      path: '/mcp/a',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      headers: { 'mcp-session-id': 'deadbeef', 'mcp-protocol-version': '2025-11-25' },
    });
    expect(r.status).toBe(404);
    expect(rpcError(r).code).toBe(-32001);
    expect(rpcError(r).message).toMatch(/Session not found/);
    // GET and DELETE for an unknown session answer the same.
    for (const method of ['GET', 'DELETE']) {
      const other = await send({
        method,
        path: '/mcp/a',
        headers: { 'mcp-session-id': 'deadbeef', accept: 'text/event-stream' },
      });
      expect(other.status).toBe(404);
    }
    await stillServing();
  });

  it('a request without a session: 400', async () => {
    const r = await send({
      path: '/mcp/a',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(r.status).toBe(400);
    expect(rpcError(r).message).toMatch(/Mcp-Session-Id header is required/);
    await stillServing();
  });

  it('a bad Host and a bad Origin (DNS rebinding): 403 before anything else', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const host = await send({
      path: '/mcp/a',
      body,
      headers: { ...session.sessionHeaders, host: 'evil.example.com' },
    });
    expect(host.status).toBe(403);
    expect(rpcError(host).message).toMatch(/Host "evil\.example\.com" is not allowed/);
    const origin = await send({
      path: '/mcp/a',
      body,
      headers: { ...session.sessionHeaders, origin: 'http://evil.example.com' },
    });
    expect(origin.status).toBe(403);
    expect(rpcError(origin).message).toMatch(/Origin "http:\/\/evil\.example\.com" is not allowed/);
    // A loopback Origin is fine.
    const local = await send({
      path: '/mcp/a',
      body,
      headers: { ...session.sessionHeaders, origin: `http://localhost:${gw.port}` },
    });
    expect(local.status).toBe(200);
    await stillServing();
  });

  it('a 2026-style header that disagrees with the body: 400 with -32020; the upstream never sees it', async () => {
    const before = fixture.log.count('tools/call');
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: {
        name: 'test_simple_text',
        arguments: {},
        _meta: {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    });
    const v26 = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call' };
    const wrongName = await send({
      path: '/mcp/a',
      body,
      headers: { ...v26, 'mcp-name': 'test_image_content' },
    });
    expect(wrongName.status).toBe(400);
    expect(rpcError(wrongName).code).toBe(-32020);
    expect(rpcError(wrongName).message).toMatch(/Mcp-Name header does not match/);
    const wrongMethod = await send({
      path: '/mcp/a',
      body,
      headers: { ...v26, 'mcp-method': 'tools/list', 'mcp-name': 'test_simple_text' },
    });
    expect(wrongMethod.status).toBe(400);
    expect(rpcError(wrongMethod).code).toBe(-32020);
    const wrongVersion = await send({
      path: '/mcp/a',
      body,
      headers: { ...v26, 'mcp-protocol-version': '2025-11-25', 'mcp-name': 'test_simple_text' },
    });
    expect(wrongVersion.status).toBe(400);
    expect(rpcError(wrongVersion).code).toBe(-32020);
    expect(fixture.log.count('tools/call')).toBe(before);
    await stillServing();
  });

  it('a tool name over 1024 characters: answered as unknown without echoing it, never forwarded', async () => {
    // Policies match names against globs, which backtrack quadratically on a long name; a 3 MB
    // name on a session that never listed tools (so the name cannot be checked against a list)
    // must not reach the policy, the audit in full, or the upstream.
    const before = fixture.log.count('tools/call');
    const fresh = await McpSession.open(`${gw.url}/mcp/a`, AUTH);
    const name = `delete_${'x'.repeat(3_000_000)}`;
    const reply = await fresh.callTool(name);
    expect(reply.status).toBe(200);
    const result = reply.body?.result as { isError?: boolean; content?: { text?: string }[] };
    expect(result.isError).toBe(true);
    const text = result.content?.[0]?.text ?? '';
    expect(text).toMatch(/not found/);
    expect(text).toContain('(3000007 characters)');
    expect(text.length).toBeLessThan(500);
    expect(fixture.log.count('tools/call')).toBe(before);
    await fresh.close();
    await stillServing();
  });

  it('an unsupported MCP-Protocol-Version: 400 naming the supported ones', async () => {
    const r = await send({
      path: '/mcp/a',
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      headers: { ...session.sessionHeaders, 'mcp-protocol-version': '1999-01-01' },
    });
    expect(r.status).toBe(400);
    expect(rpcError(r).message).toMatch(
      /unsupported MCP-Protocol-Version 1999-01-01; supported: .*2025-11-25/,
    );
    await stillServing();
  });
});
