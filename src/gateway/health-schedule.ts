import type { ServerState } from '../upstream/probe.js';

export interface HealthTimes {
  /**
   * A server that is down is probed again this long after its last probe, unless its state names
   * when (`retryAt`: the health view's backoff, which starts at this value and grows).
   */
  downRetryMs: number;
  /**
   * A server that is up is probed again once it has had neither traffic nor a probe for this long,
   * so an idle gateway notices a server that went away; 0 leaves idle servers alone.
   */
  idleMs: number;
}

export interface ServerView {
  name: string;
  state: ServerState | undefined;
  /** When the server last answered live traffic (any session's request), if ever. */
  answeredAt: number | undefined;
  /** A probe of it is running now. */
  probing: boolean;
  /**
   * A stdio server: probing it starts its command (often `npx`, seconds of CPU), so an idle one is
   * not probed; a command that stopped working shows when the next session starts it.
   */
  stdio?: boolean;
}

/**
 * Which servers the background check probes now. Pure: the caller supplies the clock and what it
 * knows. One probe per server at a time; traffic counts as a check, so a busy server is never
 * probed (its requests already tell whether it is up).
 */
export function probesDue(servers: Iterable<ServerView>, now: number, times: HealthTimes): string[] {
  const due: string[] = [];
  for (const { name, state, answeredAt, probing, stdio } of servers) {
    if (probing) continue;
    // New in the config (a reload added it), or its start-up probe never ran: look now.
    if (!state || state.status === 'starting') due.push(name);
    else if (state.status === 'down') {
      if (now >= (state.retryAt ?? (state.checkedAt ?? 0) + times.downRetryMs)) due.push(name);
    } else if (times.idleMs > 0 && !stdio) {
      const seen = Math.max(state.checkedAt ?? 0, answeredAt ?? 0);
      if (now - seen >= times.idleMs) due.push(name);
    }
  }
  return due;
}
