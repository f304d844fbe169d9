/**
 * Slows down guessing: repeated failed credentials from one client address are answered ever more
 * slowly, and (optionally) refused outright for the rest of the window. Used for grant tokens on
 * /mcp (delay only, so a real agent behind a noisy neighbour is never locked out) and for the admin
 * token and dashboard logins (delay, then 429 with Retry-After).
 *
 * The arithmetic is pure: `now` is injected, and `failed` returns the delay to wait instead of
 * sleeping, so the caller decides how to wait.
 */
export interface ThrottleOptions {
  /** Failures counted together, from the first one (ms). */
  windowMs: number;
  /** Failures answered at once; the next ones wait 100 ms, 200 ms, 400 ms, ... */
  freeFailures: number;
  maxDelayMs: number;
  /** After this many failures in the window, the address is refused until the window ends. */
  lockAfter?: number;
  /** Addresses remembered at most (oldest forgotten first): bounded memory under a spray. */
  maxAddresses?: number;
}

export type ThrottleVerdict = { refused: false } | { refused: true; retryAfterSeconds: number };

interface Entry {
  count: number;
  since: number;
}

/** `::ffff:127.0.0.1` and `127.0.0.1` are the same client. */
export function clientAddress(remote: string | undefined): string {
  const r = remote ?? '';
  return r.startsWith('::ffff:') ? r.slice(7) : r;
}

export class FailureThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly opts: ThrottleOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Ask before checking a credential: a locked address is not even checked. */
  verdict(remote: string): ThrottleVerdict {
    const e = this.live(clientAddress(remote));
    const lock = this.opts.lockAfter;
    if (!e || lock === undefined || e.count < lock) return { refused: false };
    return {
      refused: true,
      retryAfterSeconds: Math.max(1, Math.ceil((e.since + this.opts.windowMs - this.now()) / 1000)),
    };
  }

  /** Record a wrong credential; returns how long to hold the answer back (ms). */
  failed(remote: string): number {
    const key = clientAddress(remote);
    const entry = this.live(key) ?? { count: 0, since: this.now() };
    entry.count++;
    // Re-inserted at the end: the map's order is the eviction order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.evict();
    const over = entry.count - this.opts.freeFailures;
    return over > 0 ? Math.min(this.opts.maxDelayMs, 100 * 2 ** (over - 1)) : 0;
  }

  /** A right credential clears the address's failures. */
  succeeded(remote: string): void {
    this.entries.delete(clientAddress(remote));
  }

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && this.now() - e.since >= this.opts.windowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private evict(): void {
    const max = this.opts.maxAddresses ?? 10_000;
    if (this.entries.size <= max) return;
    const now = this.now();
    for (const [k, e] of this.entries) if (now - e.since >= this.opts.windowMs) this.entries.delete(k);
    for (const k of this.entries.keys()) {
      if (this.entries.size <= max) break;
      this.entries.delete(k);
    }
  }
}

/** Wait the delay `failed` returned. */
export function holdBack(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}
