/**
 * The upstream could not be started, reached, or died; `message` says which server and what to do.
 * Two codes are about one message rather than the server: `UPSTREAM_OUTCOME_UNKNOWN` (it was sent
 * and the connection failed before the answer: the server may have run it, and it is never sent
 * again) and `MESSAGE_UNSENDABLE` (it could not be encoded: the client's fault, not the server's).
 * `UPSTREAM_BACKING_OFF`: the server is down and its next start attempt is not due yet, so this
 * request did not start it (the health view's backoff; nothing new learnt about the server).
 */
export class UpstreamError extends Error {
  constructor(
    readonly code:
      | 'UPSTREAM_SPAWN_FAILED'
      | 'UPSTREAM_UNREACHABLE'
      | 'UPSTREAM_EXITED'
      | 'UPSTREAM_TIMEOUT'
      | 'UPSTREAM_CLOSED'
      | 'UPSTREAM_OUTCOME_UNKNOWN'
      | 'UPSTREAM_BACKING_OFF'
      | 'MESSAGE_UNSENDABLE',
    message: string,
    /** The HTTP status the server answered with, when it did answer: it is reachable, then. */
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }

  /** A stdio server's last stderr lines when it exited (cleaned, secrets masked; stderr-tail.ts). */
  stderr?: readonly string[];
}
