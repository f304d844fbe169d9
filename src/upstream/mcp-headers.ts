import { PROTOCOL_VERSION_KEY } from '../era/envelope.js';
import type { JsonRpcMessage } from '../proxy/jsonrpc.js';

/**
 * The headers of an upstream POST, exactly as the SDK v2 `StreamableHTTPClientTransport` sets them
 * (`_commonHeaders`, `_applyBodyDerivedHeaders`, `send`), so the lean path and the SDK transport
 * are indistinguishable to a server: the configured headers, then the session id (not on
 * `initialize`), the negotiated protocol version, for a request carrying a 2026 `_meta` envelope
 * the envelope's version with `Mcp-Method` and `Mcp-Name`, and the content type and accept list.
 */

/** Methods whose `Mcp-Name` header mirrors a body field (the SDK's `MCP_NAME_HEADER_SOURCE`). */
const NAME_SOURCE: Readonly<Record<string, string>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

const BASE64_PREFIX = '=?base64?';
const BASE64_SUFFIX = '?=';

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
      const field = Object.hasOwn(NAME_SOURCE, method) ? NAME_SOURCE[method] : undefined;
      const value = field === undefined ? undefined : params?.[field];
      if (typeof value === 'string') headers['mcp-name'] = encodeMcpParamValue(value);
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

/**
 * An HTTP field value per the 2026 value-encoding rule (the SDK's `encodeMcpParamValue`): a safe
 * plain-ASCII value passes unchanged; anything else (empty, padded, non-ASCII or control
 * characters, or already looking like the sentinel) is sent as `=?base64?{utf-8 base64}?=`.
 */
export function encodeMcpParamValue(value: string): string {
  return needsBase64(value)
    ? `${BASE64_PREFIX}${Buffer.from(value, 'utf8').toString('base64')}${BASE64_SUFFIX}`
    : value;
}

function needsBase64(s: string): boolean {
  if (s.length === 0) return true;
  if (s.startsWith(BASE64_PREFIX) && s.endsWith(BASE64_SUFFIX)) return true;
  if (s !== s.trim()) return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 9 || (c >= 32 && c <= 126)) continue;
    return true;
  }
  return false;
}
