import type { ClientSession } from './session.js';

/**
 * Live client sessions. Sessions idle longer than `idleMs` (no request, no open stream, no call
 * in flight) are closed, and with them their upstream sessions and child processes: clients rarely say goodbye
 * (SDK `Client.close()` sends no DELETE), so without this every reconnect would leak a process.
 */
export class SessionRegistry {
  private readonly sessions = new Map<string, ClientSession>();
  private readonly reaper: NodeJS.Timeout;

  constructor(
    private readonly idleMs: number,
    readonly max: number,
  ) {
    this.reaper = setInterval(() => this.reap(), Math.min(30_000, Math.max(1000, idleMs / 4)));
    this.reaper.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): ClientSession | undefined {
    return this.sessions.get(id);
  }

  add(session: ClientSession): void {
    this.sessions.set(session.id, session);
  }

  async remove(id: string): Promise<void> {
    const s = this.sessions.get(id);
    this.sessions.delete(id);
    await s?.close();
  }

  values(): IterableIterator<ClientSession> {
    return this.sessions.values();
  }

  reap(now = Date.now()): void {
    for (const s of this.sessions.values()) {
      if (!s.hasStandalone && !s.busy && now - s.lastSeen > this.idleMs) void this.remove(s.id);
    }
  }

  async closeAll(): Promise<void> {
    clearInterval(this.reaper);
    await Promise.all([...this.sessions.keys()].map((id) => this.remove(id)));
  }
}
