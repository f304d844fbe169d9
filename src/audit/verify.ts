import { GENESIS_HASH, recordHash } from './chain.js';
import type { AuditCheckpoint, AuditRecord, AuditStore } from './types.js';

export type AuditProblemKind = 'edited' | 'deleted' | 'inserted';

export interface AuditProblem {
  /** The record the problem is found at (for a deletion: the first record after the gap). */
  seq: number;
  kind: AuditProblemKind;
  message: string;
}

/** A call whose write-ahead record has no outcome record: it may or may not have run upstream. */
export interface UnfinishedCall {
  /** The write-ahead record's seq, and the call id its outcome record would carry. */
  seq: number;
  call: string;
  ts: number;
  grant: string;
  server: string;
  tool?: string;
}

export interface AuditVerifyResult {
  /** The chain is intact. Calls without an outcome do not make it false: nothing was tampered with. */
  ok: boolean;
  /** Records examined. */
  records: number;
  problems: AuditProblem[];
  head?: { seq: number; hash: string };
  checkpoint?: AuditCheckpoint;
  /**
   * Forwarded calls whose outcome was never recorded, oldest first: still in flight, or the gateway
   * stopped (a crash, `kill -9`) before the server answered or before it wrote the outcome.
   */
  unfinished: UnfinishedCall[];
}

/** A record the chain runs through. `alt` is the recomputed hash of an edited record: the next
 * record may link to either, and an edit whose hash column was rewritten is still one problem. */
type Link = { seq: number; hash: string; alt?: string };
const linksTo = (l: Link | undefined, h: string) => l !== undefined && (l.hash === h || l.alt === h);

/**
 * Walks the chain in seq order and names each broken record:
 * - edited: the record's content no longer hashes to its stored hash;
 * - deleted: a seq gap, or a record whose prevHash points at nothing we have seen;
 * - inserted: a record the chain does not run through (its neighbours link around it).
 * Whoever can write the database can also rebuild the whole chain, or cut records off its end;
 * the chain makes silent edits detectable, and keeping the head hash elsewhere (`audit verify`
 * prints it) pins everything up to it.
 */
export async function verifyAudit(source: { audit: AuditStore } | AuditStore): Promise<AuditVerifyResult> {
  const audit = 'audit' in source ? source.audit : source;
  const checkpoint = await audit.checkpoint();
  const problems: AuditProblem[] = [];
  // The last few records the chain runs through, newest last; the first is the virtual start.
  const accepted: Link[] = [
    checkpoint ? { seq: checkpoint.seq - 1, hash: checkpoint.prevHash } : { seq: 0, hash: GENESIS_HASH },
  ];
  // Rows found inserted since the last accepted record; renumbering around them is not another problem.
  let skipped = 0;
  let pending: AuditRecord | undefined;
  let records = 0;
  const report = (seq: number, kind: AuditProblemKind, message: string) =>
    problems.push({ seq, kind, message });

  const judge = (r: AuditRecord, next: AuditRecord | undefined) => {
    const prev = accepted.at(-1)!;
    const beforePrev = accepted.at(-2);
    let computed = recordHash(r.prevHash, r);
    if (!linksTo(prev, r.prevHash) && recordHash(prev.hash, r) === r.hash) {
      report(r.seq, 'edited', `record ${r.seq} was edited: its prev_hash was changed`);
      computed = r.hash;
    } else if (!linksTo(prev, r.prevHash)) {
      if (linksTo(beforePrev, r.prevHash)) {
        // r links to the record before prev: prev was slipped in between them.
        report(
          prev.seq,
          'inserted',
          `record ${prev.seq} was inserted: record ${r.seq} links to record ${beforePrev!.seq}, not to it`,
        );
        accepted.pop();
        skipped++;
      } else if (next && linksTo(prev, next.prevHash)) {
        // The chain runs from prev straight to next: r is not part of it.
        report(
          r.seq,
          'inserted',
          `record ${r.seq} was inserted: record ${next.seq} links to record ${prev.seq}, not to it`,
        );
        skipped++;
        return;
      } else {
        const gap = r.seq - prev.seq - 1;
        const missing =
          gap === 1
            ? `record ${prev.seq + 1} is missing`
            : gap > 1
              ? `records ${prev.seq + 1}..${r.seq - 1} are missing`
              : // Without a gap the cause is ambiguous; name both so the reader knows where to look.
                `a record was deleted and the seq numbers after it rewritten, or record ${prev.seq} was rewritten together with its hash`;
        report(
          r.seq,
          'deleted',
          `deleted before record ${r.seq}: ${missing}; record ${r.seq} does not link to record ${prev.seq}`,
        );
      }
    } else if (r.seq !== prev.seq + 1 + skipped && r.seq !== prev.seq + 1) {
      // The link is intact but the numbering is not: seq itself was changed.
      report(
        r.seq,
        'edited',
        `record ${r.seq} follows record ${prev.seq} in the chain but its seq was changed`,
      );
    }
    let alt: string | undefined;
    if (computed !== r.hash) {
      report(r.seq, 'edited', `record ${r.seq} was edited: its content does not match its hash`);
      alt = computed;
    }
    skipped = 0;
    // Continue from this record, so one tampered record is reported once, not at every later one.
    accepted.push(alt ? { seq: r.seq, hash: r.hash, alt } : { seq: r.seq, hash: r.hash });
    if (accepted.length > 3) accepted.shift();
  };

  // Write-ahead records waiting for their outcome record, by call id (in seq order).
  const open = new Map<string, UnfinishedCall>();
  const track = (r: AuditRecord) => {
    if (r.call === undefined) return;
    if (r.decision === 'outcome') open.delete(r.call);
    else if (r.upstream === 'pending') {
      const u: UnfinishedCall = { seq: r.seq, call: r.call, ts: r.ts, grant: r.grant, server: r.server };
      if (r.tool !== undefined) u.tool = r.tool;
      open.set(r.call, u);
    }
  };

  // One record of look-ahead: deciding whether r was inserted needs to see who links after it.
  for await (const r of audit.iterate()) {
    records++;
    track(r);
    if (pending) judge(pending, r);
    pending = r;
  }
  if (pending) judge(pending, undefined);

  const head = accepted.at(-1)!;
  return {
    ok: problems.length === 0,
    records,
    problems,
    ...(records > 0 ? { head } : {}),
    ...(checkpoint ? { checkpoint } : {}),
    unfinished: [...open.values()],
  };
}
