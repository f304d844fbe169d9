/** The pure backoff of servers that cannot start (src/upstream/restart-backoff.ts). */
import { describe, expect, it } from 'vitest';
import { backoffDelay, nominalDelay, START_BACKOFF } from '../../src/upstream/restart-backoff.js';

const MIN = 60_000;

describe('backoff of a server that cannot start', () => {
  it('doubles from 2 s to the 5 min cap, and stays there', () => {
    const schedule = Array.from({ length: 12 }, (_, i) => nominalDelay(i + 1, START_BACKOFF));
    expect(schedule).toEqual([
      2_000,
      4_000,
      8_000,
      16_000,
      32_000,
      64_000,
      128_000,
      256_000,
      5 * MIN,
      5 * MIN,
      5 * MIN,
      5 * MIN,
    ]);
    expect(nominalDelay(0, START_BACKOFF)).toBe(0);
    expect(nominalDelay(10_000, START_BACKOFF)).toBe(5 * MIN); // no overflow however long it fails
  });

  it('over an hour of failing: 19 attempts, against 720 at the old fixed 5 s', () => {
    let t = 0;
    let attempts = 0;
    while (t < 60 * MIN) {
      attempts++;
      t += nominalDelay(attempts, START_BACKOFF);
    }
    expect(attempts).toBe(19);
  });

  it.each([
    ['no draw', 0, 16_000],
    ['the middle draw', 0.5, 14_400],
    ['the largest draw', 0.999_999, 12_800],
    ['a draw out of range is clamped', 7, 12_800],
  ])('jitter takes up to 20%% off, never adds: %s', (_, r, delay) => {
    expect(backoffDelay(4, START_BACKOFF, () => r)).toBe(delay);
  });

  it('keeps the cap with jitter, and honours a configured cap', () => {
    expect(backoffDelay(30, START_BACKOFF, () => 0)).toBe(5 * MIN);
    const policy = { ...START_BACKOFF, maxMs: 30_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0))).toEqual([
      2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
  });
});
