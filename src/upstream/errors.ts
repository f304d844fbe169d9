/** The upstream could not be started, reached, or died; `message` says which server and what to do. */
export class UpstreamError extends Error {
  constructor(
    readonly code:
      | 'UPSTREAM_SPAWN_FAILED'
      | 'UPSTREAM_UNREACHABLE'
      | 'UPSTREAM_EXITED'
      | 'UPSTREAM_TIMEOUT'
      | 'UPSTREAM_CLOSED',
    message: string,
    /** The HTTP status the server answered with, when it did answer: it is reachable, then. */
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}
