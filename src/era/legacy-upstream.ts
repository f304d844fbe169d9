import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/index.js';
import {
  type Envelope,
  initializeFromEnvelope,
  type Params,
  readEnvelope,
  SUBSCRIPTION_ID_KEY,
  stripEnvelope,
} from '../mcp/envelope.js';
import {
  errorResponse,
  INVALID_PARAMS,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type RequestId,
} from '../mcp/jsonrpc.js';
import type { Sink } from '../proxy/sink.js';
import { type LinkHooks, UpstreamLink } from '../upstream/link.js';
import { discoverFromInitialize, inputRequiredResult, MRTR_METHODS, modernResponse } from './results.js';

/** What the session passes as a request's context (its InFlight entry): where the answer goes. */
interface RequestContext {
  clientId?: RequestId;
  sink?: Sink;
}

/** One upstream request of a multi-round-trip method, and the 2026 client's view of it. */
interface Continuation {
  requestState: string;
  upstreamId: number;
  method: string;
  /** The client request now waiting on this upstream request (the first one, or a retry). */
  leg?: { resolve(res: JsonRpcResponse): void; localId: number };
  /** Server-to-client requests the client was shown and has not answered yet, by key. */
  asked: Map<string, JsonRpcRequest>;
  /** Ones that arrived while no client request was waiting; shown on the next retry. */
  queued: Map<string, JsonRpcRequest>;
  final?: JsonRpcResponse;
  flushing?: boolean;
}

interface Listener {
  filter: Record<string, unknown>;
  uris: string[];
  context: RequestContext;
  subscriptionId: RequestId;
  end(): void;
}

/** How long a finished upstream answer waits for the client's retry to collect it. */
const RETRY_GRACE_MS = 60_000;
const LIST_CHANGED: Record<string, string> = {
  'notifications/tools/list_changed': 'toolsListChanged',
  'notifications/prompts/list_changed': 'promptsListChanged',
  'notifications/resources/list_changed': 'resourcesListChanged',
};

/**
 * Eras (issue 9), 2026 client -> 2025 server: the upstream session the gateway keeps on behalf of
 * one stateless client (per grant and client identity). It initializes the upstream lazily with the
 * capabilities from the client's envelope, answers `server/discover` from the InitializeResult,
 * turns server-to-client requests during a call into `input_required` results and the client's
 * retry (`inputResponses` + our `requestState`) back into the answers the upstream waits for, maps
 * `subscriptions/listen` onto list_changed and resources/subscribe, and sets the upstream's log
 * level from the request's `_meta`.
 */
export class LegacyUpstreamLink extends UpstreamLink {
  private out!: LinkHooks;
  private init?: Promise<JsonRpcResponse>;
  private serverInfo: unknown;
  private level?: string;
  private nextLocal = -1;
  private nextKey = 1;
  private readonly real = new Map<number, number>();
  private readonly running: Continuation[] = [];
  private readonly parked = new Map<string, Continuation>();
  private readonly listeners = new Set<Listener>();
  private readonly subscribed = new Map<string, number>();

  constructor(
    server: string,
    cfg: ServerConfig,
    hooks: LinkHooks,
    log: Logger,
    private readonly env: Envelope,
  ) {
    super(server, cfg, hooks, log);
    this.out = hooks;
  }

  override send(
    method: string,
    params: Params,
    context: unknown,
    via?: Parameters<UpstreamLink['send']>[3],
  ): { id: number; response: Promise<JsonRpcResponse> } {
    // The handshake (ours, or its replay after a restart) goes out as it is.
    if (via || method === 'initialize') return super.send(method, params, context, via);
    const id = this.nextLocal--;
    const response = this.handle(id, method, params, context as RequestContext).then((r) => {
      this.real.delete(id);
      return r;
    });
    return { id, response };
  }

  override cancel(upstreamId: number, reason?: string): void {
    super.cancel(this.real.get(upstreamId) ?? upstreamId, reason);
  }

  override async close(): Promise<void> {
    for (const l of [...this.listeners]) l.end();
    await super.close();
  }

  private ready(): Promise<JsonRpcResponse> {
    this.init ??= this.initializeWith(initializeFromEnvelope(this.env)).then((res) => {
      if ('error' in res)
        this.init = undefined; // the next request tries again
      else this.serverInfo = res.result.serverInfo;
      return res;
    });
    return this.init;
  }

  private async handle(
    id: number,
    method: string,
    params: Params,
    ctx: RequestContext,
  ): Promise<JsonRpcResponse> {
    const ok = (result: Record<string, unknown>): JsonRpcResponse => ({ jsonrpc: '2.0', id, result });
    const state = params?.requestState;
    if (typeof state === 'string') {
      const cont = this.parked.get(state);
      if (!cont || cont.method !== method)
        return errorResponse(
          id,
          INVALID_PARAMS,
          'unknown or expired requestState; send the request again without it',
        );
      return this.resume(cont, id, params, ctx);
    }
    const init = await this.ready();
    if ('error' in init) return { ...init, id };
    if (method === 'server/discover') return ok(discoverFromInitialize(init.result));
    if (method === 'ping') return ok({ resultType: 'complete' });
    if (method === 'subscriptions/listen') return this.listen(id, params, ctx, init.result);
    await this.applyLevel(readEnvelope(params)?.logLevel);
    const sent = super.send(method, stripEnvelope(params), ctx);
    this.real.set(id, sent.id);
    if (!MRTR_METHODS.has(method)) return modernResponse(method, await sent.response, this.serverInfo);
    const cont: Continuation = {
      requestState: randomBytes(16).toString('base64url'),
      upstreamId: sent.id,
      method,
      asked: new Map(),
      queued: new Map(),
    };
    this.running.push(cont);
    sent.response.then((res) => this.finish(cont, modernResponse(method, res, this.serverInfo)));
    return new Promise((resolve) => {
      cont.leg = { resolve, localId: id };
    });
  }

  /** The upstream answered: give it to the waiting client request, or keep it for the retry. */
  private finish(cont: Continuation, res: JsonRpcResponse): void {
    this.running.splice(this.running.indexOf(cont), 1);
    const leg = cont.leg;
    if (leg) {
      cont.leg = undefined;
      this.parked.delete(cont.requestState);
      leg.resolve({ ...res, id: leg.localId });
      return;
    }
    cont.final = res;
    setTimeout(() => this.parked.delete(cont.requestState), RETRY_GRACE_MS).unref();
  }

  /** The client's retry: answer what the upstream asked, then wait for more questions or the result. */
  private resume(
    cont: Continuation,
    id: number,
    params: Params,
    ctx: RequestContext,
  ): Promise<JsonRpcResponse> {
    const responses = (params?.inputResponses ?? {}) as Record<string, unknown>;
    for (const [key, req] of cont.asked) {
      if (!(key in responses)) continue; // asked again below
      cont.asked.delete(key);
      super.respond(req.id, { result: responses[key] });
    }
    this.real.set(id, cont.upstreamId);
    const token = (params?._meta as Record<string, unknown> | undefined)?.progressToken;
    this.retarget(
      cont.upstreamId,
      ctx,
      typeof token === 'string' || typeof token === 'number' ? token : undefined,
    );
    if (cont.final) {
      this.parked.delete(cont.requestState);
      return Promise.resolve({ ...cont.final, id });
    }
    const answer = new Promise<JsonRpcResponse>((resolve) => {
      cont.leg = { resolve, localId: id };
    });
    for (const [k, v] of cont.asked) cont.queued.set(k, v); // unanswered questions are asked again
    cont.asked.clear();
    if (cont.queued.size > 0) this.flush(cont);
    return answer;
  }

  protected override serverRequest(req: JsonRpcRequest): void {
    if (req.method === 'ping') {
      super.respond(req.id, { result: {} });
      return;
    }
    // The newest multi-round-trip request is the one the server is asking about (one at a time is
    // the common case; with several in flight on one kept session, the latest is the best guess).
    const cont = this.running[this.running.length - 1];
    if (!cont) {
      super.respond(req.id, {
        error: {
          code: -32601,
          message: `${req.method} cannot reach a 2026-07-28 client outside one of its tools/call, prompts/get or resources/read requests`,
        },
      });
      return;
    }
    cont.queued.set(`${req.method.split('/')[0]}-${this.nextKey++}`, req);
    if (cont.leg && !cont.flushing) {
      // Servers may ask several questions at once: collect the ones sent together.
      cont.flushing = true;
      setImmediate(() => this.flush(cont));
    }
  }

  private flush(cont: Continuation): void {
    cont.flushing = false;
    const leg = cont.leg;
    if (!leg || cont.queued.size === 0) return;
    cont.leg = undefined;
    const shown = new Map(cont.queued);
    cont.queued.clear();
    for (const [k, v] of shown) cont.asked.set(k, v);
    // Each round gets a fresh requestState (SEP-2322: the state evolves between rounds, and a
    // client must not be able to answer round 2 with round 1's token). The old one stops working.
    this.parked.delete(cont.requestState);
    cont.requestState = randomBytes(16).toString('base64url');
    this.parked.set(cont.requestState, cont);
    leg.resolve({
      jsonrpc: '2.0',
      id: leg.localId,
      result: inputRequiredResult(shown, cont.requestState, this.serverInfo),
    });
  }

  protected override serverNotification(n: JsonRpcNotification): void {
    if (n.method === 'notifications/message') {
      // 2026: no log messages unless a request asked for a level.
      if (this.level) this.out.onServerNotification(n, this);
      return;
    }
    for (const l of this.listeners) {
      const uri = n.params?.uri;
      const wanted =
        n.method === 'notifications/resources/updated'
          ? typeof uri === 'string' && l.uris.includes(uri)
          : l.filter[LIST_CHANGED[n.method] ?? ''] === true;
      if (!wanted) continue;
      if (!l.context.sink?.open) {
        l.end();
        continue;
      }
      const meta = {
        ...(n.params?._meta as Record<string, unknown> | undefined),
        [SUBSCRIPTION_ID_KEY]: l.subscriptionId,
      };
      this.out.onProgress({ ...n, params: { ...n.params, _meta: meta } }, l.context);
    }
    // Anything else has no 2026 stream to go to (there is no standalone GET stream): dropped.
  }

  private async applyLevel(level: string | undefined): Promise<void> {
    if (!level || level === this.level) return;
    const res = await super.send('logging/setLevel', { level }, undefined).response;
    if ('result' in res) this.level = level;
  }

  /** `subscriptions/listen`: list_changed by opt-in, resource updates through resources/subscribe. */
  private async listen(
    id: number,
    params: Params,
    ctx: RequestContext,
    init: Record<string, unknown>,
  ): Promise<JsonRpcResponse> {
    const asked = (params?.notifications ?? {}) as Record<string, unknown>;
    const caps = (init.capabilities ?? {}) as Record<string, Record<string, unknown> | undefined>;
    const honored: Record<string, unknown> = {};
    if (asked.toolsListChanged === true && caps.tools?.listChanged) honored.toolsListChanged = true;
    if (asked.promptsListChanged === true && caps.prompts?.listChanged) honored.promptsListChanged = true;
    if (asked.resourcesListChanged === true && caps.resources?.listChanged)
      honored.resourcesListChanged = true;
    const uris =
      Array.isArray(asked.resourceSubscriptions) && caps.resources?.subscribe
        ? asked.resourceSubscriptions.filter((u): u is string => typeof u === 'string')
        : [];
    for (const uri of uris) {
      const n = this.subscribed.get(uri) ?? 0;
      this.subscribed.set(uri, n + 1);
      if (n === 0) await super.send('resources/subscribe', { uri }, undefined).response;
    }
    if (uris.length) honored.resourceSubscriptions = uris;
    const subscriptionId = ctx.clientId ?? id;
    return new Promise((resolve) => {
      let ended = false;
      const listener: Listener = {
        filter: honored,
        uris,
        context: ctx,
        subscriptionId,
        end: () => {
          if (ended) return;
          ended = true;
          this.listeners.delete(listener);
          for (const uri of uris) {
            const n = (this.subscribed.get(uri) ?? 1) - 1;
            if (n > 0) this.subscribed.set(uri, n);
            else {
              this.subscribed.delete(uri);
              if (this.isUp) void super.send('resources/unsubscribe', { uri }, undefined).response;
            }
          }
          resolve({
            jsonrpc: '2.0',
            id,
            result: { resultType: 'complete', _meta: { [SUBSCRIPTION_ID_KEY]: subscriptionId } },
          });
        },
      };
      this.listeners.add(listener);
      ctx.sink?.onClose?.(() => listener.end());
      this.out.onProgress(
        {
          jsonrpc: '2.0',
          method: 'notifications/subscriptions/acknowledged',
          params: { notifications: honored, _meta: { [SUBSCRIPTION_ID_KEY]: subscriptionId } },
        },
        ctx,
      );
    });
  }
}
