import type { Logger } from 'pino';
import type { ServerConfig } from '../config/index.js';
import { type Params, SUBSCRIPTION_ID_KEY } from '../mcp/envelope.js';
import type { JsonRpcNotification, JsonRpcResponse, RequestId } from '../mcp/jsonrpc.js';
import type { ParamHeaderLookup } from '../mcp/param-headers.js';
import type { Sink } from '../proxy/sink.js';
import { type LinkHooks, UpstreamLink } from '../upstream/link.js';

interface RequestContext {
  clientId?: RequestId;
  sink?: Sink;
}

/**
 * Eras (issue 9), 2026 client -> 2026 server: a pass-through link that also carries
 * `subscriptions/listen`. The gateway rewrites JSON-RPC ids, and a listen stream's notifications
 * are tagged with the listen request's id (`io.modelcontextprotocol/subscriptionId`), so the tag
 * is rewritten back to the client's id and the notification goes on that listen's own stream.
 */
export class ListenRelayLink extends UpstreamLink {
  private readonly listens = new Map<number, RequestContext>();

  constructor(
    server: string,
    cfg: ServerConfig,
    hooks: LinkHooks,
    log: Logger,
    /** SEP-2243 declarations, so 2026 calls upstream carry their `Mcp-Param-*` headers. */
    paramHeaders?: ParamHeaderLookup,
  ) {
    super(server, cfg, hooks, log, false, paramHeaders);
  }

  protected override serverNotification(n: JsonRpcNotification): void {
    if (!this.relay(n, this.hooks)) super.serverNotification(n);
  }

  override send(
    method: string,
    params: Params,
    context: unknown,
    via?: Parameters<UpstreamLink['send']>[3],
  ): { id: number; response: Promise<JsonRpcResponse> } {
    const sent = super.send(method, params, context, via);
    if (method !== 'subscriptions/listen') return sent;
    const ctx = (context ?? {}) as RequestContext;
    this.listens.set(sent.id, ctx);
    // The client closing its listen stream is how a 2026 client ends a subscription.
    ctx.sink?.onClose?.(() => this.cancel(sent.id, 'client closed the subscription'));
    const response = sent.response.then((res) => {
      this.listens.delete(sent.id);
      return retag(res, ctx.clientId);
    });
    return { id: sent.id, response };
  }

  private relay(n: JsonRpcNotification, hooks: LinkHooks): boolean {
    const meta = n.params?._meta as Record<string, unknown> | undefined;
    const tag = meta?.[SUBSCRIPTION_ID_KEY];
    const ctx = typeof tag === 'number' ? this.listens.get(tag) : undefined;
    if (!ctx) return false;
    const params = { ...n.params, _meta: { ...meta, [SUBSCRIPTION_ID_KEY]: ctx.clientId ?? tag } };
    hooks.onProgress({ ...n, params }, ctx);
    return true;
  }
}

function retag(res: JsonRpcResponse, clientId: RequestId | undefined): JsonRpcResponse {
  if (!('result' in res) || clientId === undefined) return res;
  const meta = res.result._meta as Record<string, unknown> | undefined;
  if (!meta || meta[SUBSCRIPTION_ID_KEY] === undefined) return res;
  return { ...res, result: { ...res.result, _meta: { ...meta, [SUBSCRIPTION_ID_KEY]: clientId } } };
}
