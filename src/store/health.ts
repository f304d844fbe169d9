/** What `Store.health()` reports: /readyz, the log and the write-ahead audit read it. */
export interface StoreStatus {
  /** 'up': the last operation or probe reached the store; 'down': it could not. */
  state: 'up' | 'down';
  /** While down: why (the last failure's message, which says what to check). */
  reason?: string;
  /** When the state last changed (epoch ms). */
  since: number;
}

export interface StoreHealthOptions {
  /** First retry of the probe after the store went down; doubled on each failure. */
  minDelayMs?: number;
  /** The longest wait between two probes while down: bounds the time to notice a recovery. */
  maxDelayMs?: number;
  now?: () => number;
}

/**
 * The store's own view of whether it can be reached. Every operation reports its outcome; an
 * outcome only counts for the period it started in (`epoch()`), so a slow query that began before
 * an outage and succeeds during it does not hide the outage, and a failure from before a recovery
 * does not undo it. While down, a probe retries with backoff, so the store comes back on its own
 * even when no traffic arrives (drivers reconnect on use; the probe is that use).
 */
export class StoreHealth {
  private status: StoreStatus;
  private current = 0;
  private delayMs: number;
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private closed = false;
  private readonly listeners = new Set<(s: StoreStatus) => void>();
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly now: () => number;

  constructor(
    private readonly probe: () => Promise<void>,
    opts: StoreHealthOptions = {},
  ) {
    this.minDelayMs = opts.minDelayMs ?? 100;
    this.maxDelayMs = opts.maxDelayMs ?? 2_000;
    this.now = opts.now ?? Date.now;
    this.delayMs = this.minDelayMs;
    this.status = { state: 'up', since: this.now() };
  }

  get(): StoreStatus {
    return { ...this.status };
  }

  /** The period an operation starts in; pass it back to `succeeded`/`failed`. */
  epoch(): number {
    return this.current;
  }

  onChange(listener: (s: StoreStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  succeeded(epoch: number): void {
    if (this.status.state === 'down' && epoch === this.current) this.become({ state: 'up' });
  }

  /** The store could not be reached (not a constraint or a bad query: those say nothing of health). */
  failed(epoch: number, reason: string): void {
    if (this.status.state === 'down') {
      this.status.reason = reason;
      return;
    }
    if (epoch !== this.current) return;
    this.become({ state: 'down', reason });
    this.delayMs = this.minDelayMs;
    this.schedule();
  }

  /** Something looks wrong (a pooled connection was lost while idle): probe now rather than wait for a call. */
  suspect(): void {
    if (this.closed || this.probing) return;
    this.runProbe((epoch, reason) => this.failed(epoch, reason));
  }

  /** One probe: an answer is `succeeded` for the period it started in; a failure goes to `onFail`. */
  private runProbe(onFail: (epoch: number, reason: string) => void): void {
    const epoch = this.current;
    this.probing = true;
    this.probe().then(
      () => {
        this.probing = false;
        this.succeeded(epoch);
      },
      (err: Error) => {
        this.probing = false;
        onFail(epoch, err.message);
      },
    );
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.listeners.clear();
  }

  private become(next: { state: 'up' | 'down'; reason?: string }): void {
    this.current++;
    this.status = { ...next, since: this.now() };
    const snapshot = this.get();
    for (const l of this.listeners) {
      try {
        l(snapshot);
      } catch {
        // A listener's bug must not stop the store from reporting to the others.
      }
    }
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed || this.status.state === 'up') return;
      this.runProbe((_epoch, reason) => {
        if (this.status.state === 'up') return;
        this.status.reason = reason;
        this.delayMs = Math.min(this.delayMs * 2, this.maxDelayMs);
        this.schedule();
      });
    }, this.delayMs);
    this.timer.unref();
  }
}
