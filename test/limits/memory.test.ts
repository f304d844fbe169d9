import { describe, expect, it } from 'vitest';
import { createCounterStore } from '../../src/limits/index.js';
import { MemoryCounterStore } from '../../src/limits/memory-store.js';
import { counterStoreSuite, T0 } from './counter-store.suite.js';

counterStoreSuite('memory', () => createCounterStore({ backend: 'memory' }));

describe('memory counter store', () => {
  it('is what createCounterStore returns for backend memory', async () => {
    const store = await createCounterStore({ backend: 'memory' });
    expect(store.kind).toBe('memory');
    expect(store).toBeInstanceOf(MemoryCounterStore);
    await store.close();
  });

  it('sweeps windows that have ended, lazily, on a later consume', async () => {
    const store = new MemoryCounterStore();
    const c = { key: 'sweep', windowSeconds: 1, max: 5, amount: 1 };
    for (let s = 0; s < 10; s++) await store.consume([{ ...c, key: `sweep-${s}` }], T0);
    expect(store.size).toBe(10);
    await store.consume([c], T0 + 120_000); // past the sweep interval: the ten old slots go
    expect(store.size).toBe(1);
    await store.close();
  });
});
