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

/** The sealed fields in the order canonical JSON writes them (sorted by UTF-16 code unit). */
const SEALED_KEYS = Object.keys(hashedContent({} as AuditEntry)).sort() as (keyof AuditEntry)[];
const SEALED_NAMES = SEALED_KEYS.map((k) => `${JSON.stringify(k)}:`);

/**
 * `canonicalJson(hashedContent(e))`, written without building and sorting an object per record:
 * every record is hashed once when it is sealed (twice per forwarded call with write-ahead), and
 * this was a tenth of the append's time. Byte for byte the same text (test/audit/chain.test.ts).
 */
export function sealedText(e: AuditEntry): string {
  let out = '{';
  for (let i = 0; i < SEALED_KEYS.length; i++) {
    const v = (e as unknown as Record<string, unknown>)[SEALED_KEYS[i]!];
    let json: string | undefined;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') json = JSON.stringify(v);
    else if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    else json = canonicalJson(v);
    out += out.length === 1 ? SEALED_NAMES[i] + json : `,${SEALED_NAMES[i]}${json}`;
  }
  return `${out}}`;
}

/** hash = sha256(prevHash + canonical JSON of the record's content). */
export function recordHash(prevHash: string, e: AuditEntry): string {
  return createHash('sha256')
    .update(prevHash + sealedText(e), 'utf8')
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
