import { CounterBackendError } from '../limits/index.js';
import { isStoreUnavailable } from '../store/index.js';

/** Clients (and load balancers) are told to come back after this many seconds. */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

/**
 * A request that needed a backend that is down (the store: a stored grant's token, the admin
 * API's grants and audit; the limit store) is answered 503 with the backend's own reason, never
 * 500: the gateway is fine, it refuses because it cannot decide or record. Undefined for any
 * other error, which stays a 500 (a bug to read in the log).
 */
export function unavailableMessage(err: unknown): string | undefined {
  if (!isStoreUnavailable(err) && !(err instanceof CounterBackendError)) return undefined;
  return `Service unavailable: ${(err as Error).message}. The gateway refuses what needs it until it is back (see /readyz); retry in a few seconds`;
}
