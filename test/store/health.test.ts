/** The store's up/down view (src/store/health.ts): outcomes by period, the reconnect probe. */
import { describe, expect, it } from 'vitest';
import { StoreHealth, type StoreStatus } from '../../src/store/health.js';

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('StoreHealth', () => {
  it('goes down on a failure and back up when the probe succeeds, without traffic', async () => {
    let reachable = false;
    let probes = 0;
    const h = new StoreHealth(
      async () => {
        probes++;
        if (!reachable) throw new Error('still refused');
      },
      { minDelayMs: 5, maxDelayMs: 20 },
    );
    const seen: StoreStatus[] = [];
    h.onChange((s) => seen.push(s));
    h.failed(h.epoch(), 'connection refused');
    expect(h.get()).toMatchObject({ state: 'down', reason: 'connection refused' });
    await until(() => probes >= 3);
    expect(h.get()).toMatchObject({ state: 'down', reason: 'still refused' });
    reachable = true;
    await until(() => h.get().state === 'up');
    expect(h.get().reason).toBeUndefined();
    expect(seen.map((s) => s.state)).toEqual(['down', 'up']);
    h.close();
  });

  it('ignores outcomes of operations that started in an earlier period', () => {
    const h = new StoreHealth(() => Promise.reject(new Error('down')), { minDelayMs: 60_000 });
    const before = h.epoch();
    h.failed(h.epoch(), 'cut');
    // A query that began before the outage and finished during it proves nothing about now.
    h.succeeded(before);
    expect(h.get().state).toBe('down');
    // One that began during the outage does.
    h.succeeded(h.epoch());
    expect(h.get().state).toBe('up');
    // A failure from before the recovery does not undo it.
    const during = h.epoch() - 1;
    h.failed(during, 'late failure');
    expect(h.get().state).toBe('up');
    h.close();
  });

  it('probes at once when told something looks wrong', async () => {
    const h = new StoreHealth(() => Promise.reject(new Error('gone')), { minDelayMs: 60_000 });
    h.suspect();
    await until(() => h.get().state === 'down');
    expect(h.get().reason).toBe('gone');
    h.close();
  });
});
