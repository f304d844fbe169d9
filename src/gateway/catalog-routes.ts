// Admin API for the catalogue: GET /api/catalog/:server and POST /api/catalog/:server/:tool/accept.
import type { Logger } from 'pino';
import type { ToolDefinition } from '../catalog/index.js';
import type { Config } from '../config/index.js';
import { ApiError, type Router } from '../http/admin/index.js';
import type { ServerState } from '../upstream/probe.js';
import { catalogTool } from './catalog-view.js';
import { PinError, type PinRegistry } from './pins.js';
import type { PolicySet } from './policies.js';

export interface CatalogRouteDeps {
  config(): Config;
  states: ReadonlyMap<string, ServerState>;
  policies: PolicySet;
  pins: PinRegistry;
  log: Logger;
}

export function catalogRoutes(deps: CatalogRouteDeps): (router: Router) => void {
  const serverOr404 = (name: string) => {
    if (!deps.config().servers[name]) throw new ApiError(404, 'unknown_server', `no server named "${name}"`);
  };
  /** What the gateway saw last: the probe's list, updated and extended by every tools/list since. */
  const toolsOf = (server: string): ToolDefinition[] => {
    const byName = new Map<string, ToolDefinition>();
    for (const t of (deps.states.get(server)?.toolList ?? []) as unknown as ToolDefinition[])
      byName.set(t.name, t);
    for (const t of deps.pins.seenTools(server)) byName.set(t.name, t);
    return [...byName.values()];
  };

  return (router) => {
    router.on('GET', '/api/catalog/:server', ({ params, query }) => {
      const server = params.server!;
      serverOr404(server);
      const grant = query.get('grant') ?? 'local';
      const policy = deps.policies.for(grant, server);
      const st = deps.states.get(server) ?? { status: 'starting' as const };
      return {
        server,
        status: st.status,
        ...(st.reason ? { reason: st.reason } : {}),
        newTools: policy.newTools ?? 'policy',
        tools: toolsOf(server).map((t) =>
          catalogTool(server, t, policy, deps.pins.pin(server, t.name), grant, deps.config().pins.on_change),
        ),
      };
    });

    router.on('POST', '/api/catalog/:server/:tool/accept', async ({ params, body }) => {
      const server = params.server!;
      serverOr404(server);
      const b = (await body()) as { hash?: unknown };
      if (b.hash !== undefined && typeof b.hash !== 'string')
        throw new ApiError(400, 'bad_request', 'send {} or {"hash": "<the definition hash you reviewed>"}');
      try {
        const pin = await deps.pins.accept(server, params.tool!, {
          expectHash: b.hash as string | undefined,
        });
        deps.log.info({ server, tool: pin.tool, hash: pin.hash, via: 'admin API' }, 'tool accepted');
        return { server, tool: pin.tool, hash: pin.hash, acceptedAt: pin.acceptedAt };
      } catch (err) {
        if (err instanceof PinError)
          throw new ApiError(err.code === 'unknown_tool' ? 404 : 409, err.code, err.message);
        throw err;
      }
    });
  };
}
