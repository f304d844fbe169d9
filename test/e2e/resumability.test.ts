/**
 * Resumable SSE streams (MCP streamable HTTP, "Resumability and Redelivery"): toolgate's events on a
 * session's streams carry ids; a client whose connection dropped resumes with GET + Last-Event-ID and
 * gets the rest of that stream, once; the dropped call is not cancelled. Against a real gateway and
 * a real stdio upstream (test/fixtures/servers/held-call-server.ts) whose `hold` call waits mid-way
 * until the test calls `release`, so the connection breaks at a known point.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELD_CALL_STDIO_COMMAND } from '../fixtures/servers/held-call-server.js';
import { ALLOW_ALL, startTestGateway, type TestGateway } from '../support/gateway.js';
import { McpSession, resultText, until } from '../support/mcp-http.js';
import { message, openSse, type SseEvent } from '../support/sse-reader.js';

const ALICE = 'tg_resumeAliceToken_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const BOB = 'tg_resumeBobToken_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const EVENT_ID = /^\d+_\d+$/;

const config = (sessions: Record<string, unknown> = {}) => ({
  servers: { held: { ...HELD_CALL_STDIO_COMMAND, policy: ALLOW_ALL } },
  grants: [
    { name: 'alice', servers: ['*'], token_env: 'RESUME_ALICE' },
    { name: 'bob', servers: ['*'], token_env: 'RESUME_BOB' },
  ],
  sessions,
});
const env = { ...process.env, RESUME_ALICE: ALICE, RESUME_BOB: BOB };
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

/** The stream part of an event id: which stream it is a cursor in. */
const streamOf = (id: string | undefined) => id?.split('_')[0];

function holdCall(session: McpSession, tool: string, label: string, id: number) {
  return openSse(session.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...session.sessionHeaders,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: tool, arguments: { label }, _meta: { progressToken: `p-${label}` } },
    }),
  });
}

/** GET + Last-Event-ID with the session's own headers (its grant's token), or another token. */
function resume(session: McpSession, lastEventId: string, token?: string) {
  return openSse(session.url, {
    headers: {
      ...session.sessionHeaders,
      ...(token ? auth(token) : {}),
      accept: 'text/event-stream',
      'last-event-id': lastEventId,
    },
  });
}

const progressOf = (events: SseEvent[]) =>
  events
    .map(message)
    .flatMap((m) =>
      m.method === 'notifications/progress' ? [(m.params as { progress: number }).progress] : [],
    );

describe('resumable streams', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway(config(), { env });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
  });

  for (const [endpoint, tool] of [
    ['/mcp/held', 'hold'],
    ['/mcp', 'held__hold'],
  ] as const) {
    it(`${endpoint}: a POST stream broken mid-call resumes with the rest of its progress and the response, once`, async () => {
      const s = await McpSession.open(`${gw.url}${endpoint}`, auth(ALICE));
      const release = tool.replace('hold', 'release');
      try {
        const call = await holdCall(s, tool, 'a', 100);
        expect(call.status).toBe(200);
        expect(call.headers.get('content-type')).toBe('text/event-stream');
        const [first] = await call.take(1);
        expect(first?.id).toMatch(EVENT_ID);
        expect(message(first!)).toMatchObject({ method: 'notifications/progress', params: { progress: 1 } });
        call.abort();

        // The call was not cancelled by the drop: it is still waiting upstream for `release`.
        const resumed = await resume(s, first!.id!);
        expect(resumed.status).toBe(200);
        expect(resumed.headers.get('content-type')).toBe('text/event-stream');
        expect(resultText(await s.callTool(release))).toBe('released 1');

        // The rest of the stream (progress 2, then the response) arrives on the resumed connection,
        // which ends after the response like the POST stream would have.
        const rest = await resumed.ended;
        expect(progressOf(rest)).toEqual([2]);
        expect(rest).toHaveLength(2);
        expect(message(rest[1]!)).toMatchObject({ id: 100, result: { content: [{ text: 'done a' }] } });
        const ids = [first!.id, ...rest.map((e) => e.id)];
        expect(new Set(ids).size).toBe(3);
        for (const id of ids) {
          expect(id).toMatch(EVENT_ID);
          expect(streamOf(id)).toBe(streamOf(first!.id));
        }

        // From the buffer: the same cursor again replays the same events; the last id replays none.
        const again = await resume(s, first!.id!);
        expect(await again.ended).toEqual(rest);
        const atEnd = await resume(s, rest[1]!.id!);
        expect(atEnd.status).toBe(200);
        expect(await atEnd.ended).toEqual([]);
      } finally {
        await s.close();
      }
    });
  }

  it('the standalone GET stream resumed after a drop gets what was sent meanwhile, then goes on', async () => {
    const s = await McpSession.open(`${gw.url}/mcp/held`, auth(ALICE));
    const sse = { ...s.sessionHeaders, accept: 'text/event-stream' };
    try {
      const stream = await openSse(s.url, { headers: sse });
      expect(stream.status).toBe(200);
      await s.callTool('announce');
      const [first] = await stream.take(1);
      expect(first?.id).toMatch(EVENT_ID);
      expect(message(first!)).toMatchObject({ method: 'notifications/tools/list_changed' });
      stream.abort();

      // Sent while the client is away (whether or not the gateway noticed the drop yet).
      await s.callTool('announce');
      const resumed = await resume(s, first!.id!);
      expect(resumed.status).toBe(200);
      const [missed] = await resumed.take(1);
      expect(message(missed!)).toMatchObject({ method: 'notifications/tools/list_changed' });
      expect(streamOf(missed!.id)).toBe(streamOf(first!.id));
      expect(missed!.id).not.toBe(first!.id);

      // It is the session's GET stream again: later messages arrive on it, and a second GET is refused.
      await s.callTool('announce');
      const [, live] = await resumed.take(2);
      expect(message(live!)).toMatchObject({ method: 'notifications/tools/list_changed' });
      expect(streamOf(live!.id)).toBe(streamOf(first!.id));
      const second = await fetch(s.url, { headers: sse });
      expect(second.status).toBe(409);
      await second.text();
      resumed.abort();
    } finally {
      await s.close();
    }
  });

  it('closing the session ends its open streams and forgets their events: a resume is then 404', async () => {
    const s = await McpSession.open(`${gw.url}/mcp/held`, auth(ALICE));
    const stream = await openSse(s.url, { headers: { ...s.sessionHeaders, accept: 'text/event-stream' } });
    await s.callTool('announce');
    const [first] = await stream.take(1);
    await s.close(); // DELETE
    expect(await stream.ended).toHaveLength(1);
    const after = await resume(s, first!.id!);
    expect(after.status).toBe(404);
  });

  it('an unknown Last-Event-ID is 400 and leaves the session working', async () => {
    const s = await McpSession.open(`${gw.url}/mcp/held`, auth(ALICE));
    try {
      for (const id of ['not-an-id', '999_1', '1_999']) {
        const r = await fetch(s.url, {
          headers: { ...s.sessionHeaders, accept: 'text/event-stream', 'last-event-id': id },
        });
        expect(r.status).toBe(400);
        const body = (await r.json()) as { error: { code: number; message: string } };
        expect(body.error.code).toBe(-32600);
        expect(body.error.message).toContain(`cannot resume from Last-Event-ID "${id}"`);
      }
      expect(resultText(await s.callTool('release'))).toBe('released 0');
    } finally {
      await s.close();
    }
  });

  it("another grant's token cannot resume a session's stream: 404, as for any request", async () => {
    const s = await McpSession.open(`${gw.url}/mcp/held`, auth(ALICE));
    try {
      const call = await holdCall(s, 'hold', 'b', 200);
      const [first] = await call.take(1);
      call.abort();
      const stolen = await resume(s, first!.id!, BOB);
      expect(stolen.status).toBe(404);
      expect(await stolen.ended).toEqual([]);
      // The owner still can.
      const resumed = await resume(s, first!.id!);
      expect(resultText(await s.callTool('release'))).toBe('released 1');
      expect(message((await resumed.ended).at(-1)!)).toMatchObject({
        id: 200,
        result: { content: [{ text: 'done b' }] },
      });
    } finally {
      await s.close();
    }
  });

  it('2026-07-28 stateless requests are unchanged: their SSE events carry no ids', async () => {
    const envelope = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': {},
      'io.modelcontextprotocol/clientInfo': { name: 'raw-2026-resume', version: '1' },
    };
    const post = (name: string, id: number, meta: Record<string, unknown> = {}) =>
      openSse(`${gw.url}/mcp/held`, {
        method: 'POST',
        headers: {
          ...auth(ALICE),
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': name,
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: { name, arguments: {}, _meta: { ...envelope, ...meta } },
        }),
      });
    const call = await post('hold', 1, { progressToken: 'stateless' });
    expect(call.headers.get('content-type')).toBe('text/event-stream');
    await call.take(1);
    const released = await post('release', 2);
    expect(released.headers.get('content-type')).toContain('application/json');
    const events = await call.ended;
    expect(progressOf(events)).toEqual([1, 2]);
    expect(message(events.at(-1)!)).toMatchObject({ id: 1, result: { resultType: 'complete' } });
    for (const e of events) expect(e.id).toBeUndefined();
  });

  it('the SDK v2 client resumes a broken tool-call stream by itself and gets the result', async () => {
    const requests: { method: string; lastEventId: string | null }[] = [];
    let cut = false;
    // A network that breaks the first streamed tools/call response right after its first event.
    const flaky: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      requests.push({ method: init?.method ?? 'GET', lastEventId: headers.get('last-event-id') });
      const controller = new AbortController();
      init?.signal?.addEventListener('abort', () => controller.abort(init.signal?.reason));
      const res = await fetch(input, { ...init, signal: controller.signal });
      const body = typeof init?.body === 'string' ? init.body : '';
      if (
        cut ||
        !res.body ||
        !body.includes('"hold"') ||
        !res.headers.get('content-type')?.startsWith('text/event-stream')
      )
        return res;
      cut = true;
      const upstream = res.body.getReader();
      const decoder = new TextDecoder();
      let seen = '';
      // The stream ends where the connection broke, with no response in it: to the SDK a stream it
      // must resume. (Ended rather than errored: an error would discard the chunks still queued.)
      const broken = new ReadableStream<Uint8Array>({
        async pull(out) {
          const { value, done } = await upstream.read();
          if (done) return out.close();
          out.enqueue(value);
          seen += decoder.decode(value, { stream: true });
          if (seen.includes('\n\n')) {
            controller.abort(); // the server sees the connection drop
            out.close();
          }
        },
      });
      return new Response(broken, { status: res.status, statusText: res.statusText, headers: res.headers });
    };
    const transport = new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp/held`), {
      fetch: flaky,
      requestInit: { headers: auth(ALICE) },
      reconnectionOptions: {
        initialReconnectionDelay: 50,
        maxReconnectionDelay: 500,
        reconnectionDelayGrowFactor: 2,
        maxRetries: 5,
      },
    });
    const client = new Client({ name: 'resume-sdk', version: '1' });
    client.onerror = () => {}; // the broken stream is reported here; the call goes on
    await client.connect(transport);
    try {
      const progress: number[] = [];
      let released: Promise<unknown> | undefined;
      const result = await client.callTool(
        { name: 'hold', arguments: { label: 'sdk' } },
        {
          onprogress: (p) => {
            progress.push(p.progress);
            released ??= client.callTool({ name: 'release', arguments: {} });
          },
          timeout: 20_000,
        },
      );
      await released;
      expect(cut).toBe(true);
      expect(result.content).toEqual([{ type: 'text', text: 'done sdk' }]);
      expect(progress).toEqual([1, 2]);
      const resumes = requests.filter((r) => r.method === 'GET' && r.lastEventId !== null);
      expect(resumes.length).toBeGreaterThanOrEqual(1);
      expect(resumes[0]!.lastEventId).toMatch(EVENT_ID);
    } finally {
      await client.close();
    }
  });
});

describe('held approvals and dropped streams', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway({
      auth: { mode: 'none' },
      servers: {
        held: {
          ...HELD_CALL_STDIO_COMMAND,
          policy: { version: '1', default: 'allow', tools: { release: { approval: {} } } },
        },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
  });

  const pending = () => gw.store.approvals.list({ status: 'pending' });
  /** The held call: its first event is the gate's progress notification, so it has an event id. */
  async function heldRelease(s: McpSession, id: number) {
    const call = await openSse(s.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...s.sessionHeaders,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: 'release', arguments: {}, _meta: { progressToken: 'held' } },
      }),
    });
    const [first] = await call.take(1);
    expect(first?.id).toMatch(EVENT_ID);
    expect(message(first!)).toMatchObject({ method: 'notifications/progress' });
    const approval = await until('the pending approval', async () => (await pending()).at(0));
    return { call, first: first!, approval: approval! };
  }

  it('a drop after the first event does not withdraw the held call; the resumed stream gets the answer', async () => {
    const s = await McpSession.open(`${gw.url}/mcp/held`);
    try {
      const { call, first, approval } = await heldRelease(s, 1);
      call.abort();
      // The gate polls every 250 ms; before resumability a drop withdrew the call by then.
      await new Promise((r) => setTimeout(r, 1000));
      expect((await gw.store.approvals.get(approval.id))?.status).toBe('pending');
      const resumed = await resume(s, first.id!);
      const approved = await gw.adminFetch(`/api/approvals/${approval.id}/approve`, {
        method: 'POST',
        body: '{}',
      });
      expect(approved.status).toBe(200);
      const rest = await resumed.ended;
      expect(message(rest.at(-1)!)).toMatchObject({ id: 1, result: { content: [{ text: 'released 0' }] } });
      expect(rest.map((e) => e.id)).not.toContain(first.id);
    } finally {
      await s.close();
    }
  });

  it('closing the session withdraws a held call and ends its stream', async () => {
    const s = await McpSession.open(`${gw.url}/mcp/held`);
    const { call, approval } = await heldRelease(s, 2);
    await s.close(); // DELETE
    await until('the approval withdrawn', async () =>
      (await gw.store.approvals.get(approval.id))?.status === 'withdrawn' ? true : undefined,
    );
    expect((await gw.store.approvals.get(approval.id))?.note).toBe('withdrawn: the session closed');
    const events = await call.ended;
    expect(events.every((e) => message(e).method === 'notifications/progress')).toBe(true);
  });
});

describe('resumability turned off (sessions.replay_events: 0)', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway(config({ replay_events: 0 }), { env });
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
  });

  it('events carry no ids and Last-Event-ID is 400', async () => {
    const s = await McpSession.open(`${gw.url}/mcp/held`, auth(ALICE));
    try {
      const call = await holdCall(s, 'hold', 'off', 300);
      const [first] = await call.take(1);
      expect(first?.id).toBeUndefined();
      await s.callTool('release');
      for (const e of await call.ended) expect(e.id).toBeUndefined();
      const r = await fetch(s.url, {
        headers: { ...s.sessionHeaders, accept: 'text/event-stream', 'last-event-id': '1_1' },
      });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { message: string } }).error.message).toContain(
        'keeps no replay buffer',
      );
    } finally {
      await s.close();
    }
  });
});
