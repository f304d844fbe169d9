import { describe, expect, it } from 'vitest';
import type { CounterConfig } from '../../src/limits/index.js';
import { createCounterStore, retryAfterSeconds, windowStart } from '../../src/limits/index.js';
import { windowEnd } from '../../src/limits/window.js';

const at = (iso: string) => Date.parse(iso);

// [now, windowSeconds, expected window start, expected retryAfterSeconds]
const cases: [string, number, string, number][] = [
  ['2026-03-04T10:20:30.000Z', 1, '2026-03-04T10:20:30.000Z', 1],
  ['2026-03-04T10:20:30.999Z', 1, '2026-03-04T10:20:30.000Z', 1],
  ['2026-03-04T10:20:30.000Z', 60, '2026-03-04T10:20:00.000Z', 30],
  ['2026-03-04T10:20:30.200Z', 60, '2026-03-04T10:20:00.000Z', 30], // 29.8 s rounds up
  ['2026-03-04T10:20:59.999Z', 60, '2026-03-04T10:20:00.000Z', 1], // never 0
  ['2026-03-04T10:21:00.000Z', 60, '2026-03-04T10:21:00.000Z', 60], // a boundary opens a window
  ['2026-03-04T10:20:30.000Z', 900, '2026-03-04T10:15:00.000Z', 570], // "15m"
  ['2026-03-04T10:20:30.000Z', 3600, '2026-03-04T10:00:00.000Z', 2370],
  ['2026-03-04T23:59:59.500Z', 86_400, '2026-03-04T00:00:00.000Z', 1], // days align to UTC midnight
  ['2026-03-05T00:00:00.000Z', 86_400, '2026-03-05T00:00:00.000Z', 86_400],
  ['1969-12-31T23:59:30.000Z', 60, '1969-12-31T23:59:00.000Z', 30], // before the epoch still floors
];

describe('window maths (pure, clock passed in)', () => {
  it.each(cases)('at %s, a %i s window starts at %s and retry is %i s', (now, seconds, start, retry) => {
    expect(windowStart(at(now), seconds)).toBe(at(start));
    expect(windowEnd(at(now), seconds)).toBe(at(start) + seconds * 1000);
    expect(retryAfterSeconds(at(now), seconds)).toBe(retry);
  });

  it('puts every instant of a window in the same window', () => {
    const start = at('2026-03-04T10:20:00.000Z');
    for (let ms = 0; ms < 60_000; ms += 997) expect(windowStart(start + ms, 60)).toBe(start);
  });
});

describe('createCounterStore', () => {
  it('rejects an unknown backend with a message naming the choices', async () => {
    await expect(createCounterStore({ backend: 'etcd' } as unknown as CounterConfig)).rejects.toThrow(
      /unknown counter backend "etcd"; use memory, sqlite or redis/,
    );
  });
});
