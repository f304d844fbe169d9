import { LEGACY, MODERN, SERVER_INFO_KEY } from '../mcp/envelope.js';
import type { JsonRpcRequest, JsonRpcResponse } from '../mcp/jsonrpc.js';
import { LEGACY_VERSIONS as LEGACY_LIST } from '../mcp/versions.js';

type Result = Record<string, unknown>;

/** The 2025-era revisions a 2025 client may ask for; the gateway answers with the one it asked. */
const LEGACY_VERSIONS: ReadonlySet<string> = new Set(LEGACY_LIST);

/** Results a 2026 client may cache: SEP-2549 makes `ttlMs` and `cacheScope` required on them. */
const CACHEABLE = new Set([
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
]);

/**
 * How long a 2026 client may reuse a list the gateway relayed from a 2025 server. Short, because
 * a 2025 server may change its lists at any time and says so only to listeners; `private`
 * because policy filters lists per grant, so a shared cache must never reuse them.
 */
export const RELAYED_TTL_MS = 1000;

/** Methods a 2026 server may answer with `input_required` (multi-round-trip, SEP-2322). */
export const MRTR_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** 2026 `server/discover` result from a 2025 server's InitializeResult (what `initialize` told us). */
export function discoverFromInitialize(init: Result): Result {
  return {
    supportedVersions: [MODERN],
    capabilities: init.capabilities ?? {},
    ...(typeof init.instructions === 'string' ? { instructions: init.instructions } : {}),
    resultType: 'complete',
    _meta: { [SERVER_INFO_KEY]: init.serverInfo ?? { name: 'unknown', version: '0' } },
  };
}

/** 2025 InitializeResult from a 2026 server's `server/discover` result, in the client's revision. */
export function initializeFromDiscover(discover: Result, asked: unknown, server: string): Result {
  const meta = discover._meta as Result | undefined;
  return {
    protocolVersion: typeof asked === 'string' && LEGACY_VERSIONS.has(asked) ? asked : LEGACY,
    capabilities: discover.capabilities ?? {},
    serverInfo: meta?.[SERVER_INFO_KEY] ?? { name: server, version: '0' },
    ...(typeof discover.instructions === 'string' ? { instructions: discover.instructions } : {}),
  };
}

/**
 * A 2025 server's answer made 2026-shaped: every result carries `resultType` (the SDK v2 client
 * rejects one without), cacheable results carry `ttlMs`/`cacheScope`, results name the server,
 * and "resource not found" uses the 2026 code (-32602, was -32002).
 */
export function modernResponse(method: string, res: JsonRpcResponse, serverInfo: unknown): JsonRpcResponse {
  if ('error' in res) {
    if (res.error.code === -32002 && method === 'resources/read')
      return { ...res, error: { ...res.error, code: -32602 } };
    return res;
  }
  const result: Result = { ...res.result };
  result.resultType ??= 'complete';
  if (CACHEABLE.has(method)) {
    result.ttlMs ??= RELAYED_TTL_MS;
    result.cacheScope ??= 'private';
  }
  const meta = (result._meta as Result | undefined) ?? {};
  if (serverInfo && meta[SERVER_INFO_KEY] === undefined)
    result._meta = { ...meta, [SERVER_INFO_KEY]: serverInfo };
  return { ...res, result };
}

/** A 2026 server's final answer for a 2025 client: the wire discriminator means nothing there. */
export function legacyResponse(res: JsonRpcResponse): JsonRpcResponse {
  if (!('result' in res) || !('resultType' in res.result)) return res;
  const { resultType: _t, ...rest } = res.result;
  return { ...res, result: rest };
}

export interface InputRequired {
  inputRequests: Record<string, { method: string; params?: Result }>;
  requestState?: string;
}

/** The `input_required` parts of a 2026 result, or undefined when it is complete. */
export function inputRequiredOf(res: JsonRpcResponse): InputRequired | undefined {
  if (!('result' in res) || res.result.resultType !== 'input_required') return undefined;
  const requests = (res.result.inputRequests ?? {}) as InputRequired['inputRequests'];
  const state = res.result.requestState;
  return { inputRequests: requests, ...(typeof state === 'string' ? { requestState: state } : {}) };
}

/** The `input_required` result standing for server-to-client requests a 2025 server is waiting on. */
export function inputRequiredResult(
  requests: ReadonlyMap<string, JsonRpcRequest>,
  requestState: string,
  serverInfo: unknown,
): Result {
  const inputRequests: Result = {};
  for (const [key, req] of requests)
    inputRequests[key] =
      req.params === undefined ? { method: req.method } : { method: req.method, params: req.params };
  return {
    resultType: 'input_required',
    inputRequests,
    requestState,
    ...(serverInfo ? { _meta: { [SERVER_INFO_KEY]: serverInfo } } : {}),
  };
}
