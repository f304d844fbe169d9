/**
 * Versioned schema changes, one ordered array per dialect. A migration is never edited after it
 * ships; a change is a new entry with the next version. `schema_migrations` records what ran.
 * Migration 1 holds what issue 5 needs; migration 2 adds tables later features fill in.
 */
import { StoreError } from './errors.js';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`;

/** The column list shared by both dialects; only the types differ. */
function grantsTable(int: string): string {
  return `CREATE TABLE grants (
    name TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    servers TEXT NOT NULL,
    policy TEXT,
    created_at ${int} NOT NULL,
    expires_at ${int},
    revoked_at ${int},
    updated_at ${int} NOT NULL)`;
}

function auditTable(int: string, real: string): string {
  return `CREATE TABLE audit (
    seq ${int} PRIMARY KEY,
    ts ${int} NOT NULL,
    grant_name TEXT NOT NULL,
    session TEXT,
    server TEXT NOT NULL,
    tool TEXT,
    method TEXT NOT NULL,
    args_digest TEXT NOT NULL,
    args TEXT,
    decision TEXT NOT NULL,
    rule TEXT,
    reason TEXT,
    latency_ms ${real} NOT NULL,
    upstream TEXT NOT NULL,
    approver TEXT,
    note TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL)`;
}

function checkpointTable(int: string): string {
  return `CREATE TABLE audit_checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq ${int} NOT NULL,
    prev_hash TEXT NOT NULL,
    pruned_at ${int} NOT NULL,
    pruned_count ${int} NOT NULL)`;
}

function approvalsTable(int: string): string {
  return `CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    grant_name TEXT NOT NULL,
    session TEXT,
    server TEXT NOT NULL,
    tool TEXT NOT NULL,
    args TEXT,
    args_digest TEXT NOT NULL,
    status TEXT NOT NULL,
    rule TEXT,
    reason TEXT,
    created_at ${int} NOT NULL,
    expires_at ${int} NOT NULL,
    decided_at ${int},
    approver TEXT,
    note TEXT,
    updated_at ${int} NOT NULL)`;
}

function toolPinsTable(int: string): string {
  return `CREATE TABLE tool_pins (
    id TEXT PRIMARY KEY,
    server TEXT NOT NULL,
    tool TEXT NOT NULL,
    hash TEXT NOT NULL,
    definition TEXT NOT NULL,
    accepted_at ${int} NOT NULL,
    UNIQUE (server, tool, hash))`;
}

const commonIndexes1 = [
  'CREATE INDEX grants_updated_at ON grants (updated_at)',
  'CREATE INDEX audit_ts ON audit (ts)',
];
const commonIndexes2 = [
  'CREATE INDEX approvals_status ON approvals (status, expires_at)',
  'CREATE INDEX approvals_updated_at ON approvals (updated_at)',
  'CREATE INDEX tool_pins_server_tool ON tool_pins (server, tool, accepted_at)',
];

/** Migration 3: what approvals need beyond migration 2's columns (mode, single use, the holder's lease). */
function approvalsColumns(int: string): string[] {
  return [
    "ALTER TABLE approvals ADD COLUMN mode TEXT NOT NULL DEFAULT 'hold'",
    `ALTER TABLE approvals ADD COLUMN consumed_at ${int}`,
    'ALTER TABLE approvals ADD COLUMN holder TEXT',
    `ALTER TABLE approvals ADD COLUMN held_until ${int}`,
    'CREATE INDEX approvals_match ON approvals (grant_name, server, tool, args_digest)',
  ];
}

/** Migration 4: the write-ahead audit log links a call's intent record to its outcome record. */
const auditCallColumn = ['ALTER TABLE audit ADD COLUMN call_id TEXT'];

export const sqliteMigrations: Migration[] = [
  {
    version: 1,
    name: 'grants and audit',
    statements: [
      grantsTable('INTEGER'),
      auditTable('INTEGER', 'REAL'),
      checkpointTable('INTEGER'),
      ...commonIndexes1,
    ],
  },
  {
    version: 2,
    name: 'approvals and tool pins',
    statements: [approvalsTable('INTEGER'), toolPinsTable('INTEGER'), ...commonIndexes2],
  },
  { version: 3, name: 'approval mode and lease', statements: approvalsColumns('INTEGER') },
  { version: 4, name: 'audit call id', statements: auditCallColumn },
];

export const postgresMigrations: Migration[] = [
  {
    version: 1,
    name: 'grants and audit',
    statements: [
      grantsTable('BIGINT'),
      auditTable('BIGINT', 'DOUBLE PRECISION'),
      checkpointTable('BIGINT'),
      ...commonIndexes1,
    ],
  },
  {
    version: 2,
    name: 'approvals and tool pins',
    statements: [approvalsTable('BIGINT'), toolPinsTable('BIGINT'), ...commonIndexes2],
  },
  { version: 3, name: 'approval mode and lease', statements: approvalsColumns('BIGINT') },
  { version: 4, name: 'audit call id', statements: auditCallColumn },
];

/** Migrations not yet applied, in order; throws when the database is newer than this build. */
export function pendingMigrations(all: Migration[], applied: number[]): Migration[] {
  const latest = all.at(-1)?.version ?? 0;
  const newest = Math.max(0, ...applied);
  if (newest > latest) {
    throw new StoreError(
      'SCHEMA_TOO_NEW',
      `the database schema is at version ${newest} but this toolgate knows only up to ${latest}: ` +
        'upgrade toolgate, or point it at another database',
    );
  }
  const done = new Set(applied);
  return all.filter((m) => !done.has(m.version));
}
