import { PROTOCOL_VERSION_KEY } from '../mcp/envelope.js';
import type { JsonRpcMessage } from '../mcp/jsonrpc.js';
import { nameSourceOf } from '../mcp/methods.js';
import { encodeMcpParamValue, type ParamHeaderDeclaration, paramHeaderValues } from '../mcp/param-headers.js';

/**
 * The headers of an upstream POST, exactly as the SDK v2 `StreamableHTTPClientTransport` sets them
 * (`_commonHeaders`, `_applyBodyDerivedHeaders`, `send`), so the lean path and the SDK transport
 * are indistinguishable to a server: the configured headers, then the session id (not on
 * `initialize`), the negotiated protocol version, for a request carrying a 2026 `_meta` envelope
 * the envelope's version with `Mcp-Method` and `Mcp-Name` (and, on a `tools/call`, the
 * `Mcp-Param-<Name>` headers its tool declares), and the content type and accept list.
 */

/** A tool's `x-mcp-header` declarations on this connection's server (bound by the channel). */
export type ToolParamHeaders = (tool: string) => readonly ParamHeaderDeclaration[] | undefined;

export type HeaderMap = Record<string, string>;

/**
 * The per-connection part, computed once: configured headers lower-cased (so a configured
 * `Accept` merges instead of duplicating), the accept list the SDK builds, the content type.
 */
export function baseHeaders(configured: Record<string, string> | undefined): HeaderMap {
  const out: HeaderMap = {};
  for (const [name, value] of Object.entries(configured ?? {})) out[name.toLowerCase()] = value;
  const types = [
    ...(out.accept?.split(',').map((s) => s.trim().toLowerCase()) ?? []),
    'application/json',
    'text/event-stream',
  ];
  out.accept = [...new Set(types)].join(', ');
  out['content-type'] = 'application/json';
  return out;
}

/** Base headers plus the session's and the message's own. */
export function postHeaders(
  base: HeaderMap,
  message: JsonRpcMessage,
  sessionId: string | undefined,
  protocolVersion: string | undefined,
  paramHeaders?: ToolParamHeaders,
): HeaderMap {
  const headers: HeaderMap = { ...base };
  const method = 'method' in message ? message.method : undefined;
  if (sessionId !== undefined && method !== 'initialize') headers['mcp-session-id'] = sessionId;
  if (protocolVersion !== undefined) headers['mcp-protocol-version'] = protocolVersion;
  if (method !== undefined && 'id' in message && message.id !== undefined) {
    const params = (message as { params?: Record<string, unknown> }).params;
    const meta = params?._meta as Record<string, unknown> | undefined;
    const version = meta?.[PROTOCOL_VERSION_KEY];
    // Only a request that claims a version in its envelope gets 2026 headers, so none ever
    // appears on a 2025-era exchange.
    if (typeof version === 'string') {
      headers['mcp-protocol-version'] = version;
      headers['mcp-method'] = method;
      const field = nameSourceOf(method);
      const value = field === undefined ? undefined : params?.[field];
      if (typeof value === 'string') headers['mcp-name'] = encodeMcpParamValue(value);
      // SEP-2243: a 2026 server refuses (400, -32020) a `tools/call` whose declared arguments are
      // not mirrored in `Mcp-Param-<Name>` headers; send them as the SDK client does (callTool).
      const declarations =
        method === 'tools/call' && typeof value === 'string' ? paramHeaders?.(value) : undefined;
      if (declarations) Object.assign(headers, paramHeaderValues(declarations, params?.arguments));
    }
  }
  return headers;
}

/** Session-level headers for a GET or DELETE (no body, so no body-derived headers). */
export function sessionHeaders(
  configured: Record<string, string> | undefined,
  sessionId: string | undefined,
  protocolVersion: string | undefined,
): HeaderMap {
  const out: HeaderMap = {};
  for (const [name, value] of Object.entries(configured ?? {})) out[name.toLowerCase()] = value;
  if (sessionId !== undefined) out['mcp-session-id'] = sessionId;
  if (protocolVersion !== undefined) out['mcp-protocol-version'] = protocolVersion;
  return out;
}
