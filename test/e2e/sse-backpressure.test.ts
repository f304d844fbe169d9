/**
 * Backpressure on SSE streams (src/http/backpressure.ts): a client that stops reading while the
 * upstream keeps sending has its connection dropped once more than `sessions.max_unsent_bytes` is
 * unsent, instead of the gateway buffering the stream without bound. The call goes on upstream,
 * and the client resumes from the last event it read (GET + Last-Event-ID) without losing any.
 *
 * Against a real gateway and a real stdio upstream (test/fixtures/servers/held-call-server.ts,
 * `flood`). The stalled client is node:http, not fetch, so that the test decides when it reads:
 * a paused response stops the socket being read, and the kernel's buffers fill up behind it.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELD_CALL_STDIO_COMMAND } from '../fixtures/servers/held-call-server.js';
import { ALLOW_ALL, startTestGateway, type TestGateway } from '../support/gateway.js';
import { McpSession, resultText, until } from '../support/mcp-http.js';
import { message, openSse, type SseEvent } from '../support/sse-reader.js';

const TOKEN = 'tg_backpressureToken_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const CAP = 64 * 1024;
/**
 * ~16 MB of progress: well past what loopback's socket buffers absorb (tcp_wmem's 4 MiB maximum
 * on the sending side; the receiving side does not grow while nothing reads), so the cap is hit
 * wherever the test runs. The replay buffer holds all of it, so the resume can be checked whole.
 */
const COUNT = 500;
const SIZE = 32 * 1024;

const auth = { authorization: `Bearer ${TOKEN}` };

/** A tools/call on a raw connection that reads until its first event, then stops reading. */
interface StalledCall {
  /** Everything read so far (the SSE body, de-chunked by node:http). */
  text: string;
  /** Read again, to the end of the connection: resolves with whether the response was complete. */
  drain(): Promise<{ complete: boolean }>;
}

function stalledFlood(session: McpSession, id: number): Promise<StalledCall> {
  const url = new URL(session.url);
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: 'flood', arguments: { count: COUNT, size: SIZE }, _meta: { progressToken: 'f' } },
  });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: url.pathname,
        agent: false,
        headers: {
          ...session.sessionHeaders,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        // Listened for from the start: the socket may close before the test reads again.
        const closed = new Promise<{ complete: boolean }>((done) =>
          res.once('close', () => done({ complete: res.complete })),
        );
        const call: StalledCall = {
          text: '',
          drain: () => {
            res.resume();
            return closed;
          },
        };
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          call.text += chunk;
          // Stop at the first whole event: node:http stops reading the socket once paused.
          if (!res.isPaused() && call.text.includes('\n\n')) {
            res.pause();
            resolve(call);
          }
        });
        res.on('error', () => undefined); // the server's drop: `drain` reports it
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Whole events in an SSE body; a trailing partial event (cut by the drop) is left out. */
function events(text: string): SseEvent[] {
  const blocks = text.split('\n\n').slice(0, -1);
  return blocks.map((block) => {
    const id = /^id: (.*)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1] ?? '';
    return { ...(id === undefined ? {} : { id }), data };
  });
}

/** tools/call answers from the `held` upstream so far (the latency histogram's count). */
async function upstreamCalls(gw: TestGateway): Promise<number> {
  const metric = await gw.core.metrics?.registry.getSingleMetric('toolgate_upstream_latency_seconds')?.get();
  return (
    (metric?.values ?? [])
      // A histogram's samples are named (_bucket, _sum, _count); the registry's type does not say so.
      .map((v) => v as typeof v & { metricName?: string })
      .filter((v) => v.metricName === 'toolgate_upstream_latency_seconds_count' && v.labels.server === 'held')
      .reduce((sum, v) => sum + v.value, 0)
  );
}

const seqOf = (id: string | undefined) => Number(id?.split('_')[1]);
const progressOf = (e: SseEvent) => (message(e).params as { progress: number }).progress;

describe('SSE backpressure: a client that stops reading', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startTestGateway(
      {
        servers: { held: { ...HELD_CALL_STDIO_COMMAND, policy: ALLOW_ALL } },
        grants: [{ name: 'slow', servers: ['*'], token_env: 'BACKPRESSURE_TOKEN' }],
        sessions: { max_unsent_bytes: CAP, replay_events: 10_000, replay_bytes: 64 * 1024 * 1024 },
      },
      { env: { ...process.env, BACKPRESSURE_TOKEN: TOKEN } },
    );
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
  });

  it('is dropped past the cap, the call goes on, and a resume from its last event loses nothing', async () => {
    const stalled = await McpSession.open(`${gw.url}/mcp/held`, auth);
    const other = await McpSession.open(`${gw.url}/mcp/held`, auth);
    try {
      const call = await stalledFlood(stalled, 7);
      expect(events(call.text)[0]?.id).toMatch(/^\d+_1$/);

      // The gateway drops the connection and says so, once: ids and sizes, never the contents.
      const warning = await until('the drop warning', () =>
        gw.logs.find((l) => l.includes('SSE client is not reading')),
      );
      const fields = JSON.parse(warning) as Record<string, unknown>;
      expect(fields).toMatchObject({ level: 40, session: stalled.id, stream: 'post', maxUnsentBytes: CAP });
      expect(fields.unsentBytes).toBeGreaterThan(0);
      expect(fields.unsentBytes).toBeLessThanOrEqual(CAP);
      expect(warning).not.toContain('xxxxxxxx');

      // Meanwhile another session on the same gateway works normally.
      expect(resultText(await other.callTool('release'))).toBe('released 0');

      // Reading again, the client gets what the kernel still held, then the server's close: the
      // response was cut short (no final chunk), with neither the last progress nor the answer.
      const { complete } = await call.drain();
      expect(complete).toBe(false);
      const read = events(call.text);
      expect(read.length).toBeLessThan(COUNT);
      expect(read.map(progressOf)).toEqual(Array.from({ length: read.length }, (_, i) => i + 1));

      const metric = await gw.core.metrics?.registry.getSingleMetric('toolgate_sse_dropped_total')?.get();
      expect(metric?.values.find((v) => v.labels.stream === 'post')?.value).toBe(1);
      expect(gw.logs.filter((l) => l.includes('SSE client is not reading'))).toHaveLength(1);

      // The call was not cancelled: it finishes upstream. Resumed once it has (so the resume is all
      // replay: a resumed stream with the flood still coming would be capped like any other, and
      // this client, in the gateway's own process, cannot read faster than the gateway writes).
      await until('the flood call to finish upstream', async () =>
        (await upstreamCalls(gw)) >= 2 ? true : undefined,
      );
      // Resuming after the last event read gets every following progress notification, in order,
      // and the response.
      const last = read.at(-1)!;
      const resumed = await openSse(stalled.url, {
        headers: { ...stalled.sessionHeaders, accept: 'text/event-stream', 'last-event-id': last.id! },
      });
      expect(resumed.status).toBe(200);
      const rest = await resumed.ended;
      expect(seqOf(rest[0]?.id)).toBe(seqOf(last.id) + 1);
      const progress = rest.slice(0, -1).map(progressOf);
      expect(progress).toEqual(Array.from({ length: COUNT - read.length }, (_, i) => read.length + i + 1));
      expect(message(rest.at(-1)!)).toMatchObject({
        id: 7,
        result: { content: [{ text: `flooded ${COUNT}` }] },
      });
    } finally {
      await stalled.close();
      await other.close();
    }
  }, 30_000);
});
