/**
 * How long to wait before starting a server again after it failed to start (or to answer), in a
 * row. Pure: the caller supplies the count and the random draw. Exponential, so a server that
 * cannot start (an `npx` package that is not on the registry, a URL nothing listens on) costs a
 * few attempts an hour rather than one every few seconds; with jitter, so many gateways (or many
 * servers of one gateway) that failed together do not retry in lock step.
 */
export interface BackoffPolicy {
  /** The wait after the first failure. */
  firstMs: number;
  /** The longest wait, however many failures. */
  maxMs: number;
  /** The share of each wait that is random: 0.2 draws each wait from 80-100% of its nominal value. */
  jitter: number;
}

/** The health view's policy for servers (the cap is `health.retry_max`). */
export const START_BACKOFF: BackoffPolicy = { firstMs: 2_000, maxMs: 300_000, jitter: 0.2 };

/**
 * The nominal wait (no jitter) after `failures` failures in a row: firstMs, 2x, 4x, ... up to maxMs.
 * 0 before the first failure.
 */
export function nominalDelay(failures: number, policy: BackoffPolicy): number {
  if (!(failures >= 1)) return 0;
  // The exponent is bounded so 2 ** n stays finite for any count.
  return Math.min(policy.maxMs, policy.firstMs * 2 ** Math.min(failures - 1, 40));
}

/**
 * The wait after `failures` failures in a row, jittered down (never above the nominal wait, so the
 * cap holds): `random` is a draw from [0, 1), Math.random in production, fixed in tests.
 */
export function backoffDelay(
  failures: number,
  policy: BackoffPolicy,
  random: () => number = Math.random,
): number {
  const nominal = nominalDelay(failures, policy);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.round(nominal * (1 - policy.jitter * r));
}
