import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { StreamKind } from './replay-buffer.js';

/**
 * Backpressure on SSE connections. The gateway cannot slow an upstream down for one slow client
 * (progress, log lines and list changes keep coming), and Node buffers whatever `res.write` is
 * given, so a client that stops reading would make the gateway hold its stream in memory without
 * bound. Past a cap of unsent bytes the connection is dropped instead: on a session's stream the
 * events are in the replay buffer and the client resumes from its last event id (GET +
 * Last-Event-ID); on a stream without ids a drop is the same as the client disconnecting.
 */
export interface SseLimits {
  /** Most bytes a connection may have written but not yet sent (`res.writableLength`). */
  maxUnsentBytes: number;
  /** Told of each dropped connection, after it is logged: the metric. */
  dropped?(stream: StreamKind): void;
}

/**
 * Whether writing `next` bytes on top of `unsent` goes over `max`. A write to a connection with
 * nothing pending always goes: one event larger than the cap (a big tool result) must still be
 * deliverable to a client that reads; the cap bounds the backlog of a client that does not.
 */
export function overflows(unsent: number, next: number, max: number): boolean {
  return unsent > 0 && unsent + next > max;
}

/**
 * A resume writes its replay at once (bounded by sessions.replay_bytes, and possibly larger than
 * the cap): the connection may have that much unsent on top of the cap until the client has read
 * below the cap once. Without it, a resume bigger than the cap would be dropped at the next live
 * event however fast the client reads. Keyed by connection, so it goes with it.
 */
const replayAllowance = new WeakMap<ServerResponse, number>();

/** `bytes` of replayed events were just written to `res` (src/http/resume.ts). */
export function allowReplay(res: ServerResponse, bytes: number): void {
  if (bytes > 0) replayAllowance.set(res, bytes);
}

/** The cap for `res` now: the configured one, plus a replay not yet read down to it. */
function capFor(res: ServerResponse, max: number): number {
  const replay = replayAllowance.get(res);
  if (replay === undefined) return max;
  if (res.writableLength > max) return max + replay;
  replayAllowance.delete(res);
  return max;
}

/** Writes one stream's SSE events to its connection(s), dropping a connection that does not drain. */
export class SseWriter {
  constructor(
    private readonly limits: SseLimits,
    private readonly log: Logger,
    /** For the warning: the session the stream belongs to; undefined for a stateless request. */
    private readonly sessionId: string | undefined,
  ) {}

  /**
   * Write `chunk`, or end the connection when that would leave more than the cap unsent. Returns
   * whether it was written. Destroyed, not ended: ending would wait for the backlog to drain.
   */
  write(res: ServerResponse, chunk: string, stream: StreamKind, streamId: string | undefined): boolean {
    const unsent = res.writableLength;
    if (!overflows(unsent, Buffer.byteLength(chunk), capFor(res, this.limits.maxUnsentBytes))) {
      res.write(chunk);
      return true;
    }
    res.destroy();
    // Sizes and ids only: the events themselves may carry anything a tool produced.
    this.log.warn(
      {
        session: this.sessionId,
        stream,
        streamId,
        unsentBytes: unsent,
        maxUnsentBytes: this.limits.maxUnsentBytes,
      },
      'SSE client is not reading: connection dropped (sessions.max_unsent_bytes); a session stream can be resumed with Last-Event-ID',
    );
    this.limits.dropped?.(stream);
    return false;
  }
}
