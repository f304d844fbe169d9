// The HTTP front end's admission of one POST body, before any session sees it: parse, envelope,
// the 2026 standard headers against the body, the protocol version. Pure (headers and text in, a
// refusal or an admitted message out), so every refusal is tested without sockets; server.ts is
// left with routing and I/O. What a message may then do inside a session is src/proxy/admit.ts.
import type { IncomingHttpHeaders } from 'node:http';
import {
  echoableId,
  envelopeProblem,
  errorResponse,
  HEADER_MISMATCH,
  INVALID_REQUEST,
  isRequest,
  type JsonRpcError,
  type JsonRpcMessage,
  PARSE_ERROR,
} from '../mcp/jsonrpc.js';
import { eraOfVersion, MODERN, SUPPORTED_VERSIONS } from '../mcp/versions.js';
import { depthProblem } from '../util/json-depth.js';
import { envelopeVersion, headerMismatch, modernRequestProblem } from './headers.js';

/** 2026-07-28 names this code; 2025-era clients only look at the 400. */
const UNSUPPORTED_PROTOCOL_VERSION = -32022;

export type PostAdmission =
  | { ok: false; status: number; body: JsonRpcError }
  | {
      ok: true;
      message: JsonRpcMessage;
      /** A 2026-07-28 request: no session, its own envelope. */
      stateless: boolean;
      /** Whether the client accepts an SSE answer. */
      sseAllowed: boolean;
    };

const refuse = (status: number, body: JsonRpcError): PostAdmission => ({ ok: false, status, body });

export function admitPost(headers: IncomingHttpHeaders, text: string): PostAdmission {
  // 1. JSON, one message, a valid envelope (ids: strings or safe integers). Nesting is bounded
  //    before parsing: deep nesting overflows the stack of everything that walks a message (F11).
  const tooDeep = depthProblem(text);
  if (tooDeep) return refuse(400, errorResponse(null, INVALID_REQUEST, tooDeep));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return refuse(400, errorResponse(null, PARSE_ERROR, `Parse error: ${(err as Error).message}`));
  }
  if (Array.isArray(parsed))
    return refuse(
      400,
      errorResponse(
        null,
        INVALID_REQUEST,
        'JSON-RPC batches are not supported (removed in MCP 2025-06-18); send one message per request',
      ),
    );
  const problem = envelopeProblem(parsed);
  if (problem) {
    return refuse(400, errorResponse(echoableId(parsed), INVALID_REQUEST, `Invalid Request: ${problem}`));
  }
  const message = parsed as JsonRpcMessage;
  // Errors answer with the request's id (2026-07-28 requires it of every error response).
  const requestId = isRequest(message) ? message.id : null;

  // 2. The 2026 standard headers must say what the body says: the gateway decides from the body.
  const mismatch = headerMismatch(headers, message);
  if (mismatch) return refuse(400, errorResponse(requestId, HEADER_MISMATCH, `Header mismatch: ${mismatch}`));

  // 3. A protocol version the gateway speaks.
  const headerVersion = headers['mcp-protocol-version'];
  const bodyVersion = envelopeVersion(message);
  if (typeof headerVersion === 'string' && !SUPPORTED_VERSIONS.has(headerVersion)) {
    // 2026-07-28 UnsupportedProtocolVersionError: `data` names the supported and requested
    // versions; an envelope can only ask for a stateless revision, so those are the ones listed.
    const supported = bodyVersion !== undefined ? [MODERN] : [...SUPPORTED_VERSIONS];
    return refuse(
      400,
      errorResponse(
        requestId,
        UNSUPPORTED_PROTOCOL_VERSION,
        `Bad Request: unsupported MCP-Protocol-Version ${headerVersion}; supported: ${[...SUPPORTED_VERSIONS].join(', ')}`,
        { supported, requested: headerVersion },
      ),
    );
  }
  const accept = String(headers.accept ?? '');
  const sseAllowed = accept === '' || accept.includes('text/event-stream') || accept.includes('*/*');

  // 4. The 2026-07-28 era has no sessions: every request carries its own envelope. A request that
  //    names 2026-07-28 in its header but whose envelope is incomplete is a broken 2026 request
  //    (400 -32602), not a 2025 request without a session. With a 2025 server behind the gateway,
  //    these checks are the gateway's to make (the upstream never sees a 2026 request).
  const stateless =
    isRequest(message) &&
    !headers['mcp-session-id'] &&
    (bodyVersion !== undefined || headerVersion === MODERN);
  if (stateless) {
    // An envelope is a 2026-07-28 request's; one naming a 2025-era revision is a client lying about
    // its era (or confused): a 2025 revision needs `initialize` and a session. Refused here, so no
    // session (and no upstream) ever sees it.
    if (bodyVersion !== undefined && bodyVersion !== MODERN)
      return refuse(
        400,
        errorResponse(
          message.id,
          UNSUPPORTED_PROTOCOL_VERSION,
          eraOfVersion(bodyVersion) === '2025'
            ? `Bad Request: a _meta envelope names protocol version ${bodyVersion}, a 2025-era revision; ` +
                '2025-era clients send initialize and use the Mcp-Session-Id it gives'
            : `Bad Request: unsupported protocol version ${bodyVersion} in the _meta envelope; supported: ${MODERN}`,
          { supported: [MODERN], requested: bodyVersion },
        ),
      );
    const refusal = modernRequestProblem(headers, message);
    if (refusal) return refuse(refusal.status, { ...refusal.error, id: message.id });
  } else if (isRequest(message) && message.method === 'initialize' && headers['mcp-session-id']) {
    return refuse(
      400,
      errorResponse(message.id, INVALID_REQUEST, 'Bad Request: initialize must not carry an Mcp-Session-Id'),
    );
  }
  return { ok: true, message, stateless, sseAllowed };
}
