import { StoreError } from './errors.js';
import { openPostgresStore } from './postgres-store.js';
import { openSqliteStore } from './sqlite-store.js';
import type { Store, StoreConfig } from './types.js';

export type { AuditCheckpoint, AuditQuery, AuditRecord, AuditStore } from '../audit/types.js';
export {
  APPROVAL_STATUSES,
  type ApprovalFilter,
  type ApprovalMatch,
  type ApprovalMode,
  type ApprovalRecord,
  type ApprovalStatus,
  type ApprovalStore,
  type NewApproval,
} from './approval-types.js';
export {
  isStoreError,
  isStoreUnavailable,
  StoreError,
  type StoreErrorCode,
  StoreUnavailableError,
} from './errors.js';
export type { StoreStatus } from './health.js';
export { type Migration, postgresMigrations, sqliteMigrations } from './migrations.js';
export type { PinStore, ToolPin } from './pin-types.js';
export type { GrantRecord, GrantStore, NewGrant, Store, StoreConfig } from './types.js';

/** Opens the configured store and brings its schema up to date before returning it. */
export async function openStore(cfg: StoreConfig): Promise<Store> {
  if ('sqlite' in cfg && typeof cfg.sqlite === 'string' && cfg.sqlite !== '')
    return await openSqliteStore(cfg.sqlite);
  if ('postgres' in cfg && typeof cfg.postgres === 'string' && cfg.postgres !== '') {
    return openPostgresStore({
      url: cfg.postgres,
      schema: cfg.schema,
      maxConnections: cfg.maxConnections,
      queryTimeoutMs: cfg.queryTimeoutMs,
    });
  }
  throw new StoreError('INVALID_CONFIG', 'storage must be {sqlite: <file>} or {postgres: <url>}');
}
