import { createHash } from 'node:crypto';
import { defaultRedactor, type Redactor } from '../redact/index.js';
import { canonicalJson } from '../util/canonical-json.js';
import type { AuditEntry, AuditInput, AuditRecord, AuditStore } from './types.js';

export interface AuditLogOptions {
  /** The gateway's redactor (built-in names and shapes plus `audit.redact` in toolgate.yaml). */
  redactor?: Redactor;
  /** How long a record may wait in memory before its batch is written. Default 100 ms. */
  flushIntervalMs?: number;
  /** A batch this large is written at once, without waiting for the timer. Default 200. */
  maxBatch?: number;
  /**
   * Records held in memory while the store is failing. Past this the oldest are dropped (and
   * counted) rather than letting memory grow without bound. Default 100,000.
   */
  maxQueue?: number;
  clock?: () => number;
  /** Told about every failed flush (the gateway logs it and reports not-ready). */
  onError?: (err: unknown) => void;
}

export type AuditListener = (record: AuditRecord) => void;

/**
 * How many more turns of the event loop a write-ahead group may wait for company while other
 * forwarded calls are out (see `kick`). Measured with `npm run bench -- audit` on SQLite at c=32:
 * 2 turns cut commits per call by about a sixth and the gateway's CPU per call by 13-27%; 4 turns
 * did no better.
 */
const GROUP_TURNS = 2;

export interface AuditLogStats {
  queued: number;
  written: number;
  dropped: number;
  failedFlushes: number;
  /** Transactions committed: write-ahead records that arrive together share one (group commit). */
  commits: number;
  /** Write-ahead records committed (`recordDurable`), and those the store refused. */
  durable: number;
  durableFailed: number;
  /** False from a failed flush until the next successful one. */
  healthy: boolean;
  /** What the last failed flush said, while unhealthy. */
  lastError?: string;
}

/** A queued entry; `waiter` is set for a write-ahead record, whose caller waits for its commit. */
interface Queued {
  entry: AuditEntry;
  waiter?: { resolve(r: AuditRecord): void; reject(err: unknown): void };
}

/**
 * The decision log writer, one queue written in order, each batch one transaction:
 * - `record()` is synchronous and does no I/O: it digests and redacts the arguments and queues the
 *   entry; a timer writes the queue every interval. Refusals and outcomes go this way: if the
 *   process dies, the entries still queued (at most one interval's worth) are lost.
 * - `recordDurable()` (the write-ahead record of a call about to be forwarded) resolves only once
 *   its entry is committed. It does not wait for the timer: a flush starts on the next turn of the
 *   event loop, and entries that arrive while one runs share the next (group commit), so N calls
 *   in flight cost one transaction, not N. Whatever else is queued goes in the same transaction.
 */
export class AuditLog {
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private running: Promise<void> | undefined;
  private waiting = 0;
  /** Forwarded calls whose write-ahead record is committed and whose outcome is not queued yet. */
  private inFlight = 0;
  private listeners = new Set<AuditListener>();
  private closed = false;
  private readonly opts: Required<Omit<AuditLogOptions, 'onError'>> & Pick<AuditLogOptions, 'onError'>;
  private readonly counters = {
    written: 0,
    dropped: 0,
    failedFlushes: 0,
    commits: 0,
    durable: 0,
    durableFailed: 0,
    healthy: true,
    lastError: undefined as string | undefined,
  };

  constructor(
    private readonly store: AuditStore,
    options: AuditLogOptions = {},
  ) {
    this.opts = {
      redactor: options.redactor ?? defaultRedactor,
      flushIntervalMs: options.flushIntervalMs ?? 100,
      maxBatch: options.maxBatch ?? 200,
      maxQueue: options.maxQueue ?? 100_000,
      clock: options.clock ?? Date.now,
      onError: options.onError,
    };
  }

  /** Queues one decision. Never throws and never waits: an audit problem must not fail the call. */
  record(input: AuditInput): void {
    if (this.closed) {
      this.opts.onError?.(new Error('audit record after close() was dropped'));
      this.counters.dropped++;
      return;
    }
    if (input.decision === 'outcome' && this.inFlight > 0) this.inFlight--;
    this.queue.push({ entry: toEntry(input, this.opts.redactor, this.opts.clock) });
    this.trim();
    if (this.queue.length >= this.opts.maxBatch) this.schedule(0);
    else this.schedule(this.opts.flushIntervalMs);
  }

  /**
   * Writes one entry and resolves with it once it is committed (durable: a `kill -9` afterwards
   * keeps it). Rejects with the store's error when it cannot be written; the entry is then taken
   * out of the queue and never written later, because the caller refuses the call it describes.
   */
  recordDurable(input: AuditInput): Promise<AuditRecord> {
    if (this.closed) return Promise.reject(new Error('the audit log is closed (the gateway is stopping)'));
    const entry = toEntry(input, this.opts.redactor, this.opts.clock);
    return new Promise<AuditRecord>((resolve, reject) => {
      this.queue.push({ entry, waiter: { resolve, reject } });
      this.waiting++;
      this.kick();
    });
  }

  /** Called with each record once it is committed (with its seq and hash). Returns an unsubscribe. */
  onRecord(listener: AuditListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes everything queued so far. Rejects if the store fails; the entries stay queued. */
  async flush(): Promise<void> {
    this.clearTimer();
    while (this.running) await this.running.catch(() => {});
    if (this.queue.length === 0) return;
    this.running = this.drain();
    try {
      await this.running;
    } finally {
      this.running = undefined;
      // Write-ahead entries queued after the drain's last batch must not wait for the timer.
      if (this.waiting > 0) this.kick();
    }
  }

  /** Stops the timer and drains the queue. Call before closing the store. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  get stats(): AuditLogStats {
    const { lastError, ...rest } = this.counters;
    return { queued: this.queue.length, ...rest, ...(!rest.healthy && lastError ? { lastError } : {}) };
  }

  /** Past maxQueue the oldest batched entries go (never a write-ahead one: its caller is waiting). */
  private trim(): void {
    let excess = this.queue.length - this.opts.maxQueue;
    if (excess <= 0) return;
    const dropped = excess;
    this.queue = this.queue.filter((q) => q.waiter !== undefined || excess-- <= 0);
    this.counters.dropped += dropped;
    this.opts.onError?.(
      new Error(
        `${dropped} audit record(s) dropped: ${this.opts.maxQueue} records are waiting for the store (${this.counters.dropped} dropped in all)`,
      ),
    );
  }

  /**
   * A flush on the next turn of the event loop, unless one is running (its drain takes the entry).
   * A lone call is committed on that turn. While other forwarded calls are out, their answers bring
   * outcome records and their clients' next calls bring write-ahead records: the flush then waits
   * up to GROUP_TURNS more turns (each one only if the group grew on the last), so those share the
   * commit. A turn is a pass over I/O that is already there: no timer, no added delay when idle.
   */
  private kick(): void {
    if (this.running || this.immediate) return;
    let turns = 0;
    let seen = this.waiting;
    const turn = () => {
      const growing = turns === 0 || this.waiting > seen;
      if (this.inFlight > 0 && turns < GROUP_TURNS && growing && this.waiting < this.opts.maxBatch) {
        turns++;
        seen = this.waiting;
        this.immediate = setImmediate(turn);
        return;
      }
      this.immediate = undefined;
      this.flush().catch((err: unknown) => this.failed(err));
    };
    this.immediate = setImmediate(turn);
  }

  private schedule(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((err: unknown) => this.failed(err));
    }, delayMs);
    // The log must not keep a finished process alive; close() is how callers drain it.
    this.timer.unref();
  }

  /** Keep the batched entries and try again later; a store outage must not lose what is queued. */
  private failed(err: unknown): void {
    this.counters.failedFlushes++;
    this.counters.healthy = false;
    this.counters.lastError = err instanceof Error ? err.message : String(err);
    this.opts.onError?.(err);
    if (!this.closed && this.queue.length > 0) this.schedule(Math.min(5000, this.opts.flushIntervalMs * 10));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.opts.maxBatch);
      let written: AuditRecord[];
      try {
        written = await this.store.append(batch.map((q) => q.entry));
      } catch (err) {
        this.refuseWaiters(err);
        throw err;
      }
      // Remove only after the commit; records queued meanwhile stay behind this batch. trim() may
      // have dropped entries meanwhile: then the batch is no longer the queue's prefix.
      if (this.queue[0] === batch[0] && this.queue[batch.length - 1] === batch.at(-1))
        this.queue.splice(0, batch.length);
      else {
        const done = new Set(batch);
        this.queue = this.queue.filter((q) => !done.has(q));
      }
      this.counters.written += written.length;
      this.counters.commits++;
      this.counters.healthy = true;
      batch.forEach((q, i) => {
        if (!q.waiter) return;
        this.waiting--;
        this.inFlight++;
        this.counters.durable++;
        q.waiter.resolve(written[i]!);
      });
      for (const r of written) this.emit(r);
    }
  }

  /**
   * The store refused a batch: every write-ahead entry still queued fails now (its call is refused)
   * and leaves the queue, so it is never written later as if its call had gone ahead. Batched
   * entries stay for the retry.
   */
  private refuseWaiters(err: unknown): void {
    const refused = this.queue.filter((q) => q.waiter);
    if (refused.length === 0) return;
    this.queue = this.queue.filter((q) => !q.waiter);
    this.waiting -= refused.length;
    this.counters.durableFailed += refused.length;
    for (const q of refused) q.waiter!.reject(err);
  }

  private emit(r: AuditRecord): void {
    for (const l of this.listeners) {
      try {
        l(r);
      } catch (err) {
        this.opts.onError?.(err);
      }
    }
  }
}

/**
 * Digest the raw arguments, then redact them: the digest proves what was sent without storing it.
 * The text fields a client or an upstream can put words into (tool, method, reason, note) are
 * redacted too: a deny reason quotes the argument it looked at.
 * Every field is normalized to what both databases store and return unchanged (integer ms, finite
 * numbers, text without NUL or lone surrogates, args as plain JSON), so a record hashes the same
 * after a round trip and one odd value can never make a whole batch fail to insert.
 */
export function toEntry(
  input: AuditInput,
  redactor: Redactor = defaultRedactor,
  clock: () => number = Date.now,
): AuditEntry {
  let argsDigest: string;
  let args: unknown;
  try {
    argsDigest = input.argsDigest ?? sha256(canonicalJson(input.args ?? null));
    args = input.args === undefined ? undefined : JSON.parse(canonicalJson(redactor.args(input.args)));
  } catch {
    argsDigest = sha256('unserializable');
    args = '[unserializable arguments]';
  }
  const ts = Number.isFinite(input.ts) ? Math.round(input.ts as number) : Math.round(clock());
  const latency = Number(input.latencyMs ?? 0);
  const entry: AuditEntry = {
    ts,
    grant: text(input.grant),
    server: text(input.server),
    method: redactor.text(text(input.method)),
    argsDigest,
    decision: text(input.decision) as AuditEntry['decision'],
    latencyMs: Number.isFinite(latency) ? latency : 0,
    upstream: text(input.upstream) as AuditEntry['upstream'],
  };
  const optional = {
    session: input.session,
    tool: input.tool === undefined ? undefined : redactor.text(String(input.tool)),
    rule: input.rule,
    reason: input.reason === undefined ? undefined : redactor.text(String(input.reason)),
    approver: input.approver,
    note: input.note === undefined ? undefined : redactor.text(String(input.note)),
    call: input.call,
  };
  for (const [k, v] of Object.entries(optional)) {
    if (v !== undefined && v !== null) (entry as unknown as Record<string, unknown>)[k] = text(v);
  }
  if (args !== undefined) entry.args = args;
  return entry;
}

/**
 * Replaces NUL (which PostgreSQL rejects in text) and lone surrogates (which do not survive UTF-8)
 * with U+FFFD. `toWellFormed` is in every Node we support (>= 20), though not yet in our TS lib.
 */
function text(v: unknown): string {
  const s = String(v ?? '').replaceAll('\0', '\uFFFD');
  return (s as unknown as { toWellFormed(): string }).toWellFormed();
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
