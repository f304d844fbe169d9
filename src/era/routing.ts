import type { Logger } from 'pino';
import { isStdioServer, type ServerConfig } from '../config/index.js';
import { clientIdentity, type Envelope, MODERN } from '../mcp/envelope.js';
import type { ParamHeaderLookup } from '../mcp/param-headers.js';
import type { SessionOptions } from '../proxy/session.js';
import { LegacyUpstreamLink } from './legacy-upstream.js';
import { ListenRelayLink } from './listen-relay.js';
import { ModernUpstreamLink } from './modern-upstream.js';
import type { Era, EraRegistry } from './registry.js';

export interface EraPlan {
  /** Link factory for the session: era adapters where the upstream's era differs from the client's. */
  eraLink?: SessionOptions['eraLink'];
  /** Whether any upstream is translated (then a 2026 client's session is its own: see below). */
  translated: boolean;
}

/**
 * Eras (issue 9): which of the reachable servers speak the other era than the client, and the
 * adapters that bridge them. Shared links (`shared: true`) are used as they are: one upstream
 * session for everybody cannot carry one client's capabilities.
 */
/** What era routing needs of the running gateway (the same for every front end). */
export interface EraDeps {
  /** Each upstream's protocol era; absent means pass-through only. */
  eras?: EraRegistry;
  /** SEP-2243: the `x-mcp-header` declarations of listed tools, for links to 2026 upstreams. */
  paramHeaders?: { get: ParamHeaderLookup };
  log: Logger;
}

export async function planEras(
  deps: EraDeps,
  servers: ReadonlyMap<string, ServerConfig>,
  client: Era,
  envelope?: Envelope,
): Promise<EraPlan> {
  const eras = deps.eras;
  if (!eras) return { translated: false };
  const other = new Set<string>();
  await Promise.all(
    [...servers].map(async ([name, cfg]) => {
      if (cfg.shared) return;
      // A 2026 stdio server (SDK `serveStdio`) also serves a 2025 session on its own connection,
      // server-to-client requests included, so a 2025 client needs no probe (nor a spawn) for it.
      if (client === '2025' && isStdioServer(cfg)) return;
      if ((await eras.eraOf(name, cfg)) !== client) other.add(name);
    }),
  );
  // SEP-2243: the links to 2026 upstreams mirror declared arguments into `Mcp-Param-*` headers.
  const registry = deps.paramHeaders;
  const paramHeaders: ParamHeaderLookup | undefined =
    registry && ((server: string, tool: string) => registry.get(server, tool));
  return {
    translated: other.size > 0,
    eraLink: (name, cfg, hooks) => {
      if (cfg.shared) return undefined;
      // Same era: 2025 passes through as it is; 2026 needs its listen streams re-tagged.
      if (!other.has(name))
        return client === '2026' ? new ListenRelayLink(name, cfg, hooks, deps.log, paramHeaders) : undefined;
      return client === '2026'
        ? new LegacyUpstreamLink(name, cfg, hooks, deps.log, envelope ?? fallbackEnvelope)
        : new ModernUpstreamLink(name, cfg, hooks, deps.log, paramHeaders);
    },
  };
}

const fallbackEnvelope: Envelope = {
  protocolVersion: MODERN,
  clientCapabilities: {},
  clientInfo: { name: 'unknown', version: '0' },
};

/**
 * The registry id of a 2026 client's stateless session. Pass-through sessions are shared per
 * grant and endpoint (the upstream is stateless too); a session that keeps 2025 upstream sessions
 * is per grant, endpoint and client identity, because the upstream fixed that client's
 * capabilities at `initialize`.
 */
export function statelessId(grant: string, key: string, plan: EraPlan, envelope?: Envelope): string {
  const base = `stateless:${grant}:${key}`;
  return plan.translated && envelope ? `${base}:${clientIdentity(envelope)}` : base;
}
