import type { IncomingMessage } from 'node:http';
import { HEADER_MISMATCH, type JsonRpcMessage } from '../proxy/jsonrpc.js';

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
