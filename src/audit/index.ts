export { canonicalJson } from '../util/canonical-json.js';
export {
  type AuditListener,
  AuditLog,
  type AuditLogOptions,
  type AuditLogStats,
  toEntry,
} from './audit-log.js';
export { GENESIS_HASH, recordHash, sealEntries } from './chain.js';
export {
  AUDIT_DECISIONS,
  type AuditCheckpoint,
  type AuditDecision,
  type AuditEntry,
  type AuditInput,
  type AuditQuery,
  type AuditRecord,
  type AuditStore,
  type UpstreamOutcome,
} from './types.js';
export {
  type AuditProblem,
  type AuditProblemKind,
  type AuditVerifyResult,
  type UnfinishedCall,
  verifyAudit,
} from './verify.js';
