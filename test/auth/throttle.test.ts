/**
 * The failure throttle shared by grant tokens (delay only) and the admin plane (delay, then 429):
 * table-driven over a fake clock.
 */
import { describe, expect, it } from 'vitest';
import { clientAddress, FailureThrottle } from '../../src/auth/throttle.js';

const ADMIN = { windowMs: 15 * 60_000, freeFailures: 5, maxDelayMs: 3_000, lockAfter: 10 };

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('FailureThrottle', () => {
  it('answers the first failures at once, then doubles the delay up to the cap', () => {
    const c = clock();
    const t = new FailureThrottle({ windowMs: 60_000, freeFailures: 5, maxDelayMs: 3_000 }, c.now);
    const delays = Array.from({ length: 12 }, () => t.failed('10.0.0.1'));
    expect(delays).toEqual([0, 0, 0, 0, 0, 100, 200, 400, 800, 1600, 3000, 3000]);
    // Without lockAfter an address is never refused (grant tokens).
    expect(t.verdict('10.0.0.1')).toEqual({ refused: false });
  });

  it('refuses an address after lockAfter failures until the window ends, with the seconds left', () => {
    const c = clock();
    const t = new FailureThrottle(ADMIN, c.now);
    for (let i = 0; i < 9; i++) t.failed('10.0.0.1');
    expect(t.verdict('10.0.0.1')).toEqual({ refused: false });
    t.failed('10.0.0.1');
    expect(t.verdict('10.0.0.1')).toEqual({ refused: true, retryAfterSeconds: 900 });
    c.advance(899_500);
    expect(t.verdict('10.0.0.1')).toEqual({ refused: true, retryAfterSeconds: 1 });
    c.advance(500);
    expect(t.verdict('10.0.0.1')).toEqual({ refused: false });
    expect(t.failed('10.0.0.1')).toBe(0); // a new window starts from nothing
  });

  it('counts per address: another address is not punished, and a success clears only its own', () => {
    const t = new FailureThrottle(ADMIN, clock().now);
    for (let i = 0; i < 10; i++) t.failed('10.0.0.1');
    expect(t.verdict('10.0.0.2')).toEqual({ refused: false });
    expect(t.failed('10.0.0.2')).toBe(0);
    t.succeeded('10.0.0.2');
    expect(t.verdict('10.0.0.1').refused).toBe(true);
    t.succeeded('10.0.0.1');
    expect(t.verdict('10.0.0.1')).toEqual({ refused: false });
  });

  it('treats an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(clientAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(clientAddress('::1')).toBe('::1');
    expect(clientAddress(undefined)).toBe('');
    const t = new FailureThrottle(ADMIN, clock().now);
    for (let i = 0; i < 10; i++) t.failed(i % 2 ? '::ffff:127.0.0.1' : '127.0.0.1');
    expect(t.verdict('127.0.0.1').refused).toBe(true);
  });

  it('remembers a bounded number of addresses, forgetting the oldest first', () => {
    const t = new FailureThrottle({ ...ADMIN, maxAddresses: 3 }, clock().now);
    for (const a of ['a', 'b', 'c']) for (let i = 0; i < 10; i++) t.failed(a);
    t.failed('d');
    expect(t.verdict('a')).toEqual({ refused: false }); // forgotten
    expect(t.verdict('b').refused).toBe(true);
    expect(t.verdict('c').refused).toBe(true);
  });
});
