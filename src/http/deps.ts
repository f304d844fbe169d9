import type { Logger } from 'pino';
import type { ServerConfig } from '../config/index.js';
import type { EraRegistry } from '../era/registry.js';
import type { Gate } from '../proxy/gate.js';
import type { JsonRpcResponse, RequestId } from '../proxy/jsonrpc.js';
import type { SessionRegistry } from '../proxy/registry.js';
import type { RetryCharges } from '../proxy/retry-charges.js';
import type { LinkHealth, UpstreamLink } from '../upstream/link.js';
import type { SseLimits } from './backpressure.js';
import type { ParamHeaderRegistry } from './param-headers.js';
import type { ReplayLimits } from './replay-buffer.js';

export interface AuthenticatedGrant {
  name: string;
  /** Server names this grant may reach, or '*' for all. */
  servers: '*' | ReadonlySet<string>;
  claims?: Record<string, unknown>;
}

export type AuthResult =
  | { ok: true; grant: AuthenticatedGrant }
  | { ok: false; error: 'missing_token' | 'invalid_token'; message: string };

/** What the HTTP front end needs from the running gateway. */
export interface HttpDeps {
  log: Logger;
  listen: { host: string; port: number; allowedHosts: string[]; allowedOrigins: string[]; maxBody: number };
  separator: string;
  servers(): ReadonlyMap<string, ServerConfig>;
  authenticate(authorization: string | undefined, remote: string): Promise<AuthResult>;
  gate: Gate;
  sessions: SessionRegistry;
  /** Per-session replay buffer bounds (SSE event ids, resumption); absent: no ids, no resuming. */
  replay?: ReplayLimits;
  /** The cap on each SSE connection's unsent bytes (sessions.max_unsent_bytes), and its metric. */
  sse: SseLimits;
  sharedLink(server: string): UpstreamLink;
  /** How a server answers an unknown tool (hidden tools answer the same). */
  unknownTool?(server: string, id: RequestId, name: string): JsonRpcResponse;
  /** Eras (issue 9): each upstream's protocol era; absent means pass-through only. */
  eras?: EraRegistry;
  /** Eras (issue 9): charged `input_required` calls, shared by every session. */
  retryCharges?: RetryCharges;
  /**
   * SEP-2243: the `x-mcp-header` declarations of listed tools; a 2026 `tools/call` whose
   * `Mcp-Param-*` headers disagree with its body is refused (absent: not checked).
   */
  paramHeaders?: ParamHeaderRegistry;
  /** What sessions' links learn about their servers' health (connect refused, a failed start). */
  linkHealth?: LinkHealth;
  /**
   * Readiness: `problems` is name -> problem, empty when ready; `servers` is each configured
   * server's state for the /readyz body (status, and while down the reason and since when).
   */
  readiness(): Promise<{ problems: Record<string, string>; servers?: Record<string, unknown> }>;
}
