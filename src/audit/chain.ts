import { createHash } from 'node:crypto';
import { canonicalJson } from '../util/canonical-json.js';
import type { AuditEntry, AuditRecord } from './types.js';

/** prevHash of the very first record of a log that was never pruned. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The fields that are sealed. `seq` is deliberately not part of the hash: the chain (prevHash)
 * already fixes the order, and leaving the position out lets verify tell an inserted or deleted
 * record apart from an edited one when an attacker renumbers the rows around it.
 */
export function hashedContent(e: AuditEntry): Record<string, unknown> {
  return {
    ts: e.ts,
    grant: e.grant,
    session: e.session,
    server: e.server,
    tool: e.tool,
    method: e.method,
    argsDigest: e.argsDigest,
    args: e.args,
    decision: e.decision,
    rule: e.rule,
    reason: e.reason,
    latencyMs: e.latencyMs,
    upstream: e.upstream,
    approver: e.approver,
    note: e.note,
    // Absent on records of builds before the write-ahead log: canonical JSON drops it, so their
    // hashes do not change.
    call: e.call,
  };
}

/** hash = sha256(prevHash + canonical JSON of the record's content). */
export function recordHash(prevHash: string, e: AuditEntry): string {
  return createHash('sha256')
    .update(prevHash + canonicalJson(hashedContent(e)), 'utf8')
    .digest('hex');
}

/** Links entries onto the chain whose newest record has `head` (seq and hash). */
export function sealEntries(head: { seq: number; hash: string }, entries: AuditEntry[]): AuditRecord[] {
  const out: AuditRecord[] = [];
  let prev = head;
  for (const e of entries) {
    const hash = recordHash(prev.hash, e);
    const rec: AuditRecord = { ...e, seq: prev.seq + 1, prevHash: prev.hash, hash };
    out.push(rec);
    prev = rec;
  }
  return out;
}
