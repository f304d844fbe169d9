import type { Logger } from 'pino';
import type { ServerConfig } from '../config/index.js';
import { PROTOCOL_VERSION_KEY, readEnvelope } from '../mcp/envelope.js';
import {
  errorResponse,
  INTERNAL_ERROR,
  isNotification,
  isOutcomeUnknown,
  isRequest,
  isResponse,
  type JsonRpcError,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  METHOD_NOT_FOUND,
  type RequestId,
  UPSTREAM_ERROR,
} from '../mcp/jsonrpc.js';
import type { Era } from '../mcp/versions.js';
import { type LinkHealth, type LinkHooks, UpstreamLink } from '../upstream/link.js';
import { type Admission, type AdmissionState, admitNotification, admitRequest } from './admit.js';
import { Aggregator } from './aggregate.js';
import { type CallContext, type Caller, type Gate, MAX_TOOL_NAME_CHARS, shownTool } from './gate.js';
import type { RetryCharges } from './retry-charges.js';
import type { Sink } from './sink.js';
import { ToolDirectory } from './tool-directory.js';
import { unknownTool } from './unknown-tool.js';

export interface SessionOptions {
  id: string;
  /** Who may address this session (grant + endpoint); another grant's request answers 404. */
  scope: string;
  caller: Caller;
  /** The servers this session reaches: one for /mcp/<server>, several for the aggregate /mcp. */
  servers: ReadonlyMap<string, ServerConfig>;
  aggregate: boolean;
  separator: string;
  gate: Gate;
  log: Logger;
  /** How `server` answers a call to a tool it does not have; hidden tools answer the same. */
  unknownTool?: (server: string, id: RequestId, name: string) => JsonRpcResponse;
  /** Called when initialize failed: the session is useless and its owner should drop it. */
  onFailedInitialize?: () => void;
  /** Called once the session closed: the front end drops what it kept for it (HTTP replay buffer). */
  onClosed?: () => void;
  /** Shared links by server name, for servers configured `shared: true`. */
  sharedLink?: (server: string) => UpstreamLink;
  /**
   * Eras (issue 9): the link for a server whose protocol era differs from the client's (an era
   * adapter, see src/proxy/legacy-upstream.ts and modern-upstream.ts); undefined for a plain link.
   */
  eraLink?: (server: string, cfg: ServerConfig, hooks: LinkHooks) => UpstreamLink | undefined;
  /** Eras (issue 9): shared record of charged `input_required` calls, so a retry is not charged twice. */
  retryCharges?: RetryCharges;
  /** Told when this session's links cannot reach their servers, and that they answer (readiness). */
  linkHealth?: LinkHealth;
  /**
   * The client's protocol era: '2025' for a session opened by `initialize`, '2026' for stateless
   * requests; undefined (stdio) takes each message's own (a 2026 envelope or not).
   */
  era?: Era;
}

/** Pages of one tools/list walk the gateway makes itself, at most (as the aggregate does). */
const MAX_LIST_PAGES = 50;

interface InFlight {
  clientId: RequestId;
  sink: Sink;
  link: UpstreamLink;
  upstreamId: number;
  method: string;
}

const BACKLOG_LIMIT = 256;

/**
 * One client session: relays every message between the client and its upstream link(s),
 * rewriting only ids, and stops at the Gate for `tools/call` and `tools/list`. Everything else
 * (resources, prompts, completions, logging, pagination cursors, `_meta`, methods added by newer
 * specs) passes through unchanged.
 */
export class ClientSession {
  readonly id: string;
  readonly scope: string;
  readonly caller: Caller;
  lastSeen = Date.now();
  /** It sent a request besides `initialize`; an unused session is reaped sooner (sessions.idle_timeout_unused). */
  used = false;
  readonly links = new Map<string, UpstreamLink>();
  private readonly ownLinks: UpstreamLink[] = [];
  private readonly inflight = new Map<RequestId, InFlight>();
  /** tools/call requests still at the gate, by client id. */
  private readonly deciding = new Map<RequestId, PendingCall>();

  /** A call is waiting for the gate or the upstream: the session is not idle, whatever its client sends. */
  get busy(): boolean {
    return this.inflight.size > 0 || this.deciding.size > 0;
  }
  private readonly serverRequests = new Map<RequestId, { link: UpstreamLink; upstreamId: RequestId }>();
  private nextServerRequestId = 1;
  private standalone?: Sink;
  private backlog: JsonRpcMessage[] = [];
  private readonly agg?: Aggregator;
  private readonly directory = new ToolDirectory();
  /** The gateway's own tools/list walk per server, while one runs (calls wait for the same one). */
  private readonly listing = new Map<string, Promise<string | undefined>>();
  /** The revision the client negotiated at `initialize` (2025 era), once answered. */
  private version?: string;
  /** Each server's `passthrough_methods`. */
  private readonly passthrough = new Map<string, ReadonlySet<string>>();
  closed = false;

  constructor(private readonly opts: SessionOptions) {
    this.id = opts.id;
    this.scope = opts.scope;
    this.caller = opts.caller;
    const hooks: LinkHooks = {
      onServerRequest: (req, link) => this.onServerRequest(req, link),
      onServerNotification: (n, link) => this.onServerNotification(n, link),
      onProgress: (n, ctx) => (ctx as InFlight | undefined)?.sink.send(n, false),
      health: opts.linkHealth,
    };
    for (const [name, cfg] of opts.servers) {
      const shared = cfg.shared && opts.sharedLink ? opts.sharedLink(name) : undefined;
      const link = shared ?? opts.eraLink?.(name, cfg, hooks) ?? new UpstreamLink(name, cfg, hooks, opts.log);
      if (!shared) this.ownLinks.push(link);
      this.links.set(name, link);
      this.passthrough.set(name, new Set(cfg.passthrough_methods ?? []));
    }
    if (opts.aggregate) {
      this.agg = new Aggregator(this.links, opts.separator, opts.gate, opts.caller, this.directory);
    }
  }

  /** Attach the standalone stream (HTTP GET, or stdout) and flush what waited for it. */
  attachStandalone(sink: Sink): void {
    this.standalone = sink;
    const waiting = this.backlog;
    this.backlog = [];
    for (const m of waiting) sink.send(m, false);
  }

  /** The revision negotiated at `initialize` (a 2025-era session), once answered. */
  get negotiatedVersion(): string | undefined {
    return this.version;
  }

  get hasStandalone(): boolean {
    return this.standalone?.open === true;
  }

  /**
   * Handle one message from the client. `sink` receives the response to a request. A notification
   * the admission step refuses returns the error (no sink answers a notification): the front end
   * says so in its own way (HTTP 400; a line on stdout).
   */
  handle(message: JsonRpcMessage, sink: Sink): JsonRpcError | undefined {
    this.lastSeen = Date.now();
    if (isRequest(message) && message.method !== 'initialize') this.used = true;
    if (isRequest(message)) this.onClientRequest(message, sink);
    else if (isNotification(message)) return this.onClientNotification(message);
    else if (isResponse(message)) this.onClientResponse(message);
    return undefined;
  }

  /**
   * The admission state for a message: the one server it can reach here (its passthrough methods);
   * on the aggregate with several servers none, so unknown methods are never relayed there.
   */
  private admissionState(params: JsonRpcRequest['params']): AdmissionState {
    const only = this.soleServer;
    return {
      era: this.opts.era,
      enveloped: readEnvelope(params) !== undefined,
      version: this.version,
      passthrough: (only && this.passthrough.get(only)) || EMPTY,
    };
  }

  /** The one server this session reaches, or undefined on an aggregate of several. */
  private get soleServer(): string | undefined {
    return this.links.size === 1 ? (this.links.keys().next().value as string) : undefined;
  }

  /** Audit a refusal; answer a request with it. */
  private refuse(
    admission: Extract<Admission, { kind: 'refuse' }>,
    method: string,
    params: JsonRpcRequest['params'],
  ): JsonRpcError {
    const only = this.soleServer ?? '*';
    const tool = method === 'tools/call' && typeof params?.name === 'string' ? params.name : undefined;
    this.opts.gate.recordRefusal?.(this.caller, only, {
      method,
      tool: tool && tool.length > MAX_TOOL_NAME_CHARS ? `${tool.slice(0, 64)}...` : tool,
      rule: admission.rule,
      reason: admission.message,
    });
    return errorResponse(null, admission.code, admission.message);
  }

  private onClientRequest(req: JsonRpcRequest, given: Sink): void {
    const admission = admitRequest(req, this.admissionState(req.params));
    if (admission.kind === 'refuse') {
      given.send({ ...this.refuse(admission, req.method, req.params), id: req.id }, true);
      return;
    }
    let sink = given;
    if (req.method === 'initialize' && this.opts.onFailedInitialize) {
      const failed = this.opts.onFailedInitialize;
      sink = {
        get open() {
          return given.open;
        },
        onClose: given.onClose?.bind(given),
        send(m, final) {
          given.send(m, final);
          if (final && 'error' in m) failed();
        },
      };
    }
    if (req.method === 'initialize') {
      // The revision the client will speak: which methods it may send from now on. What the
      // server answered is what was negotiated (it may offer an older one than was asked).
      const asked = req.params?.protocolVersion;
      if (typeof asked === 'string') this.version = asked;
      const inner = sink;
      sink = {
        get open() {
          return inner.open;
        },
        onClose: inner.onClose?.bind(inner),
        send: (m, final) => {
          const answered = final && 'result' in m ? m.result.protocolVersion : undefined;
          if (typeof answered === 'string') this.version = answered;
          inner.send(m, final);
        },
      };
    }
    if (this.agg) {
      this.agg.handle(req, sink, (server, method, params) =>
        method === 'tools/call'
          ? this.callTool(req, sink, server, params)
          : this.forward(req, sink, server, method, params),
      );
      return;
    }
    const server = this.links.keys().next().value as string;
    switch (req.method) {
      case 'tools/list':
        this.forward(req, sink, server, req.method, req.params, (res) =>
          this.filterTools(server, res, req.params?.cursor === undefined),
        );
        return;
      case 'tools/call':
        this.callTool(req, sink, server, req.params);
        return;
      default:
        this.forward(req, sink, server, req.method, req.params);
    }
  }

  private callTool(
    req: JsonRpcRequest,
    sink: Sink,
    server: string,
    params: JsonRpcRequest['params'],
    relisted = false,
  ): void {
    // Admission checked the name's type and the arguments (an object without reserved keys).
    const name = params?.name as string;
    const args = (params?.arguments ?? {}) as Record<string, unknown>;
    const tooLong = name.length > MAX_TOOL_NAME_CHARS;
    const known = tooLong ? false : this.directory.knows(server, name);
    if (known === undefined) {
      // A call names a tool only by an exact match with the server's list: the gateway reads the
      // list itself when the client has not (an agent may skip tools/list), then decides.
      this.learnTools(server, params).then((problem) => {
        if (problem === undefined && !relisted) return this.callTool(req, sink, server, params, true);
        const cause = problem ?? 'the list changed while it was read';
        const why = `the gateway could not read the tool list of server "${server}" to check the name "${name}" (${cause}); nothing was sent to the server. Try again.`;
        this.opts.gate.recordRefusal?.(this.caller, server, {
          method: 'tools/call',
          tool: name,
          rule: 'tool_list_unavailable',
          reason: why,
        });
        sink.send(errorResponse(req.id, UPSTREAM_ERROR, why), true);
      });
      return;
    }
    if (!known) {
      // 1. Unknown to the upstream: answer as it would, before any policy (see ToolDirectory).
      // A name over the cap is never listed, so it is unknown too (and is not echoed in full).
      const shown = tooLong ? `${name.slice(0, 64)}... (${name.length} characters)` : name;
      this.opts.gate.recordUnknown?.(this.caller, server, shown);
      const answer = this.opts.unknownTool?.(server, req.id, shown) ?? unknownTool(req.id, shown);
      sink.send('result' in answer ? { ...answer, result: eraResult(req, answer.result) } : answer, true);
      return;
    }
    // While the gate decides (it may wait for a person), a cancel, a disconnect the client cannot
    // resume from (see the sink's onClose), or the session's close withdraws the call.
    const meta = params?._meta as Record<string, unknown> | undefined;
    const token = meta?.progressToken;
    const progress =
      typeof token === 'string' || typeof token === 'number'
        ? (value: number, message: string) =>
            sink.send(
              {
                jsonrpc: '2.0',
                method: 'notifications/progress',
                params: { progressToken: token, progress: value, message },
              },
              false,
            )
        : undefined;
    const abort = new PendingCall(
      progress,
      meta,
      this.opts.retryCharges?.takeRetry(this.scope, server, params),
    );
    this.deciding.set(req.id, abort);
    sink.onClose?.(() => abort.abort());
    const decided = this.opts.gate.checkCall(this.caller, server, name, args, abort).then((verdict) => {
      this.deciding.delete(req.id);
      if (abort.aborted) {
        if (verdict.kind === 'forward')
          verdict.done({ upstream: 'error', latencyMs: 0, error: 'withdrawn by the client' });
        return;
      }
      if (verdict.kind === 'answer')
        sink.send({ jsonrpc: '2.0', id: req.id, result: eraResult(req, verdict.result) }, true);
      else if (verdict.kind === 'unknown') {
        const answer = this.opts.unknownTool?.(server, req.id, name) ?? unknownTool(req.id, name);
        sink.send('result' in answer ? { ...answer, result: eraResult(req, answer.result) } : answer, true);
      } else {
        const started = performance.now();
        // Tracing: the forwarded request carries the gateway span's trace context.
        const sent = verdict.meta ? withMeta(params, verdict.meta) : params;
        let latencyMs = 0;
        this.forward(
          req,
          sink,
          server,
          req.method,
          sent,
          (res) => {
            latencyMs = performance.now() - started;
            this.opts.retryCharges?.noteAnswer(this.scope, server, params, res);
            return res;
          },
          // The audit record and metrics come after the answer is on its way: they are the
          // gateway's bookkeeping, not the caller's wait (same tick, so nothing observes the order).
          (res) => {
            if (!('error' in res)) verdict.done({ upstream: 'ok', latencyMs });
            else {
              const upstream = isOutcomeUnknown(res) ? 'unknown' : 'error';
              verdict.done({ upstream, latencyMs, error: res.error.message });
            }
          },
        );
      }
    });
    decided.catch((err: unknown) => this.callFailed(req, sink, server, name, err));
  }

  /**
   * A tools/call chain rejected (the gate's contract is never to): this client gets an internal
   * error with no detail, the log and the audit get the detail, and no other session is touched.
   */
  private callFailed(req: JsonRpcRequest, sink: Sink, server: string, name: string, err: unknown): void {
    this.deciding.delete(req.id);
    const detail = err instanceof Error ? err.message : String(err);
    this.opts.log.error({ err: detail, server, tool: name }, 'tools/call failed inside the gateway');
    this.opts.gate.recordFailure?.(this.caller, server, name, detail);
    try {
      sink.send(errorResponse(req.id, INTERNAL_ERROR, 'internal gateway error; see the gateway log'), true);
    } catch {
      // The client is gone: the log and the audit have it.
    }
  }

  /** Relay a request to one upstream; map the response back to the client's id. */
  forward(
    req: JsonRpcRequest,
    sink: Sink,
    server: string,
    method: string,
    params: JsonRpcRequest['params'],
    transform?: (res: JsonRpcResponse) => JsonRpcResponse,
    /** Runs once the response was handed to the sink (with the upstream's response). */
    after?: (res: JsonRpcResponse) => void,
  ): void {
    const link = this.links.get(server);
    if (!link) {
      sink.send(errorResponse(req.id, METHOD_NOT_FOUND, `unknown server "${server}"`), true);
      return;
    }
    const entry: InFlight = { clientId: req.id, sink, link, upstreamId: 0, method };
    const sent =
      method === 'initialize'
        ? { id: 0, response: link.initializeWith(params) }
        : link.send(method, params, entry);
    entry.upstreamId = sent.id;
    this.inflight.set(req.id, entry);
    sent.response.then((res) => {
      if (this.inflight.get(req.id) === entry) this.inflight.delete(req.id);
      // The idle clock starts again when an answer goes out (a long call is not idleness).
      this.lastSeen = Date.now();
      const out = transform ? transform(res) : res;
      try {
        sink.send({ ...out, id: req.id } as JsonRpcResponse, true);
      } finally {
        after?.(res); // even if the sink failed: the call happened and must be audited
      }
    });
  }

  /**
   * Read a server's whole tool list on this session's link (once at a time per server), so the
   * first call of a client that never listed tools is checked against it. The gate observes the
   * list as it would a relayed one (pins). Undefined when it was read whole, else why not.
   */
  private learnTools(server: string, callParams: JsonRpcRequest['params']): Promise<string | undefined> {
    let walk = this.listing.get(server);
    if (!walk) {
      walk = this.listAll(server, envelopeMeta(callParams)).finally(() => this.listing.delete(server));
      this.listing.set(server, walk);
    }
    return walk;
  }

  /** Undefined when the whole list was read; else why not. */
  private async listAll(
    server: string,
    meta: Record<string, unknown> | undefined,
  ): Promise<string | undefined> {
    const link = this.links.get(server);
    if (!link) return `no link to server "${server}"`;
    const tools: Record<string, unknown>[] = [];
    let cursor: unknown;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const params: Record<string, unknown> = {};
      if (cursor !== undefined) params.cursor = cursor;
      // A 2026 call's envelope goes with the list request: a 2026 server needs one on each request.
      if (meta) params._meta = meta;
      const res = await link.request('tools/list', params, undefined);
      if ('error' in res) return res.error.message;
      if (!Array.isArray(res.result.tools)) return 'its tools/list answer has no tools array';
      tools.push(...(res.result.tools as Record<string, unknown>[]));
      cursor = res.result.nextCursor;
      if (cursor === undefined || cursor === null) {
        this.opts.gate.observeTools?.(this.caller, server, tools);
        this.directory.page(
          server,
          tools.map((t) => String(t.name)),
          true,
          true,
        );
        return undefined;
      }
    }
    return `its list has more than ${MAX_LIST_PAGES} pages`;
  }

  private filterTools(server: string, res: JsonRpcResponse, first: boolean): JsonRpcResponse {
    if (!('result' in res) || !Array.isArray(res.result.tools)) return res;
    const tools = res.result.tools as Record<string, unknown>[];
    this.opts.gate.observeTools?.(this.caller, server, tools);
    this.directory.page(
      server,
      tools.map((t) => String(t.name)),
      first,
      res.result.nextCursor === undefined || res.result.nextCursor === null,
    );
    const shown: Record<string, unknown>[] = [];
    let untouched = true;
    for (const t of tools) {
      const s = shownTool(this.opts.gate, this.caller, server, t);
      if (s) shown.push(s);
      if (s !== t) untouched = false;
    }
    return untouched ? res : { ...res, result: { ...res.result, tools: shown } };
  }

  private onClientNotification(n: JsonRpcNotification): JsonRpcError | undefined {
    const admission = admitNotification(n, this.admissionState(n.params));
    if (admission.kind === 'refuse') return this.refuse(admission, n.method, n.params);
    if (admission.kind === 'drop') {
      this.opts.log.debug({ session: this.id, method: n.method }, 'dropped a notification no server handles');
      return undefined;
    }
    if (n.method === 'notifications/initialized') return; // each link sends its own after initialize
    if (n.method === 'notifications/cancelled') {
      this.deciding.get(n.params?.requestId as RequestId)?.abort();
      const entry = this.inflight.get(n.params?.requestId as RequestId);
      if (entry) {
        this.inflight.delete(entry.clientId);
        entry.link.cancel(entry.upstreamId, n.params?.reason as string | undefined);
      }
      return;
    }
    for (const link of this.links.values()) link.notify(n.method, n.params);
    return undefined;
  }

  private onClientResponse(res: JsonRpcResponse): void {
    if (res.id === null) return;
    const target = this.serverRequests.get(res.id);
    if (!target) return; // an answer to something we never asked: drop it
    this.serverRequests.delete(res.id);
    target.link.respond(target.upstreamId, 'result' in res ? { result: res.result } : { error: res.error });
  }

  private onServerRequest(req: JsonRpcRequest, link: UpstreamLink): void {
    // Ids from several upstreams would collide on one client session: give each our own.
    const id = `s${this.nextServerRequestId++}`;
    this.serverRequests.set(id, { link, upstreamId: req.id });
    this.deliverUnsolicited({ ...req, id }, link, true);
  }

  /** A notification the gateway itself sends (tools/list_changed after a policy change). */
  notifyClient(n: JsonRpcNotification): void {
    if (this.standalone?.open) this.standalone.send(n, false);
    else if (this.backlog.length < BACKLOG_LIMIT) this.backlog.push(n);
  }

  /** A notification from a shared link, fanned out by its owner to every session using it. */
  relayNotification(n: JsonRpcNotification, link: UpstreamLink): void {
    this.onServerNotification(n, link);
  }

  private onServerNotification(n: JsonRpcNotification, link: UpstreamLink): void {
    // The server's tools changed: the next call is checked against its new list.
    if (n.method === 'notifications/tools/list_changed') this.directory.forget(link.server);
    if (this.agg) {
      const mapped = this.agg.mapNotification(n, link.server);
      if (mapped) this.deliverUnsolicited(mapped, link, false);
      return;
    }
    this.deliverUnsolicited(n, link, false);
  }

  /**
   * A message the server sent on its own. When a request of this client is in flight on the same
   * link, the server almost certainly sent it because of that request (sampling during a tool call,
   * log lines), so it goes on that request's stream; otherwise on the standalone stream, or it
   * waits (bounded) until the client opens one.
   */
  private deliverUnsolicited(message: JsonRpcMessage, link: UpstreamLink, preferRequest: boolean): void {
    const listChange = 'method' in message && message.method.endsWith('/list_changed');
    if ((preferRequest || !listChange) && !(listChange && this.hasStandalone)) {
      let latest: InFlight | undefined;
      for (const f of this.inflight.values()) if (f.link === link && f.sink.open) latest = f;
      if (latest) {
        latest.sink.send(message, false);
        return;
      }
    }
    if (this.standalone?.open) this.standalone.send(message, false);
    else if (this.backlog.length < BACKLOG_LIMIT) this.backlog.push(message);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A call still at the gate (an approval hold) is withdrawn: nobody can collect its answer now.
    // A dropped connection alone does not withdraw it when the client can resume the stream.
    for (const call of this.deciding.values()) call.abort('the session closed');
    try {
      await Promise.all(this.ownLinks.map((l) => l.close()));
    } finally {
      this.opts.onClosed?.(); // after the links: calls they failed had their error answer sent first
    }
  }
}

/**
 * A tools/call at the gate: its context, and its withdrawal (a cancel or a disconnect). The
 * AbortController is made only when the gate asks for the signal (an approval hold waits on it);
 * the usual call decides in a microtask or two and never needs one, so it does not pay for one.
 * A class, not an object literal with a getter: V8 builds such literals slowly, on every call.
 */
class PendingCall implements CallContext {
  private controller?: AbortController;
  aborted = false;
  /** Why it was withdrawn, when not by the client (the signal's reason, for the approval record). */
  private reason?: string;

  constructor(
    readonly progress: CallContext['progress'],
    readonly meta: Record<string, unknown> | undefined,
    readonly alreadyCharged: boolean | undefined,
  ) {}

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  abort(reason?: string): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

/** `params` with `_meta` entries set (or, for undefined values, removed). */
function withMeta(
  params: JsonRpcRequest['params'],
  entries: Record<string, string | undefined>,
): JsonRpcRequest['params'] {
  const meta: Record<string, unknown> = { ...(params?._meta as Record<string, unknown> | undefined) };
  for (const [key, value] of Object.entries(entries)) {
    if (value === undefined) delete meta[key];
    else meta[key] = value;
  }
  return { ...params, _meta: meta };
}

const EMPTY: ReadonlySet<string> = new Set();

/** The reserved (`io.modelcontextprotocol/`) entries of a request's `_meta`: its 2026 envelope. */
function envelopeMeta(params: JsonRpcRequest['params']): Record<string, unknown> | undefined {
  const meta = params?._meta;
  if (!meta || typeof meta !== 'object') return undefined;
  const kept = Object.entries(meta).filter(([k]) => k.startsWith('io.modelcontextprotocol/'));
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/**
 * Results the gateway makes itself must look like the era of the request: 2026-07-28 clients
 * require `resultType` on every result (and reject one without it).
 */
function eraResult(req: JsonRpcRequest, result: Record<string, unknown>): Record<string, unknown> {
  const meta = req.params?._meta as Record<string, unknown> | undefined;
  if (meta?.[PROTOCOL_VERSION_KEY] === undefined || 'resultType' in result) return result;
  return { ...result, resultType: 'complete' };
}
