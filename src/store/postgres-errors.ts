import { redactUrl, StoreError, StoreUnavailableError } from './errors.js';

/** Node socket errors and PostgreSQL SQLSTATEs that mean "the database is not there right now". */
const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
  '3D000', // invalid_catalog_name: the database does not exist
  '28000', // invalid_authorization_specification
  '28P01', // invalid_password
]);

/** Maps driver errors to StoreError, keeping the original as `cause` (constraint names live there). */
export function mapPgError(err: unknown, url: string): StoreError {
  if (err instanceof StoreError) return err;
  const e = err as { code?: string; message?: string };
  const code = e.code ?? '';
  const message = e.message ?? String(err);
  if (
    UNAVAILABLE.has(code) ||
    code.startsWith('08') ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(
      message,
    )
  ) {
    return new StoreUnavailableError(
      `PostgreSQL at ${redactUrl(url)} is unavailable (${code || message}); check that it is running and reachable`,
      { cause: err },
    );
  }
  return new StoreError('STORE_FAILED', `PostgreSQL: ${message}`, { cause: err });
}
