import type { JsonRpcMessage } from '../mcp/jsonrpc.js';

/**
 * Where messages for the client go. For HTTP, one sink per POSTed request (its response stream)
 * plus one for the standalone GET stream; for stdio, stdout.
 */
export interface Sink {
  /** `final` marks the response that completes the request this sink was opened for. */
  send(message: JsonRpcMessage, final: boolean): void;
  /** False once the client went away; messages for it are then routed elsewhere or dropped. */
  readonly open: boolean;
  /** Called once when the client goes away before the final message (HTTP connection closed). */
  onClose?(listener: () => void): void;
}
