import type { AuthResult } from '../auth/types.js';
import type { ServerConfig } from '../config/index.js';
import type { SessionRegistry } from '../proxy/registry.js';
import type { SessionDeps } from '../sessions/open-session.js';
import type { ParamHeaderRegistry } from '../upstream/tool-headers.js';
import type { SseLimits } from './backpressure.js';
import type { ReplayLimits } from './replay-buffer.js';

export type { AuthenticatedGrant, AuthResult } from '../auth/types.js';

/** What the HTTP front end needs from the running gateway: what every session needs, and more. */
export interface HttpDeps extends SessionDeps {
  listen: { host: string; port: number; allowedHosts: string[]; allowedOrigins: string[]; maxBody: number };
  servers(): ReadonlyMap<string, ServerConfig>;
  authenticate(authorization: string | undefined, remote: string): Promise<AuthResult>;
  sessions: SessionRegistry;
  /** Per-session replay buffer bounds (SSE event ids, resumption); absent: no ids, no resuming. */
  replay?: ReplayLimits;
  /** The cap on each SSE connection's unsent bytes (sessions.max_unsent_bytes), and its metric. */
  sse: SseLimits;
  /**
   * SEP-2243: the `x-mcp-header` declarations of listed tools; a 2026 `tools/call` whose
   * `Mcp-Param-*` headers disagree with its body is refused (absent: not checked).
   */
  paramHeaders?: ParamHeaderRegistry;
  /**
   * Readiness: `problems` is name -> problem, empty when ready; `servers` is each configured
   * server's state for the /readyz body (status, and while down the reason and since when).
   */
  readiness(): Promise<{ problems: Record<string, string>; servers?: Record<string, unknown> }>;
}
