import type { Logger } from 'pino';
import { isStdioServer, type ServerConfig } from '../config/index.js';
import type { LinkHealth } from '../upstream/link.js';
import { probeServer, type ServerState } from '../upstream/probe.js';
import { type HealthTimes, probesDue } from './health-schedule.js';

/** How often a server that is down is probed again (by the background check, or by /readyz when that is off). */
export const REPROBE_MS = 2_000;

export interface UpstreamHealthDeps {
  servers(): ReadonlyMap<string, ServerConfig>;
  log: Logger;
  /** Every probe that found a server up: the gateway pins the tools it listed. */
  onUp(server: string, state: ServerState): void;
  /**
   * `health.probe_interval`: an up server without traffic for this long is probed again; 0 turns
   * the background check off (then only /readyz re-probes servers that are down, as before).
   */
  probeIntervalMs: number;
  probe?: typeof probeServer;
  now?: () => number;
}

/** A server's entry in the /readyz body. */
export interface ServerReadiness {
  status: ServerState['status'];
  reason?: string;
  /** When it was first found down in this outage (ISO 8601). */
  since?: string;
  /** When it was last probed (ISO 8601). */
  checkedAt?: string;
}

/**
 * The gateway's view of which servers are up, for /readyz, the `toolgate_upstream_up` gauge, the
 * admin API and the unknown-tool template. It learns from three sources:
 *
 * - probes: at start-up, and again by the background check (servers that are down every
 *   REPROBE_MS, servers that are up once they went `probe_interval` without traffic);
 * - live traffic (it is the LinkHealth of every session's links): a link that cannot reach or
 *   start its server marks it down at once, and answers count as a check, so busy servers are
 *   never probed;
 * - /readyz itself re-probes servers that are down, as it always did.
 *
 * A server goes back up only on a probe: one answer on one session says less than a full
 * handshake and tool list, and a probe is what refreshes the tools the gateway pins.
 */
export class UpstreamHealth implements LinkHealth {
  readonly states = new Map<string, ServerState>();
  private readonly answeredAt = new Map<string, number>();
  private readonly probing = new Set<string>();
  private readonly probe: typeof probeServer;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;

  constructor(private readonly deps: UpstreamHealthDeps) {
    this.probe = deps.probe ?? probeServer;
    this.now = deps.now ?? Date.now;
    for (const name of deps.servers().keys()) this.states.set(name, { status: 'starting' });
  }

  get times(): HealthTimes {
    const idle = this.deps.probeIntervalMs;
    // A short probe_interval (tests, impatient operators) shortens the retry of down servers too.
    return { downRetryMs: idle > 0 ? Math.min(REPROBE_MS, idle) : REPROBE_MS, idleMs: idle };
  }

  /** Probe every configured server once (start-up); resolves when all answered or failed. */
  probeAll(): Promise<void> {
    return Promise.all([...this.deps.servers().keys()].map((name) => this.check(name))).then(() => {});
  }

  /** Start the background check (a no-op when probe_interval is 0). The timer never keeps the process alive. */
  start(): void {
    if (this.timer || this.deps.probeIntervalMs <= 0) return;
    const t = this.times;
    this.timer = setInterval(() => this.tick(), Math.min(t.downRetryMs, t.idleMs));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round of the background check; exposed for tests. */
  tick(): void {
    this.forgetRemoved();
    for (const name of probesDue(this.view(), this.now(), this.times)) void this.check(name);
  }

  /** LinkHealth: the server answered live traffic. */
  answered(server: string): void {
    this.answeredAt.set(server, this.now());
    // Down, yet answering: it came back. Probe now rather than at the next retry.
    if (this.states.get(server)?.status === 'down') void this.check(server);
  }

  /** LinkHealth: a link could not reach or start the server. */
  unreachable(server: string, reason: string): void {
    if (!this.deps.servers().has(server)) return;
    this.markDown(server, this.states.get(server), reason, this.now());
  }

  /**
   * Readiness problems of the servers (`server:<name>` -> reason) and every server's state. Servers
   * that are down are re-probed in the background, at most every REPROBE_MS, so /readyz turns 200
   * once they are up without a restart (this answer is from the current state).
   */
  readiness(): { problems: Record<string, string>; servers: Record<string, ServerReadiness> } {
    const problems: Record<string, string> = {};
    const servers: Record<string, ServerReadiness> = {};
    const configured = this.deps.servers();
    const downOnly: HealthTimes = { downRetryMs: REPROBE_MS, idleMs: 0 };
    for (const name of probesDue(this.view(), this.now(), downOnly))
      if (this.states.get(name)?.status === 'down') void this.check(name);
    for (const [name, st] of this.states) {
      if (!configured.has(name)) continue; // removed by a reload: no longer this gateway's concern
      if (st.status === 'down') problems[`server:${name}`] = st.reason ?? 'down';
      servers[name] = {
        status: st.status,
        ...(st.status === 'down' ? { reason: st.reason ?? 'down' } : {}),
        ...(st.status === 'down' && st.since !== undefined ? { since: iso(st.since) } : {}),
        ...(st.checkedAt !== undefined ? { checkedAt: iso(st.checkedAt) } : {}),
      };
    }
    return { problems, servers };
  }

  /** For the `toolgate_upstream_up` gauge: each configured server, up or not. */
  *up(): Iterable<[string, boolean]> {
    const configured = this.deps.servers();
    for (const [name, st] of this.states) if (configured.has(name)) yield [name, st.status === 'up'];
  }

  /** Probe one server unless a probe of it is running; the result applies unless overtaken. */
  private async check(name: string): Promise<void> {
    const cfg = this.deps.servers().get(name);
    if (!cfg || this.probing.has(name)) return;
    this.probing.add(name);
    if (!this.states.has(name)) this.states.set(name, { status: 'starting' });
    const before = this.states.get(name);
    let result: ServerState;
    try {
      result = await this.probe(name, cfg, this.deps.log);
    } catch (err) {
      result = { status: 'down', reason: (err as Error).message, checkedAt: this.now() }; // probes do not throw; in case
    } finally {
      this.probing.delete(name);
    }
    // Overtaken: the config changed meanwhile, or live traffic found it down after the probe
    // started (newer news than the probe's). The next round looks again.
    if (this.deps.servers().get(name) !== cfg || this.states.get(name) !== before) return;
    if (result.status !== 'up') {
      this.markDown(name, before, result.reason ?? 'down', result.checkedAt ?? this.now(), result.checkedAt);
      return;
    }
    this.states.set(name, result);
    this.deps.onUp(name, result);
    if (before?.status !== 'up') {
      const transport = isStdioServer(cfg) ? 'stdio' : 'http';
      this.deps.log.info({ server: name, tools: result.tools, transport }, 'server up');
    }
  }

  /**
   * What the server last showed (its tools, how it answers unknown tools) is kept: hidden tools
   * must go on answering like missing ones, and the catalogue keeps its last view of the server.
   */
  private markDown(
    name: string,
    prev: ServerState | undefined,
    reason: string,
    now: number,
    checkedAt?: number,
  ): void {
    const wasDown = prev?.status === 'down';
    this.states.set(name, {
      ...prev,
      status: 'down',
      reason,
      since: wasDown ? (prev.since ?? now) : now,
      // A live failure counts as a check only when it is news; otherwise a client retrying a dead
      // server every second would keep postponing the probe that notices it is back.
      checkedAt: checkedAt ?? (wasDown ? prev.checkedAt : now),
    });
    if (!wasDown) this.deps.log.error({ server: name, reason }, 'server down');
  }

  private *view() {
    for (const [name, cfg] of this.deps.servers()) {
      yield {
        name,
        stdio: isStdioServer(cfg),
        state: this.states.get(name),
        answeredAt: this.answeredAt.get(name),
        probing: this.probing.has(name),
      };
    }
  }

  /** A reload removed servers: forget them, so they neither block readiness nor stay in the gauge. */
  private forgetRemoved(): void {
    const configured = this.deps.servers();
    for (const name of this.states.keys()) {
      if (configured.has(name)) continue;
      this.states.delete(name);
      this.answeredAt.delete(name);
    }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
