/**
 * Issue 15 on the aggregate `/mcp`: what it negotiates with several servers behind it (the newest
 * version every one of them speaks), the same identity and instructions in `initialize` and
 * `server/discover`, and list results complete for a 2026-07-28 client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EraServerHandle,
  startLegacyEraServer,
  startModernEraServer,
} from '../fixtures/servers/era-server.js';
import { ALLOW_ALL, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type ClientEra, connectEra, type EraClient } from '../support/parity-clients.js';

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
};

describe('aggregate /mcp across eras', () => {
  const upstreams: EraServerHandle[] = [];
  const gateways: TestGateway[] = [];
  let modern: TestGateway; // a, b: both 2026
  let mixed: TestGateway; // a: 2026, old: 2025
  let offered: TestGateway; // the same, old with offer_2026
  const open: EraClient[] = [];

  const connect = async (era: ClientEra, gw: TestGateway) => {
    const c = await connectEra(era, { url: `${gw.url}/mcp` });
    open.push(c);
    return c;
  };

  beforeAll(async () => {
    const [m1, m2, old] = [
      await startModernEraServer(),
      await startModernEraServer(),
      await startLegacyEraServer(),
    ];
    upstreams.push(m1, m2, old);
    const start = async (servers: Record<string, unknown>) => {
      const gw = await startTestGateway({ auth: { mode: 'none' }, servers });
      gateways.push(gw);
      return gw;
    };
    modern = await start({ a: { url: m1.url, policy: ALLOW_ALL }, b: { url: m2.url, policy: ALLOW_ALL } });
    mixed = await start({ a: { url: m1.url, policy: ALLOW_ALL }, old: { url: old.url, policy: ALLOW_ALL } });
    offered = await start({
      a: { url: m1.url, policy: ALLOW_ALL },
      old: { url: old.url, policy: ALLOW_ALL, offer_2026: true },
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(open.map((c) => c.close().catch(() => undefined)));
    for (const gw of gateways) await gw.close();
    for (const u of upstreams) await u.close();
  });

  it('a 2026 client gets complete lists: resultType, ttlMs and cacheScope on every list', async () => {
    for (const [method, key] of [
      ['tools/list', 'tools'],
      ['resources/list', 'resources'],
      ['resources/templates/list', 'resourceTemplates'],
      ['prompts/list', 'prompts'],
    ] as const) {
      const res = await fetch(`${modern.url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': method,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { _meta: ENVELOPE } }),
      });
      const body = (await res.json()) as { result: Record<string, unknown> };
      expect(body.result, method).toMatchObject({ resultType: 'complete', cacheScope: 'private' });
      expect(typeof body.result.ttlMs, method).toBe('number');
      expect(Array.isArray(body.result[key]), method).toBe(true);
    }
    // What the SDK v2 client (which rejects lists without them) makes of it: tools of both servers.
    const client = await connect('v2-2026', modern);
    const { tools } = await client.request('tools/list');
    const names = (tools as { name: string }[]).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['a__add', 'a__wipe', 'b__add', 'b__wipe']));
    expect(names.every((n) => n.startsWith('a__') || n.startsWith('b__'))).toBe(true);
    const sum = await client.callTool('b__add', { a: 2, b: 3 });
    expect(sum.content).toEqual([{ type: 'text', text: '5' }]);
  });

  it('initialize and server/discover on /mcp give the same serverInfo and instructions', async () => {
    const old = await connect('v2-default', modern);
    const neu = await connect('v2-2026', modern);
    expect(old.negotiated()).toBe('2025-11-25');
    expect(neu.negotiated()).toBe('2026-07-28');
    expect(neu.serverInfo()).toEqual(old.serverInfo());
    expect(old.serverInfo()).toMatchObject({ name: 'toolgate', title: 'toolgate (a, b)' });
    expect(neu.instructions()).toBe(old.instructions());
    expect(old.instructions()).toBe(
      '## a\nEra fixture (toolgate tests).\n\n## b\nEra fixture (toolgate tests).',
    );
  });

  it('negotiates the newest version every server behind /mcp speaks', async () => {
    // All 2026: a client that speaks both gets 2026-07-28, as it would from either server.
    expect((await connect('v2-auto', modern)).negotiated()).toBe('2026-07-28');
    // One 2025 server: 2025-11-25 for everybody that can speak it; a 2026-only client is refused.
    expect((await connect('v2-auto', mixed)).negotiated()).toBe('2025-11-25');
    expect((await connect('sdk-v1', mixed)).negotiated()).toBe('2025-11-25');
    await expect(connect('v2-2026', mixed)).rejects.toThrow(/did not offer pinned protocol version/);
    // offer_2026 on the 2025 server: 2026-07-28 offered, and translated for it.
    const both = await connect('v2-auto', offered);
    expect(both.negotiated()).toBe('2026-07-28');
    const { tools } = await both.request('tools/list');
    const names = (tools as { name: string }[]).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['a__add', 'old__add']));
    expect((await both.callTool('old__add', { a: 20, b: 22 })).content).toEqual([
      { type: 'text', text: '42' },
    ]);
  });
});
