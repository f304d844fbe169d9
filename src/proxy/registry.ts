import type { ClientSession } from './session.js';

export interface SessionLimits {
  /** A session idle this long (no request, no open stream, no call in flight) is closed. */
  idleMs: number;
  /** The same for a session that sent no request after `initialize`: a client that went quiet. */
  unusedIdleMs: number;
  /** Open sessions at most, over all grants (sessions.max). */
  max: number;
  /** Sessions one grant may hold (grants[].max_sessions, else sessions.max_per_grant). */
  capOf(grant: string): number;
}

/** Why a new session is not opened: the HTTP status and a message that names the limit. */
export interface SessionRefusal {
  status: 429 | 503;
  message: string;
}

/**
 * Live client sessions. Sessions idle longer than `idleMs` (no request, no open stream, no call
 * in flight) are closed, and with them their upstream sessions and child processes: clients rarely say goodbye
 * (SDK `Client.close()` sends no DELETE), so without this every reconnect would leak a process.
 * Each grant holds at most its cap, so one grant cannot fill `max` and lock the others out (F12).
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, ClientSession>();
  /** Open sessions by grant. */
  private readonly held = new Map<string, number>();
  private readonly reaper: NodeJS.Timeout;

  constructor(private readonly limits: SessionLimits) {
    const shortest = Math.min(limits.idleMs, limits.unusedIdleMs);
    this.reaper = setInterval(() => this.reap(), Math.min(30_000, Math.max(1000, shortest / 4)));
    this.reaper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  get max(): number {
    return this.limits.max;
  }

  get(id: string): ClientSession | undefined {
    return this.sessions.get(id);
  }

  /**
   * Why `grant` may not open a session now, or undefined. The grant's own cap comes first: a
   * grant at its cap is told so (429) even while the gateway has room; others are not affected.
   */
  admit(grant: string): SessionRefusal | undefined {
    const cap = this.limits.capOf(grant);
    const held = this.held.get(grant) ?? 0;
    if (held >= cap)
      return {
        status: 429,
        message: `grant "${grant}" already has ${held} open sessions, its limit (max_sessions = ${cap}); close sessions it no longer uses (HTTP DELETE) or retry later`,
      };
    if (this.sessions.size >= this.limits.max)
      return { status: 503, message: `too many sessions (sessions.max = ${this.limits.max}); retry later` };
    return undefined;
  }

  add(session: ClientSession): void {
    if (this.sessions.has(session.id)) return;
    this.sessions.set(session.id, session);
    const grant = session.caller.grant;
    this.held.set(grant, (this.held.get(grant) ?? 0) + 1);
  }

  async remove(id: string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    const grant = s.caller.grant;
    const left = (this.held.get(grant) ?? 1) - 1;
    if (left > 0) this.held.set(grant, left);
    else this.held.delete(grant);
    await s.close();
  }

  values(): IterableIterator<ClientSession> {
    return this.sessions.values();
  }

  /** Open sessions by grant (grants with none are absent), for /metrics. */
  byGrant(): Iterable<[string, number]> {
    return this.held.entries();
  }

  reap(now = Date.now()): void {
    for (const s of this.sessions.values()) {
      if (s.hasStandalone || s.busy) continue;
      const limit = s.used ? this.limits.idleMs : Math.min(this.limits.idleMs, this.limits.unusedIdleMs);
      if (now - s.lastSeen > limit) void this.remove(s.id);
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.reaper);
    await Promise.all([...this.sessions.keys()].map((id) => this.remove(id)));
  }
}
