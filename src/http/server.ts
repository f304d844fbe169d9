import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ServerConfig } from '../config/index.js';
import { legacyOnlyDiscover, offersModern, UNSUPPORTED_PROTOCOL_VERSION } from '../era/negotiation.js';
import { statelessId } from '../era/routing.js';
import { readEnvelope } from '../mcp/envelope.js';
import {
  errorResponse,
  HEADER_MISMATCH,
  INVALID_REQUEST,
  isRequest,
  type JsonRpcError,
  type JsonRpcMessage,
  type JsonRpcRequest,
} from '../mcp/jsonrpc.js';
import { paramHeaderProblem } from '../mcp/param-headers.js';
import { eraOfVersion } from '../mcp/versions.js';
import { splitName } from '../proxy/names.js';
import type { ClientSession } from '../proxy/session.js';
import { openSession, sessionScope } from '../sessions/open-session.js';
import { admitPost } from './admit.js';
import { SseWriter } from './backpressure.js';
import { BodyTooLargeError, readBody } from './body.js';
import type { AuthenticatedGrant, HttpDeps } from './deps.js';
import { checkHostAndOrigin } from './origin.js';
import { ReplayBuffer } from './replay-buffer.js';
import { resumeStream } from './resume.js';
import { PostResponseSink, StandaloneSink, type StreamHandle, writeJson } from './sinks.js';
import { UNAVAILABLE_RETRY_AFTER_S, unavailableMessage } from './unavailable.js';

const SESSION_NOT_FOUND = -32001;

/**
 * Each 2025-era session's replay buffer (src/http/replay-buffer.ts): kept beside the session, since
 * proxy/ knows nothing of SSE, and cleared (its open streams ended) when the session closes.
 */
const replayBuffers = new WeakMap<ClientSession, ReplayBuffer<StreamHandle>>();

/** The gateway's HTTP surface: `/mcp/<server>`, `/mcp`, `/healthz`, `/readyz`. */
export function createHttpServer(
  deps: HttpDeps,
  extra?: (req: IncomingMessage, res: ServerResponse) => boolean,
): Server {
  const server = createServer((req, res) => {
    handle(deps, req, res, extra).catch((err: Error) => {
      const unavailable = unavailableMessage(err);
      if (unavailable) {
        deps.log.warn({ err: err.message, path: req.url }, 'request refused: a backend is unavailable');
        return writeJson(res, 503, errorResponse(null, -32000, unavailable), {
          'retry-after': String(UNAVAILABLE_RETRY_AFTER_S),
        });
      }
      deps.log.error({ err: err.message, stack: err.stack }, 'unhandled error in request');
      writeJson(res, 500, errorResponse(null, -32603, 'internal gateway error; see the gateway log'));
    });
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

async function handle(
  deps: HttpDeps,
  req: IncomingMessage,
  res: ServerResponse,
  extra?: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  if (path === '/healthz') return writeJson(res, 200, { status: 'ok' });
  if (path === '/readyz') {
    const { problems, servers } = await deps.readiness();
    const ready = Object.keys(problems).length === 0;
    const body = { status: ready ? 'ready' : 'not ready', problems, ...(servers ? { servers } : {}) };
    return writeJson(res, ready ? 200 : 503, body);
  }
  // 1. DNS-rebinding protection for everything but the health probes: MCP, the admin API, the
  //    dashboard. A page on another origin must not drive the gateway through the user's browser.
  const refused = hostOrOriginRefused(deps, req);
  if (refused) return writeJson(res, 403, errorResponse(null, INVALID_REQUEST, `Forbidden: ${refused}`));

  const target = mcpTarget(path);
  if (!target) {
    if (extra?.(req, res)) return;
    return writeJson(res, 404, {
      error: 'not_found',
      message: `no route for ${path}; MCP lives at /mcp/<server> and /mcp`,
    });
  }

  if (target === MALFORMED_TARGET)
    return writeJson(
      res,
      400,
      errorResponse(
        null,
        INVALID_REQUEST,
        'Bad Request: the server name in the path is not valid percent-encoding',
      ),
    );

  // 2. Authenticate. The bearer token is the grant; it never travels upstream. Before anything
  //    else is said about the servers: an unauthenticated caller learns no server names.
  const auth = await deps.authenticate(req.headers.authorization, req.socket.remoteAddress ?? '');
  if (!auth.ok) {
    const challenge = `Bearer realm="toolgate", error="invalid_token", error_description="${auth.message}"`;
    return writeJson(res, 401, errorResponse(null, INVALID_REQUEST, `Unauthorized: ${auth.message}`), {
      'www-authenticate': challenge,
    });
  }
  const grant = auth.grant;

  // 3. Which servers: one, or the aggregate of every server the grant may use.
  const servers = deps.servers();
  if (target.server !== undefined && !servers.has(target.server)) {
    const mine = [...servers.keys()].filter((n) => grant.servers === '*' || grant.servers.has(n));
    return writeJson(
      res,
      404,
      errorResponse(
        null,
        INVALID_REQUEST,
        `unknown server "${target.server}"; this grant may use: ${mine.join(', ') || 'none'}`,
      ),
    );
  }
  if (!reachesAny(grant, servers, target.server)) {
    const what = target.server ? `server "${target.server}"` : 'any configured server';
    return writeJson(
      res,
      403,
      errorResponse(null, INVALID_REQUEST, `Forbidden: grant "${grant.name}" may not use ${what}`),
    );
  }

  const key = target.server ?? '*';
  switch (req.method) {
    case 'POST':
      // The map of reachable servers is only needed to open a session (or a stateless request):
      // a call on an existing session never builds it.
      return post(deps, req, res, grant, () => reachableServers(grant, servers, target.server), key);
    case 'GET':
      return openStream(deps, req, res, grant, key);
    case 'DELETE': {
      const session = findSession(deps, req, res, grant, key);
      if (!session) return;
      await deps.sessions.remove(session.id);
      res.writeHead(200).end();
      return;
    }
    default:
      res.setHeader('allow', 'GET, POST, DELETE');
      return writeJson(res, 405, errorResponse(null, INVALID_REQUEST, `method ${req.method} not allowed`));
  }
}

const AGGREGATE_TARGET: { server?: string } = Object.freeze({});
/** A path whose server name is not valid percent-encoding (answered 400). */
const MALFORMED_TARGET: { server?: string } = Object.freeze({});

/** `/mcp` (aggregate) or `/mcp/<server>` with an optional trailing slash; string ops, not a regex, per request. */
function mcpTarget(path: string): { server?: string } | undefined {
  if (path === '/mcp' || path === '/mcp/') return AGGREGATE_TARGET;
  if (!path.startsWith('/mcp/')) return undefined;
  const end = path.endsWith('/') ? path.length - 1 : path.length;
  const name = path.slice(5, end);
  if (name === '' || name.includes('/')) return undefined;
  if (!name.includes('%')) return { server: name };
  try {
    return { server: decodeURIComponent(name) };
  } catch {
    return MALFORMED_TARGET;
  }
}

/**
 * The last Host header each listener accepted. Without an Origin header the check depends on the
 * Host alone, and a client sends the same Host on every request: the full check runs once.
 */
const acceptedHost = new WeakMap<HttpDeps['listen'], string>();

function hostOrOriginRefused(deps: HttpDeps, req: IncomingMessage): string | undefined {
  const { host, origin } = req.headers;
  if (origin === undefined && host !== undefined && acceptedHost.get(deps.listen) === host) return undefined;
  const refused = checkHostAndOrigin(req, {
    listenHost: deps.listen.host,
    port: deps.listen.port,
    allowedHosts: deps.listen.allowedHosts,
    allowedOrigins: deps.listen.allowedOrigins,
  });
  if (!refused && origin === undefined && host !== undefined) acceptedHost.set(deps.listen, host);
  return refused;
}

function reachesAny(
  grant: AuthenticatedGrant,
  all: ReadonlyMap<string, ServerConfig>,
  only: string | undefined,
): boolean {
  if (only !== undefined) return all.has(only) && (grant.servers === '*' || grant.servers.has(only));
  if (grant.servers === '*') return all.size > 0;
  for (const name of all.keys()) if (grant.servers.has(name)) return true;
  return false;
}

function reachableServers(
  grant: AuthenticatedGrant,
  all: ReadonlyMap<string, ServerConfig>,
  only: string | undefined,
): Map<string, ServerConfig> {
  const out = new Map<string, ServerConfig>();
  for (const [name, cfg] of all) {
    if (only !== undefined && name !== only) continue;
    if (grant.servers === '*' || grant.servers.has(name)) out.set(name, cfg);
  }
  return out;
}

async function post(
  deps: HttpDeps,
  req: IncomingMessage,
  res: ServerResponse,
  grant: AuthenticatedGrant,
  reachable: () => Map<string, ServerConfig>,
  key: string,
): Promise<void> {
  let text: string;
  try {
    text = await readBody(req, deps.listen.maxBody);
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      res.setHeader('connection', 'close');
      return writeJson(
        res,
        413,
        errorResponse(null, INVALID_REQUEST, `${err.message}; the limit is listen.max_body`),
      );
    }
    throw err;
  }
  // 1. The body and its headers (src/http/admit.ts): every early refusal, as data.
  const admitted = admitPost(req.headers, text);
  if (!admitted.ok) return writeJson(res, admitted.status, admitted.body);
  const { message, sseAllowed } = admitted;

  // 2. A stateless 2026-07-28 request: the session is per grant and endpoint (and client identity
  //    when a 2025 upstream keeps one for it).
  if (admitted.stateless && isRequest(message)) {
    const servers = reachable();
    // SEP-2243: `Mcp-Param-*` headers must agree with the body (checked here, never used for policy).
    const paramRefusal = paramHeaderRefusal(deps, req, message, grant, servers, key);
    if (paramRefusal) return writeJson(res, 400, paramRefusal);
    const envelope = readEnvelope(message.params);
    // Issue 15: `server/discover` offers 2026-07-28 only where every server behind the endpoint
    // speaks it (src/era/negotiation.ts); else the client falls back to `initialize`, as it would
    // straight to the server. Answered before any session: nothing reaches a server.
    if (message.method === 'server/discover' && !(await offersModern(deps.eras, servers)))
      return writeJson(res, 404, legacyOnlyDiscover(message.id, key));
    const session = await openSession(deps, {
      id: (plan) => statelessId(grant.name, key, plan, envelope),
      existing: (id) => deps.sessions.get(id),
      caller: { grant: grant.name, claims: grant.claims },
      endpoint: key,
      servers,
      era: '2026',
      envelope,
    });
    if (!deps.sessions.get(session.id)) deps.sessions.add(session);
    // 2026 maps a few JSON-RPC errors onto HTTP statuses (-32601 is 404, ...).
    session.handle(message, new PostResponseSink(res, sseWriter(deps), sseAllowed, true));
    return;
  }

  // 3. A 2025-era session: made by initialize, else named by the header.
  let session: ClientSession | undefined;
  if (isRequest(message) && message.method === 'initialize') {
    // Fair shares (F12): the grant's own cap, then the gateway's.
    const refusal = deps.sessions.admit(grant.name);
    if (refusal) return writeJson(res, refusal.status, errorResponse(message.id, -32000, refusal.message));
    const id = randomBytes(16).toString('hex');
    const replay = deps.replay && new ReplayBuffer<StreamHandle>(deps.replay);
    const opened = await openSession(deps, {
      id,
      caller: { grant: grant.name, claims: grant.claims },
      endpoint: key,
      servers: reachable(),
      // Eras (issue 9): a 2026 upstream gets this 2025 client's handshake translated.
      era: '2025',
      // A session whose handshake failed must not linger (or count against sessions.max).
      onFailedInitialize: () => void deps.sessions.remove(id),
      onClosed: () => {
        for (const stream of replay?.clear() ?? []) stream.end();
      },
    });
    if (replay) replayBuffers.set(opened, replay);
    deps.sessions.add(opened);
    res.setHeader('mcp-session-id', opened.id);
    session = opened;
  } else {
    session = findSession(deps, req, res, grant, key);
    if (!session) return;
    // A 2025 session speaks the revision it negotiated: a 2026-07-28 header or envelope on it is a
    // client lying about its era (or confused), refused before the session sees the message.
    const lie = eraMismatch(req, message, session);
    if (lie) return writeJson(res, 400, lie);
  }
  // 4. The session's own admission (src/proxy/admit.ts) decides what the message may do.
  if (isRequest(message)) {
    session.handle(
      message,
      new PostResponseSink(res, sseWriter(deps, session), sseAllowed, false, replayBuffers.get(session)),
    );
    return;
  }
  const refused = session.handle(message, { send: () => {}, open: false });
  // A refused notification is 400 with a JSON-RPC error without an id (streamable HTTP transport).
  if (refused) return writeJson(res, 400, refused);
  res.writeHead(202).end();
}

/**
 * A message on a 2025-era session that claims 2026-07-28 (the `MCP-Protocol-Version` header or a
 * `_meta` envelope): 400 with -32022, naming what the session negotiated.
 */
function eraMismatch(
  req: IncomingMessage,
  message: JsonRpcMessage,
  session: ClientSession,
): JsonRpcError | undefined {
  const header = req.headers['mcp-protocol-version'];
  const claimed =
    (typeof header === 'string' && eraOfVersion(header) === '2026' && header) ||
    ('method' in message && readEnvelope(message.params)?.protocolVersion) ||
    undefined;
  if (!claimed) return undefined;
  const negotiated = session.negotiatedVersion ?? 'a 2025-era revision';
  return errorResponse(
    isRequest(message) ? message.id : null,
    UNSUPPORTED_PROTOCOL_VERSION,
    `Bad Request: this session negotiated ${negotiated} at initialize, but the message claims ${claimed}; ` +
      "a 2026-07-28 request carries no Mcp-Session-Id (or send this one as the session's revision)",
    { supported: [negotiated], requested: claimed },
  );
}

/** Look up the session named by the header; answers the error itself and returns undefined. */
function findSession(
  deps: HttpDeps,
  req: IncomingMessage,
  res: ServerResponse,
  grant: AuthenticatedGrant,
  key: string,
): ClientSession | undefined {
  const id = req.headers['mcp-session-id'];
  if (typeof id !== 'string' || id === '') {
    writeJson(
      res,
      400,
      errorResponse(
        null,
        INVALID_REQUEST,
        'Bad Request: Mcp-Session-Id header is required (send initialize first)',
      ),
    );
    return undefined;
  }
  const session = deps.sessions.get(id);
  // Another grant's session answers exactly like a missing one: session ids are not credentials.
  if (!session || session.scope !== sessionScope(grant.name, key)) {
    writeJson(
      res,
      404,
      errorResponse(
        null,
        SESSION_NOT_FOUND,
        'Session not found: it expired or was closed; initialize a new one',
      ),
    );
    return undefined;
  }
  return session;
}

/**
 * GET: the session's standalone stream; with `Last-Event-ID`, a resume of whichever of the
 * session's streams that id belongs to (src/http/resume.ts).
 */
function openStream(
  deps: HttpDeps,
  req: IncomingMessage,
  res: ServerResponse,
  grant: AuthenticatedGrant,
  key: string,
): void {
  if (!String(req.headers.accept ?? '').includes('text/event-stream')) {
    writeJson(
      res,
      406,
      errorResponse(
        null,
        INVALID_REQUEST,
        'Not Acceptable: GET opens an SSE stream; send Accept: text/event-stream',
      ),
    );
    return;
  }
  const session = findSession(deps, req, res, grant, key);
  if (!session) return;
  const replay = replayBuffers.get(session);
  const lastEventId = req.headers['last-event-id'];
  if (typeof lastEventId === 'string' && lastEventId !== '') {
    resumeStream(res, session, replay, lastEventId);
    return;
  }
  if (session.hasStandalone) {
    writeJson(
      res,
      409,
      errorResponse(null, INVALID_REQUEST, 'Conflict: this session already has an open GET stream'),
    );
    return;
  }
  session.attachStandalone(new StandaloneSink(res, sseWriter(deps, session), replay));
}

/** One stream's writer; a stateless request has no session id worth logging (it names the grant). */
function sseWriter(deps: HttpDeps, session?: ClientSession): SseWriter {
  return new SseWriter(deps.sse, deps.log, session?.id);
}

/**
 * SEP-2243 custom headers: a 2026 `tools/call` to a tool whose listed `inputSchema` declares
 * `x-mcp-header` must carry matching `Mcp-Param-*` headers (src/http/param-headers.ts); otherwise
 * 400 / -32020 naming the header. A 2025 upstream cannot check this, so the gateway does, for every
 * upstream era, against the declarations of the definition the client was listed (the gate's
 * shownParamHeaders). Tools never listed (or declaring nothing) are not checked. A hidden tool is not
 * checked either: it must answer exactly like a missing one, so its declarations never show.
 */
function paramHeaderRefusal(
  deps: HttpDeps,
  req: IncomingMessage,
  message: JsonRpcRequest,
  grant: AuthenticatedGrant,
  servers: Map<string, ServerConfig>,
  key: string,
): JsonRpcError | undefined {
  const name = message.params?.name;
  if (message.method !== 'tools/call' || !deps.paramHeaders || typeof name !== 'string') return undefined;
  const target = key === '*' ? splitName(name, deps.separator, servers) : { server: key, name };
  if (!target) return undefined;
  const caller = { grant: grant.name, claims: grant.claims, sessionId: '' };
  // The client built its headers from the definition it was listed, which the gate may have
  // replaced (an accepted pin shown for a changed tool): check against that one.
  const declarations = deps.gate.shownParamHeaders
    ? deps.gate.shownParamHeaders(caller, target.server, target.name)
    : deps.paramHeaders.get(target.server, target.name);
  if (!declarations) return undefined;
  if (deps.gate.isHidden(caller, target.server, target.name)) return undefined;
  const problem = paramHeaderProblem(declarations, message.params?.arguments, req.headers);
  if (!problem) return undefined;
  return errorResponse(message.id, HEADER_MISMATCH, `Header mismatch: ${problem.message}`, {
    header: problem.header,
  });
}
