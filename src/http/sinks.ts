import type { ServerResponse } from 'node:http';
import type { JsonRpcMessage } from '../proxy/jsonrpc.js';
import type { Sink } from '../proxy/sink.js';
import { modernErrorStatus } from './headers.js';

const SSE_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
};

/**
 * The response to one POSTed request. It answers with plain JSON when the response is the first
 * thing to send (the cheapest shape), and switches to an SSE stream only when the upstream sends
 * something first (progress, a sampling request, log lines): both are valid per the spec.
 */
export class PostResponseSink implements Sink {
  private mode: 'pending' | 'json' | 'sse' = 'pending';

  constructor(
    private readonly res: ServerResponse,
    private readonly sseAllowed: boolean,
    /** A 2026-07-28 request: a JSON error answer gets the HTTP status the revision maps it to. */
    private readonly modern = false,
  ) {}

  get open(): boolean {
    return !this.res.writableEnded && !this.res.destroyed;
  }

  onClose(listener: () => void): void {
    this.res.once('close', () => {
      if (!this.res.writableFinished) listener();
    });
  }

  send(message: JsonRpcMessage, final: boolean): void {
    if (!this.open) return;
    const body = JSON.stringify(message);
    if (this.mode === 'pending' && final) {
      this.mode = 'json';
      const code = 'error' in message ? message.error.code : undefined;
      this.res.writeHead(this.modern && code !== undefined ? modernErrorStatus(code) : 200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      this.res.end(body);
      return;
    }
    if (this.mode === 'pending') {
      if (!this.sseAllowed) return; // the client cannot read a stream: only the response reaches it
      this.mode = 'sse';
      this.res.writeHead(200, SSE_HEADERS);
      this.res.flushHeaders();
    }
    this.res.write(`event: message\ndata: ${body}\n\n`);
    if (final) this.res.end();
  }
}

/** The standalone GET stream: server-initiated messages; a comment line every 15 s keeps it alive. */
export class StandaloneSink implements Sink {
  private readonly keepAlive: NodeJS.Timeout;

  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, SSE_HEADERS);
    res.flushHeaders();
    this.keepAlive = setInterval(() => this.open && res.write(': keep-alive\n\n'), 15_000);
    this.keepAlive.unref();
    res.on('close', () => clearInterval(this.keepAlive));
  }

  get open(): boolean {
    return !this.res.writableEnded && !this.res.destroyed;
  }

  send(message: JsonRpcMessage): void {
    if (this.open) this.res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  end(): void {
    clearInterval(this.keepAlive);
    if (this.open) this.res.end();
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
