import type { JsonRpcResponse, RequestId } from '../mcp/jsonrpc.js';

/**
 * The answer most MCP SDK servers give for a tool they do not have (an isError result), used
 * until the gateway has learned the upstream's own answer (see gateway/server-health.ts).
 */
export function unknownTool(id: RequestId, name: string): JsonRpcResponse {
  return {
    jsonrpc: '2.0',
    id,
    result: { content: [{ type: 'text', text: `MCP error -32602: Tool ${name} not found` }], isError: true },
  };
}

/** Fill a learned answer (which names `placeholder`) with the hidden tool's name. */
export function fromTemplate(
  template:
    | { result: Record<string, unknown> }
    | { error: { code: number; message: string; data?: unknown } },
  placeholder: string,
  id: RequestId,
  name: string,
): JsonRpcResponse {
  const escaped = JSON.stringify(name).slice(1, -1);
  const filled = JSON.parse(JSON.stringify(template).split(placeholder).join(escaped)) as object;
  return { jsonrpc: '2.0', id, ...filled } as JsonRpcResponse;
}
