import { mkdirSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { startApprovals } from '../approvals/from-config.js';
import type { ApprovalService } from '../approvals/index.js';
import { AuditLog } from '../audit/index.js';
import { adminAuthorized, adminTokenHash } from '../auth/admin.js';
import { Authenticator } from '../auth/authenticator.js';
import { JwtGrants } from '../auth/jwt.js';
import {
  type Config,
  isLoopbackHost,
  type LoadedConfig,
  type ServerConfig,
  validateConfigSemantics,
} from '../config/index.js';
import { EraRegistry } from '../era/registry.js';
import { AdminSessions, createAdminApi, type Router } from '../http/admin/index.js';
import { approvalRoutes } from '../http/admin/routes-approvals.js';
import type { HttpDeps } from '../http/deps.js';
import { ParamHeaderRegistry } from '../http/param-headers.js';
import { createHttpServer } from '../http/server.js';
import { serveStatic } from '../http/static.js';
import { type CounterStore, createCounterStore } from '../limits/index.js';
import { SessionRegistry } from '../proxy/registry.js';
import { RetryCharges } from '../proxy/retry-charges.js';
import { fromTemplate, unknownTool } from '../proxy/unknown-tool.js';
import { openStore, type Store } from '../store/index.js';
import { createTracer, type Tracer } from '../telemetry/index.js';
import { catalogRoutes } from './catalog-routes.js';
import { watchConfig } from './config-watcher.js';
import { DecisionGate } from './decision-gate.js';
import { createLogger } from './log.js';
import { GatewayMetrics } from './metrics.js';
import { PinRegistry } from './pins.js';
import { PolicySet } from './policies.js';
import { PROBE_TOOL, type ServerState } from './server-health.js';
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
  /** Resolves when the start-up probes finished. */
  readonly probed: Promise<void>;
  close(): Promise<void>;
}

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
  metrics: GatewayMetrics;
  /** Which servers are up: probes, live traffic, the background check (upstream-health.ts). */
  health: UpstreamHealth;
  /** Spans of each call; a no-op unless `telemetry.otlp_endpoint` is set (applies at start only). */
  tracer: Tracer;
  /** Apply a new config without dropping sessions (servers, grants, policies). */
  reconfigure(next: Config): void;
  sessions: SessionRegistry;
  shared: SharedLinks;
  close(): Promise<void>;
}

/** Everything but the listening socket: shared by `serve` (HTTP) and `stdio`. */
export async function buildCore(loaded: LoadedConfig, opts: GatewayOptions = {}): Promise<GatewayCore> {
  validateConfigSemantics(loaded);
  const { config } = loaded;
  const env = opts.env ?? process.env;
  const log = opts.log ?? createLogger(config.log.level);
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
  const audit = new AuditLog(store.audit, {
    redact: config.audit.redact,
    onError: (err) =>
      log.error(
        { err: (err as Error).message },
        'audit log write failed; records are kept in memory and retried',
      ),
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
    // A probe is a look at the tools too: pin them (or quarantine new ones), note SEP-2243 headers.
    onUp: (name, st) => {
      if (!st.toolList) return;
      pins.observe(name, st.toolList, undefined, [policies.sourceOf(name).policy]);
      paramHeaders.observe(name, st.toolList);
    },
  });
  let sessionCount = () => 0;
  const metrics = new GatewayMetrics(
    () => sessionCount(),
    () => health.up(),
  );
  const tracer = await createTracer(config.telemetry, log);
  const approvals = await startApprovals({ config, store, audit, log, env });
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
  const sessions = new SessionRegistry(config.sessions.idle_timeout, config.sessions.max);
  sessionCount = () => sessions.size;
  const shared = new SharedLinks(
    () => servers,
    sessions,
    log,
    (s, t) => paramHeaders.get(s, t),
    health,
  );
  const core: GatewayCore = {
    log,
    servers,
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
      await store.close();
    },
  };
  return core;
}

/** The composition root for `serve`: the core plus the HTTP server. */
export async function startGateway(loaded: LoadedConfig, opts: GatewayOptions = {}): Promise<Gateway> {
  const core = await buildCore(loaded, opts);
  const { config } = loaded;
  const { log, servers, gate, sessions, shared, counters, policies } = core;
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
    log,
    // Eras (issue 9): each upstream's protocol era, probed on first use; charged MRTR retries.
    eras: new EraRegistry(log),
    retryCharges: new RetryCharges(),
    listen: {
      host: config.listen.host,
      port: opts.port ?? config.listen.port,
      allowedHosts: config.listen.allowed_hosts,
      allowedOrigins: config.listen.allowed_origins,
      maxBody: config.listen.max_body,
    },
    separator: config.aggregate.separator,
    servers: () => servers,
    authenticate: async (h, remote) => {
      const result = await core.auth.authenticate(h, remote);
      if (!result.ok) core.metrics.authFailure(result.error);
      return result;
    },
    gate,
    // SEP-2243: 2026 tools/call requests' Mcp-Param-* headers are checked against these.
    paramHeaders: core.paramHeaders,
    sessions,
    replay:
      config.sessions.replay_events > 0 && config.sessions.replay_bytes > 0
        ? { events: config.sessions.replay_events, bytes: config.sessions.replay_bytes }
        : undefined,
    sse: {
      maxUnsentBytes: config.sessions.max_unsent_bytes,
      dropped: (stream) => core.metrics.sseDropped(stream),
    },
    sharedLink: (s) => shared.get(s),
    unknownTool: (server, id, name) => {
      const template = states.get(server)?.unknownTool;
      return template ? fromTemplate(template, PROBE_TOOL, id, name) : unknownTool(id, name);
    },
    // Live traffic tells the health view about servers that cannot be reached.
    linkHealth: health,
    readiness: async () => {
      // Ready means every configured server is up (or still starting), and the counter store and
      // the store answer. Servers that are down are re-probed in the background meanwhile.
      const { problems, servers: serverStates } = health.readiness();
      try {
        await counters.ping();
      } catch (err) {
        problems.counters = (err as Error).message;
      }
      try {
        await core.store.ping();
      } catch (err) {
        problems.store = (err as Error).message;
      }
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
  const adminHash = adminTokenHash(config.admin, opts.env ?? process.env);
  const api = createAdminApi(
    {
      log,
      config: () => config_,
      states,
      policies,
      store: core.store,
      audit: core.audit,
      counters,
    },
    new AdminSessions(adminHash, isLoopbackHost(config.listen.host)),
    [
      catalogRoutes({ config: () => config_, states, policies, pins: core.pins, log }),
      approvalRoutes({ store: core.store, audit: core.audit }),
      ...(opts.adminRoutes ?? []),
    ],
  );
  const metricsRoute = (req: IncomingMessage, res: ServerResponse): boolean => {
    if ((req.url ?? '/').split('?')[0] !== '/metrics') return false;
    if (adminHash && !adminAuthorized(req.headers.authorization, adminHash)) {
      res
        .writeHead(401, { 'www-authenticate': 'Bearer realm="toolgate-admin"' })
        .end('admin token required\n');
      return true;
    }
    core.metrics.registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': core.metrics.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500).end(err.message),
    );
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
