/**
 * OpenTelemetry traces of tools/call: a real gateway with `telemetry.otlp_endpoint` pointed at a
 * local OTLP/HTTP (JSON) receiver. An allowed call is `tools/call <tool>` with `policy`,
 * `counters` and `upstream` children; a denied one has no `upstream`; a client's `traceparent` in
 * `_meta` becomes the call span's parent, and the upstream receives the call span's own
 * `traceparent`. Without telemetry configured, `_meta` reaches the upstream untouched.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TRACEPARENT_META_KEY, TRACESTATE_META_KEY } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type HostileServer, startHostileServer } from '../fixtures/servers/hostile-http-server.js';
import { META_ECHO_STDIO_COMMAND } from '../fixtures/servers/meta-echo-server.js';
import { EVERYTHING, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type Json, McpSession } from '../support/mcp-http.js';

interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  kind: number;
  status: { code?: number; message?: string };
  attrs: Record<string, unknown>;
}

interface Receiver {
  url: string;
  spans: ReceivedSpan[];
  headers: IncomingHttpHeaders[];
  close(): Promise<void>;
}

const SPAN_KIND = { internal: 1, server: 2, client: 3 };
const STATUS_ERROR = 2;

function attrValue(v: Record<string, unknown>): unknown {
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  return v;
}

function attrs(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of (list ?? []) as { key: string; value: Record<string, unknown> }[])
    out[a.key] = attrValue(a.value);
  return out;
}

/** A minimal OTLP/HTTP traces receiver: collects the JSON `resourceSpans` of every export. */
async function startReceiver(): Promise<Receiver> {
  const spans: ReceivedSpan[] = [];
  const headers: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      headers.push(req.headers);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { resourceSpans?: Json[] };
      for (const rs of body.resourceSpans ?? []) {
        const service = String(attrs((rs.resource as Json | undefined)?.attributes)['service.name']);
        for (const ss of (rs.scopeSpans ?? []) as Json[])
          for (const s of (ss.spans ?? []) as Json[])
            spans.push({
              service,
              name: String(s.name),
              traceId: String(s.traceId),
              spanId: String(s.spanId),
              parentSpanId: String(s.parentSpanId ?? ''),
              kind: Number(s.kind),
              status: (s.status ?? {}) as ReceivedSpan['status'],
              attrs: attrs(s.attributes),
            });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    headers,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const CLIENT_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN_ID = '00f067aa0ba902b7';
const CLIENT_TRACEPARENT = `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-01`;
const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

const POLICY = {
  version: '1',
  default: 'allow',
  tools: {
    echo: { limits: [{ counter: 'echo_rate', window: 'minute', max: 1000, scope: 'grant' }] },
    deny_me: { deny: true, reason: 'not in this test' },
    'get-sum': { limits: [{ counter: 'sums', window: 'hour', max: 1, scope: 'session' }] },
  },
};

function text(reply: { body?: Json }): string {
  const result = reply.body?.result as { content?: { text?: string }[] } | undefined;
  return result?.content?.[0]?.text ?? '';
}

describe('tracing through toolgate', () => {
  let receiver: Receiver;
  let raw: HostileServer;
  let gw: TestGateway;

  /** Export what is buffered and return the spans of one trace, by name. */
  async function traceOf(predicate: (s: ReceivedSpan) => boolean): Promise<Map<string, ReceivedSpan>> {
    await gw.core.tracer.flush();
    const root = receiver.spans.find(predicate);
    expect(root, `a span matching ${predicate} among ${receiver.spans.map((s) => s.name)}`).toBeDefined();
    const all = receiver.spans.filter((s) => s.traceId === root!.traceId);
    return new Map(all.map((s) => [s.name, s]));
  }

  beforeAll(async () => {
    receiver = await startReceiver();
    raw = await startHostileServer();
    gw = await startTestGateway({
      auth: { mode: 'none' },
      telemetry: {
        otlp_endpoint: `${receiver.url}/v1/traces`,
        service_name: 'toolgate-e2e',
        headers: { 'x-collector-key': 'k-123' },
      },
      servers: {
        everything: { ...EVERYTHING, policy: POLICY },
        echo: { ...META_ECHO_STDIO_COMMAND, policy: POLICY },
        raw: { url: raw.url, policy: { version: '1', default: 'allow' } },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await raw?.close();
    await receiver?.close();
  });

  beforeEach(() => {
    receiver.spans.length = 0;
  });

  it('an allowed call: tools/call <tool> with policy, counters and upstream children', async () => {
    const s = await McpSession.open(`${gw.url}/mcp/everything`);
    const reply = await s.callTool('echo', { message: 'traced' });
    expect(text(reply)).toContain('traced');

    const spans = await traceOf((x) => x.name === 'tools/call echo');
    const call = spans.get('tools/call echo')!;
    expect(call.service).toBe('toolgate-e2e');
    expect(call.kind).toBe(SPAN_KIND.server);
    expect(call.parentSpanId).toBe(''); // no trace context from the client: a new trace
    expect(call.attrs).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'echo',
      'toolgate.server': 'everything',
      'toolgate.grant': 'local',
      'toolgate.session': s.id,
      'toolgate.decision': 'allow',
      'toolgate.rule': 'tools.echo',
    });
    expect(call.status.code ?? 0).not.toBe(STATUS_ERROR);

    const policy = spans.get('policy')!;
    expect(policy.parentSpanId).toBe(call.spanId);
    expect(policy.attrs).toMatchObject({ 'toolgate.outcome': 'allow', 'toolgate.rule': 'tools.echo' });

    const counters = spans.get('counters')!;
    expect(counters.parentSpanId).toBe(call.spanId);
    expect(counters.attrs).toMatchObject({
      'toolgate.counters.backend': 'memory',
      'toolgate.counters.count': 1,
      'toolgate.outcome': 'ok',
    });

    const upstream = spans.get('upstream')!;
    expect(upstream.parentSpanId).toBe(call.spanId);
    expect(upstream.kind).toBe(SPAN_KIND.client);
    expect(upstream.attrs).toMatchObject({ 'toolgate.outcome': 'ok' });
    expect([...spans.keys()].sort()).toEqual(['counters', 'policy', 'tools/call echo', 'upstream']);

    // The exporter sent the configured headers.
    expect(receiver.headers.at(-1)?.['x-collector-key']).toBe('k-123');
    await s.close();
  });

  it('a denied call: the call span and policy, no upstream', async () => {
    const s = await McpSession.open(`${gw.url}/mcp/echo`);
    const reply = await s.callTool('deny_me');
    expect(text(reply)).toBe('[POLICY DENIED] not in this test');

    const spans = await traceOf((x) => x.name === 'tools/call deny_me');
    const call = spans.get('tools/call deny_me')!;
    expect(call.attrs).toMatchObject({
      'toolgate.server': 'echo',
      'toolgate.decision': 'deny',
      'toolgate.rule': 'tools.deny_me.deny',
      'toolgate.reason': 'not in this test',
    });
    expect(call.status.code ?? 0).not.toBe(STATUS_ERROR); // a denial is a decision, not a failure
    expect(spans.get('policy')?.parentSpanId).toBe(call.spanId);
    expect(spans.get('policy')?.attrs['toolgate.outcome']).toBe('deny');
    expect([...spans.keys()].sort()).toEqual(['policy', 'tools/call deny_me']);
    await s.close();
  });

  it('a rate-limited call: the call span, policy and counters, no upstream', async () => {
    const s = await McpSession.open(`${gw.url}/mcp/everything`);
    expect(text(await s.callTool('get-sum', { a: 1, b: 2 }))).toContain('3');
    await gw.core.tracer.flush();
    receiver.spans.length = 0;
    expect(text(await s.callTool('get-sum', { a: 1, b: 2 }))).toMatch(/^\[RATE LIMITED\]/);

    const spans = await traceOf((x) => x.name === 'tools/call get-sum');
    const call = spans.get('tools/call get-sum')!;
    expect(call.attrs).toMatchObject({
      'toolgate.decision': 'rate_limited',
      'toolgate.rule': expect.any(String),
    });
    const counters = spans.get('counters')!;
    expect(counters.parentSpanId).toBe(call.spanId);
    expect(counters.attrs).toMatchObject({
      'toolgate.outcome': 'limited',
      'toolgate.counters.backend': 'memory',
    });
    expect([...spans.keys()].sort()).toEqual(['counters', 'policy', 'tools/call get-sum']);
    await s.close();
  });

  it('an upstream error marks the upstream and call spans as errors', async () => {
    const s = await McpSession.open(`${gw.url}/mcp/raw`);
    // Allowed by policy; the upstream lists it and answers every call with a JSON-RPC error.
    const reply = await s.callTool('rpc_error');
    const spans = await traceOf((x) => x.name === 'tools/call rpc_error');
    const call = spans.get('tools/call rpc_error')!;
    const upstream = spans.get('upstream')!;
    const error = reply.body?.error as { message: string } | undefined;
    expect(error, `a JSON-RPC error from the upstream, got ${reply.text}`).toBeDefined();
    expect(upstream.attrs['toolgate.outcome']).toBe('error');
    expect(upstream.status.code).toBe(STATUS_ERROR);
    expect(call.status).toMatchObject({ code: STATUS_ERROR, message: error!.message });
    expect(call.attrs['toolgate.decision']).toBe('allow');
    await s.close();
  });

  it("the client's traceparent is the parent; the upstream gets the gateway span's", async () => {
    expect([TRACEPARENT_META_KEY, TRACESTATE_META_KEY]).toEqual(['traceparent', 'tracestate']);
    const s = await McpSession.open(`${gw.url}/mcp/echo`);
    const reply = await s.request('tools/call', {
      name: 'echo_meta',
      arguments: {},
      _meta: { [TRACEPARENT_META_KEY]: CLIENT_TRACEPARENT, [TRACESTATE_META_KEY]: 'vendor=abc', keep: 'me' },
    });
    const seenUpstream = JSON.parse(text(reply)) as Record<string, unknown>;

    const spans = await traceOf((x) => x.name === 'tools/call echo_meta');
    const call = spans.get('tools/call echo_meta')!;
    expect(call.traceId).toBe(CLIENT_TRACE_ID);
    expect(call.parentSpanId).toBe(CLIENT_SPAN_ID);
    expect(spans.get('upstream')?.parentSpanId).toBe(call.spanId);

    // The upstream's spans would nest under the gateway's: same trace, parent = the call span.
    const m = TRACEPARENT_RE.exec(String(seenUpstream[TRACEPARENT_META_KEY]));
    expect(m, `traceparent upstream: ${JSON.stringify(seenUpstream)}`).not.toBeNull();
    expect(m![1]).toBe(CLIENT_TRACE_ID);
    expect(m![2]).toBe(call.spanId);
    expect(seenUpstream[TRACESTATE_META_KEY]).toBe('vendor=abc');
    expect(seenUpstream.keep).toBe('me'); // other _meta keys pass through
    await s.close();
  });

  it("an unsampled client trace: no spans recorded, the upstream still gets the trace's context", async () => {
    const s = await McpSession.open(`${gw.url}/mcp/echo`);
    const reply = await s.request('tools/call', {
      name: 'echo_meta',
      arguments: {},
      _meta: { [TRACEPARENT_META_KEY]: `00-${CLIENT_TRACE_ID}-${CLIENT_SPAN_ID}-00` },
    });
    const seenUpstream = JSON.parse(text(reply)) as Record<string, unknown>;
    await gw.core.tracer.flush();
    expect(receiver.spans.filter((x) => x.traceId === CLIENT_TRACE_ID)).toEqual([]);
    const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-00$/.exec(String(seenUpstream[TRACEPARENT_META_KEY]));
    expect(m, JSON.stringify(seenUpstream)).not.toBeNull();
    expect(m![1]).toBe(CLIENT_TRACE_ID);
    expect(m![2]).not.toBe(CLIENT_SPAN_ID);
    await s.close();
  });

  it('without a client traceparent the upstream still gets the call span as parent', async () => {
    const s = await McpSession.open(`${gw.url}/mcp/echo`);
    const seenUpstream = JSON.parse(text(await s.callTool('echo_meta'))) as Record<string, unknown>;
    const spans = await traceOf((x) => x.name === 'tools/call echo_meta');
    const call = spans.get('tools/call echo_meta')!;
    expect(call.parentSpanId).toBe('');
    expect(seenUpstream[TRACEPARENT_META_KEY]).toBe(`00-${call.traceId}-${call.spanId}-01`);
    expect(seenUpstream[TRACESTATE_META_KEY]).toBeUndefined();
    await s.close();
  });

  it('a malformed client traceparent starts a new trace (and its tracestate is dropped)', async () => {
    const s = await McpSession.open(`${gw.url}/mcp/echo`);
    const reply = await s.request('tools/call', {
      name: 'echo_meta',
      arguments: {},
      _meta: { [TRACEPARENT_META_KEY]: '00-zz-nothex-01', [TRACESTATE_META_KEY]: 'vendor=abc' },
    });
    const seenUpstream = JSON.parse(text(reply)) as Record<string, unknown>;
    const spans = await traceOf((x) => x.name === 'tools/call echo_meta');
    const call = spans.get('tools/call echo_meta')!;
    expect(call.parentSpanId).toBe('');
    expect(seenUpstream[TRACEPARENT_META_KEY]).toBe(`00-${call.traceId}-${call.spanId}-01`);
    expect(seenUpstream[TRACESTATE_META_KEY]).toBeUndefined();
    await s.close();
  });
});

describe('tracing at shutdown, and off', () => {
  it('closing the gateway exports the spans still buffered (no waiting on the batch timer)', async () => {
    const receiver = await startReceiver();
    const gw = await startTestGateway({
      auth: { mode: 'none' },
      telemetry: { otlp_endpoint: `${receiver.url}/v1/traces` },
      servers: { echo: { ...META_ECHO_STDIO_COMMAND, policy: POLICY } },
    });
    let closed = false;
    try {
      const s = await McpSession.open(`${gw.url}/mcp/echo`);
      await s.callTool('echo_meta');
      await s.close();
      expect(receiver.spans).toEqual([]); // still in the batch (5 s schedule)
      closed = true;
      await gw.close();
      const call = receiver.spans.find((x) => x.name === 'tools/call echo_meta');
      expect(call?.service).toBe('toolgate'); // the default service name
      expect(receiver.spans.map((x) => x.name).sort()).toEqual([
        'policy',
        'tools/call echo_meta',
        'upstream',
      ]);
    } finally {
      if (!closed) await gw.close();
      await receiver.close();
    }
  }, 60_000);

  it('without telemetry, _meta (trace context included) reaches the upstream untouched', async () => {
    const gw = await startTestGateway({
      auth: { mode: 'none' },
      servers: { echo: { ...META_ECHO_STDIO_COMMAND, policy: POLICY } },
    });
    expect(gw.core.tracer.enabled).toBe(false);
    try {
      const s = await McpSession.open(`${gw.url}/mcp/echo`);
      const meta = {
        [TRACEPARENT_META_KEY]: CLIENT_TRACEPARENT,
        [TRACESTATE_META_KEY]: 'vendor=abc',
        keep: 'me',
      };
      const reply = await s.request('tools/call', { name: 'echo_meta', arguments: {}, _meta: meta });
      expect(JSON.parse(text(reply))).toEqual(meta);
      await s.close();
    } finally {
      await gw.close();
    }
  }, 60_000);
});
