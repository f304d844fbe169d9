import {
  SSEClientTransport,
  StreamableHTTPClientTransport,
  type Transport,
} from '@modelcontextprotocol/client';
import type { Logger } from 'pino';
import type { HttpServerConfig } from '../config/index.js';
import { type JsonRpcMessage, outcomeUnknown, type RequestId } from '../mcp/jsonrpc.js';
import type { ParamHeaderLookup } from '../mcp/param-headers.js';
import type { Channel } from './channel.js';
import { UpstreamError } from './errors.js';
import { DeliveryError, LeanPoster, PostError } from './lean-post.js';

const GET_STREAM_WAIT_MS = 2_000;
const DELETE_TIMEOUT_MS = 5_000;

/**
 * Streamable HTTP (or legacy SSE) upstream. Streamable HTTP: every POST but one goes through
 * `LeanPoster` (undici dispatch on a keep-alive pool, own SSE reader), the hot path; the SDK v2
 * transport is created on first need, in sync with the lean path's session id and protocol version, for what
 * the lean path does not do: `notifications/initialized` and the standalone GET stream it opens,
 * and resuming a POST's SSE stream with Last-Event-ID when it broke before the response. Legacy
 * `transport: sse` stays entirely on the SDK's SSEClientTransport.
 */
export class HttpChannel implements Channel {
  onmessage?: (message: JsonRpcMessage) => void;
  onclose?: (reason: UpstreamError) => void;
  private readonly url: URL;
  private readonly lean?: LeanPoster;
  /** Legacy SSE: the transport. Streamable HTTP: the SDK transport once needed (see above). */
  private transport?: Transport & { terminateSession?: () => Promise<void> };
  /** The session id the SDK transport was created with. */
  private transportSession?: string;
  private closing = false;
  /** Resolves the wait in send() once the standalone GET stream answered (opened, or 405). */
  private getSettled?: () => void;

  constructor(
    private readonly name: string,
    private readonly cfg: HttpServerConfig,
    /** SEP-2243 declarations (from the composition root): 2026 `tools/call`s carry `Mcp-Param-*`. */
    paramHeaders?: ParamHeaderLookup,
    log?: Logger,
  ) {
    this.url = new URL(cfg.url);
    if (cfg.transport === 'sse') {
      this.transport = this.sdkTransport(undefined, undefined);
      this.transport.onclose = () => {
        if (!this.closing)
          this.onclose?.(new UpstreamError('UPSTREAM_CLOSED', `connection to server "${this.name}" closed`));
      };
      return;
    }
    this.lean = new LeanPoster(this.url, cfg.headers, paramHeaders && ((tool) => paramHeaders(name, tool)));
    this.lean.onmessage = (m) => this.onmessage?.(m);
    this.lean.onStreamEnd = (id, lastEventId) => this.resume(id, lastEventId);
    this.lean.onRetry = (m, err) =>
      log?.info(
        { upstream: name, method: 'method' in m ? m.method : undefined, reason: err.message },
        'request not sent (the connection failed before any byte left); trying again',
      );
  }

  /**
   * An SDK transport sharing our state. The SDK transport hands one connection-wide signal to
   * every POST; fetch keeps an abort listener on it per request until that request is
   * garbage-collected (MaxListenersExceededWarning under load), so its POSTs go without it. The
   * long-lived GET stream keeps the signal so close() ends it.
   */
  private sdkTransport(sessionId: string | undefined, protocolVersion: string | undefined) {
    const fetchOwnSignal: typeof fetch = (input, init) => {
      const post = init?.method === 'POST';
      const response = fetch(input, { ...init, signal: post ? null : (init?.signal ?? null) });
      if ((init?.method ?? 'GET') === 'GET') {
        const settled = () => this.getSettled?.();
        response.then(settled, settled);
      }
      return response;
    };
    const requestInit = { headers: this.cfg.headers };
    const transport =
      this.cfg.transport === 'sse'
        ? new SSEClientTransport(this.url, { requestInit, fetch: fetchOwnSignal })
        : new StreamableHTTPClientTransport(this.url, {
            requestInit,
            fetch: fetchOwnSignal,
            sessionId,
            protocolVersion,
          });
    transport.onmessage = (m) => this.onmessage?.(m as JsonRpcMessage);
    transport.onerror = () => {
      /* per-request failures reject send(); stream errors are retried by the transport */
    };
    return transport;
  }

  /** The streamable SDK transport, (re)created when the lean path's session id changed. */
  private async streamable(): Promise<Transport> {
    const lean = this.lean as LeanPoster;
    if (this.transport && this.transportSession === lean.sessionId) return this.transport;
    const old = this.transport;
    this.transport = this.sdkTransport(lean.sessionId, lean.protocolVersion);
    this.transportSession = lean.sessionId;
    await old?.close().catch(() => {});
    await this.transport.start();
    return this.transport;
  }

  async start(): Promise<void> {
    if (this.lean) return; // nothing to open before the first POST
    try {
      await this.transport?.start();
    } catch (err) {
      throw new UpstreamError(
        'UPSTREAM_UNREACHABLE',
        `cannot reach server "${this.name}": ${describeError(err)}`,
      );
    }
  }

  async send(message: JsonRpcMessage): Promise<void> {
    const initialized = 'method' in message && message.method === 'notifications/initialized';
    if (this.lean && !initialized) return this.post(this.lean, message);
    // The SDK transport opens the GET stream only after the server accepted `initialized`.
    // Servers send some requests (sampling, elicitation) on that stream, and one sent before it
    // is open is stored for a resumption that never comes; so the handshake ends when it is open.
    const streamOpen = this.lean ? this.nextGet(GET_STREAM_WAIT_MS) : undefined;
    try {
      const transport = this.lean ? await this.streamable() : (this.transport as Transport);
      await transport.send(message as never);
      await streamOpen;
    } catch (err) {
      throw this.sdkSendError(err);
    }
  }

  /**
   * A failed send on the SDK transport (legacy SSE, `initialized`), sorted like the lean path's:
   * fetch cannot say how far a request went, so only a failed connect counts as not sent.
   */
  private sdkSendError(err: unknown): UpstreamError {
    const status = httpStatusOf(err);
    const why = describeError(err);
    if (err instanceof RangeError || err instanceof TypeError)
      if (/call stack|circular|BigInt/i.test(why))
        return new UpstreamError('MESSAGE_UNSENDABLE', `the message cannot be encoded as JSON: ${why}`);
    if (status === undefined && !connectFailed(err))
      return new UpstreamError(
        'UPSTREAM_OUTCOME_UNKNOWN',
        `the connection to server "${this.name}" failed after the request was sent: ${why}`,
      );
    return new UpstreamError(
      'UPSTREAM_UNREACHABLE',
      `server "${this.name}" did not accept the request: ${why}`,
      status,
    );
  }

  private async post(lean: LeanPoster, message: JsonRpcMessage): Promise<void> {
    try {
      await lean.post(message);
    } catch (err) {
      if (err instanceof PostError && err.sessionExpired) {
        // The session is gone for every later request too: end this channel (after this
        // request's own error is out) so the link opens a new session on the next request.
        setImmediate(() => {
          if (!this.closing)
            this.onclose?.(new UpstreamError('UPSTREAM_CLOSED', `server "${this.name}" ended the session`));
        });
        throw new UpstreamError(
          'UPSTREAM_CLOSED',
          `server "${this.name}" ${err.message}; toolgate opens a new session on the next request`,
          err.status,
        );
      }
      // Sorted by how far it went: not sent (the server is unreachable), maybe run (the answer
      // was lost; a fact about this request, not the server's health), or not encodable (the client's).
      if (err instanceof DeliveryError && err.delivery === 'maybe')
        throw new UpstreamError('UPSTREAM_OUTCOME_UNKNOWN', `server "${this.name}": ${err.message}`);
      if (err instanceof DeliveryError && err.delivery === 'unsendable')
        throw new UpstreamError('MESSAGE_UNSENDABLE', err.message);
      throw new UpstreamError(
        'UPSTREAM_UNREACHABLE',
        `server "${this.name}" did not accept the request: ${describeError(err)}`,
        httpStatusOf(err),
      );
    }
  }

  /**
   * A POST's SSE stream ended before the response. With an event id the server can replay what
   * was missed: the SDK transport resumes with Last-Event-ID on a GET (and retries with backoff).
   * Without one the response can never come, so the request fails now instead of timing out.
   */
  private resume(id: RequestId, lastEventId: string): void {
    if (this.closing) return;
    // The server took the request and began answering it: whatever broke, it may have run it.
    const fail = (why: string) => this.onmessage?.(outcomeUnknown(id, `server "${this.name}" ${why}`));
    if (lastEventId === '') {
      fail('ended its response stream before answering');
      return;
    }
    this.streamable()
      .then((t) => (t as StreamableHTTPClientTransport).resumeStream(lastEventId))
      .catch((err) => fail(`broke its response stream and resuming it failed: ${describeError(err)}`));
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
    if (this.lean) this.lean.protocolVersion = version;
    this.transport?.setProtocolVersion?.(version);
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.lean) {
      // Client.close() alone leaves the upstream session open; DELETE it explicitly.
      await this.lean.terminate(DELETE_TIMEOUT_MS);
      this.lean.close();
      await this.transport?.close().catch(() => {});
      return;
    }
    await this.transport?.terminateSession?.().catch(() => {});
    await this.transport?.close().catch(() => {});
  }
}

/**
 * The HTTP status of a failed POST, when the server answered at all (our PostError, the SDK's
 * HTTP errors); undefined for a connection that failed (refused, reset, DNS).
 */
function httpStatusOf(err: unknown): number | undefined {
  if (err instanceof PostError) return err.status;
  const e = err as { status?: unknown; code?: unknown; data?: { status?: unknown }; message?: unknown };
  for (const v of [e?.status, e?.data?.status, e?.code])
    if (typeof v === 'number' && v >= 100 && v <= 599) return v;
  const m = typeof e?.message === 'string' ? /\(HTTP (\d{3})\)/.exec(e.message) : null;
  return m ? Number(m[1]) : undefined;
}

/** Errors of a connect that failed, so no byte of the request left (fetch puts them in `cause`). */
const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function connectFailed(err: unknown): boolean {
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  const code = cause?.code ?? (err as { code?: unknown })?.code;
  return typeof code === 'string' && CONNECT_FAILURES.has(code);
}

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, a DNS error) is in its `cause`. */
function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error ? (err.cause as { message?: unknown } | undefined) : undefined;
  return typeof cause?.message === 'string' && cause.message !== ''
    ? `${message} (${cause.message})`
    : message;
}
