import type { Logger } from 'pino';
import { isStdioServer, type ServerConfig } from '../config/index.js';
import type { LinkHealth } from '../upstream/link.js';
import { probeServer, type ServerState } from '../upstream/probe.js';
import { type BackoffPolicy, backoffDelay, START_BACKOFF } from '../upstream/restart-backoff.js';
import { type DownFacts, downReason, publicDownReason, refusedStart } from './down-reason.js';
import { type HealthTimes, probesDue } from './health-schedule.js';

/**
 * The first retry of a server that is down (by the background check, or by /readyz when that is
 * off); each further failure doubles the wait, up to `health.retry_max` (restart-backoff.ts).
 */
export const REPROBE_MS = START_BACKOFF.firstMs;

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
  /** `health.retry_max`: the longest wait between attempts at a server that is down. */
  retryMaxMs?: number;
  /** Masks secrets in what a failure shows (the gateway's redactor; stderr lines are masked already). */
  redact?: (text: string) => string;
  probe?: typeof probeServer;
  now?: () => number;
  /** The jitter's draws, [0, 1). */
  random?: () => number;
}

/** A server's entry in the /readyz body. */
export interface ServerReadiness {
  status: ServerState['status'];
  reason?: string;
  /** When it was first found down in this outage (ISO 8601). */
  since?: string;
  /** When it was last probed (ISO 8601). */
  checkedAt?: string;
  /** While down: attempts that failed in a row, and when the next is due (ISO 8601). */
  failures?: number;
  retryAt?: string;
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
 *
 * A server that is down is tried again with exponential backoff (restart-backoff.ts): every failed
 * attempt (a probe, a start by a session once the retry was due) doubles the wait, up to
 * `health.retry_max`; sessions do not start a stdio server before its retry is due
 * (`startRefused`); coming up resets it, and so does a config reload or `retry()`.
 */
export class UpstreamHealth implements LinkHealth {
  readonly states = new Map<string, ServerState>();
  private readonly answeredAt = new Map<string, number>();
  private readonly probing = new Set<string>();
  /** The config each down server last failed with: a reload gives new objects, and a retry now. */
  private readonly failedWith = new Map<string, ServerConfig>();
  private readonly probe: typeof probeServer;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly redact: (text: string) => string;
  private timer?: NodeJS.Timeout;

  constructor(private readonly deps: UpstreamHealthDeps) {
    this.probe = deps.probe ?? probeServer;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.redact = deps.redact ?? ((t) => t);
    for (const name of deps.servers().keys()) this.states.set(name, { status: 'starting' });
  }

  get times(): HealthTimes {
    const idle = this.deps.probeIntervalMs;
    // A short probe_interval (tests, impatient operators) shortens the retry of down servers too.
    return { downRetryMs: idle > 0 ? Math.min(REPROBE_MS, idle) : REPROBE_MS, idleMs: idle };
  }

  /** The backoff of servers that are down: from the first retry to `health.retry_max`. */
  get backoff(): BackoffPolicy {
    const first = this.times.downRetryMs;
    return {
      ...START_BACKOFF,
      firstMs: first,
      maxMs: Math.max(first, this.deps.retryMaxMs ?? START_BACKOFF.maxMs),
    };
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
    this.retryReconfigured();
    for (const name of probesDue(this.view(), this.now(), this.times)) void this.check(name);
  }

  /** LinkHealth: the server answered live traffic. */
  answered(server: string): void {
    const now = this.now();
    this.answeredAt.set(server, now);
    // Down, yet answering: it came back. Probe now rather than at the next retry. Not a stdio
    // server: a process started before says nothing of whether a new one starts, and probing it
    // on every answer would start one a second, the backoff's due time comes soon enough.
    const st = this.states.get(server);
    if (st?.status !== 'down') return;
    const cfg = this.deps.servers().get(server);
    if (cfg && (!isStdioServer(cfg) || now >= (st.retryAt ?? 0))) void this.check(server);
  }

  /** LinkHealth: a link could not reach or start the server. */
  unreachable(server: string, reason: string, stderr?: readonly string[]): void {
    if (!this.deps.servers().has(server)) return;
    this.markDown(server, this.states.get(server), { cause: reason, stderr, probe: false });
  }

  /** LinkHealth: a session must not start this stdio server yet (down, retry not due). */
  startRefused(server: string): string | undefined {
    this.retryReconfigured(server);
    const st = this.states.get(server);
    const facts = st && downFacts(server, st);
    const now = this.now();
    return facts && now < facts.retryAt ? refusedStart(facts, now) : undefined;
  }

  /**
   * Try a server that is down now (or every one), whatever its backoff: the operator fixed
   * something. Its failure count starts again. Resolves when the probe is done.
   */
  retry(server?: string): Promise<void> {
    const names = server === undefined ? [...this.deps.servers().keys()] : [server];
    const probes: Promise<void>[] = [];
    for (const name of names) {
      const st = this.states.get(name);
      if (st?.status !== 'down') continue;
      this.resetBackoff(name, st);
      probes.push(this.check(name));
    }
    return Promise.all(probes).then(() => {});
  }

  /**
   * Readiness problems of the servers (`server:<name>` -> reason) and every server's state. Servers
   * that are down are re-probed in the background once their next attempt is due, so /readyz turns
   * 200 once they are up without a restart (this answer is from the current state).
   */
  readiness(): { problems: Record<string, string>; servers: Record<string, ServerReadiness> } {
    const problems: Record<string, string> = {};
    const servers: Record<string, ServerReadiness> = {};
    const configured = this.deps.servers();
    const now = this.now();
    this.retryReconfigured();
    const downOnly: HealthTimes = { downRetryMs: REPROBE_MS, idleMs: 0 };
    for (const name of probesDue(this.view(), now, downOnly))
      if (this.states.get(name)?.status === 'down') void this.check(name);
    for (const [name, st] of this.states) {
      if (!configured.has(name)) continue; // removed by a reload: no longer this gateway's concern
      // Public: the cause and the next attempt, never the server's stderr.
      const facts = downFacts(name, st);
      const reason = facts
        ? publicDownReason(facts, now)
        : st.status === 'down'
          ? (st.cause ?? st.reason ?? 'down')
          : undefined;
      if (reason !== undefined) problems[`server:${name}`] = reason;
      servers[name] = {
        status: st.status,
        ...(reason !== undefined ? { reason } : {}),
        ...(st.status === 'down' && st.since !== undefined ? { since: iso(st.since) } : {}),
        ...(st.checkedAt !== undefined ? { checkedAt: iso(st.checkedAt) } : {}),
        ...(facts ? { failures: facts.failures, retryAt: iso(facts.retryAt) } : {}),
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
      const cause = result.cause ?? result.reason ?? 'down';
      this.markDown(name, before, { cause, stderr: result.stderr, checkedAt: result.checkedAt, probe: true });
      return;
    }
    // Up: the backoff starts from nothing again (the probe's state carries no failures).
    this.states.set(name, result);
    this.failedWith.delete(name);
    this.deps.onUp(name, result);
    if (before?.status !== 'up') {
      const transport = isStdioServer(cfg) ? 'stdio' : 'http';
      const after = before?.status === 'down' ? { failedBefore: before.failures } : {};
      this.deps.log.info({ server: name, tools: result.tools, transport, ...after }, 'server up');
    }
  }

  /**
   * What the server last showed (its tools, how it answers unknown tools) is kept: hidden tools
   * must go on answering like missing ones, and the catalogue keeps its last view of the server.
   */
  private markDown(
    name: string,
    prev: ServerState | undefined,
    failure: { cause: string; stderr?: readonly string[]; checkedAt?: number; probe: boolean },
  ): void {
    const now = this.now();
    const wasDown = prev?.status === 'down';
    // A failed attempt moves the backoff on: a probe, news (it was up), or a start made once the
    // retry was due. A live failure before that (an HTTP client retrying a dead server every
    // second) says nothing new, and must neither postpone the retry nor lengthen the next wait.
    const attempt = failure.probe || !wasDown || prev.retryAt === undefined || now >= prev.retryAt;
    const failures = attempt ? (wasDown ? (prev.failures ?? 0) : 0) + 1 : (prev.failures ?? 1);
    const retryAt = attempt
      ? now + backoffDelay(failures, this.backoff, this.random)
      : (prev?.retryAt ?? now);
    const cause = this.redact(failure.cause);
    const stderr = failure.stderr?.length
      ? failure.stderr.map(this.redact)
      : attempt
        ? undefined
        : prev?.stderr;
    const facts: DownFacts = { server: name, cause, failures, retryAt, stderr };
    const next: ServerState = {
      ...prev,
      status: 'down',
      reason: downReason(facts),
      cause,
      stderr: stderr?.length ? [...stderr] : undefined,
      failures,
      retryAt,
      since: wasDown ? (prev.since ?? now) : now,
      // A live failure counts as a check only when it is news; otherwise a client retrying a dead
      // server every second would keep postponing the probe that notices it is back.
      checkedAt: failure.checkedAt ?? (wasDown ? prev.checkedAt : now),
    };
    if (next.stderr === undefined) delete next.stderr;
    this.states.set(name, next);
    const cfg = this.deps.servers().get(name);
    if (cfg) this.failedWith.set(name, cfg);
    const fields = { server: name, reason: cause, failures, nextAttempt: iso(retryAt) };
    if (!wasDown) this.deps.log.error({ ...fields, ...(stderr?.length ? { stderr } : {}) }, 'server down');
    else if (attempt) this.deps.log.warn(fields, 'server still down');
  }

  /** Forget a down server's failures and make its next attempt due now. */
  private resetBackoff(name: string, st: ServerState): void {
    const now = this.now();
    const facts = downFacts(name, st);
    this.states.set(name, {
      ...st,
      failures: 0,
      retryAt: now,
      reason: facts ? downReason({ ...facts, retryAt: now }) : st.reason,
    });
    this.failedWith.delete(name);
  }

  /**
   * A reload builds new config objects: a server that is down is tried again at once under the
   * new config (its command or URL may be what the operator fixed), with a fresh count.
   */
  private retryReconfigured(only?: string): void {
    const configured = this.deps.servers();
    for (const [name, cfg] of this.failedWith) {
      if (only !== undefined && name !== only) continue;
      const st = this.states.get(name);
      if (st?.status !== 'down') this.failedWith.delete(name);
      else if (configured.get(name) !== cfg) this.resetBackoff(name, st);
    }
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
      this.failedWith.delete(name);
    }
  }
}

/** A down server's backoff facts, when it has them (states from before a failure was counted may not). */
function downFacts(server: string, st: ServerState): DownFacts | undefined {
  if (st.status !== 'down' || st.retryAt === undefined || st.cause === undefined) return undefined;
  return { server, cause: st.cause, failures: st.failures ?? 1, retryAt: st.retryAt, stderr: st.stderr };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
