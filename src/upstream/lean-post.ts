import { StringDecoder } from 'node:string_decoder';
import { type Dispatcher, Pool } from 'undici';
import { PROTOCOL_VERSION_KEY } from '../mcp/envelope.js';
import { isRequest, type JsonRpcMessage, type RequestId } from '../mcp/jsonrpc.js';
import {
  baseHeaders,
  type HeaderMap,
  postHeaders,
  sessionHeaders,
  type ToolParamHeaders,
} from './mcp-headers.js';
import { SseParser } from './sse-parser.js';

/**
 * Connections per upstream origin. Bounded so a burst of calls queues in the pool instead of
 * opening thousands of connections; generous because a POST answered with an SSE stream (a long
 * tool call, a 2026 `subscriptions/listen`) holds its connection until the response.
 */
const MAX_CONNECTIONS = 128;
/** A server that accepts the connection but never answers: give up on the headers (undici's default). */
const HEADERS_TIMEOUT_MS = 300_000;
const EXCERPT_CHARS = 300;
/** Same-origin 307/308 hops followed per request, as the SDK transport does (`fetchWithinOrigin`). */
const MAX_REDIRECTS = 5;
/**
 * A POST that provably never left (its connection was refused or failed before undici wrote a
 * byte of it) is sent again after these waits: a server restarting (a deploy) is back within them.
 */
const UNSENT_RETRY_MS = [100, 400];
/** Methods that change nothing on the server: one reset after sending may be answered by sending again. */
const RESENDABLE = new Set(['ping']);

/** A POST the server refused (non-2xx) or that never got an answer; `message` says which. */
export class PostError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** A 404 on a request that carried a session id: the server no longer knows the session. */
    readonly sessionExpired = false,
  ) {
    super(message);
    this.name = 'PostError';
  }
}

/**
 * How far a POST that got no answer went. `unsent`: no byte of it left (sending it again cannot
 * run it twice); `maybe`: it was written, so the server may have run it (never sent again);
 * `unsendable`: it could not be encoded (too deeply nested, say): the sender's fault, not the server's.
 */
export type Delivery = 'unsent' | 'maybe' | 'unsendable';

/** A POST that got no answer; `delivery` says whether the server may have run it. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly delivery: Delivery,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

type Headers = Record<string, string | string[] | undefined>;

/** What becomes of one answer's body, chosen when its status and headers arrive. */
interface BodyReader {
  data(chunk: Buffer): void;
  end(): void;
  /** The connection failed mid-body (or the pool was closed). */
  fail(err: Error): void;
}

/** Bodies nobody reads (a 202, a redirect being followed): their bytes are let go. */
const DISCARD: BodyReader = { data: () => {}, end: () => {}, fail: () => {} };

/**
 * The hot path of a streamable-HTTP upstream: JSON-RPC POSTs on undici's low-level `dispatch`
 * (a keep-alive pool per origin, callbacks instead of stream objects), answered by 202, one JSON
 * message, or an SSE stream read incrementally. The SDK transport did the same through `fetch`
 * and web streams, with zod on every message, and `node:http` after it still cost more CPU per
 * call than the relaying itself (docs/benchmarks.md). What this does not do (the standalone GET
 * stream, resuming a broken stream with Last-Event-ID, auth providers) stays with the SDK
 * transport; `onStreamEnd` is where a broken stream is handed over.
 */
export class LeanPoster {
  sessionId?: string;
  protocolVersion?: string;
  onmessage?: (message: JsonRpcMessage) => void;
  /**
   * A request's SSE stream ended before its response arrived. `lastEventId` is '' when the server
   * gave no event ids (nothing to resume from).
   */
  onStreamEnd?: (requestId: RequestId, lastEventId: string) => void;
  /** One pool per origin (a followed redirect may change the scheme). */
  private readonly pools = new Map<string, Pool>();
  private readonly base: HeaderMap;
  /** A request that never left is about to be sent again (tests watch this; nothing else needs it). */
  onRetry?: (message: JsonRpcMessage, err: Error) => void;
  /** SSE answers still open, by request id: true once the request was cancelled. */
  private readonly open = new Map<string, boolean>();
  /** After close(): a request that never left is not tried again (that would open a new pool). */
  private closed = false;

  constructor(
    private readonly url: URL,
    private readonly configured: Record<string, string> | undefined,
    /** SEP-2243: a tool's `x-mcp-header` declarations, for the `Mcp-Param-*` headers of 2026 calls. */
    private readonly paramHeaders?: ToolParamHeaders,
  ) {
    this.base = baseHeaders(configured);
  }

  private pool(url: URL): Pool {
    let pool = this.pools.get(url.origin);
    if (!pool) {
      // bodyTimeout 0: an SSE answer may be quiet for as long as the tool runs.
      pool = new Pool(url.origin, {
        connections: MAX_CONNECTIONS,
        headersTimeout: HEADERS_TIMEOUT_MS,
        bodyTimeout: 0,
      });
      this.pools.set(url.origin, pool);
    }
    return pool;
  }

  /**
   * One exchange: `start` sees the status and headers and says what to do with the body. Errors
   * before the headers go to `failed`, with whether the request may have left; after them, to the
   * reader.
   */
  private exchange(
    url: URL,
    options: { method: 'POST' | 'DELETE'; headers: HeaderMap; body?: string; timeoutMs?: number },
    start: (status: number, headers: Headers) => BodyReader,
    failed: (err: Error, written: boolean) => void,
  ): void {
    let reader: BodyReader | undefined;
    let controller: Dispatcher.DispatchController | undefined;
    // undici calls onRequestStart on the connected socket just before it writes the request
    // (client-h1 writeH1); an error before it means no byte left: a refused or failed connect,
    // or a kept-alive socket undici found closed (it keeps such requests queued for a new one).
    let written = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(
            () => controller?.abort(new Error(`no answer within ${options.timeoutMs} ms`)),
            options.timeoutMs,
          );
    const done = () => timer && clearTimeout(timer);
    this.pool(url).dispatch(
      {
        path: url.pathname + url.search,
        method: options.method,
        headers: options.headers,
        body: options.body,
        ...(options.timeoutMs === undefined ? {} : { headersTimeout: options.timeoutMs }),
      },
      {
        onRequestStart: (c) => {
          controller = c;
          written = true;
        },
        onResponseStart: (_c, status, headers) => {
          if (status < 200) return; // 1xx: the real answer follows
          reader = start(status, headers as Headers);
        },
        onResponseData: (_c, chunk) => reader?.data(chunk),
        onResponseEnd: () => {
          done();
          reader?.end();
        },
        onResponseError: (_c, err) => {
          done();
          if (reader) reader.fail(err);
          else failed(err, written);
        },
      },
    );
  }

  /**
   * POST one message. Resolves once it was accepted: after a 202, after a JSON answer was
   * delivered to `onmessage`, or as soon as an SSE answer starts (its messages follow as they
   * arrive). Rejects with a PostError or the connection error.
   */
  post(message: JsonRpcMessage): Promise<void> {
    if ('method' in message && message.method === 'notifications/cancelled') {
      // The server ends a cancelled request's stream without a response: nothing to resume.
      const key = String(message.params?.requestId);
      if (this.open.has(key)) this.open.set(key, true);
    }
    let body: string;
    try {
      body = JSON.stringify(message);
    } catch (err) {
      // A message nested past the stack (or holding a cycle) cannot be written: whoever sent it
      // gets the error; the server never saw it, so this says nothing about the server.
      return Promise.reject(
        new DeliveryError(`the message cannot be encoded as JSON: ${(err as Error).message}`, 'unsendable'),
      );
    }
    const headers = postHeaders(this.base, message, this.sessionId, this.protocolVersion, this.paramHeaders);
    headers['content-length'] = String(Buffer.byteLength(body));
    return this.attempt(message, body, headers, this.url, 0, { unsent: 0, resent: false });
  }

  /**
   * One try at a POST, and the rule that keeps a call from running twice: a request is sent again
   * only when no byte of it left (see `exchange`), or when it is a ping. Once it may have reached
   * the server, a failure is a DeliveryError `maybe`, never a second send: the server may have
   * run a tools/call (or any other request) before the connection broke.
   */
  private attempt(
    message: JsonRpcMessage,
    body: string,
    headers: HeaderMap,
    url: URL,
    hops: number,
    tries: { unsent: number; resent: boolean },
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.exchange(
        url,
        { method: 'POST', headers, body },
        (status, resHeaders) => {
          const target = redirectTarget(url, status, resHeaders);
          if (target === undefined) return this.answer(message, headers, status, resHeaders, resolve, reject);
          // A server mounted at `/mcp/` answers `/mcp` with a 307; like the SDK transport, follow
          // a redirect that keeps the method and the origin, and name any other one.
          if (hops < MAX_REDIRECTS && followable(url, target, status)) {
            this.attempt(message, body, headers, target, hops + 1, tries).then(resolve, reject);
          } else reject(new PostError(unfollowed(url, target, hops), status));
          return DISCARD;
        },
        (err, written) => {
          const again = (next: { unsent: number; resent: boolean }) =>
            this.attempt(message, body, headers, url, hops, next).then(resolve, reject);
          if (!written && isMalformed(err)) {
            // undici refused the request itself (a header value it cannot send): nothing left,
            // and sending it again would fail the same way; it says nothing about the server.
            reject(new DeliveryError(`the request cannot be sent: ${err.message}`, 'unsendable'));
            return;
          }
          if (!written) {
            const wait = this.closed ? undefined : UNSENT_RETRY_MS[tries.unsent];
            if (wait === undefined) {
              reject(new DeliveryError(`${err.message} (the request was not sent)`, 'unsent'));
              return;
            }
            this.onRetry?.(message, err);
            setTimeout(() => again({ ...tries, unsent: tries.unsent + 1 }), wait).unref();
            return;
          }
          // A ping changes nothing: the keep-alive race (the server closed the connection just as
          // it was reused) may cost it a second send.
          if (!tries.resent && 'method' in message && RESENDABLE.has(message.method) && isClosedByPeer(err)) {
            again({ ...tries, resent: true });
            return;
          }
          reject(
            new DeliveryError(`the connection failed after the request was sent (${err.message})`, 'maybe'),
          );
        },
      );
    });
  }

  /** What to do with an answer to `message`, given its status and headers. */
  private answer(
    message: JsonRpcMessage,
    sent: HeaderMap,
    status: number,
    headers: Headers,
    resolve: () => void,
    reject: (err: Error) => void,
  ): BodyReader {
    const initialize = 'method' in message && message.method === 'initialize';
    if (initialize && status >= 200 && status < 300) {
      const sid = headers['mcp-session-id'];
      this.sessionId = typeof sid === 'string' && sid !== '' ? sid : undefined;
    }
    if (status < 200 || status >= 300) {
      return readText(
        (text) => {
          if (status === 400 && this.deliverModernError(message, text)) return resolve();
          const session = sent['mcp-session-id'];
          if (status === 404 && session !== undefined) {
            return reject(
              new PostError(
                `no longer knows session ${session} (HTTP 404): the upstream session expired or the server restarted`,
                status,
                true,
              ),
            );
          }
          const excerpt = text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}...` : text;
          reject(new PostError(`HTTP ${status}${excerpt ? `: ${excerpt.trim()}` : ''}`, status));
        },
        () => reject(new PostError(`HTTP ${status}`, status)),
      );
    }
    if (status === 202 || !isRequest(message)) {
      resolve();
      return DISCARD;
    }
    const contentType = headers['content-type'];
    const type = (typeof contentType === 'string' ? contentType : '').split(';')[0]?.trim().toLowerCase();
    if (type === 'text/event-stream') {
      resolve();
      return this.stream(message.id);
    }
    if (type === 'application/json') {
      return readText(
        (text) => {
          let data: unknown;
          try {
            data = JSON.parse(text);
          } catch {
            return reject(
              new PostError(`the server answered with invalid JSON: ${text.slice(0, EXCERPT_CHARS)}`, status),
            );
          }
          for (const m of Array.isArray(data) ? data : [data]) this.deliver(m as JsonRpcMessage);
          resolve();
        },
        (err) => reject(err),
      );
    }
    reject(
      new PostError(
        `unexpected content type "${typeof contentType === 'string' ? contentType : ''}" (HTTP ${status})`,
        status,
      ),
    );
    return DISCARD;
  }

  /** Read an SSE answer, delivering each message as its event completes. */
  private stream(requestId: RequestId): BodyReader {
    let responded = false;
    const key = String(requestId);
    this.open.set(key, false);
    const parser = new SseParser((event) => {
      if (event.event !== 'message' || event.data === '') return;
      let m: JsonRpcMessage;
      try {
        m = JSON.parse(event.data) as JsonRpcMessage;
      } catch {
        return; // the SDK transport also drops an event it cannot parse and reads on
      }
      if ('id' in m && !('method' in m) && String(m.id) === String(requestId)) responded = true;
      this.deliver(m);
    });
    const decoder = new StringDecoder('utf8'); // a character split across chunks stays whole
    const closed = () => {
      const cancelled = this.open.get(key) === true;
      this.open.delete(key);
      if (!responded && !cancelled) this.onStreamEnd?.(requestId, parser.lastEventId);
    };
    return {
      data: (chunk) => parser.push(decoder.write(chunk)),
      end: () => {
        parser.push(decoder.end());
        closed();
      },
      fail: closed,
    };
  }

  /**
   * A 2026 server refuses a request it cannot serve (a header mismatch, an unsupported version)
   * with HTTP 400 and a JSON-RPC error for that request; the SDK transport delivers that as the
   * answer rather than failing the POST, and so does this.
   */
  private deliverModernError(message: JsonRpcMessage, text: string): boolean {
    if (!isRequest(message)) return false;
    const meta = (message.params as { _meta?: Record<string, unknown> } | undefined)?._meta;
    if (typeof meta?.[PROTOCOL_VERSION_KEY] !== 'string') return false;
    try {
      const parsed = JSON.parse(text) as { id?: unknown; error?: unknown };
      if (parsed && typeof parsed === 'object' && 'error' in parsed && parsed.id === message.id) {
        this.deliver(parsed as JsonRpcMessage);
        return true;
      }
    } catch {
      /* not JSON: an ordinary failed POST */
    }
    return false;
  }

  private deliver(m: JsonRpcMessage): void {
    try {
      this.onmessage?.(m);
    } catch {
      // Delivery runs in a socket event handler, where a throw would take the gateway down;
      // the link's handler does not throw by design, so this is a last resort.
    }
  }

  /** DELETE the session (Client.close() alone would leave it open upstream). Bounded in time. */
  terminate(timeoutMs: number): Promise<void> {
    const sessionId = this.sessionId;
    if (sessionId === undefined) return Promise.resolve();
    this.sessionId = undefined;
    return new Promise<void>((resolve) => {
      const headers = sessionHeaders(this.configured, sessionId, this.protocolVersion);
      this.exchange(
        this.url,
        { method: 'DELETE', headers, timeoutMs },
        () => ({ data: () => {}, end: resolve, fail: () => resolve() }),
        () => resolve(),
      );
    });
  }

  /** Close every connection, ending any SSE answer still open. */
  close(): void {
    this.closed = true;
    for (const pool of this.pools.values()) pool.destroy().catch(() => {});
    this.pools.clear();
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function redirectTarget(url: URL, status: number, headers: Headers): URL | undefined {
  const location = REDIRECTS.has(status) ? headers.location : undefined;
  if (typeof location !== 'string' || location === '') return undefined;
  try {
    return new URL(location, url);
  } catch {
    return undefined;
  }
}

/** The SDK's rule: a POST keeps its method only on 307/308; same origin (or its https form); same userinfo. */
function followable(from: URL, to: URL, status: number): boolean {
  if (status !== 307 && status !== 308) return false;
  if ((to.username || to.password) && (to.username !== from.username || to.password !== from.password))
    return false;
  if (from.protocol === to.protocol && from.host === to.host) return true;
  return (
    from.protocol === 'http:' &&
    to.protocol === 'https:' &&
    from.hostname === to.hostname &&
    !from.port &&
    !to.port
  );
}

function unfollowed(from: URL, target: URL, hops: number): string {
  const shown = new URL(target);
  shown.username = shown.password = shown.search = shown.hash = '';
  if (hops >= MAX_REDIRECTS) return `more than ${MAX_REDIRECTS} redirects (the last to ${shown.href})`;
  if (shown.protocol === 'http:' && from.protocol === 'https:') {
    shown.protocol = 'https:';
    return `redirect from https to plain http not followed; try ${shown.href} as the endpoint`;
  }
  return `redirect to ${shown.href} not followed; use that URL as the endpoint if it is the intended server`;
}

/** A whole (small) body as text: an error page, a JSON answer. */
function readText(done: (text: string) => void, failed: (err: Error) => void): BodyReader {
  const decoder = new StringDecoder('utf8');
  let text = '';
  return {
    data: (chunk) => {
      text += decoder.write(chunk);
    },
    end: () => done(text + decoder.end()),
    fail: () => failed(new DeliveryError('the connection closed before the answer was complete', 'maybe')),
  };
}

/** An error about the request itself (undici's or node's argument checks), not the connection. */
function isMalformed(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return (
    typeof code === 'string' &&
    (code.startsWith('UND_ERR_INVALID') || code.startsWith('ERR_INVALID') || code === 'UND_ERR_NOT_SUPPORTED')
  );
}

/** undici's word for a connection the server closed or reset under a request. */
function isClosedByPeer(err: Error): boolean {
  const code = (err as { code?: string }).code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET';
}
