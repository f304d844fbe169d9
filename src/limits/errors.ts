/**
 * The counter backend could not answer. The gateway fails closed on it (unless the operator chose
 * `on_backend_error: allow`), so the message must tell an operator what is down.
 */
export class CounterBackendError extends Error {
  readonly code = 'COUNTER_BACKEND_UNAVAILABLE' as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CounterBackendError';
  }
}
