import type { Logger } from 'pino';
import type { CounterStore } from '../limits/index.js';
import type { Store, StoreStatus } from '../store/index.js';

/** /readyz answers within about this long even when a backend hangs (a frozen Redis or PostgreSQL). */
const PING_DEADLINE_MS = 2_000;

/**
 * Logs the store going down and coming back (with how long it was out), so the operator paged at
 * night finds both ends of the outage in the log. Returns the unsubscribe function.
 */
export function logStoreHealth(store: Store, log: Logger): () => void {
  let downSince: number | undefined;
  return store.onHealthChange((s: StoreStatus) => {
    if (s.state === 'down') {
      downSince = s.since;
      log.error(
        { store: store.kind, reason: s.reason },
        'store down: calls and requests that need it are refused (503) until it answers again',
      );
    } else {
      log.warn(
        { store: store.kind, downMs: downSince === undefined ? undefined : s.since - downSince },
        'store back',
      );
      downSince = undefined;
    }
  });
}

/**
 * The `store` and `counters` problems of /readyz. A store known to be down is reported without
 * another round trip (its own probe is already retrying with backoff); otherwise each backend is
 * pinged, bounded, so one hung backend cannot hold the probe past the orchestrator's timeout.
 */
export async function backendProblems(store: Store, counters: CounterStore): Promise<Record<string, string>> {
  const problems: Record<string, string> = {};
  const status = store.health();
  const [c, s] = await Promise.allSettled([
    bounded(counters.ping(), 'the limit store'),
    status.state === 'down'
      ? Promise.reject(new Error(`${status.reason} (down since ${new Date(status.since).toISOString()})`))
      : bounded(store.ping(), `the ${store.kind} store`),
  ]);
  if (c.status === 'rejected') problems.counters = (c.reason as Error).message;
  if (s.status === 'rejected') problems.store = (s.reason as Error).message;
  return problems;
}

function bounded(p: Promise<void>, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`${what} did not answer within ${PING_DEADLINE_MS} ms; check that it is running`)),
      PING_DEADLINE_MS,
    );
  });
  p.catch(() => {}); // answered after the deadline: nobody is waiting any more
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
