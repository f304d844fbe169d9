import { checkFit, counterId, validateCharges } from './charges.js';
import { CounterBackendError } from './errors.js';
import type { ConsumeResult, CounterCharge, CounterStore } from './types.js';
import { windowEnd } from './window.js';

// Sweep at most this often (by the caller's clock): a full scan per call would make consume O(n).
const SWEEP_INTERVAL_MS = 60_000;

interface Slot {
  used: number;
  /** End of the window this slot counts; after it the slot can never be read again. */
  endMs: number;
}

/**
 * Counters in a Map, for a single process (tests, a laptop). Everything inside is synchronous,
 * so check-and-consume is atomic without locks. Counts are lost on restart.
 */
export class MemoryCounterStore implements CounterStore {
  readonly kind = 'memory' as const;
  private readonly slots = new Map<string, Slot>();
  private nextSweepMs = Number.NEGATIVE_INFINITY;
  private closed = false;

  consume(charges: readonly CounterCharge[], nowMs: number): Promise<ConsumeResult> {
    try {
      return Promise.resolve(this.consumeSync(charges, nowMs));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  usage(charges: readonly CounterCharge[], nowMs: number): Promise<number[]> {
    try {
      this.assertOpen();
      validateCharges(charges, nowMs);
      return Promise.resolve(charges.map((c) => this.slots.get(counterId(c, nowMs))?.used ?? 0));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  ping(): Promise<void> {
    return this.closed ? Promise.reject(this.closedError()) : Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    this.slots.clear();
    return Promise.resolve();
  }

  /** Number of live slots; lets tests see that expired windows are swept. */
  get size(): number {
    return this.slots.size;
  }

  private consumeSync(charges: readonly CounterCharge[], nowMs: number): ConsumeResult {
    this.assertOpen();
    validateCharges(charges, nowMs);
    if (nowMs >= this.nextSweepMs) this.sweep(nowMs);
    const ids = charges.map((c) => counterId(c, nowMs));
    const used = ids.map((id) => this.slots.get(id)?.used ?? 0);
    const result = checkFit(charges, ids, used, nowMs);
    if (!result.ok) return result;
    for (let i = 0; i < charges.length; i++) {
      const c = charges[i]!;
      if (c.amount === 0) continue; // nothing to add; do not create an empty slot
      const id = ids[i]!;
      const slot = this.slots.get(id);
      if (slot) slot.used += c.amount;
      else this.slots.set(id, { used: c.amount, endMs: windowEnd(nowMs, c.windowSeconds) });
    }
    return result;
  }

  private sweep(nowMs: number): void {
    for (const [id, slot] of this.slots) if (slot.endMs <= nowMs) this.slots.delete(id);
    this.nextSweepMs = nowMs + SWEEP_INTERVAL_MS;
  }

  private assertOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private closedError(): CounterBackendError {
    return new CounterBackendError('the limit store (memory) is closed; it cannot count calls any more');
  }
}
