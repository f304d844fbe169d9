// Pure window maths: no clock is read here, the caller passes `nowMs`. Windows are fixed and
// aligned to the UTC epoch, so every replica (and every restart) agrees on where a window starts
// without sharing any state beyond the counters themselves.

/** Start (epoch ms) of the fixed window of `windowSeconds` that contains `nowMs`. */
export function windowStart(nowMs: number, windowSeconds: number): number {
  const size = windowSeconds * 1000;
  return Math.floor(nowMs / size) * size;
}

/** End (epoch ms, exclusive) of the window that contains `nowMs`. */
export function windowEnd(nowMs: number, windowSeconds: number): number {
  return windowStart(nowMs, windowSeconds) + windowSeconds * 1000;
}

/**
 * Whole seconds until the current window ends, at least 1: a client told "retry in 0s" would
 * retry at once and be refused again within the same window.
 */
export function retryAfterSeconds(nowMs: number, windowSeconds: number): number {
  return Math.max(1, Math.ceil((windowEnd(nowMs, windowSeconds) - nowMs) / 1000));
}
