import { redactUrl as redactUrlText } from '../redact/index.js';

export type StoreErrorCode =
  | 'GRANT_EXISTS'
  | 'TOKEN_REUSED'
  | 'STORE_UNAVAILABLE'
  | 'STORE_CLOSED'
  | 'SCHEMA_TOO_NEW'
  | 'INVALID_CONFIG'
  | 'STORE_FAILED';

/** Internal store errors. Messages say what to do next; they never include passwords or tokens. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The store cannot be reached right now (PostgreSQL down or cut, the SQLite file locked by another
 * process past the wait, an I/O error). Nothing was decided wrongly: the operation did not happen.
 * The HTTP layer answers 503 with this message (src/http/unavailable.ts); the store's health
 * (`Store.health()`) says the same until it answers again.
 */
export class StoreUnavailableError extends StoreError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STORE_UNAVAILABLE', message, options);
  }
}

export function isStoreUnavailable(err: unknown): err is StoreError {
  return isStoreError(err, 'STORE_UNAVAILABLE');
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}

/** postgres://user:secret@host/db -> postgres://user:[REDACTED]@host/db, for messages and logs. */
export function redactUrl(url: string): string {
  return redactUrlText(url);
}
