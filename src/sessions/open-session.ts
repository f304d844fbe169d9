// Client sessions are built in one place, for every front end (HTTP with and without a session,
// `toolgate stdio`): the same links, era adapters, separator, unknown-tool answers and health
// hooks, so no front end can drift into a session that skips a check the others make.

import type { ServerConfig } from '../config/index.js';
import { type EraDeps, type EraPlan, planEras } from '../era/routing.js';
import type { Envelope } from '../mcp/envelope.js';
import type { JsonRpcResponse, RequestId } from '../mcp/jsonrpc.js';
import type { Era } from '../mcp/versions.js';
import type { Caller, Gate } from '../proxy/gate.js';
import type { RetryCharges } from '../proxy/retry-charges.js';
import { ClientSession } from '../proxy/session.js';
import type { LinkHealth, UpstreamLink } from '../upstream/link.js';

/** What every session needs of the running gateway, whichever front end opens it. */
export interface SessionDeps extends EraDeps {
  gate: Gate;
  /** The aggregate endpoint's `<server><sep><tool>` separator. */
  separator: string;
  sharedLink(server: string): UpstreamLink;
  /** How a server answers an unknown tool (hidden tools answer the same). */
  unknownTool?(server: string, id: RequestId, name: string): JsonRpcResponse;
  /** Eras (issue 9): charged `input_required` calls, shared by every session. */
  retryCharges?: RetryCharges;
  /** What sessions' links learn about their servers' health (connect refused, a failed start). */
  linkHealth?: LinkHealth;
}

export interface SessionSpec {
  /** The session id, or how to make it from the era plan (stateless sessions are keyed by it). */
  id: string | ((plan: EraPlan) => string);
  caller: Omit<Caller, 'sessionId'>;
  /** The endpoint: a server name, or '*' for the aggregate `/mcp`. */
  endpoint: string;
  servers: ReadonlyMap<string, ServerConfig>;
  /** The client's era: '2025' after `initialize`, '2026' for a stateless request. */
  era: Era;
  /** A 2026 client's envelope (its capabilities go to a 2025 upstream's `initialize`). */
  envelope?: Envelope;
  /** A session reused by id (stateless): returned as it is when it exists. */
  existing?(id: string): ClientSession | undefined;
  onFailedInitialize?(): void;
  onClosed?(): void;
}

/** The scope a session is addressed under: another grant's or endpoint's request answers 404. */
export function sessionScope(grant: string, endpoint: string): string {
  return `${grant}\n${endpoint}`;
}

export async function openSession(deps: SessionDeps, spec: SessionSpec): Promise<ClientSession> {
  const plan = await planEras(deps, spec.servers, spec.era, spec.envelope);
  const id = typeof spec.id === 'string' ? spec.id : spec.id(plan);
  const found = spec.existing?.(id);
  if (found) return found;
  return new ClientSession({
    id,
    scope: sessionScope(spec.caller.grant, spec.endpoint),
    caller: { ...spec.caller, sessionId: id },
    servers: spec.servers,
    aggregate: spec.endpoint === '*',
    separator: deps.separator,
    gate: deps.gate,
    log: deps.log,
    era: spec.era,
    eraLink: plan.eraLink,
    retryCharges: deps.retryCharges,
    sharedLink: (s) => deps.sharedLink(s),
    unknownTool: deps.unknownTool,
    linkHealth: deps.linkHealth,
    onFailedInitialize: spec.onFailedInitialize,
    onClosed: spec.onClosed,
  });
}
