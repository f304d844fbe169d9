// Minimal JSON-RPC shapes the relay works with. The relay never re-validates payloads it does not
// act on (results, notifications): it checks the envelope only, so new spec fields pass through.

export type RequestId = string | number;
export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: RequestId;
  method: string;
  params?: Record<string, unknown>;
}
export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Record<string, unknown>;
}
export interface JsonRpcResult {
  jsonrpc: '2.0';
  id: RequestId;
  result: Record<string, unknown>;
}
export interface JsonRpcError {
  jsonrpc: '2.0';
  id: RequestId | null;
  error: { code: number; message: string; data?: unknown };
}
export type JsonRpcResponse = JsonRpcResult | JsonRpcError;
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;
export const METHOD_NOT_FOUND = -32601;
export const INVALID_PARAMS = -32602;
export const INTERNAL_ERROR = -32603;
/** Implementation-defined range: the upstream could not be reached or died mid-request. */
export const UPSTREAM_ERROR = -32003;
export const HEADER_MISMATCH = -32020;
/**
 * The request reached the upstream (or may have) and the answer was lost: a connection reset after
 * sending, a server that died or timed out while handling it. The server may have run it; the
 * gateway never sends it again. `data.outcome` is "unknown".
 */
export const OUTCOME_UNKNOWN = -32004;

/** The error a client gets for a request whose outcome upstream is unknown (see OUTCOME_UNKNOWN). */
export function outcomeUnknown(id: RequestId | null, why: string): JsonRpcError {
  return errorResponse(
    id,
    OUTCOME_UNKNOWN,
    `${why}. The server may have run this request: check its effect before sending it again`,
    { outcome: 'unknown' },
  );
}

/** Whether a response says the request may have run: OUTCOME_UNKNOWN, or a cancel after sending. */
export function isOutcomeUnknown(res: JsonRpcResponse): boolean {
  if (!('error' in res)) return false;
  const data = res.error.data as { outcome?: unknown } | undefined;
  return res.error.code === OUTCOME_UNKNOWN || data?.outcome === 'unknown';
}

export function isRequest(m: JsonRpcMessage): m is JsonRpcRequest {
  return 'method' in m && 'id' in m && m.id !== undefined;
}
export function isNotification(m: JsonRpcMessage): m is JsonRpcNotification {
  return 'method' in m && !('id' in m && m.id !== undefined);
}
export function isResponse(m: JsonRpcMessage): m is JsonRpcResponse {
  return !('method' in m) && ('result' in m || 'error' in m);
}

/** Envelope check for one message from an untrusted peer; returns a reason when it is not valid. */
export function envelopeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'a JSON-RPC message must be an object';
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return 'jsonrpc must be "2.0"';
  const hasId = 'id' in m && m.id !== undefined;
  // MCP ids are strings or integers; a number JSON cannot carry exactly (1e309 is Infinity, 2**60
  // loses digits) would be answered under another id.
  if (hasId && typeof m.id !== 'string' && !Number.isSafeInteger(m.id) && m.id !== null)
    return 'id must be a string or an integer (at most 2^53 - 1 in size)';
  if ('method' in m) {
    if (typeof m.method !== 'string' || m.method === '') return 'method must be a non-empty string';
    if ('params' in m && m.params !== undefined && (typeof m.params !== 'object' || m.params === null)) {
      return 'params must be an object';
    }
    if (hasId && m.id === null) return 'a request id must not be null';
    return undefined;
  }
  if (!hasId) return 'a message needs a method (request/notification) or an id (response)';
  if (!('result' in m) && !('error' in m)) return 'a response needs result or error';
  return undefined;
}

/** The id of an invalid message, if it is one an error may echo (a string or a safe integer). */
export function echoableId(value: unknown): RequestId | null {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)) ? id : null;
}

export function errorResponse(
  id: RequestId | null,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcError {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}
