import { type Config, isStdioServer } from '../config/index.js';

const MIB = 1024 * 1024;
/** What one session of a stdio server costs: its child process (65 MB measured for server-everything). */
export const STDIO_SESSION_BYTES = 64 * MIB;
/** What any session costs besides its replay buffer: links, pools, parsers, SSE buffers. */
export const SESSION_OVERHEAD_BYTES = MIB;
/** Share of the machine's memory the default `sessions.max` lets sessions take. */
const MEMORY_SHARE = 0.5;
const MIN_SESSIONS = 16;
const MAX_SESSIONS = 10_000;

export interface SessionLimits {
  /** sessions.max: open sessions at most. */
  max: number;
  /** The default of `grants[].max_sessions` (sessions.max_per_grant). */
  perGrant: number;
  /** What the default was computed from, for the start-up log. */
  perSessionBytes: number;
}

/**
 * The session limits a config gets when it does not set them. Pure; the caller passes the memory.
 *
 *   per_session = 64 MiB (when a server runs over stdio and is not `shared`: each session spawns
 *                 its own child) + sessions.replay_bytes + 1 MiB
 *   sessions.max = clamp(floor(total_memory * 0.5 / per_session), 16, 10,000)
 *   sessions.max_per_grant = max(1, floor(sessions.max / 4))
 *
 * So one grant holds at most a quarter of the sessions, and a 24 GiB machine with a stdio server
 * defaults to 186 sessions instead of the 10,000 (640 GB of children) it once allowed.
 */
export function sessionLimits(config: Config, totalMemoryBytes: number): SessionLimits {
  const spawns = Object.values(config.servers).some((s) => isStdioServer(s) && !s.shared);
  const perSessionBytes =
    (spawns ? STDIO_SESSION_BYTES : 0) + config.sessions.replay_bytes + SESSION_OVERHEAD_BYTES;
  const sized = Math.floor((totalMemoryBytes * MEMORY_SHARE) / perSessionBytes);
  const max = config.sessions.max ?? Math.min(MAX_SESSIONS, Math.max(MIN_SESSIONS, sized));
  const perGrant = config.sessions.max_per_grant ?? Math.max(1, Math.floor(max / 4));
  return { max, perGrant, perSessionBytes };
}
