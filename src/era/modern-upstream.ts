import type { Logger } from 'pino';
import type { ServerConfig } from '../config/index.js';
import {
  type Envelope,
  envelopeFromInitialize,
  type Params,
  SUBSCRIPTION_ID_KEY,
  withEnvelope,
} from '../mcp/envelope.js';
import type { JsonRpcNotification, JsonRpcResponse, RequestId } from '../mcp/jsonrpc.js';
import type { ParamHeaderLookup } from '../mcp/param-headers.js';
import { type LinkHooks, UpstreamLink } from '../upstream/link.js';
import { initializeFromDiscover, inputRequiredOf, legacyResponse } from './results.js';

/** Rounds of `input_required` the gateway fulfils for one call before it gives up (a loop guard). */
const MAX_ROUNDS = 8;
/** How long one server-to-client request made for an `input_required` may wait for the client. */
const ASK_TIMEOUT_MS = 600_000;

/**
 * Eras (issue 9), 2025 client -> 2026 server: the client's handshake is answered from the
 * upstream's `server/discover`, every request goes upstream with the envelope the handshake
 * amounts to, `input_required` results become real server-to-client requests on the client's
 * session (the answers go back upstream as `inputResponses`, `requestState` untouched), and
 * `logging/setLevel`, `resources/subscribe`/`unsubscribe` and the list_changed notifications a
 * 2025 client expects on its GET stream are mapped onto per-request log levels and one
 * `subscriptions/listen` stream.
 */
export class ModernUpstreamLink extends UpstreamLink {
  private out!: LinkHooks;
  private env?: Envelope;
  private caps: Record<string, Record<string, unknown> | undefined> = {};
  private readonly uris = new Set<string>();
  private listenId?: number;
  /** First upstream id of a call -> the id of its current retry, so a cancel reaches the live one. */
  private readonly current = new Map<number, number>();
  /** Server-to-client requests we made for an `input_required`, waiting for the client's answer. */
  private readonly waiting = new Map<string, (body: { result: unknown } | { error: unknown }) => void>();
  private nextAsk = 1;

  constructor(
    server: string,
    cfg: ServerConfig,
    hooks: LinkHooks,
    log: Logger,
    /** SEP-2243 declarations, so 2026 calls upstream carry their `Mcp-Param-*` headers. */
    paramHeaders?: ParamHeaderLookup,
  ) {
    super(server, cfg, hooks, log, false, paramHeaders);
    this.out = hooks;
  }

  override initializeWith(params: Params): Promise<JsonRpcResponse> {
    this.env = envelopeFromInitialize(params);
    return super.send('server/discover', withEnvelope({}, this.env), undefined).response.then((res) => {
      if ('error' in res) return res;
      this.caps = (res.result.capabilities ?? {}) as typeof this.caps;
      this.relisten();
      return { ...res, result: initializeFromDiscover(res.result, params?.protocolVersion, this.server) };
    });
  }

  override send(
    method: string,
    params: Params,
    context: unknown,
    via?: Parameters<UpstreamLink['send']>[3],
  ): { id: number; response: Promise<JsonRpcResponse> } {
    if (via) return super.send(method, params, context, via);
    const local = (result: Record<string, unknown>) => ({
      id: 0,
      response: Promise.resolve<JsonRpcResponse>({ jsonrpc: '2.0', id: 0, result }),
    });
    const env = this.env ?? envelopeFromInitialize(undefined);
    switch (method) {
      case 'ping': // removed in 2026-07-28: the gateway is the one answering
        return local({});
      case 'logging/setLevel': // 2026: a per-request `_meta` level instead of a session setting
        if (typeof params?.level === 'string') this.env = { ...env, logLevel: params.level };
        return local({});
      case 'resources/subscribe':
      case 'resources/unsubscribe':
        if (typeof params?.uri === 'string') {
          if (method === 'resources/subscribe') this.uris.add(params.uri);
          else this.uris.delete(params.uri);
          this.relisten();
        }
        return local({});
    }
    const first = super.send(method, withEnvelope(params, env), context);
    return { id: first.id, response: this.drive(first.id, method, params, context, first.response) };
  }

  override async close(): Promise<void> {
    for (const waiter of [...this.waiting.values()])
      waiter({ error: { code: -32001, message: 'the gateway closed this session' } });
    this.waiting.clear();
    await super.close();
  }

  override cancel(upstreamId: number, reason?: string): void {
    super.cancel(this.current.get(upstreamId) ?? upstreamId, reason);
  }

  override respond(upstreamId: RequestId, body: { result: unknown } | { error: unknown }): void {
    const waiter = this.waiting.get(String(upstreamId));
    if (!waiter) {
      super.respond(upstreamId, body);
      return;
    }
    this.waiting.delete(String(upstreamId));
    waiter(body);
  }

  /** Fulfil `input_required` rounds through the client until the upstream gives a complete result. */
  private async drive(
    firstId: number,
    method: string,
    params: Params,
    context: unknown,
    response: Promise<JsonRpcResponse>,
  ): Promise<JsonRpcResponse> {
    try {
      let res = await response;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const needed = inputRequiredOf(res);
        if (!needed) return legacyResponse(res);
        const answers: Record<string, unknown> = {};
        for (const [key, req] of Object.entries(needed.inputRequests)) {
          const body = await this.ask(req.method, req.params);
          if ('error' in body) return { jsonrpc: '2.0', id: firstId, error: body.error as never };
          answers[key] = body.result;
        }
        // The retry is the same request plus the answers; requestState goes back exactly as it came.
        const retried = {
          ...params,
          inputResponses: answers,
          ...(needed.requestState !== undefined ? { requestState: needed.requestState } : {}),
        };
        const next = super.send(
          method,
          withEnvelope(retried, this.env ?? envelopeFromInitialize(undefined)),
          context,
        );
        this.current.set(firstId, next.id);
        res = await next.response;
      }
      return {
        jsonrpc: '2.0',
        id: firstId,
        error: { code: -32603, message: `${method} still needed input after ${MAX_ROUNDS} rounds; gave up` },
      };
    } finally {
      this.current.delete(firstId);
    }
  }

  /** One real server-to-client request on the client's session (sampling, elicitation, roots). */
  private ask(method: string, params: Record<string, unknown> | undefined) {
    const id = `mrtr-${this.nextAsk++}`;
    return new Promise<{ result: unknown } | { error: unknown }>((resolve) => {
      // Human-paced (an elicitation waits for a person), but bounded: a client that never answers
      // must not hold the call forever.
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve({ error: { code: -32001, message: `the client did not answer ${method} in time` } });
      }, ASK_TIMEOUT_MS);
      timer.unref();
      this.waiting.set(id, (body) => {
        clearTimeout(timer);
        resolve(body);
      });
      this.out.onServerRequest(
        params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params },
        this,
      );
    });
  }

  /**
   * (Re)open the one `subscriptions/listen` stream standing for the 2025 client's GET stream:
   * every list_changed the server offers, plus the resources the client subscribed to.
   */
  private relisten(): void {
    if (!this.env) return;
    const notifications: Record<string, unknown> = {};
    if (this.caps.tools?.listChanged) notifications.toolsListChanged = true;
    if (this.caps.prompts?.listChanged) notifications.promptsListChanged = true;
    if (this.caps.resources?.listChanged) notifications.resourcesListChanged = true;
    if (this.caps.resources?.subscribe && this.uris.size > 0)
      notifications.resourceSubscriptions = [...this.uris];
    const old = this.listenId;
    this.listenId = undefined;
    if (old !== undefined) super.cancel(old, 'subscriptions changed');
    if (Object.keys(notifications).length === 0) return;
    const sent = super.send('subscriptions/listen', withEnvelope({ notifications }, this.env), undefined);
    this.listenId = sent.id;
    sent.response.then(() => {
      if (this.listenId === sent.id) this.listenId = undefined;
    });
  }

  protected override serverNotification(n: JsonRpcNotification): void {
    if (n.method === 'notifications/subscriptions/acknowledged') return;
    const meta = n.params?._meta as Record<string, unknown> | undefined;
    const tag = meta?.[SUBSCRIPTION_ID_KEY];
    if (tag !== undefined) {
      // A stream we replaced may still deliver until the server sees the cancel: only the live one counts.
      if (tag !== this.listenId) return;
      const { [SUBSCRIPTION_ID_KEY]: _t, ...rest } = meta ?? {};
      const params = { ...n.params };
      if (Object.keys(rest).length) params._meta = rest;
      else delete params._meta;
      this.out.onServerNotification({ ...n, params }, this);
      return;
    }
    this.out.onServerNotification(n, this);
  }
}
