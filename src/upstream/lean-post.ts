import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { PROTOCOL_VERSION_KEY } from '../era/envelope.js';
import { isRequest, type JsonRpcMessage, type RequestId } from '../proxy/jsonrpc.js';
import {
  baseHeaders,
  type HeaderMap,
  postHeaders,
  sessionHeaders,
  type ToolParamHeaders,
} from './mcp-headers.js';
import { SseParser } from './sse-parser.js';

/**
 * Sockets per upstream connection. Bounded so a burst of calls queues in the agent instead of
 * opening thousands of connections; generous because a POST answered with an SSE stream (a long
 * tool call, a 2026 `subscriptions/listen`) holds its socket until the response.
 */
const MAX_SOCKETS = 128;
const MAX_FREE_SOCKETS = 32;
/** A server that accepts the connection but never answers: give up on the headers (undici's default). */
const HEADERS_TIMEOUT_MS = 300_000;
const EXCERPT_CHARS = 300;
/** Same-origin 307/308 hops followed per request, as the SDK transport does (`fetchWithinOrigin`). */
const MAX_REDIRECTS = 5;

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
 * The hot path of a streamable-HTTP upstream: JSON-RPC POSTs over `node:http(s)` with a keep-alive
 * agent, answered by 202, one JSON message, or an SSE stream read incrementally. The SDK transport
 * did the same through undici `fetch` and web streams, with zod on every message, which cost the
 * gateway several times the CPU of the relaying itself (docs/benchmarks.md). What this does not
 * do (the standalone GET stream, resuming a broken stream with Last-Event-ID, auth providers)
 * stays with the SDK transport; `onStreamEnd` is where a broken stream is handed over.
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
  private httpAgent?: HttpAgent;
  private httpsAgent?: HttpsAgent;
  private readonly base: HeaderMap;
  /** SSE answers still open, by request id: true once the request was cancelled. */
  private readonly open = new Map<string, boolean>();

  constructor(
    private readonly url: URL,
    private readonly configured: Record<string, string> | undefined,
    /** SEP-2243: a tool's `x-mcp-header` declarations, for the `Mcp-Param-*` headers of 2026 calls. */
    private readonly paramHeaders?: ToolParamHeaders,
  ) {
    this.base = baseHeaders(configured);
  }

  /** A request on the keep-alive agent for the URL's scheme (a redirect may change it). */
  private request(url: URL, method: string, headers: HeaderMap): ClientRequest {
    const options = { keepAlive: true, maxSockets: MAX_SOCKETS, maxFreeSockets: MAX_FREE_SOCKETS };
    if (url.protocol === 'https:') {
      this.httpsAgent ??= new HttpsAgent(options);
      return httpsRequest(url, { method, headers, agent: this.httpsAgent });
    }
    this.httpAgent ??= new HttpAgent(options);
    return httpRequest(url, { method, headers, agent: this.httpAgent });
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
    const body = JSON.stringify(message);
    const headers = postHeaders(this.base, message, this.sessionId, this.protocolVersion, this.paramHeaders);
    headers['content-length'] = String(Buffer.byteLength(body));
    return this.attempt(message, body, headers, this.url, 0, true);
  }

  private attempt(
    message: JsonRpcMessage,
    body: string,
    headers: HeaderMap,
    url: URL,
    hops: number,
    retry: boolean,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let answered = false;
      const req = this.request(url, 'POST', headers);
      req.setTimeout(HEADERS_TIMEOUT_MS, () =>
        req.destroy(new Error(`no answer within ${HEADERS_TIMEOUT_MS / 1000}s`)),
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (answered) return; // the response's own handlers report what happens after headers
        // A kept-alive socket the server closed (idle timeout) just as we reused it: the request
        // died with the connection before the server read it, so the Node docs advise sending
        // it again, once, on a fresh connection.
        if (retry && req.reusedSocket && err.code === 'ECONNRESET') {
          this.attempt(message, body, headers, url, hops, false).then(resolve, reject);
          return;
        }
        reject(err);
      });
      req.on('response', (res) => {
        answered = true;
        // A reset mid-body destroys `res` with an error; unheard, it would be an uncaught
        // exception. Every reader below learns of it from 'close' instead.
        res.on('error', () => {});
        req.setTimeout(0); // an SSE answer may be quiet for as long as the tool runs
        const target = redirectTarget(url, res);
        if (target !== undefined) {
          res.resume();
          // A server mounted at `/mcp/` answers `/mcp` with a 307; like the SDK transport, follow
          // a redirect that keeps the method and the origin, and name any other one.
          if (hops < MAX_REDIRECTS && followable(url, target, res.statusCode ?? 0)) {
            this.attempt(message, body, headers, target, hops + 1, true).then(resolve, reject);
          } else reject(new PostError(unfollowed(url, target, hops), res.statusCode));
          return;
        }
        this.answer(message, req, res).then(resolve, reject);
      });
      req.end(body);
    });
  }

  private async answer(message: JsonRpcMessage, req: ClientRequest, res: IncomingMessage): Promise<void> {
    const status = res.statusCode ?? 0;
    const initialize = 'method' in message && message.method === 'initialize';
    if (initialize && status >= 200 && status < 300) {
      const sid = res.headers['mcp-session-id'];
      this.sessionId = typeof sid === 'string' && sid !== '' ? sid : undefined;
    }
    if (status < 200 || status >= 300) {
      const text = await readText(res).catch(() => '');
      if (status === 400 && this.deliverModernError(message, text)) return;
      const sent = req.getHeader('mcp-session-id');
      if (status === 404 && typeof sent === 'string') {
        throw new PostError(
          `no longer knows session ${sent} (HTTP 404): the upstream session expired or the server restarted`,
          status,
          true,
        );
      }
      const excerpt = text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}...` : text;
      throw new PostError(`HTTP ${status}${excerpt ? `: ${excerpt.trim()}` : ''}`, status);
    }
    if (status === 202 || !isRequest(message)) {
      res.resume();
      return;
    }
    const type = (res.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type === 'text/event-stream') {
      this.stream(message.id, res);
      return;
    }
    if (type === 'application/json') {
      const text = await readText(res);
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        throw new PostError(`the server answered with invalid JSON: ${text.slice(0, EXCERPT_CHARS)}`, status);
      }
      for (const m of Array.isArray(data) ? data : [data]) this.deliver(m as JsonRpcMessage);
      return;
    }
    res.resume();
    throw new PostError(
      `unexpected content type "${res.headers['content-type'] ?? ''}" (HTTP ${status})`,
      status,
    );
  }

  /** Read an SSE answer, delivering each message as its event completes. */
  private stream(requestId: RequestId, res: IncomingMessage): void {
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
    res.setEncoding('utf8'); // a StringDecoder: a character split across chunks stays whole
    res.on('data', (chunk: string) => parser.push(chunk));
    res.on('close', () => {
      const cancelled = this.open.get(key) === true;
      this.open.delete(key);
      if (!responded && !cancelled) this.onStreamEnd?.(requestId, parser.lastEventId);
    });
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
    return new Promise<void>((resolve) => {
      const headers = sessionHeaders(this.configured, sessionId, this.protocolVersion);
      const req = this.request(this.url, 'DELETE', headers);
      req.setTimeout(timeoutMs, () => req.destroy());
      req.on('error', () => resolve());
      req.on('response', (res) => {
        res.resume();
        res.on('close', () => resolve());
      });
      req.end();
      this.sessionId = undefined;
    });
  }

  /** Close every socket, ending any SSE answer still open. */
  close(): void {
    this.httpAgent?.destroy();
    this.httpsAgent?.destroy();
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

function redirectTarget(url: URL, res: IncomingMessage): URL | undefined {
  const location = REDIRECTS.has(res.statusCode ?? 0) ? res.headers.location : undefined;
  if (!location) return undefined;
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

function readText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      text += chunk;
    });
    res.on('end', () => resolve(text));
    res.on('close', () => {
      if (!res.complete) reject(new Error('the connection closed before the answer was complete'));
    });
  });
}
