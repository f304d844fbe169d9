import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CounterBackendError,
  type CounterCharge,
  type CounterStore,
  retryAfterSeconds,
  windowStart,
} from '../../src/limits/index.js';

// One suite, every backend: the interface's promises are written down once, here. Each
// backend's test file calls this with a factory; backend-specific checks live beside it.

// A fixed, minute-aligned instant (2026-01-01T00:00:00Z) plus 10 s, so window maths is exact.
export const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);
const NOW = T0 + 10_000;

export function counterStoreSuite(name: string, open: () => Promise<CounterStore>): void {
  describe(`CounterStore contract: ${name}`, () => {
    let store: CounterStore;
    let ns: string; // a fresh key namespace per test, so parallel runs on a shared Redis never collide

    beforeEach(async () => {
      store = await open();
      ns = `test:${randomUUID()}:`;
    });
    afterEach(async () => {
      await store.close();
    });

    const charge = (key: string, max: number, amount = 1, windowSeconds = 60): CounterCharge => ({
      key: ns + key,
      windowSeconds,
      max,
      amount,
    });

    it('admits up to max on a single counter, then refuses with the usage and retry time', async () => {
      const c = charge('single', 3);
      for (let i = 0; i < 3; i++) expect(await store.consume([c], NOW)).toEqual({ ok: true });
      expect(await store.consume([c], NOW)).toEqual({ ok: false, index: 0, used: 3, retryAfterSeconds: 50 });
      expect(await store.usage([c], NOW)).toEqual([3]);
    });

    it('consumes nothing when a later charge fails (all or nothing)', async () => {
      const a = charge('a', 10);
      const b = charge('b', 1);
      expect(await store.consume([a, b], NOW)).toEqual({ ok: true });
      const refused = await store.consume([a, b], NOW);
      expect(refused).toMatchObject({ ok: false, index: 1, used: 1 });
      expect(await store.usage([a, b], NOW)).toEqual([1, 1]);
    });

    it('consumes nothing when the first charge fails', async () => {
      const a = charge('a', 1);
      const b = charge('b', 10);
      expect(await store.consume([a], NOW)).toEqual({ ok: true });
      expect(await store.consume([a, b], NOW)).toMatchObject({ ok: false, index: 0, used: 1 });
      expect(await store.usage([a, b], NOW)).toEqual([1, 0]);
    });

    it('sums amounts for a spend cap and stops the charge that would cross it', async () => {
      const spend = (amount: number) => charge('refund_total', 50_000, amount, 86_400);
      expect(await store.consume([spend(20_000)], NOW)).toEqual({ ok: true });
      expect(await store.consume([spend(20_000)], NOW)).toEqual({ ok: true });
      expect(await store.consume([spend(15_000)], NOW)).toMatchObject({ ok: false, index: 0, used: 40_000 });
      expect(await store.consume([spend(10_000)], NOW)).toEqual({ ok: true }); // exactly max fits
      expect(await store.consume([spend(1)], NOW)).toMatchObject({ ok: false, used: 50_000 });
      expect(await store.usage([spend(0)], NOW)).toEqual([50_000]);
    });

    it('keeps fractional amounts', async () => {
      const c = (amount: number) => charge('frac', 5, amount);
      expect(await store.consume([c(2.5)], NOW)).toEqual({ ok: true });
      expect(await store.consume([c(2.5)], NOW)).toEqual({ ok: true });
      expect(await store.consume([c(0.25)], NOW)).toMatchObject({ ok: false, used: 5 });
      expect(await store.usage([c(0)], NOW)).toEqual([5]);
    });

    it('fails a charge whose amount alone exceeds max, with retry at the window end, and adds nothing', async () => {
      const small = charge('small', 10);
      const huge = charge('huge', 100, 101);
      expect(await store.consume([small, huge], NOW)).toEqual({
        ok: false,
        index: 1,
        used: 0,
        retryAfterSeconds: retryAfterSeconds(NOW, 60),
      });
      expect(await store.usage([small, huge], NOW)).toEqual([0, 0]);
    });

    it('lets a zero amount through without counting, even at max', async () => {
      const c = (amount: number) => charge('zero', 1, amount);
      expect(await store.consume([c(0)], NOW)).toEqual({ ok: true });
      expect(await store.consume([c(1)], NOW)).toEqual({ ok: true });
      expect(await store.consume([c(0)], NOW)).toEqual({ ok: true });
      expect(await store.usage([c(0)], NOW)).toEqual([1]);
    });

    it('adds up two charges on the same counter within one call', async () => {
      const c = (max: number) => charge('same', max, 3);
      expect(await store.consume([c(5), c(5)], NOW)).toEqual({
        ok: false,
        index: 1,
        used: 0,
        retryAfterSeconds: 50,
      });
      expect(await store.usage([c(5)], NOW)).toEqual([0]);
      expect(await store.consume([c(10), c(10)], NOW)).toEqual({ ok: true });
      expect(await store.usage([c(10)], NOW)).toEqual([6]);
    });

    it('keeps windows of different lengths on one key apart, even when they start together', async () => {
      const top = Date.UTC(2026, 0, 1, 5, 0, 0); // both the minute and the hour window start here
      const minute = charge('k', 1, 1, 60);
      const hour = charge('k', 1, 1, 3600);
      expect(await store.consume([minute], top)).toEqual({ ok: true });
      expect(await store.consume([hour], top)).toEqual({ ok: true });
      expect(await store.usage([minute, hour], top)).toEqual([1, 1]);
    });

    it('starts a new count when the window rolls over (injected clock)', async () => {
      const c = charge('roll', 2);
      const start = windowStart(NOW, 60);
      expect(await store.consume([c], start)).toEqual({ ok: true });
      expect(await store.consume([c], start + 30_000)).toEqual({ ok: true });
      expect(await store.consume([c], start + 59_999)).toEqual({
        ok: false,
        index: 0,
        used: 2,
        retryAfterSeconds: 1,
      });
      expect(await store.usage([c], start + 60_000)).toEqual([0]);
      expect(await store.consume([c], start + 60_000)).toEqual({ ok: true });
      expect(await store.usage([c], start + 60_001)).toEqual([1]);
    });

    it('reports retryAfter until the failing charge’s own window ends', async () => {
      const lateInDay = Date.UTC(2026, 0, 1, 23, 0, 0, 500);
      const perMinute = charge('m', 10, 1, 60);
      const perDay = charge('d', 1, 1, 86_400);
      expect(await store.consume([perMinute, perDay], lateInDay)).toEqual({ ok: true });
      expect(await store.consume([perMinute, perDay], lateInDay)).toEqual({
        ok: false,
        index: 1,
        used: 1,
        retryAfterSeconds: 3600,
      });
    });

    it('reads usage without consuming, zero for unseen counters, and treats [] as a no-op', async () => {
      const seen = charge('seen', 5);
      const unseen = charge('unseen', 5);
      await store.consume([seen, seen], NOW);
      expect(await store.usage([seen, unseen], NOW)).toEqual([2, 0]);
      expect(await store.usage([seen, unseen], NOW)).toEqual([2, 0]);
      expect(await store.usage([], NOW)).toEqual([]);
      expect(await store.consume([], NOW)).toEqual({ ok: true });
    });

    it('rejects malformed charges as programming errors and counts nothing', async () => {
      const ok = charge('v', 5);
      await expect(store.consume([ok, { ...ok, amount: -1 }], NOW)).rejects.toBeInstanceOf(RangeError);
      await expect(store.consume([{ ...ok, windowSeconds: 0 }], NOW)).rejects.toBeInstanceOf(RangeError);
      await expect(store.consume([{ ...ok, key: '' }], NOW)).rejects.toBeInstanceOf(RangeError);
      await expect(store.consume([ok], Number.NaN)).rejects.toBeInstanceOf(RangeError);
      expect(await store.usage([ok], NOW)).toEqual([0]);
    });

    it('admits exactly max out of 64 concurrent consumes', async () => {
      const c = charge('burst', 20);
      const results = await Promise.all(Array.from({ length: 64 }, () => store.consume([c], NOW)));
      expect(results.filter((r) => r.ok)).toHaveLength(20);
      for (const r of results) if (!r.ok) expect(r).toMatchObject({ index: 0, used: 20 });
      expect(await store.usage([c], NOW)).toEqual([20]);
    });

    it('answers ping while open; fails consume, usage and ping with CounterBackendError once closed', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      await store.close();
      const c = charge('closed', 5);
      const err = await store.consume([c], NOW).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CounterBackendError);
      expect((err as CounterBackendError).code).toBe('COUNTER_BACKEND_UNAVAILABLE');
      await expect(store.usage([c], NOW)).rejects.toBeInstanceOf(CounterBackendError);
      await expect(store.ping()).rejects.toBeInstanceOf(CounterBackendError);
    });
  });
}
