// Issue 15: the gateway negotiates with a client the version the client would get from the servers
// behind the endpoint. A client that probes with `server/discover` (SDK v2 `auto`, the Python SDK)
// is offered 2026-07-28 only when every server there speaks it; otherwise it is told the 2025-era
// revisions, falls back to `initialize` and keeps `ping`, `logging/setLevel` and
// `resources/subscribe`, exactly as it would straight to the server. Eras are translated only
// where a client and a server share none: a stateless request for a 2025 server still works, and
// `offer_2026: true` on a server offers 2026-07-28 for it (for clients that speak only 2026).
import type { ServerConfig } from '../config/index.js';
import { errorResponse, type JsonRpcError, METHOD_NOT_FOUND, type RequestId } from '../mcp/jsonrpc.js';
import { LEGACY_VERSIONS } from '../mcp/versions.js';
import type { EraRegistry } from './registry.js';

/** 2026-07-28 UnsupportedProtocolVersion: `data.supported` lists what the endpoint speaks. */
export const UNSUPPORTED_PROTOCOL_VERSION = -32022;

/**
 * Whether `server/discover` on an endpoint offers 2026-07-28: every server behind it speaks 2026,
 * or is a translated 2025 server its operator chose to offer as 2026 (`offer_2026`). A shared link
 * is never translated, so only its own era counts. Without an era registry (no probing) the
 * gateway relays as it always did.
 */
export async function offersModern(
  eras: EraRegistry | undefined,
  servers: ReadonlyMap<string, ServerConfig>,
): Promise<boolean> {
  if (!eras || servers.size === 0) return true;
  const verdicts = await Promise.all(
    [...servers].map(async ([name, cfg]) => {
      if (cfg.offer_2026 && !cfg.shared) return true;
      return (await eras.eraOf(name, cfg)) === '2026';
    }),
  );
  return verdicts.every(Boolean);
}

/**
 * The answer to `server/discover` where the endpoint speaks 2025-era MCP only: what a 2025 server
 * answers itself (-32601; 404 as 2026-07-28 maps it), so every client reaches the verdict it
 * reaches straight to the server: a client that speaks both falls back to `initialize`; one pinned
 * to 2026 stops, as it would. `data.supported` and the message say what to do.
 */
export function legacyOnlyDiscover(id: RequestId, endpoint: string): JsonRpcError {
  const where = endpoint === '*' ? 'a server behind /mcp' : `server "${endpoint}"`;
  return errorResponse(
    id,
    METHOD_NOT_FOUND,
    `Method not found: server/discover (${where} speaks 2025-era MCP only: send initialize; ` +
      'for clients that speak only 2026-07-28, set `offer_2026: true` on the server and toolgate translates)',
    { supported: [...LEGACY_VERSIONS].reverse() },
  );
}
