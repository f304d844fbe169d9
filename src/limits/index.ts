// Public surface of the limits concept: counter stores behind one interface, and the pure window
// maths callers use to explain a limit. Backends are loaded on demand by createCounterStore.
import { CounterBackendError } from './errors.js';
import { MemoryCounterStore } from './memory-store.js';
import { RedisCounterStore } from './redis-store.js';
import { SqliteCounterStore } from './sqlite-store.js';
import type { CounterConfig, CounterStore } from './types.js';

export { CounterBackendError } from './errors.js';
export type { ConsumeResult, CounterCharge, CounterConfig, CounterStore } from './types.js';
export { retryAfterSeconds, windowStart } from './window.js';

export async function createCounterStore(cfg: CounterConfig): Promise<CounterStore> {
  switch (cfg.backend) {
    case 'memory':
      return new MemoryCounterStore();
    case 'sqlite':
      return SqliteCounterStore.open(cfg.path);
    case 'redis':
      return RedisCounterStore.open(cfg.url, cfg.prefix);
    default: {
      const unknown: never = cfg;
      throw new CounterBackendError(
        `unknown counter backend ${JSON.stringify((unknown as { backend?: unknown }).backend)}; use memory, sqlite or redis`,
      );
    }
  }
}
