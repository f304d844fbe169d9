// What the gateway knows about a policy file or a stored grant's policy reference: whether what
// is on disk is what is enforced. Types only; the gateway's watcher fills them, the admin API and
// the dashboard show them.
import type { CompiledPolicy, PolicyIssue } from './types.js';

/** What the file on disk says compared with what is enforced. */
export type PolicyFileState = 'in_sync' | 'invalid' | 'missing';

export interface PolicyFileError {
  /** `file:line:col path: message` lines, as the CLI prints them. */
  message: string;
  issues: PolicyIssue[];
  /** When it was first seen (ms since the epoch). */
  at: number;
}

export interface PolicyFileStatus {
  file: string;
  state: PolicyFileState;
  /** The version being enforced: the last one that loaded. Absent when none ever did. */
  enforced?: { policy: CompiledPolicy; text: string; loadedAt: number };
  /** What is wrong on disk now (state `invalid` or `missing`). */
  error?: PolicyFileError;
  /** The most recent error, kept after the file is fixed (for the dashboard and the API). */
  lastError?: PolicyFileError;
  checkedAt: number;
}

/** How a stored grant's policy reference loads: kept per reference so a failure is not retried per call. */
export interface PolicyRefStatus {
  kind: 'file' | 'inline';
  /** in_sync / invalid / missing for a file; an inline document is in_sync or invalid forever. */
  state: PolicyFileStatus['state'];
  /** Whether some version is enforced (false: every call under it is denied). */
  enforced: boolean;
  error?: PolicyFileError;
  lastError?: PolicyFileError;
  /** When the file was last read (files only): a failure is not re-read until the file changes. */
  checkedAt?: number;
}

/** Where a server's policy comes from, what is enforced, and (for a file) the state of the file. */
export interface PolicySource {
  file?: string;
  inline?: Record<string, unknown>;
  policy: CompiledPolicy;
  /** The enforced version's text (a file's last good version). */
  text?: string;
  status?: PolicyFileStatus;
}
