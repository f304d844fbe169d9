// Tool pinning in the gateway (DESIGN 3, "pin check"): the accepted definition of every tool,
// kept in memory so a call costs a few map lookups, and the definitions upstreams list now.
import type { Logger } from 'pino';
import { diffDefinitions, pinHash, pinnedView, scanTool, type ToolDefinition } from '../catalog/index.js';
import type { CompiledPolicy } from '../policy/index.js';
import type { Store, ToolPin } from '../store/index.js';
import { quarantines } from './quarantine.js';

export type PinState = 'new' | 'pinned' | 'changed';

/** What the pin check says about one call; undefined means "go on to the policy". */
export type PinVerdict =
  | { kind: 'quarantined'; reason: string }
  | { kind: 'changed'; changes: string[]; pinned: string; seen: string };

interface Seen {
  hash: string;
  def: ToolDefinition;
  /** JSON.stringify of the listed object: when it repeats, the hash is reused (no re-hashing). */
  json: string;
}

type ByTool<T> = Map<string, Map<string, T>>;

function at<T>(map: ByTool<T>, server: string, tool: string): T | undefined {
  return map.get(server)?.get(tool);
}

function put<T>(map: ByTool<T>, server: string, tool: string, value: T): void {
  let inner = map.get(server);
  if (!inner) {
    inner = new Map();
    map.set(server, inner);
  }
  inner.set(tool, value);
}

/** A re-read of one tool's pin from the store happens at most this often (calls in a loop). */
const REREAD_MS = 250;
const MAX_REPORTED = 10_000;

export interface PinRegistryOptions {
  store: Store;
  log: Logger;
  now?: () => number;
}

/**
 * Pins of every server's tools. Accepted pins are loaded at start, re-read from the store on a
 * miss (a call to a changed or quarantined tool: another replica or the CLI may have accepted it),
 * and polled (`startPolling`) so lists follow accepts made elsewhere.
 * Definitions seen are tracked per session (what this agent's model read) and per server (the
 * latest any session or the start-up probe saw).
 */
export class PinRegistry {
  private readonly accepted: ByTool<ToolPin> = new Map();
  private readonly latest: ByTool<Seen> = new Map();
  /** Keyed by the session's Caller object: the entry goes when the session does. */
  private readonly bySession = new WeakMap<object, ByTool<Seen>>();
  private readonly rereads = new Map<string, { at: number; done: Promise<void> }>();
  private readonly reported = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private timer?: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly opts: PinRegistryOptions) {
    this.now = opts.now ?? Date.now;
  }

  async load(): Promise<void> {
    this.merge(await this.opts.store.pins.list());
  }

  /** Poll the store so accepts made by the CLI or another replica reach tools/list too. */
  startPolling(ms: number): void {
    this.stop();
    this.timer = setInterval(() => {
      this.opts.store.pins.list().then(
        (pins) => this.merge(pins),
        (err: Error) => this.opts.log.warn({ err: err.message }, 'cannot poll tool pins'),
      );
    }, ms);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Called when a pin changed (an accept here or elsewhere): clients should list tools again. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  pin(server: string, tool: string): ToolPin | undefined {
    return at(this.accepted, server, tool);
  }

  /** The latest definition any session or the probe saw, if any. */
  seen(server: string, tool: string): { hash: string; def: ToolDefinition } | undefined {
    return at(this.latest, server, tool);
  }

  /** Every definition of `server` seen so far (the latest of each tool), in first-seen order. */
  seenTools(server: string): ToolDefinition[] {
    return [...(this.latest.get(server)?.values() ?? [])].map((s) => s.def);
  }

  /** New under this policy and never accepted: hidden from lists, answered as unknown. */
  quarantined(policy: CompiledPolicy, server: string, tool: string): boolean {
    return quarantines(policy, tool) && !at(this.accepted, server, tool);
  }

  /** Pin state of a definition against the accepted pin. */
  stateOf(server: string, tool: string, hash: string): PinState {
    const pin = at(this.accepted, server, tool);
    return !pin ? 'new' : pin.hash === hash ? 'pinned' : 'changed';
  }

  /**
   * A tools/list result (or the probe's list) of `server`. Unpinned tools are pinned on first use
   * unless one of `policies` quarantines them (a quarantined tool waits for a person). Changed and
   * new definitions are logged once each, with what changed and any poisoning findings.
   */
  observe(
    server: string,
    tools: readonly Record<string, unknown>[],
    session: object | undefined,
    policies: readonly CompiledPolicy[],
  ): void {
    let mine = session ? this.bySession.get(session) : undefined;
    if (session && !mine) {
      mine = new Map();
      this.bySession.set(session, mine);
    }
    for (const raw of tools) {
      if (typeof raw?.name !== 'string') continue;
      const name = raw.name;
      const seen = this.hashOf(server, raw);
      put(this.latest, server, name, seen);
      if (mine) put(mine, server, name, seen);
      const pin = at(this.accepted, server, name);
      if (!pin) {
        if (policies.some((p) => quarantines(p, name))) this.reportNew(server, seen);
        else this.trustOnFirstUse(server, seen);
      } else if (pin.hash !== seen.hash) {
        this.reportChanged(server, pin, seen);
        void this.reread(server, name);
      }
    }
  }

  /**
   * The pin check of one call, before the policy. Synchronous when nothing is wrong (the hot
   * path); a miss re-reads the store first, since the CLI or another replica may have accepted.
   */
  check(
    session: object,
    policy: CompiledPolicy,
    server: string,
    tool: string,
  ): PinVerdict | undefined | Promise<PinVerdict | undefined> {
    if (this.verdict(session, policy, server, tool) === undefined) return undefined;
    return this.reread(server, tool).then(() => this.verdict(session, policy, server, tool));
  }

  private verdict(
    session: object,
    policy: CompiledPolicy,
    server: string,
    tool: string,
  ): PinVerdict | undefined {
    if (this.quarantined(policy, server, tool)) {
      return {
        kind: 'quarantined',
        reason: `${tool} appeared on ${server} after its policy was written and is quarantined until someone accepts it (toolgate catalog accept ${server} ${tool})`,
      };
    }
    const changed = this.changed(session, server, tool);
    if (!changed) return undefined;
    const { pin, seen } = changed;
    return {
      kind: 'changed',
      changes: diffDefinitions(pin.definition as unknown as ToolDefinition, seen.def),
      pinned: pin.hash,
      seen: seen.hash,
    };
  }

  /**
   * The accepted pin of a tool whose definition, as `session` saw it last (for a session that
   * never listed tools, as any session or the probe saw it last), differs from that pin.
   */
  changed(
    session: object,
    server: string,
    tool: string,
  ): { pin: ToolPin; seen: { hash: string; def: ToolDefinition } } | undefined {
    const pin = at(this.accepted, server, tool);
    if (!pin) return undefined;
    const seen =
      at(this.bySession.get(session) ?? this.latest, server, tool) ?? at(this.latest, server, tool);
    return seen && seen.hash !== pin.hash ? { pin, seen } : undefined;
  }

  /**
   * Accept a definition of a tool (by default the latest one seen): it becomes the pin, calls
   * pass again, a quarantined tool is released. `expectHash` refuses when the definition is not
   * the one the person reviewed.
   */
  async accept(
    server: string,
    tool: string,
    opts: { definition?: ToolDefinition; expectHash?: string } = {},
  ): Promise<ToolPin> {
    const def = opts.definition ?? at(this.latest, server, tool)?.def;
    if (!def) throw new PinError('unknown_tool', `${server} has not listed a tool named "${tool}"`);
    const hash = pinHash(def);
    if (opts.expectHash !== undefined && opts.expectHash !== hash) {
      throw new PinError(
        'hash_mismatch',
        `the current definition of ${tool} has hash ${hash}, not ${opts.expectHash}; review it again`,
      );
    }
    const pin = await this.opts.store.pins.accept(server, tool, hash, pinnedView(def), this.now());
    this.merge([pin]);
    this.opts.log.info({ server, tool, hash }, 'tool definition accepted');
    return pin;
  }

  private hashOf(server: string, raw: Record<string, unknown>): Seen {
    const json = JSON.stringify(raw);
    const before = at(this.latest, server, String(raw.name));
    if (before?.json === json) return before;
    const def = raw as unknown as ToolDefinition;
    return { hash: pinHash(def), def, json };
  }

  private trustOnFirstUse(server: string, seen: Seen): void {
    const tool = seen.def.name;
    const optimistic: ToolPin = {
      server,
      tool,
      hash: seen.hash,
      definition: pinnedView(seen.def),
      acceptedAt: this.now(),
    };
    put(this.accepted, server, tool, optimistic);
    const findings = scanTool(seen.def);
    if (findings.length > 0)
      this.opts.log.warn(
        { server, tool, findings: findings.map((f) => `${f.kind}: ${f.message}`) },
        'new tool pinned on first use has poisoning findings; review it with `toolgate catalog`',
      );
    const pins = this.opts.store.pins;
    // Another replica may have pinned it already (perhaps another definition): the store wins.
    pins
      .get(server, tool)
      .then((existing) => existing ?? pins.accept(server, tool, seen.hash, optimistic.definition, this.now()))
      .then(
        (stored) => {
          if (stored.hash !== seen.hash) this.reportChanged(server, stored, seen);
          if (at(this.accepted, server, tool) === optimistic) put(this.accepted, server, tool, stored);
        },
        (err: Error) =>
          this.opts.log.error(
            { server, tool, err: err.message },
            'cannot store a tool pin; it holds in memory until restart',
          ),
      );
  }

  private reportNew(server: string, seen: Seen): void {
    if (!this.once(`new\0${server}\0${seen.def.name}\0${seen.hash}`)) return;
    const findings = scanTool(seen.def);
    this.opts.log.warn(
      {
        server,
        tool: seen.def.name,
        hash: seen.hash,
        findings: findings.map((f) => `${f.kind}: ${f.message} (${f.excerpt})`),
      },
      `new tool quarantined until someone accepts it: toolgate catalog accept ${server} ${seen.def.name}`,
    );
  }

  private reportChanged(server: string, pin: ToolPin, seen: Seen): void {
    if (!this.once(`changed\0${server}\0${pin.tool}\0${pin.hash}\0${seen.hash}`)) return;
    const findings = scanTool(seen.def);
    this.opts.log.warn(
      {
        server,
        tool: pin.tool,
        pinned: pin.hash,
        seen: seen.hash,
        changes: diffDefinitions(pin.definition as unknown as ToolDefinition, seen.def),
        findings: findings.map((f) => `${f.kind}: ${f.message} (${f.excerpt})`),
      },
      `tool definition changed since it was approved; calls are denied until someone accepts it: toolgate catalog accept ${server} ${pin.tool}`,
    );
  }

  private once(key: string): boolean {
    if (this.reported.has(key)) return false;
    if (this.reported.size >= MAX_REPORTED) this.reported.clear();
    this.reported.add(key);
    return true;
  }

  /** Read one tool's pin from the store (deduplicated, at most every REREAD_MS). */
  private reread(server: string, tool: string): Promise<void> {
    const key = `${server}\0${tool}`;
    const last = this.rereads.get(key);
    if (last && this.now() - last.at < REREAD_MS) return last.done;
    const done = this.opts.store.pins.get(server, tool).then(
      (pin) => {
        if (pin) this.merge([pin]);
      },
      (err: Error) => this.opts.log.warn({ server, tool, err: err.message }, 'cannot re-read a tool pin'),
    );
    this.rereads.set(key, { at: this.now(), done });
    return done;
  }

  /** Newer pins from the store replace ours; pins are never deleted, so nothing is removed. */
  private merge(pins: readonly ToolPin[]): void {
    let changed = false;
    for (const p of pins) {
      const mine = at(this.accepted, p.server, p.tool);
      if (mine && (mine.hash === p.hash || mine.acceptedAt > p.acceptedAt)) continue;
      put(this.accepted, p.server, p.tool, p);
      changed = true;
    }
    if (changed) for (const l of this.listeners) l();
  }
}

export class PinError extends Error {
  constructor(
    readonly code: 'unknown_tool' | 'hash_mismatch',
    message: string,
  ) {
    super(message);
  }
}
