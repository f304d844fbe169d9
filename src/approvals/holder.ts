import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * Who holds a call: `<host>:<pid>:<instance>`. Held calls cannot outlive their process, so a new
 * gateway expires the held approvals of earlier processes on its host at once; approvals held on
 * other hosts expire when their holder's lease lapses (see ApprovalService).
 */

/** Gateways alive in this process (tests run several): their held calls are not orphans. */
const LIVE = new Set<string>();

export function newHolderId(): string {
  const id = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  LIVE.add(id);
  return id;
}

export function releaseHolderId(id: string): void {
  LIVE.delete(id);
}

/** True when `holder` is certainly gone: an earlier process on this host. */
export function holderIsGone(holder: string): boolean {
  if (LIVE.has(holder)) return false;
  const m = /^(.*):(\d+):([0-9a-f]+)$/.exec(holder);
  if (!m || m[1] !== hostname()) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return true; // this process, but no live gateway of it holds the call
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    // EPERM: the pid exists (someone else's process); only ESRCH proves it is gone.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export function newApprovalId(): string {
  // 10 random bytes: unguessable enough that an id is no capability risk, short enough to type.
  return `apr_${randomBytes(10).toString('base64url')}`;
}
