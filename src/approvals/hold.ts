import type { Logger } from 'pino';
import type { ApprovalRecord, Store } from '../store/index.js';
import { approvalDeniedResult } from './results.js';

export type HoldOutcome =
  | { kind: 'approved'; record: ApprovalRecord }
  | { kind: 'denied'; record: ApprovalRecord; result: Record<string, unknown> }
  /** This process moved it out of pending (timeout, withdrawal) and must audit that. */
  | { kind: 'ended'; record: ApprovalRecord; why: string }
  /** Someone else expired or withdrew it (and audited it). */
  | { kind: 'gone'; why: string };

export interface HoldOptions {
  store: Store;
  approval: ApprovalRecord;
  /** Client cancel or disconnect, or gateway shutdown. */
  signal: AbortSignal;
  progress?: (progress: number, message: string) => void;
  pollMs: number;
  progressEveryMs: number;
  now: () => number;
  log: Logger;
  /** Why the signal fired, for the record: the client left, or the gateway is shutting down. */
  whyAborted(): string;
}

/**
 * Waits for a person. Polling the store (not a local event) is what makes an approval given on
 * another replica, or from the CLI, release the call: at 250 ms the call moves within a second.
 * A store error while waiting is retried until the deadline; it never approves anything.
 */
const STORE_GRACE_MS = 30_000;

/** One look at the approval; undefined while it is still pending and in time. */
async function check(o: HoldOptions, now: number): Promise<HoldOutcome | undefined> {
  const { approval: a, store } = o;
  if (now >= a.expiresAt) {
    const ended = await store.approvals.end(a.id, { status: 'expired', now, note: 'nobody decided in time' });
    if (ended) return { kind: 'ended', record: ended, why: 'expired: nobody decided in time' };
  }
  const current = await store.approvals.get(a.id);
  switch (current?.status) {
    case 'approved': {
      const used = await store.approvals.consume({ id: a.id }, now);
      return used
        ? { kind: 'approved', record: used }
        : { kind: 'gone', why: 'was approved but can no longer be used' };
    }
    case 'denied':
      return {
        kind: 'denied',
        record: current,
        result: approvalDeniedResult(current.approver, current.note),
      };
    case 'expired':
      return { kind: 'gone', why: `expired: ${current.note ?? 'nobody decided in time'}` };
    case 'withdrawn':
      return { kind: 'gone', why: 'was withdrawn' };
    case undefined:
      return { kind: 'gone', why: 'is no longer in the store' };
    default:
      return undefined;
  }
}

export async function waitForDecision(o: HoldOptions): Promise<HoldOutcome> {
  const { approval: a, store } = o;
  const started = o.now();
  let lastProgress = Number.NEGATIVE_INFINITY;
  for (;;) {
    if (o.signal.aborted) {
      const why = o.whyAborted();
      const ended = await store.approvals
        .end(a.id, { status: 'withdrawn', now: o.now(), note: why })
        .catch(() => undefined);
      if (ended) return { kind: 'ended', record: ended, why };
      const current = await store.approvals.get(a.id).catch(() => undefined);
      // Approved just as the client left: nothing is forwarded to a client that is gone.
      return { kind: 'gone', why: current ? `is ${current.status}` : why };
    }
    const now = o.now();
    try {
      const settled = await check(o, now);
      if (settled) return settled;
    } catch (err) {
      o.log.warn(
        { approval: a.id, err: (err as Error).message },
        'approvals: cannot read the store; still waiting',
      );
      // Past the deadline and still no store: give up on the call; the sweep expires the row later.
      if (now > a.expiresAt + STORE_GRACE_MS)
        return { kind: 'gone', why: 'expired: the store could not be reached' };
    }
    if (o.progress && now - lastProgress >= o.progressEveryMs) {
      lastProgress = now;
      const waited = Math.round((now - started) / 100) / 10;
      const left = Math.max(0, Math.round((a.expiresAt - now) / 1000));
      try {
        o.progress(waited, `waiting for a person to approve ${a.id} (${left}s left)`);
      } catch {
        // A client that cannot take progress is no reason to drop the call.
      }
    }
    const wait = Math.max(10, Math.min(o.pollMs, a.expiresAt - now));
    await sleep(now >= a.expiresAt ? o.pollMs : wait, o.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
