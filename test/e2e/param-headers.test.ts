/**
 * SEP-2243 custom headers through toolgate (src/http/param-headers.ts): a 2026-07-28 client (raw
 * fetch, stateless requests) calls tools whose `inputSchema` declares `x-mcp-header`, through the
 * gateway, on 2025 upstreams that never see the headers. The gateway refuses a request whose
 * `Mcp-Param-*` headers disagree with the body (400, -32020, the header named), before any policy
 * and before the upstream; matching requests go through, and policy still decides from the body.
 *
 * Upstreams: the 2025 conformance fixture (`test_custom_headers`, `region` -> `Mcp-Param-Region`) and
 * a small 2025 server of our own with integer, boolean and nested declarations, an invalid
 * declaration and a tool without any. Last, a real 2026 upstream (SDK v2 server, which validates
 * the headers itself): the gateway's own requests to it carry the `Mcp-Param-*` headers.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeParamValue, scanParamHeaders } from '../../src/mcp/param-headers.js';
import {
  type ConformanceServerHandle,
  startConformanceServer,
  startModernConformanceServer,
} from '../fixtures/servers/conformance-server.js';
import { ALLOW_ALL, startTestGateway, type TestGateway } from '../support/gateway.js';

const V = '2026-07-28';
const b64 = (s: string) => `=?base64?${Buffer.from(s, 'utf8').toString('base64')}?=`;

interface Reply {
  status: number;
  body: {
    id?: unknown;
    result?: Record<string, unknown>;
    error?: { code: number; message: string; data?: unknown };
  };
}

let nextId = 1;
/** One stateless 2026 request with the standard headers; `headers` adds (or overrides) the rest. */
async function rpc(
  url: string,
  method: string,
  params: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const envelope = {
    'io.modelcontextprotocol/protocolVersion': V,
    'io.modelcontextprotocol/clientCapabilities': {},
    'io.modelcontextprotocol/clientInfo': { name: 'param-headers-e2e', version: '1.0.0' },
  };
  const name: Record<string, string> = method === 'tools/call' ? { 'mcp-name': String(params.name) } : {};
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': V,
      'mcp-method': method,
      ...name,
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params: { ...params, _meta: envelope } }),
  });
  const text = await res.text();
  // The gateway answers plain JSON unless the upstream sent something first (then SSE).
  const json = (res.headers.get('content-type') ?? '').includes('text/event-stream')
    ? text
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => JSON.parse(l.slice(5)))
        .find((m) => 'result' in m || 'error' in m)
    : JSON.parse(text);
  return { status: res.status, body: json };
}

const call = (
  url: string,
  name: string,
  args: Record<string, unknown>,
  headers: Record<string, string> = {},
) => rpc(url, 'tools/call', { name, arguments: args }, headers);

const resultText = (r: Reply) => (r.body.result?.content as { text: string }[] | undefined)?.[0]?.text;

function expectMismatch(r: Reply, header: string): void {
  expect(r.status).toBe(400);
  expect(r.body.error?.code).toBe(-32020);
  expect(r.body.error?.message).toContain(header);
  expect(r.body.error?.data).toEqual({ header });
  expect(r.body.id).toBeDefined();
}

/** A minimal 2025-era streamable-HTTP server (plain JSON answers) listing `tools`, echoing calls. */
async function startOwnServer(tools: Record<string, unknown>[]) {
  const calls: { name: string; arguments: unknown; headers: IncomingMessage['headers'] }[] = [];
  const http: Server = createServer((req, res) => {
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (req.method === 'GET') return send(405); // no standalone stream
    if (req.method === 'DELETE') return send(200);
    let data = '';
    req.on('data', (c: Buffer) => {
      data += c.toString('utf8');
    });
    req.on('end', () => {
      const msg = JSON.parse(data) as { id?: number; method?: string; params?: Record<string, unknown> };
      if (msg.id === undefined) return send(202);
      const reply = (result: unknown) => send(200, { jsonrpc: '2.0', id: msg.id, result });
      if (msg.method === 'initialize')
        return send(
          200,
          {
            jsonrpc: '2.0',
            id: msg.id,
            result: {
              protocolVersion: '2025-11-25',
              capabilities: { tools: {} },
              serverInfo: { name: 'own-2025', version: '1.0.0' },
            },
          },
          { 'mcp-session-id': 'own-session' },
        );
      if (req.headers['mcp-session-id'] !== 'own-session')
        return send(400, { jsonrpc: '2.0', id: msg.id, error: { code: -32000, message: 'no session' } });
      if (msg.method === 'tools/list') return reply({ tools });
      if (msg.method === 'tools/call') {
        const p = msg.params ?? {};
        calls.push({ name: String(p.name), arguments: p.arguments, headers: req.headers });
        return reply({ content: [{ type: 'text', text: JSON.stringify(p.arguments) }] });
      }
      send(200, { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: 'Method not found' } });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    calls,
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
}

const OWN_TOOLS = [
  {
    name: 'typed',
    inputSchema: {
      type: 'object',
      properties: {
        count: { type: 'integer', 'x-mcp-header': 'Count' },
        dry: { type: 'boolean', 'x-mcp-header': 'Dry-Run' },
        target: { type: 'object', properties: { zone: { type: 'string', 'x-mcp-header': 'Zone' } } },
        note: { type: 'string' },
      },
    },
  },
  {
    // Invalid: a declaration under `items` (not reachable through `properties`). Conforming clients
    // drop the tool; the gateway does not check it (as the SDK server).
    name: 'bad_decl',
    inputSchema: {
      type: 'object',
      properties: { ids: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Id' } } },
    },
  },
  { name: 'plain', inputSchema: { type: 'object', properties: { q: { type: 'string' } } } },
];

describe('Mcp-Param-* headers through toolgate, 2026 client -> 2025 upstreams', () => {
  let fixture: ConformanceServerHandle;
  let own: Awaited<ReturnType<typeof startOwnServer>>;
  let gw: TestGateway;
  let fx: string;
  let mine: string;
  const fixtureCalls = () => fixture.log.count('tools/call', 'test_custom_headers');

  beforeAll(async () => {
    fixture = await startConformanceServer({ stderr: false });
    own = await startOwnServer(OWN_TOOLS);
    gw = await startTestGateway({
      auth: { mode: 'none' },
      servers: {
        fx: {
          url: fixture.url,
          policy: {
            version: '1',
            default: 'allow',
            tools: {
              test_custom_headers: {
                deny_if: [{ path: 'args.region', op: 'eq', value: 'forbidden', reason: 'region forbidden' }],
              },
            },
          },
        },
        hidden: {
          url: fixture.url,
          policy: { version: '1', default: 'allow', hide: ['test_custom_headers'] },
        },
        own: { url: own.url, policy: ALLOW_ALL },
      },
    });
    fx = `${gw.url}/mcp/fx`;
    mine = `${gw.url}/mcp/own`;
    // The declarations come from the tools/list results the gateway relays.
    for (const url of [fx, mine, `${gw.url}/mcp/hidden`]) {
      const list = await rpc(url, 'tools/list', {});
      expect(list.status).toBe(200);
    }
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await fixture?.close();
    await own?.close();
  });

  it('the listed tool keeps its x-mcp-header declaration (the client needs it to send the header)', async () => {
    const list = await rpc(fx, 'tools/list', {});
    const tools = (list.body.result?.tools ?? []) as { name: string; inputSchema: Record<string, unknown> }[];
    const tool = tools.find((t) => t.name === 'test_custom_headers');
    expect(tool?.inputSchema).toMatchObject({ properties: { region: { 'x-mcp-header': 'Region' } } });
  });

  it('a matching header (plain, Base64 sentinel, any name case) goes through to the upstream', async () => {
    const before = fixtureCalls();
    const plain = await call(
      fx,
      'test_custom_headers',
      { region: 'us-west1' },
      { 'Mcp-Param-Region': 'us-west1' },
    );
    expect(plain.status).toBe(200);
    expect(resultText(plain)).toContain('us-west1');
    const encoded = await call(
      fx,
      'test_custom_headers',
      { region: 'Zürich ' },
      { 'Mcp-Param-Region': b64('Zürich ') },
    );
    expect(encoded.status).toBe(200);
    expect(resultText(encoded)).toContain('Zürich ');
    const lower = await call(fx, 'test_custom_headers', { region: 'eu' }, { 'mcp-param-region': 'eu' });
    expect(lower.status).toBe(200);
    // Without the complete `=?base64?...?=` wrapper a value is literal, never decoded.
    const literal = await call(
      fx,
      'test_custom_headers',
      { region: '=?base64?SGk=' },
      { 'Mcp-Param-Region': '=?base64?SGk=' },
    );
    expect(literal.status).toBe(200);
    expect(fixtureCalls() - before).toBe(4);
  });

  it('missing, mismatched or badly encoded header: 400 / -32020 naming it, the upstream never called', async () => {
    const before = fixtureCalls();
    expectMismatch(await call(fx, 'test_custom_headers', { region: 'us-west1' }), 'Mcp-Param-Region');
    expectMismatch(
      await call(fx, 'test_custom_headers', { region: 'us-west1' }, { 'Mcp-Param-Region': 'eu-central1' }),
      'Mcp-Param-Region',
    );
    // Values are case-sensitive.
    expectMismatch(
      await call(fx, 'test_custom_headers', { region: 'us-west1' }, { 'Mcp-Param-Region': 'US-WEST1' }),
      'Mcp-Param-Region',
    );
    // Invalid Base64 padding and a non-alphabet character (the scenario's two cases).
    expectMismatch(
      await call(
        fx,
        'test_custom_headers',
        { region: 'Hello' },
        { 'Mcp-Param-Region': '=?base64?SGVsbG8?=' },
      ),
      'Mcp-Param-Region',
    );
    expectMismatch(
      await call(
        fx,
        'test_custom_headers',
        { region: 'Hello' },
        { 'Mcp-Param-Region': '=?base64?SGVs!!!bG8=?=' },
      ),
      'Mcp-Param-Region',
    );
    // A literal that the sentinel would decode to the body value is still a mismatch the other way.
    expectMismatch(
      await call(fx, 'test_custom_headers', { region: 'SGVsbG8=' }, { 'Mcp-Param-Region': b64('Hello') }),
      'Mcp-Param-Region',
    );
    expect(fixtureCalls()).toBe(before);
  });

  it('policy decides from the body: a matching header cannot smuggle a value past deny_if', async () => {
    const before = fixtureCalls();
    const denied = await call(
      fx,
      'test_custom_headers',
      { region: 'forbidden' },
      { 'Mcp-Param-Region': 'forbidden' },
    );
    expect(denied.status).toBe(200);
    expect(denied.body.result).toMatchObject({ isError: true });
    expect(resultText(denied)).toContain('[POLICY DENIED] region forbidden');
    // A harmless header over a forbidden body never reaches the policy: it is a header mismatch.
    expectMismatch(
      await call(fx, 'test_custom_headers', { region: 'forbidden' }, { 'Mcp-Param-Region': 'us-west1' }),
      'Mcp-Param-Region',
    );
    expect(fixtureCalls()).toBe(before);
  });

  it('integer, boolean and nested declarations; null or absent values expect no header', async () => {
    const before = own.calls.length;
    const ok = await call(
      mine,
      'typed',
      { count: 42, dry: true, target: { zone: 'b' }, note: 'x' },
      { 'Mcp-Param-Count': '42.0', 'Mcp-Param-Dry-Run': 'true', 'Mcp-Param-Zone': 'b' },
    );
    expect(ok.status).toBe(200);
    expect(resultText(ok)).toBe(JSON.stringify({ count: 42, dry: true, target: { zone: 'b' }, note: 'x' }));
    // Absent and null values: no header expected, and a stray one is ignored.
    const none = await call(mine, 'typed', { count: null, note: 'x' }, { 'Mcp-Param-Zone': 'stray' });
    expect(none.status).toBe(200);
    expect(own.calls.length - before).toBe(2);
    // The upstream (2025) gets the body; the client's Mcp-Param headers stay at the gateway.
    expect(Object.keys(own.calls.at(-1)?.headers ?? {}).filter((h) => h.startsWith('mcp-param-'))).toEqual(
      [],
    );

    expectMismatch(await call(mine, 'typed', { count: 42 }, { 'Mcp-Param-Count': '43' }), 'Mcp-Param-Count');
    // Numbers compare as plain decimals only: `0x2a` is not 42.
    expectMismatch(
      await call(mine, 'typed', { count: 42 }, { 'Mcp-Param-Count': '0x2a' }),
      'Mcp-Param-Count',
    );
    expectMismatch(
      await call(mine, 'typed', { dry: false }, { 'Mcp-Param-Dry-Run': 'False' }),
      'Mcp-Param-Dry-Run',
    );
    expectMismatch(await call(mine, 'typed', { target: { zone: 'b' } }), 'Mcp-Param-Zone');
    expect(own.calls.length - before).toBe(2);
  });

  it('a tool with an invalid declaration, or none, is not checked', async () => {
    const before = own.calls.length;
    expect((await call(mine, 'bad_decl', { ids: ['a'] })).status).toBe(200);
    expect((await call(mine, 'plain', { q: 'x' }, { 'Mcp-Param-Q': 'other' })).status).toBe(200);
    expect(own.calls.length - before).toBe(2);
    expect(
      gw.logs.some((l) => l.includes('invalid x-mcp-header declaration') && l.includes('bad_decl')),
    ).toBe(true);
  });

  it('a hidden tool answers like a missing one, whatever its headers (its declarations never show)', async () => {
    const hidden = `${gw.url}/mcp/hidden`;
    const before = fixtureCalls();
    const r = await call(hidden, 'test_custom_headers', { region: 'us-west1' });
    const missing = await call(hidden, 'no_such_tool', { region: 'us-west1' });
    expect(r.status).toBe(missing.status);
    expect(r.body.error?.code).not.toBe(-32020);
    expect(JSON.stringify(r.body).replaceAll('test_custom_headers', 'X')).toBe(
      JSON.stringify({ ...missing.body, id: r.body.id }).replaceAll('no_such_tool', 'X'),
    );
    expect(fixtureCalls()).toBe(before);
  });

  it('the aggregate endpoint checks the prefixed tool against its server', async () => {
    const agg = `${gw.url}/mcp`;
    expect((await rpc(agg, 'tools/list', {})).status).toBe(200);
    expectMismatch(await call(agg, 'fx__test_custom_headers', { region: 'us-west1' }), 'Mcp-Param-Region');
    const ok = await call(
      agg,
      'fx__test_custom_headers',
      { region: 'us-west1' },
      { 'Mcp-Param-Region': 'us-west1' },
    );
    expect(ok.status).toBe(200);
    expect(resultText(ok)).toContain('us-west1');
  });
});

/** A tool declaring `region` as the `Mcp-Param-<header>` header. */
const locate = (header: string, description = 'Find a region') => ({
  name: 'locate',
  description,
  inputSchema: { type: 'object', properties: { region: { type: 'string', 'x-mcp-header': header } } },
});

describe('pins.on_change: pinned, a tool whose declarations changed since it was accepted', () => {
  // The upstream renames the header (Region -> Zone). Clients are listed the accepted definition
  // (Region), so their headers follow it: the check must too, and the call then gets the pin
  // denial rather than a 400 naming a header the client was never shown.
  let own: Awaited<ReturnType<typeof startOwnServer>>;
  let gw: TestGateway;
  let url: string;
  const tools: Record<string, unknown>[] = [locate('Region')];
  const listedHeader = async () => {
    const list = await rpc(url, 'tools/list', {});
    const listed = (list.body.result?.tools ?? []) as {
      name: string;
      inputSchema: Record<string, unknown>;
    }[];
    const schema = listed.find((t) => t.name === 'locate')?.inputSchema as {
      properties: { region: Record<string, unknown> };
    };
    return schema.properties.region['x-mcp-header'];
  };

  beforeAll(async () => {
    own = await startOwnServer(tools);
    gw = await startTestGateway({
      auth: { mode: 'none' },
      pins: { on_change: 'pinned' },
      servers: { own: { url: own.url, policy: ALLOW_ALL } },
    });
    url = `${gw.url}/mcp/own`;
    expect(await listedHeader()).toBe('Region'); // pinned on first use
    tools[0] = locate('Zone', 'Find a region (now by zone)');
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await own?.close();
  });

  it('lists the accepted declaration and checks headers against it; the call meets the pin denial', async () => {
    expect(await listedHeader()).toBe('Region');
    const before = own.calls.length;
    const r = await call(url, 'locate', { region: 'eu' }, { 'Mcp-Param-Region': 'eu' });
    expect(r.status).toBe(200);
    expect(r.body.result?.isError).toBe(true);
    expect(resultText(r)).toContain('tool definition changed since it was approved');
    // Still checked, against what the client was shown: no header, or only the unshown one, is a 400.
    expectMismatch(await call(url, 'locate', { region: 'eu' }), 'Mcp-Param-Region');
    expectMismatch(
      await call(url, 'locate', { region: 'eu' }, { 'Mcp-Param-Zone': 'eu' }),
      'Mcp-Param-Region',
    );
    expect(own.calls.length).toBe(before);
  });

  it('once the new definition is accepted, its declaration is listed and checked', async () => {
    await gw.core.pins.accept('own', 'locate');
    expect(await listedHeader()).toBe('Zone');
    expectMismatch(
      await call(url, 'locate', { region: 'eu' }, { 'Mcp-Param-Region': 'eu' }),
      'Mcp-Param-Zone',
    );
    const ok = await call(url, 'locate', { region: 'eu' }, { 'Mcp-Param-Zone': 'eu' });
    expect(ok.status).toBe(200);
    expect(resultText(ok)).toBe(JSON.stringify({ region: 'eu' }));
  });
});

describe('declarations learned by the start-up probe', () => {
  it('a call before any client listed tools is checked too', async () => {
    const fixture = await startConformanceServer({ stderr: false });
    const gw = await startTestGateway(
      { auth: { mode: 'none' }, servers: { fx: { url: fixture.url, policy: ALLOW_ALL } } },
      { probe: true },
    );
    try {
      await gw.probed;
      const url = `${gw.url}/mcp/fx`;
      expectMismatch(await call(url, 'test_custom_headers', { region: 'us-west1' }), 'Mcp-Param-Region');
      const ok = await call(
        url,
        'test_custom_headers',
        { region: 'us-west1' },
        { 'Mcp-Param-Region': 'us-west1' },
      );
      expect(ok.status).toBe(200);
    } finally {
      await gw.close();
      await fixture.close();
    }
  }, 30_000);
});

describe("Mcp-Param-* headers on the gateway's own requests to a 2026 upstream", () => {
  let upstream: Awaited<ReturnType<typeof startModernConformanceServer>>;
  let gw: TestGateway;
  /** The Mcp-Param-Region header of each tools/call the upstream received (null: none). */
  const seen: (string | null)[] = [];

  beforeAll(async () => {
    upstream = await startModernConformanceServer((req) => {
      if (req.headers['mcp-method'] === 'tools/call' && req.headers['mcp-name'] === 'test_custom_headers') {
        const v = req.headers['mcp-param-region'];
        seen.push(typeof v === 'string' ? v : null);
      }
    });
    gw = await startTestGateway({
      auth: { mode: 'none' },
      servers: { modern: { url: upstream.url, policy: ALLOW_ALL } },
    });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('a 2026 client with correct headers is served, and the upstream got them (encoded as the SDK does)', async () => {
    const url = `${gw.url}/mcp/modern`;
    expect((await rpc(url, 'tools/list', {})).status).toBe(200);
    const before = seen.length;
    const plain = await call(
      url,
      'test_custom_headers',
      { region: 'us-west1' },
      { 'Mcp-Param-Region': 'us-west1' },
    );
    expect(plain.status).toBe(200);
    expect(plain.body.error).toBeUndefined();
    expect(resultText(plain)).toContain('us-west1');
    const encoded = await call(
      url,
      'test_custom_headers',
      { region: 'Zürich ' },
      { 'Mcp-Param-Region': b64('Zürich ') },
    );
    expect(encoded.status).toBe(200);
    expect(resultText(encoded)).toContain('Zürich ');
    expect(seen.slice(before)).toEqual(['us-west1', b64('Zürich ')]);
    // The gateway still refuses a wrong header itself, before the upstream.
    expectMismatch(
      await call(url, 'test_custom_headers', { region: 'us-west1' }, { 'Mcp-Param-Region': 'eu' }),
      'Mcp-Param-Region',
    );
    expect(seen.length - before).toBe(2);
  });

  it('SDK clients of both eras: the upstream gets the header from the gateway', async () => {
    for (const pin of ['2026-07-28', '2025-11-25'] as const) {
      const client = new Client(
        { name: 'param-headers-e2e', version: '1' },
        pin === '2026-07-28' ? { versionNegotiation: { mode: { pin } } } : {},
      );
      await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp/modern`)));
      try {
        await client.listTools();
        const before = seen.length;
        const result = await client.callTool({
          name: 'test_custom_headers',
          arguments: { region: 'ap-south1' },
        });
        expect(result.isError, pin).toBeFalsy();
        expect(JSON.stringify(result.content), pin).toContain('ap-south1');
        expect(seen.slice(before), pin).toEqual(['ap-south1']);
      } finally {
        await client.close();
      }
    }
  });
});

describe('declaration scan and value decoding', () => {
  it('finds declarations through properties only, and rejects invalid ones', () => {
    expect(
      scanParamHeaders({
        type: 'object',
        properties: { a: { type: 'object', properties: { b: { type: 'integer', 'x-mcp-header': 'B' } } } },
      }),
    ).toEqual({ ok: true, declarations: [{ path: ['a', 'b'], name: 'B', type: 'integer' }] });
    const valid = (schema: unknown) => scanParamHeaders(schema).ok;
    const prop = (p: Record<string, unknown>) => ({ type: 'object', properties: { x: p } });
    expect(valid(prop({ type: 'string', 'x-mcp-header': 'Has Space' }))).toBe(false);
    expect(valid(prop({ type: 'string', 'x-mcp-header': '' }))).toBe(false);
    expect(valid(prop({ type: 'object', 'x-mcp-header': 'Obj' }))).toBe(false);
    expect(valid(prop({ 'x-mcp-header': 'Untyped' }))).toBe(false);
    expect(valid({ type: 'object', anyOf: [prop({ type: 'string', 'x-mcp-header': 'X' })] })).toBe(false);
    expect(
      valid({
        type: 'object',
        properties: {
          a: { type: 'string', 'x-mcp-header': 'Dup' },
          b: { type: 'string', 'x-mcp-header': 'dup' },
        },
      }),
    ).toBe(false);
    // `number` is not permitted, but such a tool is still checked (as the SDK server does).
    const num = scanParamHeaders(prop({ type: 'number', 'x-mcp-header': 'N' }));
    expect(num.ok).toBe(false);
    expect(num.declarations).toEqual([{ path: ['x'], name: 'N', type: 'number' }]);
    expect(scanParamHeaders({ type: 'object', properties: { q: { type: 'string' } } })).toEqual({
      ok: true,
      declarations: [],
    });
  });

  it('decodes the Base64 sentinel strictly and leaves everything else literal', () => {
    expect(decodeParamValue('=?base64?SGVsbG8=?=')).toBe('Hello');
    expect(decodeParamValue(b64('日本'))).toBe('日本');
    expect(decodeParamValue('=?base64?SGVsbG8?=')).toBeUndefined(); // padding
    expect(decodeParamValue('=?base64?SGVs!!!bG8=?=')).toBeUndefined(); // alphabet
    expect(decodeParamValue('=?base64?/w==?=')).toBeUndefined(); // not UTF-8
    expect(decodeParamValue('SGVsbG8=')).toBe('SGVsbG8=');
    expect(decodeParamValue('=?base64?SGVsbG8=')).toBe('=?base64?SGVsbG8=');
  });
});
