import type { Logger } from 'pino';
import type { ServerConfig } from '../config/index.js';
import { METHOD_NOT_FOUND } from '../mcp/jsonrpc.js';
import type { ParamHeaderLookup } from '../mcp/param-headers.js';
import type { SessionRegistry } from '../proxy/registry.js';
import { type LinkHealth, UpstreamLink } from '../upstream/link.js';

/**
 * Upstream links for servers configured `shared: true`: one connection multiplexed across every
 * client session (the link remaps request ids and progress tokens). Server notifications go to
 * every session using the link. A shared server cannot know which client a sampling or
 * elicitation request is for, so those are refused: `shared` is meant for stateless servers.
 */
export class SharedLinks {
  private readonly links = new Map<string, UpstreamLink>();

  constructor(
    private readonly servers: () => ReadonlyMap<string, ServerConfig>,
    private readonly sessions: SessionRegistry,
    private readonly log: Logger,
    /** SEP-2243: a 2026 client's calls through a shared 2026 upstream carry `Mcp-Param-*` headers. */
    private readonly paramHeaders?: ParamHeaderLookup,
    /** Told when the shared connection cannot reach its server (the health view). */
    private readonly health?: LinkHealth,
  ) {}

  get(server: string): UpstreamLink {
    let link = this.links.get(server);
    if (link) return link;
    const cfg = this.servers().get(server);
    if (!cfg) throw new Error(`unknown server ${server}`);
    link = new UpstreamLink(
      server,
      cfg,
      {
        onServerRequest: (req, l) => {
          if (req.method === 'ping') l.respond(req.id, { result: {} });
          else {
            l.respond(req.id, {
              error: {
                code: METHOD_NOT_FOUND,
                message: `${req.method} is not relayed for a shared upstream (shared: true)`,
              },
            });
          }
        },
        onServerNotification: (n, l) => {
          for (const s of this.sessions.values()) if (s.links.get(server) === l) s.relayNotification(n, l);
        },
        onProgress: (n, ctx) =>
          (ctx as { sink?: { send(m: unknown, f: boolean): void } } | undefined)?.sink?.send(n, false),
        health: this.health,
      },
      this.log,
      true,
      this.paramHeaders,
    );
    this.links.set(server, link);
    return link;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.links.values()].map((l) => l.close()));
    this.links.clear();
  }
}
