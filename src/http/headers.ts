import type { IncomingMessage } from 'node:http';
import {
  errorResponse,
  HEADER_MISMATCH,
  INVALID_PARAMS,
  type JsonRpcError,
  type JsonRpcMessage,
  type JsonRpcRequest,
  METHOD_NOT_FOUND,
} from '../proxy/jsonrpc.js';

export const MODERN_VERSION = '2026-07-28';
export const SUPPORTED_VERSIONS = new Set([
  '2024-11-05',
  '2025-03-26',
  '2025-06-18',
  '2025-11-25',
  MODERN_VERSION,
]);
const VERSION_META_KEY = 'io.modelcontextprotocol/protocolVersion';

/** The protocol version a 2026-era request carries in its `_meta` envelope, if any. */
export function envelopeVersion(message: JsonRpcMessage): string | undefined {
  if (!('method' in message)) return undefined;
  const meta = message.params?._meta as Record<string, unknown> | undefined;
  const v = meta?.[VERSION_META_KEY];
  return typeof v === 'string' ? v : undefined;
}

function decodeHeaderValue(value: string): string {
  const m = /^=\?base64\?(.*)\?=$/.exec(value);
  return m ? Buffer.from(m[1] ?? '', 'base64').toString('utf8') : value;
}

/**
 * 2026-07-28 standard headers must agree with the body; the gateway decides from the body, so a
 * disagreeing header is an attempt to make something in front of us see a different call.
 * Returns a problem description or undefined.
 */
export function headerMismatch(req: IncomingMessage, message: JsonRpcMessage): string | undefined {
  const version = req.headers['mcp-protocol-version'];
  const bodyVersion = envelopeVersion(message);
  if (bodyVersion !== undefined && version !== undefined && version !== bodyVersion) {
    return `MCP-Protocol-Version header "${version}" does not match the body's ${bodyVersion}`;
  }
  if (!('method' in message)) return undefined;
  const method = req.headers['mcp-method'];
  if (method !== undefined && method !== message.method) {
    return `Mcp-Method header "${method}" does not match the body's method "${message.method}"`;
  }
  const name = req.headers['mcp-name'];
  if (name !== undefined) {
    const p = message.params ?? {};
    const bodyName = message.method === 'resources/read' ? p.uri : p.name;
    if (typeof name !== 'string' || decodeHeaderValue(name) !== bodyName) {
      return `Mcp-Name header does not match the body's ${message.method === 'resources/read' ? 'uri' : 'name'}`;
    }
  }
  return undefined;
}

export const HEADER_MISMATCH_CODE = HEADER_MISMATCH;

/** 2025-era methods the 2026-07-28 revision removed: a stateless request for one is 404 / -32601. */
const REMOVED_IN_2026 = new Set([
  'initialize',
  'ping',
  'logging/setLevel',
  'resources/subscribe',
  'resources/unsubscribe',
]);
/** Methods whose body names a target that the `Mcp-Name` header must carry (SEP-2243). */
const NAMED = new Map([
  ['tools/call', 'name'],
  ['prompts/get', 'name'],
  ['resources/read', 'uri'],
]);

/**
 * What a 2026-07-28 server must refuse before serving a stateless request (SEP-2575, SEP-2243):
 * an envelope without `protocolVersion` or `clientCapabilities` (400, -32602), a removed 2025
 * method (404, -32601), a missing `Mcp-Method` header or a missing `Mcp-Name` header when the body
 * names a tool, prompt or resource (400, -32020). A 2026 upstream checks this itself, but a 2025
 * upstream behind the gateway never sees the 2026 request, so the gateway checks every one.
 * The caller sets the response id.
 */
export function modernRequestProblem(
  req: IncomingMessage,
  message: JsonRpcRequest,
): { status: number; error: JsonRpcError } | undefined {
  const meta = message.params?._meta as Record<string, unknown> | undefined;
  const caps = meta?.['io.modelcontextprotocol/clientCapabilities'];
  if (typeof meta?.[VERSION_META_KEY] !== 'string' || typeof caps !== 'object' || caps === null)
    return {
      status: 400,
      error: errorResponse(
        null,
        INVALID_PARAMS,
        'Invalid params: a 2026-07-28 request needs _meta io.modelcontextprotocol/protocolVersion and io.modelcontextprotocol/clientCapabilities',
      ),
    };
  if (REMOVED_IN_2026.has(message.method))
    return {
      status: 404,
      error: errorResponse(
        null,
        METHOD_NOT_FOUND,
        `Method not found: ${message.method} (removed in 2026-07-28)`,
      ),
    };
  const mismatch = (text: string) => ({
    status: 400,
    error: errorResponse(null, HEADER_MISMATCH, `Header mismatch: ${text}`),
  });
  if (req.headers['mcp-method'] === undefined) return mismatch('the Mcp-Method header is required');
  const field = NAMED.get(message.method);
  const named = field ? message.params?.[field] : undefined;
  if (named !== undefined && req.headers['mcp-name'] === undefined)
    return mismatch(`the Mcp-Name header is required for ${message.method}`);
  return undefined;
}

/**
 * The HTTP status of a JSON-RPC error answered to a 2026-07-28 request as plain JSON, as the SDK
 * maps them (`LADDER_ERROR_HTTP_STATUS`): method not found 404; parse error, invalid request,
 * unsupported version, missing client capability, header mismatch 400; anything else 200.
 */
export function modernErrorStatus(code: number): number {
  if (code === METHOD_NOT_FOUND) return 404;
  return [-32700, -32600, -32022, -32021, HEADER_MISMATCH].includes(code) ? 400 : 200;
}
