import { mkdirSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { totalmem } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { startApprovals } from '../approvals/from-config.js';
import type { ApprovalService } from '../approvals/index.js';
import { AuditLog } from '../audit/index.js';
import type { AdminTokenSource } from '../auth/admin.js';
import { Authenticator } from '../auth/authenticator.js';
import { JwtGrants } from '../auth/jwt.js';
import {
  type Config,
  type LoadedConfig,
  type ServerConfig,
  validateConfigSemantics,
} from '../config/index.js';
import { EraRegistry } from '../era/registry.js';
import type { Router } from '../http/admin/index.js';
import type { HttpDeps } from '../http/deps.js';
import { type CounterStore, createCounterStore } from '../limits/index.js';
import { SessionRegistry } from '../proxy/registry.js';
import { RetryCharges } from '../proxy/retry-charges.js';
import { fromTemplate, unknownTool } from '../proxy/unknown-tool.js';
import { Redactor } from '../redact/index.js';
import type { SessionDeps } from '../sessions/open-session.js';
import { openStore, type Store } from '../store/index.js';
import { createTracer, type Tracer } from '../telemetry/index.js';
import { PROBE_TOOL, type ServerState } from '../upstream/probe.js';
import { runningStdioPids } from '../upstream/stdio-channel.js';
import { ParamHeaderRegistry } from '../upstream/tool-headers.js';
import { backendProblems, logStoreHealth } from './backend-readiness.js';
import { DecisionGate } from './decision-gate.js';
import { createLogger } from './log.js';
import type { GatewayMetrics } from './metrics.js';
import { PinRegistry } from './pins.js';
import { PolicySet } from './policies.js';
import { sessionLimits } from './session-sizing.js';
import { SharedLinks } from './shared-links.js';
import { UpstreamHealth } from './upstream-health.js';

/** The built dashboard (npm run build:web); the same relative path from src/ and dist/. */
const WEB_ROOT = fileURLToPath(new URL('../../web/dist', import.meta.url));

export interface GatewayOptions {
  log?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Override listen.port (0 picks a free port). */
  port?: number;
  /** Extra admin API routes (approvals). */
  adminRoutes?: ((router: Router) => void)[];
  /** Watch toolgate.yaml for edits (default true). */
  watch?: boolean;
  /** Skip the start-up probe of every server and the background check (tests that count upstream processes). */
  probe?: boolean;
  /** How often tool pins are re-read from the store (accepts by the CLI or another replica); default 5000 ms. */
  pinPollMs?: number;
  /**
   * Keep Prometheus metrics (default true). `toolgate stdio` serves no /metrics and skips them:
   * prom-client alone takes about a tenth of a second to load, before the client's first answer.
   */
  metrics?: boolean;
}

export interface Gateway {
  readonly url: string;
  readonly port: number;
  readonly log: Logger;
  readonly sessions: SessionRegistry;
  readonly policies: PolicySet;
  readonly states: Map<string, ServerState>;
  readonly http: Server;
  readonly store: Store;
  readonly audit: AuditLog;
  readonly core: GatewayCore;
  /** The admin plane: where the admin token comes from, and one-time dashboard login links. */
  readonly admin: GatewayAdmin;
  /** Resolves when the start-up probes finished. */
  readonly probed: Promise<void>;
  close(): Promise<void>;
}

export interface GatewayAdmin {
  /** `admin.token_env`, `admin.token_sha256`, or the file the gateway made (never the token). */
  readonly source: AdminTokenSource;
  /** A fresh link that signs the dashboard in once, within 15 minutes: `<url>/#login=<code>`. */
  loginLink(): string;
}

/**
 * Wrong admin tokens, logins and login codes per client address: the first 5 in 15 minutes are
 * answered at once, the next 5 ever more slowly (100 ms to 1.6 s), then 429 until the window ends.
 */
const ADMIN_THROTTLE = { windowMs: 15 * 60_000, freeFailures: 5, maxDelayMs: 3_000, lockAfter: 10 };

export interface GatewayCore {
  log: Logger;
  servers: Map<string, ServerConfig>;
  policies: PolicySet;
  counters: CounterStore;
  store: Store;
  audit: AuditLog;
  auth: Authenticator;
  gate: DecisionGate;
  /** Calls waiting for a person (src/approvals). */
  approvals: ApprovalService;
  /** Accepted tool definitions (rug-pull check, quarantine of new tools). */
  pins: PinRegistry;
  /** SEP-2243: `x-mcp-header` declarations of the tools upstreams listed (relayed lists, probes). */
  paramHeaders: ParamHeaderRegistry;
  /** Prometheus metrics; absent where nothing serves /metrics (`toolgate stdio`). */
  metrics?: GatewayMetrics;
  /** Which servers are up: probes, live traffic, the background check (upstream-health.ts). */
  health: UpstreamHealth;
  /** Spans of each call; a no-op unless `telemetry.otlp_endpoint` is set (applies at start only). */
  tracer: Tracer;
  /** Apply a new config without dropping sessions (servers, grants, policies). */
  reconfigure(next: Config): void;
  sessions: SessionRegistry;
  shared: SharedLinks;
  /** What every client session is built from (src/sessions), for every front end. */
  sessionDeps: SessionDeps;
  close(): Promise<void>;
}

/** Everything but the listening socket: shared by `serve` (HTTP) and `stdio`. */
export async function buildCore(loaded: LoadedConfig, opts: GatewayOptions = {}): Promise<GatewayCore> {
  validateConfigSemantics(loaded);
  const { config } = loaded;
  const env = opts.env ?? process.env;
  // One redactor for everything stored or shown: audit records, approvals, webhooks, logs.
  const redactor = new Redactor(config.audit.redact);
  const log = opts.log ?? createLogger(config.log.level, redactor);
  const servers = new Map<string, ServerConfig>(Object.entries(config.servers));

  // 1. Policies first: an invalid policy at start-up is fatal (fail closed, loudly).
  const policies = new PolicySet(log);
  policies.configure(config);

  // 2. Counters (the SQLite file's folder is created on first start).
  for (const file of [
    config.counters.backend === 'sqlite' ? config.counters.path : undefined,
    'sqlite' in config.storage ? config.storage.sqlite : undefined,
  ]) {
    if (file) mkdirSync(dirname(file), { recursive: true });
  }
  const counters: CounterStore = await createCounterStore(
    config.counters.backend === 'sqlite'
      ? {
          backend: 'sqlite',
          path:
            config.counters.path ??
            ('sqlite' in config.storage ? config.storage.sqlite : `${loaded.dir}/toolgate-counters.db`),
        }
      : config.counters,
  );

  // 3. The store (grants made at run time, the audit log) and who is calling.
  const store = await openStore(
    'sqlite' in config.storage
      ? { sqlite: config.storage.sqlite }
      : { postgres: config.storage.postgres, schema: config.storage.schema },
  );
  const stopStoreLog = logStoreHealth(store, log);
  // The writer retries every batch while the store is down: the same error is logged once per
  // 10 s, not per retry; a different one (records dropped, another cause) at once.
  let auditError = { message: '', at: 0 };
  const audit = new AuditLog(store.audit, {
    redactor,
    onError: (err) => {
      const message = (err as Error).message;
      if (message === auditError.message && Date.now() - auditError.at < 10_000) return;
      auditError = { message, at: Date.now() };
      log.error(
        { err: (err as Error).message },
        'audit log write failed; records are kept in memory and retried (logged once per 10 s while it lasts)',
      );
    },
  });
  const makeAuth = (c: Config) =>
    new Authenticator(
      c.auth.mode,
      c.grants,
      env,
      store.grants,
      Date.now,
      c.jwt ? new JwtGrants(c.jwt) : undefined,
    );
  let auth = makeAuth(config);
  // Pins are loaded before the first call: quarantine and the rug-pull check need them.
  const pins = new PinRegistry({ store, log });
  let pinChange = config.pins.on_change;
  await pins.load();
  pins.startPolling(opts.pinPollMs ?? 5000);

  // 4. The gate and the relay.
  const paramHeaders = new ParamHeaderRegistry(log);
  const health = new UpstreamHealth({
    servers: () => servers,
    log,
    probeIntervalMs: config.health.probe_interval,
    retryMaxMs: config.health.retry_max,
    redact: (text) => redactor.text(text),
    // A probe is a look at the tools too: pin them (or quarantine new ones), note SEP-2243 headers.
    onUp: (name, st) => {
      if (!st.toolList) return;
      pins.observe(name, st.toolList, undefined, [policies.sourceOf(name).policy]);
      paramHeaders.observe(name, st.toolList);
    },
  });
  let sessionCount = () => 0;
  let sessionView: () => SessionRegistry | undefined = () => undefined;
  const metrics =
    opts.metrics === false
      ? undefined
      : new (await import('./metrics.js')).GatewayMetrics(
          () => sessionCount(),
          () => health.up(),
          () => {
            const r = sessionView();
            return r && { max: r.max, byGrant: () => r.byGrant(), stdioPids: runningStdioPids };
          },
          () => store.health().state === 'up',
        );
  const tracer = await createTracer(config.telemetry, log);
  const approvals = await startApprovals({ config, store, audit, log, env, redactor });
  const gate = new DecisionGate({
    approvals,
    metrics,
    tracer,
    policies,
    counters,
    audit,
    writeAhead: config.audit.write_ahead,
    log,
    onBackendError: (s) => servers.get(s)?.on_backend_error ?? 'deny',
    // Fix: stored grants' own policies were never consulted (this hook was not wired).
    grantPolicy: (g) => auth.policyOf(g),
    pins,
    pinChange: () => pinChange,
    paramHeaders,
  });
  // Fair shares (F12): sessions.max sized to the machine unless set, and a cap per grant.
  const limits = sessionLimits(config, totalmem());
  let grantCaps = sessionCaps(config);
  const sessions = new SessionRegistry({
    idleMs: config.sessions.idle_timeout,
    unusedIdleMs: config.sessions.idle_timeout_unused,
    max: limits.max,
    capOf: (grant) => grantCaps.get(grant) ?? limits.perGrant,
  });
  log.info(
    {
      max: limits.max,
      perGrant: limits.perGrant,
      perSessionMiB: Math.round(limits.perSessionBytes / 2 ** 20),
    },
    'session limits',
  );
  sessionCount = () => sessions.size;
  sessionView = () => sessions;
  const shared = new SharedLinks(
    () => servers,
    sessions,
    log,
    (s, t) => paramHeaders.get(s, t),
    health,
  );
  const sessionDeps: SessionDeps = {
    log,
    gate,
    separator: config.aggregate.separator,
    // Eras (issue 9): each upstream's protocol era, probed on first use; charged MRTR retries.
    eras: new EraRegistry(log),
    retryCharges: new RetryCharges(),
    paramHeaders,
    sharedLink: (s) => shared.get(s),
    unknownTool: (server, id, name) => {
      const template = health.states.get(server)?.unknownTool;
      return template ? fromTemplate(template, PROBE_TOOL, id, name) : unknownTool(id, name);
    },
    // Live traffic tells the health view about servers that cannot be reached.
    linkHealth: health,
  };
  const core: GatewayCore = {
    log,
    servers,
    sessionDeps,
    policies,
    counters,
    store,
    audit,
    get auth() {
      return auth;
    },
    gate,
    approvals,
    pins,
    paramHeaders,
    metrics,
    health,
    tracer,
    reconfigure(next: Config) {
      // Build everything that can fail first, then swap: a bad grant leaves all as it was.
      const nextAuth = makeAuth({ ...next, auth: config.auth });
      policies.configure(next);
      auth = nextAuth;
      grantCaps = sessionCaps(next);
      pinChange = next.pins.on_change;
      servers.clear();
      for (const [name, cfg] of Object.entries(next.servers)) servers.set(name, cfg);
    },
    sessions,
    shared,
    async close() {
      health.stop();
      await sessions.closeAll();
      await shared.closeAll();
      await approvals.close(); // after the sessions: their held calls are withdrawn first
      await tracer.shutdown(); // flushes the spans of the calls that just ended
      policies.close();
      pins.stop();
      await counters.close();
      await audit.close();
      stopStoreLog();
      await store.close();
    },
  };
  return core;
}

/** `max_sessions` of the config's grants (token and JWT) that set one; others get sessions.max_per_grant. */
function sessionCaps(config: Config): Map<string, number> {
  const caps = new Map<string, number>();
  for (const g of [...config.grants, ...(config.jwt?.grants ?? [])])
    if (g.max_sessions !== undefined) caps.set(g.name, g.max_sessions);
  return caps;
}

/** The composition root for `serve`: the core plus the HTTP server. */
export async function startGateway(loaded: LoadedConfig, opts: GatewayOptions = {}): Promise<Gateway> {
  validateConfigSemantics(loaded);
  // What only the HTTP front end needs, loaded here: `toolgate stdio` builds the core alone and
  // answers its client sooner without them (issue 15).
  const [
    { AdminCredential },
    { adminTokenFile },
    { FailureThrottle },
    { AdminSessions, createAdminApi },
    { approvalRoutes },
    { createHttpServer },
    { serveStatic },
    { catalogRoutes },
    { watchConfig },
  ] = await Promise.all([
    import('../auth/admin.js'),
    import('../auth/admin-token.js'),
    import('../auth/throttle.js'),
    import('../http/admin/index.js'),
    import('../http/admin/routes-approvals.js'),
    import('../http/server.js'),
    import('../http/static.js'),
    import('./catalog-routes.js'),
    import('./config-watcher.js'),
  ]);
  const { config } = loaded;
  const log0 = opts.log ?? createLogger(config.log.level);
  // The admin plane is never open: a configured token, or one the gateway makes and keeps in a
  // 0600 file beside its database. Read (or made) before anything starts, so a token file that
  // cannot be used stops the start cleanly. Only its hash is held; the token is never logged.
  const tokenFile = adminTokenFile(config, loaded.dir);
  mkdirSync(dirname(tokenFile), { recursive: true });
  const credential = AdminCredential.open(config.admin, opts.env ?? process.env, tokenFile, (message) =>
    log0.warn(message),
  );
  const core = await buildCore(loaded, { ...opts, log: log0 });
  const { log, servers, sessions, counters, policies } = core;
  let config_ = config;
  const stopWatching =
    loaded.file === '<inline>' || opts.watch === false
      ? () => {}
      : watchConfig(
          loaded.file,
          opts.env ?? process.env,
          () => config_,
          (next) => {
            core.reconfigure(next);
            config_ = next;
          },
          log,
        );
  const { health } = core;
  const states = health.states;

  const deps: HttpDeps = {
    ...core.sessionDeps,
    listen: {
      host: config.listen.host,
      port: opts.port ?? config.listen.port,
      allowedHosts: config.listen.allowed_hosts,
      allowedOrigins: config.listen.allowed_origins,
      maxBody: config.listen.max_body,
    },
    servers: () => servers,
    authenticate: async (h, remote) => {
      const result = await core.auth.authenticate(h, remote);
      if (!result.ok) core.metrics?.authFailure(result.error);
      return result;
    },
    // SEP-2243: 2026 tools/call requests' Mcp-Param-* headers are checked against these.
    paramHeaders: core.paramHeaders,
    sessions,
    replay:
      config.sessions.replay_events > 0 && config.sessions.replay_bytes > 0
        ? { events: config.sessions.replay_events, bytes: config.sessions.replay_bytes }
        : undefined,
    sse: {
      maxUnsentBytes: config.sessions.max_unsent_bytes,
      dropped: (stream) => core.metrics?.sseDropped(stream),
    },
    readiness: async () => {
      // Ready means every configured server is up (or still starting), and the counter store and
      // the store answer. Servers and stores that are down are re-probed in the background meanwhile.
      const { problems, servers: serverStates } = health.readiness();
      Object.assign(problems, await backendProblems(core.store, counters));
      // The store may answer a ping and still refuse writes: allowed calls then fail closed.
      const audit = core.audit.stats;
      if (!audit.healthy)
        problems.audit = `the audit log cannot write to the store (${audit.lastError ?? 'unknown error'}); with audit.write_ahead, allowed calls are refused until it can`;
      return { problems, servers: serverStates };
    },
  };
  // A policy edit or an accepted tool can show or hide tools: tell every client to list them again.
  const listChanged = () => {
    for (const s of sessions.values())
      s.notifyClient({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
  };
  policies.onChange(listChanged);
  core.pins.onChange(listChanged);
  const adminSessions = new AdminSessions({
    credential,
    throttle: new FailureThrottle(ADMIN_THROTTLE),
    allowedOrigins: () => config_.listen.allowed_origins,
  });
  const api = createAdminApi(
    {
      log,
      config: () => config_,
      states,
      policies,
      store: core.store,
      audit: core.audit,
      counters,
      retryServer: (server) => health.retry(server),
    },
    adminSessions,
    [
      catalogRoutes({ config: () => config_, states, policies, pins: core.pins, log }),
      approvalRoutes({ store: core.store, audit: core.audit }),
      ...(opts.adminRoutes ?? []),
    ],
  );
  const registry = core.metrics?.registry;
  const metricsRoute = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (!registry || (req.url ?? '/').split('?')[0] !== '/metrics') return false;
    adminSessions
      .check(req)
      .then(async (check) => {
        if (!check.ok) {
          const headers: Record<string, string> = { 'www-authenticate': 'Bearer realm="toolgate-admin"' };
          if (check.retryAfterSeconds !== undefined) headers['retry-after'] = String(check.retryAfterSeconds);
          res.writeHead(check.status, headers).end(`${check.message}\n`);
          return;
        }
        const text = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType }).end(text);
      })
      .catch((err: Error) => {
        if (!res.headersSent) res.writeHead(500).end(err.message);
      });
    return true;
  };
  // The dashboard is served last: it answers every other GET with index.html (SPA fallback).
  const routes = [metricsRoute, api, serveStatic(WEB_ROOT)];
  const http = createHttpServer(deps, (req, res) => routes.some((route) => route(req, res)));
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(deps.listen.port, config.listen.host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  deps.listen.port = port;
  const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
  const url = `http://${host}:${port}`;
  // A browser cannot open the wildcard address: the link names loopback instead.
  const wildcard = config.listen.host === '0.0.0.0' || config.listen.host === '::';
  const linkBase = wildcard ? `http://127.0.0.1:${port}` : url;
  const admin: GatewayAdmin = {
    source: credential.source,
    loginLink: () => `${linkBase}/#login=${adminSessions.codes.issue()}`,
  };

  // 5. Probe servers in the background; a broken one is reported, the others serve. Then keep
  //    looking: a server that goes away later turns /readyz 503 too (upstream-health.ts).
  const probed = opts.probe === false ? Promise.resolve() : health.probeAll();
  if (opts.probe !== false) health.start();

  return {
    url,
    port,
    log,
    sessions,
    policies,
    states,
    http,
    probed,
    store: core.store,
    audit: core.audit,
    core,
    admin,
    async close() {
      await new Promise<void>((r) => {
        http.close(() => r());
        http.closeAllConnections();
      });
      stopWatching();
      await core.close();
      log.flush?.();
    },
  };
}
