import type { Logger } from 'pino';
import { isStdioServer, type ServerConfig } from '../config/index.js';
import {
  errorResponse,
  INVALID_REQUEST,
  isNotification,
  isRequest,
  isResponse,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  outcomeUnknown,
  type RequestId,
  UPSTREAM_ERROR,
} from '../mcp/jsonrpc.js';
import type { ParamHeaderLookup } from '../mcp/param-headers.js';
import { jsonValueDepth, MAX_UPSTREAM_JSON_DEPTH } from '../util/json-depth.js';
import type { Channel } from './channel.js';
import { UpstreamError } from './errors.js';
import { type BackoffPolicy, backoffDelay } from './restart-backoff.js';
import { StdioChannel } from './stdio-channel.js';

/**
 * What a link learns about its server's health from live traffic (the gateway's health view,
 * src/gateway/upstream-health.ts, listens). Optional: probes and tests go without.
 */
export interface LinkHealth {
  /** The server answered a request; called at most once a second per link. */
  answered(server: string): void;
  /**
   * The server cannot be reached or started: a connection refused, an HTTP 5xx to initialize, a
   * process that exits before it answers initialize, an initialize that times out, a restart that
   * failed. Not called for a crash the next request recovers from by restarting. `stderr`: a
   * stdio server's last stderr lines when it exited (cleaned, secrets masked).
   */
  unreachable(server: string, reason: string, stderr?: readonly string[]): void;
  /**
   * Why a stdio server must not be started now (it is down and its next attempt is not due: the
   * health view's backoff), or undefined. A start costs a process, often `npx` and a registry
   * request; a refused connection costs nothing, so HTTP servers are not asked.
   */
  startRefused?(server: string): string | undefined;
}

export interface LinkHooks {
  /** A request from the server to the client (sampling, elicitation, roots, ping). Id is the upstream's. */
  onServerRequest(request: JsonRpcRequest, link: UpstreamLink): void;
  /** A notification not tied to a request we sent (list_changed, logging, resources/updated). */
  onServerNotification(notification: JsonRpcNotification, link: UpstreamLink): void;
  /** A progress notification for one of our requests; the token is already the caller's own again. */
  onProgress(notification: JsonRpcNotification, context: unknown): void;
  health?: LinkHealth;
}

interface Pending {
  resolve(response: JsonRpcResponse): void;
  context: unknown;
  method: string;
  /** The caller's own progress token, restored on progress notifications. */
  progressToken?: string | number;
  upstreamToken?: string;
  timer?: NodeJS.Timeout;
  /** Handed to a channel: from here on the server may run it, so a lost answer is an unknown outcome. */
  sent?: boolean;
}

/**
 * A session's own restarts of a server that crashed under it: the first at once-ish, then longer.
 * A server that cannot start at all is the health view's to pace (LinkHealth.startRefused).
 */
const RESTART_BACKOFF: BackoffPolicy = { firstMs: 250, maxMs: 10_000, jitter: 0.2 };
const HEALTHY_AFTER_MS = 30_000;
/** How often a busy link tells the health view that its server answers. */
const ANSWERED_EVERY_MS = 1_000;

/**
 * A managed connection to one upstream server on behalf of one client session (or, when the
 * server is `shared`, all of them). It owns request-id assignment, so ids from many clients never
 * collide; it replays the initialize handshake after a crash; and a request in flight when the
 * server dies gets an error that says so, while the next request starts it again (with backoff).
 */
export class UpstreamLink {
  private channel?: Channel;
  private connecting?: Promise<Channel>;
  private nextId = 1;
  private nextToken = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly progress = new Map<string, number>();
  private initialize?: JsonRpcRequest['params'];
  private protocolVersion?: string;
  private crashes = 0;
  private lastCrashAt = 0;
  private startedAt = 0;
  private closed = false;
  private initResult?: Promise<JsonRpcResponse>;
  private answeredAt = 0;
  lastError?: string;
  /** The last stderr lines of the server process that last ended (stdio), for the probe's report. */
  lastStderr?: readonly string[];

  constructor(
    readonly server: string,
    private readonly cfg: ServerConfig,
    protected readonly hooks: LinkHooks,
    private readonly log: Logger,
    private readonly shared = false,
    /**
     * SEP-2243: the `x-mcp-header` declarations the gateway learnt, so an HTTP channel can mirror
     * a 2026 `tools/call`'s arguments into the `Mcp-Param-*` headers a 2026 upstream requires.
     */
    private readonly paramHeaders?: ParamHeaderLookup,
  ) {}

  get isUp(): boolean {
    return this.channel !== undefined;
  }

  /** Send the handshake. Its params are kept so a restarted server gets the same handshake. */
  initializeWith(params: JsonRpcRequest['params']): Promise<JsonRpcResponse> {
    // A shared link does the handshake once; later clients get the same answer.
    if (this.shared && this.initResult) return this.initResult;
    this.initialize = params;
    const result = this.request('initialize', params, undefined);
    if (this.shared) {
      this.initResult = result.then((r) => {
        if ('error' in r) this.initResult = undefined;
        return r;
      });
    }
    return result;
  }

  /** Send a request; resolves with the upstream's response (its id is ours, not the caller's). */
  request(method: string, params: JsonRpcRequest['params'], context: unknown): Promise<JsonRpcResponse> {
    return this.send(method, params, context).response;
  }

  /**
   * Send a request and learn at once the id it got upstream (the caller needs it to forward a
   * cancellation while the response is still pending).
   */
  send(
    method: string,
    params: JsonRpcRequest['params'],
    context: unknown,
    via?: Channel,
  ): { id: number; response: Promise<JsonRpcResponse> } {
    const id = this.nextId++;
    const entry: Pending = { resolve: () => {}, context, method };
    let outParams = params;
    const meta = params?._meta as Record<string, unknown> | undefined;
    if (meta && (typeof meta.progressToken === 'string' || typeof meta.progressToken === 'number')) {
      // Tokens are only unique per client; on a shared link two clients may pick the same one.
      entry.progressToken = meta.progressToken;
      entry.upstreamToken = `tg${this.nextToken++}`;
      this.progress.set(entry.upstreamToken, id);
      outParams = { ...params, _meta: { ...meta, progressToken: entry.upstreamToken } };
    }
    const response = new Promise<JsonRpcResponse>((resolve) => {
      entry.resolve = resolve;
    });
    this.pending.set(id, entry);
    const message: JsonRpcRequest =
      outParams === undefined
        ? { jsonrpc: '2.0', id, method }
        : { jsonrpc: '2.0', id, method, params: outParams };
    // While a (re)connect is in progress everything waits for it, except the handshake itself.
    const channel = via ?? (this.connecting ? undefined : this.channel);
    if (channel) this.transmit(channel, id, entry, message);
    else {
      this.connect(method !== 'initialize').then(
        (ch) => this.transmit(ch, id, entry, message),
        (err: Error) => {
          // The server could not be started or reached (a restart included): it is down. Not
          // started because of the backoff: nothing new, the health view knows.
          const backingOff = err instanceof UpstreamError && err.code === 'UPSTREAM_BACKING_OFF';
          if (!this.closed && !backingOff)
            this.unreachable(err.message, err instanceof UpstreamError ? err.stderr : undefined);
          this.settle(id, errorResponse(id, UPSTREAM_ERROR, err.message));
        },
      );
    }
    const done = method === 'initialize' ? response.then((r) => this.afterInitialize(r, channel)) : response;
    return { id, response: done };
  }

  private transmit(channel: Channel, id: number, entry: Pending, message: JsonRpcRequest): void {
    if (!this.pending.has(id)) return; // cancelled while connecting
    this.armTimer(id, entry);
    entry.sent = true;
    channel.send(message).catch((err: Error) => {
      const code = err instanceof UpstreamError ? err.code : undefined;
      // About this message, not the server (F11, F7): one that cannot be encoded is the client's
      // to fix; one whose answer was lost may have run and is never sent again. Health untouched.
      if (code === 'MESSAGE_UNSENDABLE') {
        this.settle(id, errorResponse(id, INVALID_REQUEST, `Invalid Request: ${err.message}`));
        return;
      }
      if (code === 'UPSTREAM_OUTCOME_UNKNOWN') {
        this.settle(id, outcomeUnknown(id, err.message));
        return;
      }
      // No connection at all, or a handshake answered with a 5xx, means the server is down. An
      // HTTP error to another request (a 500 for one tools/call) is that request's, and a 4xx to
      // initialize may be the client's doing: neither says anything about the server.
      const status = err instanceof UpstreamError ? err.httpStatus : undefined;
      const noConnection =
        err instanceof UpstreamError && err.code === 'UPSTREAM_UNREACHABLE' && status === undefined;
      const handshake5xx = message.method === 'initialize' && status !== undefined && status >= 500;
      if (!this.closed && (noConnection || handshake5xx)) this.unreachable(err.message);
      this.settle(id, errorResponse(id, UPSTREAM_ERROR, err.message));
    });
  }

  private async afterInitialize(result: JsonRpcResponse, via: Channel | undefined): Promise<JsonRpcResponse> {
    const channel = via ?? this.channel;
    if ('result' in result && channel) {
      const version = result.result.protocolVersion;
      if (typeof version === 'string') {
        this.protocolVersion = version;
        channel.setProtocolVersion(version);
      }
      // Awaited before the client sees the result: an HTTP channel opens its GET stream once the
      // server took `initialized`, and a server request sent on that stream before it is open is lost.
      await channel.send({ jsonrpc: '2.0', method: 'notifications/initialized' }).catch(() => {});
    }
    return result;
  }

  /**
   * Eras (issue 9): hand a pending request's progress and context to a new caller. A 2026 client
   * retries an `input_required` call as a new request while the 2025 upstream is still working on
   * the first one; its progress belongs on the retry's stream from then on.
   */
  retarget(upstreamId: number, context: unknown, progressToken?: string | number): void {
    const entry = this.pending.get(upstreamId);
    if (!entry) return;
    entry.context = context;
    if (progressToken !== undefined && entry.upstreamToken) entry.progressToken = progressToken;
  }

  /** The upstream id a caller's request got, for cancellation; undefined when not in flight. */
  cancel(upstreamId: number, reason?: string): void {
    const entry = this.pending.get(upstreamId);
    if (!entry) return;
    this.notify('notifications/cancelled', { requestId: upstreamId, ...(reason ? { reason } : {}) });
    // Cancelled after it was sent: the server may have run it before the cancellation arrived.
    const data = entry.sent ? { outcome: 'unknown' } : undefined;
    this.settle(upstreamId, errorResponse(upstreamId, -32800, 'request cancelled', data));
  }

  notify(method: string, params?: Record<string, unknown>): void {
    const channel = this.channel;
    if (!channel) return; // notifications to a dead server are moot
    const message: JsonRpcNotification = params
      ? { jsonrpc: '2.0', method, params }
      : { jsonrpc: '2.0', method };
    channel.send(message).catch(() => {});
  }

  /** Answer a server-to-client request with the client's result or error. */
  respond(upstreamId: RequestId, body: { result: unknown } | { error: unknown }): void {
    this.channel?.send({ jsonrpc: '2.0', id: upstreamId, ...body } as JsonRpcMessage).catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    const channel = this.channel;
    this.channel = undefined;
    this.failAll('the gateway closed this session');
    await channel?.close();
  }

  private connect(replay: boolean): Promise<Channel> {
    if (this.channel) return Promise.resolve(this.channel);
    if (this.closed) return Promise.reject(new UpstreamError('UPSTREAM_CLOSED', 'session closed'));
    this.connecting ??= this.open(replay).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(replay: boolean): Promise<Channel> {
    const wait = backoffDelay(this.crashes, RESTART_BACKOFF);
    const remaining = this.lastCrashAt + wait - Date.now();
    if (remaining > 0) await new Promise((r) => setTimeout(r, remaining));
    const stdio = isStdioServer(this.cfg);
    const refused = stdio ? this.hooks.health?.startRefused?.(this.server) : undefined;
    if (refused !== undefined) throw new UpstreamError('UPSTREAM_BACKING_OFF', refused);
    // The HTTP channel (undici, the SDK's client transports) is loaded only for an HTTP server.
    const channel: Channel = stdio
      ? new StdioChannel(this.server, this.cfg, this.log)
      : new (await import('./http-channel.js')).HttpChannel(
          this.server,
          this.cfg,
          this.paramHeaders,
          this.log,
        );
    channel.onmessage = (m) => this.onMessage(m);
    channel.onclose = (reason) => this.onChannelClosed(channel, reason);
    try {
      await channel.start();
    } catch (err) {
      this.noteCrash((err as Error).message);
      throw err;
    }
    this.startedAt = Date.now();
    this.channel = channel;
    if (this.protocolVersion) channel.setProtocolVersion(this.protocolVersion);
    if (replay && this.initialize) {
      // A restarted server must see the handshake the client once did, before anything else.
      this.log.info({ upstream: this.server }, 'replaying initialize after restart');
      const res = await this.send('initialize', this.initialize, undefined, channel).response;
      if ('error' in res)
        throw new UpstreamError(
          'UPSTREAM_UNREACHABLE',
          `server "${this.server}" refused initialize: ${res.error.message}`,
        );
    }
    return channel;
  }

  private onChannelClosed(channel: Channel, reason: UpstreamError): void {
    if (this.channel !== channel) return;
    this.channel = undefined;
    this.noteCrash(reason.message);
    this.lastStderr = reason.stderr;
    // Gone in the middle of its handshake: the server cannot start. A crash later on is restarted
    // by the next request and says nothing about health until that restart fails.
    const starting = [...this.pending.values()].some((p) => p.method === 'initialize');
    if (starting) {
      const why = `${reason.message} before it answered initialize`;
      this.lastError = why;
      this.unreachable(why, reason.stderr);
      // Its stderr (the why) goes to the log and the admin API, not to the client.
      this.failAll(reason.stderr?.length ? `${why}; its last stderr lines are in the gateway log` : why);
      return;
    }
    this.log.warn({ upstream: this.server, reason: reason.message }, 'upstream went away');
    this.failAll(`${reason.message} while handling this request; toolgate restarts it on the next request`);
  }

  private noteCrash(message: string): void {
    if (Date.now() - this.startedAt > HEALTHY_AFTER_MS) this.crashes = 0;
    this.crashes++;
    this.lastCrashAt = Date.now();
    this.lastError = message;
  }

  /** Fail every request in flight; one already sent may have run, and its error says so. */
  private failAll(message: string): void {
    for (const [id, p] of [...this.pending])
      this.settle(id, p.sent ? outcomeUnknown(id, message) : errorResponse(id, UPSTREAM_ERROR, message));
  }

  private armTimer(id: number, entry: Pending): void {
    if (entry.timer) clearTimeout(entry.timer);
    // Eras (issue 9): a 2026 `subscriptions/listen` stays open by design; it ends when cancelled.
    if (entry.method === 'subscriptions/listen') return;
    const ms = this.cfg.timeout;
    entry.timer = setTimeout(() => {
      const why = `server "${this.server}" did not answer ${entry.method} within ${ms / 1000}s`;
      this.notify('notifications/cancelled', { requestId: id, reason: 'timeout' });
      // A slow tool is the tool's business; a server that does not answer its handshake is down.
      if (entry.method === 'initialize') this.unreachable(why);
      this.settle(id, outcomeUnknown(id, why));
    }, ms);
    entry.timer.unref();
  }

  private settle(id: number, response: JsonRpcResponse): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    if (entry.timer) clearTimeout(entry.timer);
    if (entry.upstreamToken) this.progress.delete(entry.upstreamToken);
    entry.resolve(response);
  }

  private unreachable(reason: string, stderr?: readonly string[]): void {
    this.hooks.health?.unreachable(this.server, reason, stderr);
  }

  private onMessage(message: JsonRpcMessage): void {
    if (jsonValueDepth(message, MAX_UPSTREAM_JSON_DEPTH) > MAX_UPSTREAM_JSON_DEPTH) {
      // Everything downstream walks messages recursively (relaying one is a JSON.stringify): one
      // nested this deep would overflow the stack there, outside any handler. Not relayed.
      const why = `server "${this.server}" sent a message nested more than ${MAX_UPSTREAM_JSON_DEPTH} levels deep; the gateway does not relay it`;
      const id = isResponse(message) ? message.id : undefined;
      if (id !== undefined && id !== null) this.settle(Number(id), errorResponse(id, UPSTREAM_ERROR, why));
      else this.log.warn({ upstream: this.server }, why);
      return;
    }
    if (isResponse(message)) {
      const health = this.hooks.health;
      if (health) {
        const now = Date.now();
        if (now - this.answeredAt >= ANSWERED_EVERY_MS) {
          this.answeredAt = now;
          health.answered(this.server);
        }
      }
      const id = typeof message.id === 'number' ? message.id : Number(message.id);
      this.settle(id, message);
    } else if (isRequest(message)) {
      this.serverRequest(message);
    } else if (isNotification(message)) {
      if (message.method === 'notifications/progress') {
        const token = String(message.params?.progressToken);
        const id = this.progress.get(token);
        const entry = id === undefined ? undefined : this.pending.get(id);
        if (entry && id !== undefined) {
          this.armTimer(id, entry); // progress proves the server is alive; the spec allows a reset
          this.hooks.onProgress(
            { ...message, params: { ...message.params, progressToken: entry.progressToken } },
            entry.context,
          );
          return;
        }
        // Every token upstream is one this link minted, so an unknown one belongs to a request
        // that already ended (cancelled, timed out): nobody asked for it, and on a shared link
        // relaying it would show one client's work to every other. Drop it.
        return;
      }
      this.serverNotification(message);
    }
  }

  /** A request from the server to the client. Era-translating links override this. */
  protected serverRequest(request: JsonRpcRequest): void {
    this.hooks.onServerRequest(request, this);
  }

  /** A notification not tied to one of our requests. Era-translating links override this. */
  protected serverNotification(notification: JsonRpcNotification): void {
    this.hooks.onServerNotification(notification, this);
  }
}
