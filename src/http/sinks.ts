import type { ServerResponse } from 'node:http';
import type { JsonRpcMessage } from '../mcp/jsonrpc.js';
import type { Sink } from '../proxy/sink.js';
import type { SseWriter } from './backpressure.js';
import { modernErrorStatus } from './headers.js';
import type { ReplayBuffer } from './replay-buffer.js';

export const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
};

/** One SSE event; `id` (a replay cursor, see replay-buffer.ts) only on a session's streams. */
export function sseEvent(id: string | undefined, data: string): string {
  return id === undefined
    ? `event: message\ndata: ${data}\n\n`
    : `id: ${id}\nevent: message\ndata: ${data}\n\n`;
}

/** A session's SSE stream as the replay buffer holds it: a resume moves it to a new connection. */
export interface StreamHandle extends Sink {
  /** Go on writing to `res` (headers and replayed events already written); an older connection ends. */
  attach(res: ServerResponse): void;
  /** The session closed: end the connection. */
  end(): void;
}

/** Swap a stream's connection; the old one, if the server has not seen it drop, is closed. */
function takeOver(old: ServerResponse | undefined, res: ServerResponse): void {
  // Destroyed, not ended: the client already left it, and end() would keep its unsent backlog (up
  // to sessions.max_unsent_bytes) in memory until the dead socket times out.
  if (old && old !== res && !old.writableEnded && !old.destroyed) old.destroy();
}

/**
 * The response to one POSTed request. It answers with plain JSON when the response is the first
 * thing to send (the cheapest shape), and switches to an SSE stream only when the upstream sends
 * something first (progress, a sampling request, log lines): both are valid per the spec.
 *
 * On a session's request (`replay` given) the SSE events carry ids and are kept, so a client
 * whose connection drops can resume the stream (GET + Last-Event-ID) and still get the response:
 * messages for a dropped stream go on into the buffer. There is no priming event (an id with empty
 * data): the stream starts with a real message, whose id serves the same purpose, and some older
 * clients would try to parse the empty data as JSON.
 *
 * A client that stops reading has its connection dropped once too much is unsent (backpressure.ts):
 * like any drop, a session's stream goes on into the buffer; a stream without ids is withdrawn.
 */
export class PostResponseSink implements StreamHandle {
  private mode: 'pending' | 'json' | 'sse' = 'pending';
  /** The stream's id in the replay buffer, once it is an SSE stream a client can resume. */
  private stream?: string;

  constructor(
    /** The POST's connection, then a resume's. */
    private res: ServerResponse,
    /** Every SSE event goes through it: the cap on unsent bytes. */
    private readonly writer: SseWriter,
    private readonly sseAllowed: boolean,
    /** A 2026-07-28 request: a JSON error answer gets the HTTP status the revision maps it to. */
    private readonly modern = false,
    private readonly replay?: ReplayBuffer<StreamHandle>,
  ) {}

  /** Connected: unsolicited messages prefer a stream the client is reading now. */
  get open(): boolean {
    return !this.res.writableEnded && !this.res.destroyed;
  }

  /**
   * The client went away before the final message and cannot come back for it: it was never given
   * an event id (nothing sent yet, or no session). A resumable stream's drop is not a withdrawal
   * (spec: a disconnect is not a cancellation); the session's closing is (src/proxy/session.ts).
   */
  onClose(listener: () => void): void {
    const res = this.res;
    res.once('close', () => {
      if (!res.writableFinished && this.stream === undefined) listener();
    });
  }

  send(message: JsonRpcMessage, final: boolean): void {
    if (this.mode !== 'sse') {
      // Nothing reached the client yet, so it holds no event id: a closed connection is the end.
      if (!this.open) return;
      const body = JSON.stringify(message);
      if (final) {
        this.mode = 'json';
        const code = 'error' in message ? message.error.code : undefined;
        this.res.writeHead(this.modern && code !== undefined ? modernErrorStatus(code) : 200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        });
        this.res.end(body);
        return;
      }
      if (!this.sseAllowed) return; // the client cannot read a stream: only the response reaches it
      this.mode = 'sse';
      this.stream = this.replay?.open('post', this);
      this.res.writeHead(200, SSE_HEADERS);
      this.res.flushHeaders();
      this.write(body, false);
      return;
    }
    this.write(JSON.stringify(message), final);
  }

  attach(res: ServerResponse): void {
    takeOver(this.res, res);
    this.res = res;
  }

  end(): void {
    if (this.open) this.res.end();
  }

  /** Kept for a resume even while disconnected; written when connected. */
  private write(body: string, final: boolean): void {
    const id = this.stream === undefined ? undefined : this.replay?.record(this.stream, body, final);
    if (!this.open) return;
    if (this.writer.write(this.res, sseEvent(id, body), 'post', this.stream) && final) this.res.end();
  }
}

/**
 * The standalone GET stream: server-initiated messages; a comment line every 15 s keeps it alive.
 * While it is disconnected the session queues its messages (its backlog) rather than sending them
 * here, so they reach whichever stream the client opens next: a resume of this one, or a new one.
 */
export class StandaloneSink implements StreamHandle {
  private res?: ServerResponse;
  private readonly stream?: string;

  constructor(
    res: ServerResponse,
    /** Every SSE event (and keep-alive) goes through it: the cap on unsent bytes. */
    private readonly writer: SseWriter,
    private readonly replay?: ReplayBuffer<StreamHandle>,
  ) {
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    this.stream = replay?.open('standalone', this);
    this.attach(res);
  }

  get open(): boolean {
    return this.res !== undefined && !this.res.writableEnded && !this.res.destroyed;
  }

  send(message: JsonRpcMessage): void {
    if (!this.open) return;
    const body = JSON.stringify(message);
    const id = this.stream === undefined ? undefined : this.replay?.record(this.stream, body, false);
    if (this.res) this.writer.write(this.res, sseEvent(id, body), 'standalone', this.stream);
  }

  attach(res: ServerResponse): void {
    takeOver(this.res, res);
    this.res = res;
    const keepAlive = setInterval(() => {
      if (!res.writableEnded && !res.destroyed)
        this.writer.write(res, ': keep-alive\n\n', 'standalone', this.stream);
    }, 15_000);
    keepAlive.unref();
    res.once('close', () => clearInterval(keepAlive));
  }

  end(): void {
    if (this.open) this.res?.end();
  }
}

/** Collects messages for a caller that is not HTTP (stateless 2026 requests answered as JSON). */
export function writeJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
