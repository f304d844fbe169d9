import type { JsonRpcMessage } from '../mcp/jsonrpc.js';
import type { UpstreamError } from './errors.js';

/**
 * One connection to an upstream MCP server, at the message level. Implementations: a spawned
 * stdio child, streamable HTTP, legacy SSE. A channel is used once: after `onclose` it is dead and
 * the owner opens a new one (that is how restarts work).
 */
export interface Channel {
  start(): Promise<void>;
  send(message: JsonRpcMessage): Promise<void>;
  close(): Promise<void>;
  /** Tell an HTTP transport which protocol version to put in its headers after initialize. */
  setProtocolVersion(version: string): void;
  onmessage?: (message: JsonRpcMessage) => void;
  /** Called once, when the channel ends for any reason other than `close()`. */
  onclose?: (reason: UpstreamError) => void;
}
