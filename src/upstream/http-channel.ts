import {
  SSEClientTransport,
  StreamableHTTPClientTransport,
  type Transport,
} from '@modelcontextprotocol/client';
import type { HttpServerConfig } from '../config/index.js';
import type { JsonRpcMessage } from '../proxy/jsonrpc.js';
import type { Channel } from './channel.js';
import { UpstreamError } from './errors.js';

const GET_STREAM_WAIT_MS = 2_000;

/**
 * Streamable HTTP (or legacy SSE) upstream through the SDK v2 client transports, which already
 * handle both response shapes, the session header, the GET stream and SSE resumption.
 * POSTs carry no abort signal: a shared one collects a listener per request (see below).
 */
export class HttpChannel implements Channel {
  onmessage?: (message: JsonRpcMessage) => void;
  onclose?: (reason: UpstreamError) => void;
  private readonly transport: Transport & { terminateSession?: () => Promise<void> };
  private closing = false;
  /** Resolves the wait in send() once the standalone GET stream answered (opened, or 405). */
  private getSettled?: () => void;

  constructor(
    private readonly name: string,
    cfg: HttpServerConfig,
  ) {
    const url = new URL(cfg.url);
    // The SDK transport hands its one connection-wide signal to every POST; fetch keeps an abort
    // listener on it per request until that request is garbage-collected, so under load thousands
    // pile up (MaxListenersExceededWarning, a stderr write per request, ~15% of the gateway's CPU
    // in the overhead benchmark). POSTs go without it: close() fails pending calls in the link and
    // DELETEs the upstream session. The long-lived GET stream keeps the signal so close() ends it.
    const fetchOwnSignal: typeof fetch = (input, init) => {
      const post = init?.method === 'POST';
      const response = fetch(input, { ...init, signal: post ? null : (init?.signal ?? null) });
      if ((init?.method ?? 'GET') === 'GET') {
        const settled = () => this.getSettled?.();
        response.then(settled, settled);
      }
      return response;
    };
    const requestInit = { headers: cfg.headers };
    this.transport =
      cfg.transport === 'sse'
        ? new SSEClientTransport(url, { requestInit, fetch: fetchOwnSignal })
        : new StreamableHTTPClientTransport(url, { requestInit, fetch: fetchOwnSignal });
    this.transport.onmessage = (m) => this.onmessage?.(m as JsonRpcMessage);
    this.transport.onerror = () => {
      /* per-request failures reject send(); stream errors are retried by the transport */
    };
    this.transport.onclose = () => {
      if (!this.closing)
        this.onclose?.(new UpstreamError('UPSTREAM_CLOSED', `connection to server "${this.name}" closed`));
    };
  }

  async start(): Promise<void> {
    try {
      await this.transport.start();
    } catch (err) {
      throw new UpstreamError(
        'UPSTREAM_UNREACHABLE',
        `cannot reach server "${this.name}": ${describeError(err)}`,
      );
    }
  }

  async send(message: JsonRpcMessage): Promise<void> {
    // The SDK transport opens the GET stream only after the server accepted `initialized`.
    // Servers send some requests (sampling, elicitation) on that stream, and one sent before it
    // is open is stored for a resumption that never comes; so the handshake ends when it is open.
    const opensStream =
      this.transport instanceof StreamableHTTPClientTransport &&
      'method' in message &&
      message.method === 'notifications/initialized';
    const streamOpen = opensStream ? this.nextGet(GET_STREAM_WAIT_MS) : undefined;
    try {
      await this.transport.send(message as never);
      await streamOpen;
    } catch (err) {
      throw new UpstreamError(
        'UPSTREAM_UNREACHABLE',
        `server "${this.name}" did not accept the request: ${describeError(err)}`,
      );
    }
  }

  /** Resolves when the next GET answers, or after `ms` (a server may not offer the stream). */
  private nextGet(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.getSettled === done) this.getSettled = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      this.getSettled = done;
    });
  }

  setProtocolVersion(version: string): void {
    this.transport.setProtocolVersion?.(version);
  }

  async close(): Promise<void> {
    this.closing = true;
    // Client.close() alone leaves the upstream session open; DELETE it explicitly.
    await this.transport.terminateSession?.().catch(() => {});
    await this.transport.close().catch(() => {});
  }
}

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, a DNS error) is in its `cause`. */
function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error ? (err.cause as { message?: unknown } | undefined) : undefined;
  return typeof cause?.message === 'string' && cause.message !== ''
    ? `${message} (${cause.message})`
    : message;
}
