import type { IncomingHttpHeaders } from 'node:http';
import { CLIENT_CAPABILITIES_KEY, PROTOCOL_VERSION_KEY, readEnvelope } from '../mcp/envelope.js';
import {
  errorResponse,
  HEADER_MISMATCH,
  INVALID_PARAMS,
  type JsonRpcError,
  type JsonRpcMessage,
  type JsonRpcRequest,
  METHOD_NOT_FOUND,
} from '../mcp/jsonrpc.js';
import { nameSourceOf, removedIn2026 } from '../mcp/methods.js';
import { decodeParamValue } from '../mcp/param-headers.js';

/** The protocol version a 2026-era request carries in its `_meta` envelope, if any. */
export function envelopeVersion(message: JsonRpcMessage): string | undefined {
  return 'method' in message ? readEnvelope(message.params)?.protocolVersion : undefined;
}

/**
 * 2026-07-28 standard headers must agree with the body; the gateway decides from the body, so a
 * disagreeing header is an attempt to make something in front of us see a different call.
 * Returns a problem description or undefined.
 */
export function headerMismatch(headers: IncomingHttpHeaders, message: JsonRpcMessage): string | undefined {
  const version = headers['mcp-protocol-version'];
  const bodyVersion = envelopeVersion(message);
  if (bodyVersion !== undefined && version !== undefined && version !== bodyVersion) {
    return `MCP-Protocol-Version header "${version}" does not match the body's ${bodyVersion}`;
  }
  if (!('method' in message)) return undefined;
  const method = headers['mcp-method'];
  if (method !== undefined && method !== message.method) {
    return `Mcp-Method header "${method}" does not match the body's method "${message.method}"`;
  }
  const name = headers['mcp-name'];
  if (name !== undefined) {
    // The sentinel decoding is the strict one of SEP-2243: a malformed `=?base64?...?=` matches nothing.
    const field = nameSourceOf(message.method) ?? 'name';
    const bodyName = message.params?.[field];
    if (typeof name !== 'string' || decodeParamValue(name) !== bodyName) {
      return `Mcp-Name header does not match the body's ${field}`;
    }
  }
  return undefined;
}

/** Methods whose `Mcp-Name` header a stateless request must carry (SEP-2243 names these three). */
const NAME_REQUIRED = new Set(['tools/call', 'prompts/get', 'resources/read']);

/**
 * What a 2026-07-28 server must refuse before serving a stateless request (SEP-2575, SEP-2243):
 * an envelope without `protocolVersion` or `clientCapabilities` (400, -32602), a removed 2025
 * method (404, -32601), a missing `Mcp-Method` header or a missing `Mcp-Name` header when the body
 * names a tool, prompt or resource (400, -32020). A 2026 upstream checks this itself, but a 2025
 * upstream behind the gateway never sees the 2026 request, so the gateway checks every one.
 * The caller sets the response id.
 */
export function modernRequestProblem(
  headers: IncomingHttpHeaders,
  message: JsonRpcRequest,
): { status: number; error: JsonRpcError } | undefined {
  const meta = message.params?._meta as Record<string, unknown> | undefined;
  const caps = meta?.[CLIENT_CAPABILITIES_KEY];
  if (typeof meta?.[PROTOCOL_VERSION_KEY] !== 'string' || typeof caps !== 'object' || caps === null)
    return {
      status: 400,
      error: errorResponse(
        null,
        INVALID_PARAMS,
        'Invalid params: a 2026-07-28 request needs _meta io.modelcontextprotocol/protocolVersion and io.modelcontextprotocol/clientCapabilities',
      ),
    };
  if (removedIn2026(message.method))
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
  if (headers['mcp-method'] === undefined) return mismatch('the Mcp-Method header is required');
  const field = NAME_REQUIRED.has(message.method) ? nameSourceOf(message.method) : undefined;
  const named = field ? message.params?.[field] : undefined;
  if (named !== undefined && headers['mcp-name'] === undefined)
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
