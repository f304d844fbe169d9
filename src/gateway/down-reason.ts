import { withStderr } from '../upstream/stderr-tail.js';

/** What the health view knows of a server that is down, for the texts below. */
export interface DownFacts {
  /** Which server (for the refusal text). */
  server: string;
  /** The failure itself: `server "x" exited with code 1 before it answered initialize`. */
  cause: string;
  /** Attempts that failed in a row. */
  failures: number;
  /** When the next attempt is due (ms since the epoch). */
  retryAt: number;
  /** Its last stderr lines (cleaned, secrets masked), stdio servers only. */
  stderr?: readonly string[];
}

/** `in 40 s`, `in 3 min`: how long until the next attempt, as a person reads it. */
export function untilText(ms: number): string {
  if (ms < 1_000) return 'in under a second';
  if (ms < 120_000) return `in ${Math.round(ms / 1000)} s`;
  return `in ${Math.round(ms / 60_000)} min`;
}

/** A stored text names the time only: a relative one would be stale when read. */
function attempt(f: DownFacts, now?: number): string {
  if (f.failures === 0) return 'trying again now'; // a reload or a manual retry
  const times = f.failures === 1 ? 'once' : `${f.failures} times in a row`;
  const at = new Date(f.retryAt).toISOString();
  return `failed ${times}; next attempt ${now === undefined ? `at ${at}` : `${untilText(f.retryAt - now)} (at ${at})`}`;
}

/**
 * The reason shown to the operator (the log, the admin API and the dashboard, `serve`'s start-up
 * list): the cause, when it is tried again, and the server's last stderr lines, where the real
 * cause usually is (an npm 404 behind "exited with code 1"). Stored, so it names no relative time.
 */
export function downReason(f: DownFacts): string {
  return withStderr(`${f.cause} (${attempt(f)})`, f.stderr);
}

/**
 * The reason on /readyz, which answers anyone who can reach the port: without the stderr lines
 * (a server's output is not for the public), but saying where they are.
 */
export function publicDownReason(f: DownFacts, now: number): string {
  const where = f.stderr?.length ? '; its last stderr lines are in the gateway log and GET /api/servers' : '';
  return `${f.cause} (${attempt(f, now)})${where}`;
}

/** The error a client gets when its session would start a server whose next attempt is not due. */
export function refusedStart(f: DownFacts, now: number): string {
  const where = f.stderr?.length ? '; its last stderr lines are in the gateway log' : '';
  return `${f.cause}; toolgate starts it again ${untilText(f.retryAt - now)} (at ${new Date(f.retryAt).toISOString()})${where}`;
}
