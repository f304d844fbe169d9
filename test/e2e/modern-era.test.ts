import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModernServer } from '../fixtures/servers/modern-server.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

// 2026-07-28 clients through the gateway to a 2026-07-28 upstream: stateless requests pass
// through, and the policy still decides every call from the body.
describe('2026-07-28 era, client and server', () => {
  let upstream: Awaited<ReturnType<typeof startModernServer>>;
  let gw: TestGateway;

  beforeAll(async () => {
    upstream = await startModernServer();
    gw = await startTestGateway({
      auth: { mode: 'none' },
      servers: {
        modern: {
          url: upstream.url,
          policy: {
            version: '1',
            default: 'allow',
            hide: ['internal'],
            tools: { wipe: { deny: true, reason: 'wiping is not allowed' } },
          },
        },
      },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  async function connect(pin: '2026-07-28' | '2025-11-25'): Promise<Client> {
    const client = new Client(
      { name: 'era-test', version: '1' },
      pin === '2026-07-28' ? { versionNegotiation: { mode: { pin } } } : {},
    );
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp/modern`)));
    return client;
  }

  it('negotiates 2026-07-28 through the gateway and relays list and call', async () => {
    const client = await connect('2026-07-28');
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name).sort();
      expect(tools).toEqual(['add']); // `internal` hidden, `wipe` denied whatever its arguments
      const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } });
      expect(result.content).toEqual([{ type: 'text', text: '42' }]);
    } finally {
      await client.close();
    }
  });

  it('answers a denied call with a 2026-shaped result and never forwards it', async () => {
    const client = await connect('2026-07-28');
    try {
      const before = upstream.calls.length;
      const result = await client.callTool({ name: 'wipe', arguments: {} });
      expect(result.isError).toBe(true);
      expect(result.content).toEqual([{ type: 'text', text: '[POLICY DENIED] wiping is not allowed' }]);
      const hidden = await client.callTool({ name: 'internal', arguments: {} });
      expect(hidden.isError).toBe(true);
      expect(JSON.stringify(hidden.content)).toContain('internal not found');
      expect(upstream.calls.slice(before)).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('rejects a request whose Mcp-Name header disagrees with the body (400)', async () => {
    const res = await fetch(`${gw.url}/mcp/modern`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'add',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: {
          name: 'wipe',
          arguments: {},
          _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' },
        },
      }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: number; message: string } };
    expect(body.error.code).toBe(-32020);
    expect(body.error.message).toMatch(/Mcp-Name/);
    expect(upstream.calls).not.toContain('wipe');
  });

  it('still serves a 2025-era client on the same endpoint', async () => {
    const client = await connect('2025-11-25');
    try {
      const result = await client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
      expect(result.content).toEqual([{ type: 'text', text: '2' }]);
    } finally {
      await client.close();
    }
  });
});
