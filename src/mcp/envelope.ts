import type { JsonRpcRequest } from './jsonrpc.js';
import { LEGACY, MODERN } from './versions.js';

/**
 * The 2026-07-28 per-request `_meta` envelope (the keys the SDK v2 core exports as
 * `PROTOCOL_VERSION_META_KEY`, `CLIENT_CAPABILITIES_META_KEY`, ...). A 2025-era session carries the
 * same facts once, in `initialize`; translating between eras is moving them between the two.
 */
export { LEGACY, MODERN } from './versions.js';
export const PROTOCOL_VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';
export const CLIENT_CAPABILITIES_KEY = 'io.modelcontextprotocol/clientCapabilities';
export const CLIENT_INFO_KEY = 'io.modelcontextprotocol/clientInfo';
export const SERVER_INFO_KEY = 'io.modelcontextprotocol/serverInfo';
export const LOG_LEVEL_KEY = 'io.modelcontextprotocol/logLevel';
export const SUBSCRIPTION_ID_KEY = 'io.modelcontextprotocol/subscriptionId';
const RESERVED_PREFIX = 'io.modelcontextprotocol/';

export type Params = JsonRpcRequest['params'];

export interface Envelope {
  protocolVersion: string;
  clientCapabilities: Record<string, unknown>;
  clientInfo: { name: string; version: string } & Record<string, unknown>;
  logLevel?: string;
}

function metaOf(params: Params): Record<string, unknown> | undefined {
  const meta = params?._meta;
  return meta && typeof meta === 'object' ? (meta as Record<string, unknown>) : undefined;
}

/** The envelope of a 2026-era request, or undefined for a 2025-era one. */
export function readEnvelope(params: Params): Envelope | undefined {
  const meta = metaOf(params);
  const version = meta?.[PROTOCOL_VERSION_KEY];
  if (typeof version !== 'string') return undefined;
  const caps = meta?.[CLIENT_CAPABILITIES_KEY];
  const info = meta?.[CLIENT_INFO_KEY] as Envelope['clientInfo'] | undefined;
  const level = meta?.[LOG_LEVEL_KEY];
  return {
    protocolVersion: version,
    clientCapabilities: caps && typeof caps === 'object' ? (caps as Record<string, unknown>) : {},
    // clientInfo is only a SHOULD; a client without one is "unknown" (and shares a kept session).
    clientInfo: info && typeof info.name === 'string' ? info : { name: 'unknown', version: '0' },
    ...(typeof level === 'string' ? { logLevel: level } : {}),
  };
}

/**
 * `params` with the reserved envelope keys removed (for a 2025 upstream, which learnt them from
 * `initialize`), and the MRTR retry fields too: the answers travel to the upstream as responses to
 * its own requests, not as params. Everything else in `_meta` (progressToken, traceparent) stays.
 */
export function stripEnvelope(params: Params): Params {
  if (!params) return params;
  const { inputResponses: _r, requestState: _s, ...rest } = params;
  const meta = metaOf(params);
  if (!meta) return rest;
  const kept = Object.fromEntries(Object.entries(meta).filter(([k]) => !k.startsWith(RESERVED_PREFIX)));
  if (Object.keys(kept).length === 0) {
    const { _meta: _m, ...bare } = rest;
    return bare;
  }
  return { ...rest, _meta: kept };
}

/** `params` carrying the envelope, for a 2026 upstream (a 2025 client's session facts, per request). */
export function withEnvelope(params: Params, env: Envelope): Params {
  const meta: Record<string, unknown> = {
    ...metaOf(params),
    [PROTOCOL_VERSION_KEY]: env.protocolVersion,
    [CLIENT_CAPABILITIES_KEY]: env.clientCapabilities,
    [CLIENT_INFO_KEY]: env.clientInfo,
  };
  if (env.logLevel) meta[LOG_LEVEL_KEY] = env.logLevel;
  return { ...params, _meta: meta };
}

/** The envelope a 2025 client's `initialize` params amount to. */
export function envelopeFromInitialize(params: Params): Envelope {
  const p = params ?? {};
  const info = p.clientInfo as Envelope['clientInfo'] | undefined;
  return {
    protocolVersion: MODERN,
    clientCapabilities: (p.capabilities as Record<string, unknown> | undefined) ?? {},
    clientInfo: info && typeof info.name === 'string' ? info : { name: 'unknown', version: '0' },
  };
}

/** The `initialize` params a 2026 client's envelope amounts to. */
export function initializeFromEnvelope(env: Envelope): Record<string, unknown> {
  return { protocolVersion: LEGACY, capabilities: env.clientCapabilities, clientInfo: env.clientInfo };
}

/**
 * A stable key for "the same client" across stateless requests: the gateway keeps one 2025
 * upstream session per grant and client identity, and capabilities are part of the identity
 * because a 2025 server fixes its behaviour (even its tool list) at `initialize`.
 */
export function clientIdentity(env: Envelope): string {
  return JSON.stringify([env.clientInfo.name, env.clientInfo.version, env.clientCapabilities]);
}
