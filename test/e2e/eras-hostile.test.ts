/**
 * Issue 15, the attacker's side of negotiation: a client that lies about its protocol version, or
 * sends 2026-only methods on a 2025 session, is refused with a clear error, and nothing it sent
 * reaches the (hostile, lenient) server, which would run whatever arrived.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostileServer, startHostileServer } from '../fixtures/servers/hostile-http-server.js';
import { ALLOW_ALL, startTestGateway, type TestGateway } from '../support/gateway.js';

const ENVELOPE = (version: string) => ({
  'io.modelcontextprotocol/protocolVersion': version,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'liar', version: '1' },
});

interface Reply {
  id?: unknown;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

describe('eras: a client that lies about its version is refused before the server', () => {
  let hostile: HostileServer;
  let gw: TestGateway;
  let url: string;
  let session: string;
  let seen: number;

  const post = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...headers,
      },
      body: JSON.stringify({ jsonrpc: '2.0', ...body }),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: (text ? JSON.parse(text) : {}) as Reply,
    };
  };
  const call = { id: 7, method: 'tools/call', params: { name: 'delete_all', arguments: {} } };

  beforeAll(async () => {
    hostile = await startHostileServer();
    gw = await startTestGateway({
      auth: { mode: 'none' },
      servers: { h: { url: hostile.url, policy: ALLOW_ALL } },
    });
    url = `${gw.url}/mcp/h`;
    // A client that asks for 2026-07-28 in a 2025 handshake gets what the server answers.
    const init = await post({
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2026-07-28', capabilities: {}, clientInfo: { name: 'liar', version: '1' } },
    });
    expect(init.body.result?.protocolVersion).toBe('2025-11-25');
    session = init.headers.get('mcp-session-id') ?? '';
    expect(session).not.toBe('');
    await post({ method: 'notifications/initialized' }, { 'mcp-session-id': session });
    seen = hostile.received.length;
  });

  afterAll(async () => {
    await gw?.close();
    await hostile?.close();
  });

  it('2026-only methods on a 2025 session: -32601 that names the era, never relayed', async () => {
    for (const method of ['server/discover', 'subscriptions/listen', 'tasks/update']) {
      const res = await post({ id: 2, method, params: {} }, { 'mcp-session-id': session });
      expect(res.body.error?.code, method).toBe(-32601);
      expect(res.body.error?.message).toBe(
        `Method not found: ${method} (a 2026-07-28 method; this session negotiated 2025-11-25)`,
      );
    }
    expect(hostile.received.slice(seen)).toEqual([]);
  });

  it('a 2026-07-28 header or envelope on a 2025 session: 400, -32022, naming the negotiated version', async () => {
    const headers = { 'mcp-session-id': session };
    const byHeader = await post(call, { ...headers, 'mcp-protocol-version': '2026-07-28' });
    const byEnvelope = await post(
      { ...call, params: { ...call.params, _meta: ENVELOPE('2026-07-28') } },
      headers,
    );
    for (const res of [byHeader, byEnvelope]) {
      expect(res.status).toBe(400);
      expect(res.body.id).toBe(7);
      expect(res.body.error?.code).toBe(-32022);
      expect(res.body.error?.message).toContain('this session negotiated 2025-11-25 at initialize');
      expect(res.body.error?.data).toEqual({ supported: ['2025-11-25'], requested: '2026-07-28' });
    }
    expect(hostile.executions).toEqual([]);
    expect(hostile.received.slice(seen)).toEqual([]);
  });

  it('a stateless request whose envelope names a 2025 revision: 400, -32022, no session, nothing relayed', async () => {
    for (const version of ['2025-11-25', '2099-01-01']) {
      const res = await post(
        { ...call, params: { ...call.params, _meta: ENVELOPE(version) } },
        { 'mcp-protocol-version': version, 'mcp-method': 'tools/call', 'mcp-name': 'delete_all' },
      );
      expect(res.status, version).toBe(400);
      expect(res.body.error?.code).toBe(-32022);
    }
    const lie = await post(
      { ...call, params: { ...call.params, _meta: ENVELOPE('2025-11-25') } },
      { 'mcp-method': 'tools/call', 'mcp-name': 'delete_all' },
    );
    expect(lie.body.error?.message).toContain('2025-era clients send initialize');
    expect(lie.body.error?.data).toEqual({ supported: ['2026-07-28'], requested: '2025-11-25' });
    expect(hostile.executions).toEqual([]);
    expect(hostile.received.slice(seen)).toEqual([]);
  });

  it('server/discover for a 2025 server: refused as the server would (-32601, 404), with what to do', async () => {
    const res = await post(
      { id: 3, method: 'server/discover', params: { _meta: ENVELOPE('2026-07-28') } },
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'server/discover' },
    );
    expect(res.status).toBe(404);
    expect(res.body.id).toBe(3);
    expect(res.body.error?.code).toBe(-32601);
    expect(res.body.error?.message).toContain('server "h" speaks 2025-era MCP only: send initialize');
    expect(res.body.error?.message).toContain('offer_2026: true');
    // The era probe asked once, before; the client's discover itself never reached the server.
    expect(hostile.received.slice(seen)).toEqual([]);
  });

  it('removed 2025 methods sent stateless are 404, never relayed', async () => {
    for (const method of ['ping', 'logging/setLevel', 'resources/subscribe']) {
      const res = await post(
        { id: 4, method, params: { level: 'debug', uri: 'x://y', _meta: ENVELOPE('2026-07-28') } },
        { 'mcp-protocol-version': '2026-07-28', 'mcp-method': method },
      );
      expect(res.status, method).toBe(404);
      expect(res.body.error?.message).toBe(`Method not found: ${method} (removed in 2026-07-28)`);
    }
    expect(hostile.received.slice(seen)).toEqual([]);
  });
});
