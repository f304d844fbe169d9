import type { AuditStore } from '../audit/types.js';
import type { ApprovalStore } from './approval-types.js';
import type { StoreStatus } from './health.js';
import type { PinStore } from './pin-types.js';

/** A grant made at run time (CLI or API). Grants from toolgate.yaml never live in the store. */
export interface GrantRecord {
  name: string;
  tokenSha256: string;
  servers: string[];
  /** A policy file path or inline JSON text; absent means "use each server's policy". */
  policy?: string;
  createdAt: number;
  expiresAt?: number;
  revokedAt?: number;
  source: 'store';
}

export interface NewGrant {
  name: string;
  tokenSha256: string;
  servers: string[];
  policy?: string;
  expiresAt?: number;
  /** Defaults to Date.now(); tests and the CLI pass their clock. */
  createdAt?: number;
}

export interface GrantStore {
  /** Throws StoreError 'GRANT_EXISTS' when the name is taken. */
  create(g: NewGrant): Promise<GrantRecord>;
  /** The grant with this token hash, revoked and expired ones included: the caller says why it fails. */
  findByTokenHash(sha256Hex: string): Promise<GrantRecord | undefined>;
  get(name: string): Promise<GrantRecord | undefined>;
  /** All grants, by name. */
  list(): Promise<GrantRecord[]>;
  /** Marks the grant revoked; false when there is no such grant or it was already revoked. */
  revoke(name: string, nowMs: number): Promise<boolean>;
  /**
   * Grants created or revoked at or after `ms` (by the writer's clock). Replicas poll this about
   * once a second; poll from a little before the last poll to absorb clock skew between hosts.
   */
  changedSince(ms: number): Promise<GrantRecord[]>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly grants: GrantStore;
  readonly audit: AuditStore;
  readonly approvals: ApprovalStore;
  /** Accepted tool definitions (rug-pull detection, quarantine of new tools). */
  readonly pins: PinStore;
  /** Cheap round trip for /readyz; throws StoreUnavailableError. */
  ping(): Promise<void>;
  /**
   * Whether the store can be reached, as its operations and its reconnect probe last saw it. No
   * I/O: cheap enough for every call (the write-ahead audit consults it) and every /readyz.
   */
  health(): StoreStatus;
  /** Told on every change between up and down; returns the unsubscribe function. */
  onHealthChange(listener: (s: StoreStatus) => void): () => void;
  close(): Promise<void>;
}

export type StoreConfig =
  | { sqlite: string }
  | {
      postgres: string;
      /** Tables live in this schema (created if missing); default: the connection's search_path. */
      schema?: string;
      /** Pool size; default 10. */
      maxConnections?: number;
      /**
       * A query without an answer after this long fails as unavailable and its connection is
       * dropped: a server that vanished without closing the connection (a frozen host, a
       * firewall dropping packets) must not hold calls forever. Default 30 s.
       */
      queryTimeoutMs?: number;
    };
