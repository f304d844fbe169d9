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

export interface AuditLogStats {
  queued: number;
  written: number;
  dropped: number;
  failedFlushes: number;
  /** False from a failed flush until the next successful one. */
  healthy: boolean;
}

/**
 * The decision log writer. `record()` is synchronous and does no I/O: it digests and redacts the
 * arguments and queues the entry. A timer writes queued entries in batches, each batch one
 * transaction. If the process dies, the entries still queued (at most one interval's worth, or one
 * batch) are lost; everything flushed is durable and chained.
 */
export class AuditLog {
  private queue: AuditEntry[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private listeners = new Set<AuditListener>();
  private closed = false;
  private readonly opts: Required<Omit<AuditLogOptions, 'onError'>> & Pick<AuditLogOptions, 'onError'>;
  private readonly counters = { written: 0, dropped: 0, failedFlushes: 0, healthy: true };

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
    this.queue.push(toEntry(input, this.opts.redactor, this.opts.clock));
    if (this.queue.length > this.opts.maxQueue) {
      const excess = this.queue.length - this.opts.maxQueue;
      this.queue.splice(0, excess);
      this.counters.dropped += excess;
    }
    if (this.queue.length >= this.opts.maxBatch) this.schedule(0);
    else this.schedule(this.opts.flushIntervalMs);
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
    }
  }

  /** Stops the timer and drains the queue. Call before closing the store. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  get stats(): AuditLogStats {
    return { queued: this.queue.length, ...this.counters };
  }

  private schedule(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((err: unknown) => {
        // Keep the entries and try again later; a store outage must not lose what is queued.
        this.counters.failedFlushes++;
        this.counters.healthy = false;
        this.opts.onError?.(err);
        if (!this.closed) this.schedule(Math.min(5000, this.opts.flushIntervalMs * 10));
      });
    }, delayMs);
    // The log must not keep a finished process alive; close() is how callers drain it.
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.opts.maxBatch);
      const written = await this.store.append(batch);
      // Remove only after the commit; records queued meanwhile stay behind this batch.
      this.queue.splice(0, batch.length);
      this.counters.written += written.length;
      this.counters.healthy = true;
      for (const r of written) this.emit(r);
    }
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
