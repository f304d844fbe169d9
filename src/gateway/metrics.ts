import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { treeRssBytes } from './process-memory.js';

const MAX_TOOLS_PER_SERVER = 500;

/** What /metrics shows of sessions and their memory (F12). */
export interface SessionMemoryView {
  /** sessions.max in force. */
  max: number;
  /** Open sessions by grant. */
  byGrant(): Iterable<[string, number]>;
  /** Pids of the stdio servers running now (each session of a stdio server has one). */
  stdioPids(): Iterable<number>;
}

/**
 * Prometheus metrics. Tool names come from clients as well as servers, so the `tool` label is
 * capped per server: past MAX_TOOLS_PER_SERVER distinct names, further ones count as "_other"
 * (an agent calling random names must not grow the gateway's memory without bound).
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly decisions: Counter<'server' | 'tool' | 'outcome'>;
  private readonly upstreamLatency: Histogram<'server' | 'outcome'>;
  private readonly backendErrors: Counter<'backend'>;
  private readonly authFailures: Counter<'reason'>;
  private readonly sseDrops: Counter<'stream'>;
  private readonly seenTools = new Map<string, Set<string>>();

  /**
   * `sessions`: open client sessions. `upstreams`: each configured server and whether the health
   * view (upstream-health.ts) finds it up, read at every scrape.
   */
  constructor(
    sessions: () => number,
    upstreams: () => Iterable<[string, boolean]> = () => [],
    memory?: () => SessionMemoryView | undefined,
    storeUp?: () => boolean,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'toolgate_' });
    if (memory) this.sessionGauges(sessions, memory);
    this.decisions = new Counter({
      name: 'toolgate_decisions_total',
      help: 'tools/call decisions by server, tool and outcome',
      labelNames: ['server', 'tool', 'outcome'],
      registers: [this.registry],
    });
    this.upstreamLatency = new Histogram({
      name: 'toolgate_upstream_latency_seconds',
      help: 'time from forwarding a tools/call to the upstream answer',
      labelNames: ['server', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [this.registry],
    });
    this.backendErrors = new Counter({
      name: 'toolgate_backend_errors_total',
      help: 'errors talking to the counter store or the persistent store',
      labelNames: ['backend'],
      registers: [this.registry],
    });
    this.authFailures = new Counter({
      name: 'toolgate_auth_failures_total',
      help: 'rejected bearer tokens',
      labelNames: ['reason'],
      registers: [this.registry],
    });
    this.sseDrops = new Counter({
      name: 'toolgate_sse_dropped_total',
      help: 'SSE connections dropped because the client stopped reading (sessions.max_unsent_bytes), by stream (post or standalone)',
      labelNames: ['stream'],
      registers: [this.registry],
    });
    // Listed at 0 from the start, so a rate over it works before the first drop.
    for (const stream of ['post', 'standalone']) this.sseDrops.inc({ stream }, 0);
    new Gauge({
      name: 'toolgate_sessions',
      help: 'open client sessions',
      registers: [this.registry],
      collect() {
        this.set(sessions());
      },
    });
    new Gauge({
      name: 'toolgate_upstream_up',
      help: 'whether the upstream server is up (1) or down or not yet probed (0), as /readyz sees it',
      labelNames: ['server'],
      registers: [this.registry],
      collect() {
        this.reset(); // a server removed by a config reload leaves the exposition
        for (const [server, up] of upstreams()) this.set({ server }, up ? 1 : 0);
      },
    });
    if (storeUp) {
      new Gauge({
        name: 'toolgate_store_up',
        help: 'whether the store (grants, audit, approvals) can be reached (1) or not (0), as /readyz sees it',
        registers: [this.registry],
        collect() {
          this.set(storeUp() ? 1 : 0);
        },
      });
    }
  }

  /**
   * Fair shares (F12): sessions per grant against sessions.max, and what sessions cost: the stdio
   * server processes (with their descendants) and the gateway's and their memory per session.
   */
  private sessionGauges(sessions: () => number, memory: () => SessionMemoryView | undefined): void {
    const registers = [this.registry];
    new Gauge({
      name: 'toolgate_sessions_max',
      help: 'sessions.max in force (sized to the machine unless configured)',
      registers,
      collect() {
        const m = memory();
        if (m) this.set(m.max);
      },
    });
    new Gauge({
      name: 'toolgate_sessions_by_grant',
      help: 'open client sessions by grant (each grant is capped by grants[].max_sessions or sessions.max_per_grant)',
      labelNames: ['grant'],
      registers,
      collect() {
        this.reset();
        for (const [grant, n] of memory()?.byGrant() ?? []) this.set({ grant }, n);
      },
    });
    new Gauge({
      name: 'toolgate_stdio_servers_rss_bytes',
      help: 'resident memory of the running stdio server processes and their descendants (Linux)',
      registers,
      collect() {
        const childRss = treeRssBytes(memory()?.stdioPids() ?? []);
        this.reset();
        if (childRss !== undefined) this.set(childRss);
      },
    });
    new Gauge({
      name: 'toolgate_stdio_servers_running',
      help: 'stdio server processes running (one per session of a stdio server, plus shared ones and probes)',
      registers,
      collect() {
        this.set([...(memory()?.stdioPids() ?? [])].length);
      },
    });
    new Gauge({
      name: 'toolgate_memory_per_session_bytes',
      help: "(the gateway's resident memory + its stdio servers') / open sessions; absent without sessions",
      registers,
      collect() {
        this.reset();
        const n = sessions();
        const children = treeRssBytes(memory()?.stdioPids() ?? []) ?? 0;
        if (n > 0) this.set(Math.round((process.memoryUsage.rss() + children) / n));
      },
    });
  }

  decision(server: string, tool: string, outcome: string): void {
    this.decisions.inc({ server, tool: this.toolLabel(server, tool), outcome });
  }

  upstream(server: string, seconds: number, ok: boolean): void {
    this.upstreamLatency.observe({ server, outcome: ok ? 'ok' : 'error' }, seconds);
  }

  backendError(backend: 'counters' | 'store' | 'audit'): void {
    this.backendErrors.inc({ backend });
  }

  authFailure(reason: string): void {
    this.authFailures.inc({ reason });
  }

  /** An SSE connection dropped for backpressure (src/http/backpressure.ts). */
  sseDropped(stream: 'post' | 'standalone'): void {
    this.sseDrops.inc({ stream });
  }

  private toolLabel(server: string, tool: string): string {
    let seen = this.seenTools.get(server);
    if (!seen) {
      seen = new Set();
      this.seenTools.set(server, seen);
    }
    if (seen.has(tool)) return tool;
    if (seen.size >= MAX_TOOLS_PER_SERVER) return '_other';
    seen.add(tool);
    return tool;
  }
}
