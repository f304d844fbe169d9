import type { ConsumeResult, CounterCharge } from './types.js';
import { retryAfterSeconds, windowStart } from './window.js';

// Shared, pure pieces of check-and-consume. Backends only count; which counter a charge lands
// in, whether a set of charges fits, and what to tell the caller are decided here.

/**
 * Reject malformed charges before touching a backend. These are programming errors of the
 * caller (a policy compiled wrong), not backend failures, so they throw RangeError.
 */
export function validateCharges(charges: readonly CounterCharge[], nowMs: number): void {
  if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be a finite number, got ${nowMs}`);
  for (let i = 0; i < charges.length; i++) {
    const c = charges[i]!;
    if (typeof c.key !== 'string' || c.key.length === 0) {
      throw new RangeError(`charge ${i}: key must be a non-empty string`);
    }
    if (!Number.isSafeInteger(c.windowSeconds) || c.windowSeconds < 1) {
      throw new RangeError(`charge ${i} (${c.key}): windowSeconds must be a whole number >= 1`);
    }
    if (!Number.isFinite(c.max) || c.max < 0) {
      throw new RangeError(`charge ${i} (${c.key}): max must be a finite number >= 0`);
    }
    if (!Number.isFinite(c.amount) || c.amount < 0) {
      throw new RangeError(`charge ${i} (${c.key}): amount must be a finite number >= 0`);
    }
  }
}

/**
 * The identity of a counter in one window: the caller's key, the window length and the window
 * start. The length is part of it because a minute window and an hour window on the same key
 * start at the same instant once an hour and must not share a count.
 */
export function counterId(charge: CounterCharge, nowMs: number): string {
  return `${charge.key}:${charge.windowSeconds}:${windowStart(nowMs, charge.windowSeconds)}`;
}

/**
 * Decide whether all charges fit, given each charge's current usage (`used[i]`, the stored count
 * of `ids[i]`). Charges naming the same counter add up, in order, so two limits on one counter
 * are checked against their combined amount. A charge whose amount alone exceeds its max can
 * never fit; it fails like any other, with retryAfter until its window ends.
 */
export function checkFit(
  charges: readonly CounterCharge[],
  ids: readonly string[],
  used: readonly number[],
  nowMs: number,
): ConsumeResult {
  // The common case is one or two distinct counters; a Map is only needed when ids repeat.
  let pending: Map<string, number> | undefined;
  for (let i = 0; i < charges.length; i++) {
    const c = charges[i]!;
    const id = ids[i]!;
    const base = pending?.get(id) ?? used[i]!;
    const next = base + c.amount;
    if (next > c.max) {
      return {
        ok: false,
        index: i,
        used: used[i]!,
        retryAfterSeconds: retryAfterSeconds(nowMs, c.windowSeconds),
      };
    }
    if (charges.length > 1) {
      pending ??= new Map();
      pending.set(id, next);
    }
  }
  return { ok: true };
}
