import type { ServerResponse } from 'node:http';
import { errorResponse, INVALID_REQUEST } from '../mcp/jsonrpc.js';
import type { ClientSession } from '../proxy/session.js';
import { allowReplay } from './backpressure.js';
import type { ReplayBuffer } from './replay-buffer.js';
import { SSE_HEADERS, type StreamHandle, sseEvent, writeJson } from './sinks.js';

/**
 * `GET` with `Last-Event-ID` on a session (already found, so scoped to the caller's grant): replay
 * that stream's events after the id, then go on with the stream on this connection. A POST stream
 * ends after its response (at once if the response is among the replayed events); the standalone
 * stream goes on as the standalone stream, first with what the session queued while it was gone.
 *
 * An id this session cannot resume from is 400, not 404: to a client, 404 on a request with a
 * session id means the session is gone (and it must initialize again), while here it is not.
 */
export function resumeStream(
  res: ServerResponse,
  session: ClientSession,
  replay: ReplayBuffer<StreamHandle> | undefined,
  lastEventId: string,
): void {
  const found = replay?.resume(lastEventId);
  if (!found) {
    const why = replay
      ? 'it names no event of this session that the gateway still holds (unknown, or evicted from the replay buffer)'
      : 'this gateway keeps no replay buffer (sessions.replay_events or sessions.replay_bytes is 0)';
    writeJson(
      res,
      400,
      errorResponse(
        null,
        INVALID_REQUEST,
        `Bad Request: cannot resume from Last-Event-ID "${lastEventId.slice(0, 80)}": ${why}; open a new stream without it`,
      ),
    );
    return;
  }
  session.lastSeen = Date.now();
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  // Not through the backpressure cap: the replay is bounded by the replay buffer already
  // (sessions.replay_bytes) and may be larger than the cap; the live events after it are capped
  // on top of what is left of it (backpressure.ts).
  let replayed = 0;
  for (const event of found.events) {
    const chunk = sseEvent(event.id, event.data);
    replayed += Buffer.byteLength(chunk);
    res.write(chunk);
  }
  allowReplay(res, replayed);
  if (!found.handle) {
    res.end();
    return;
  }
  found.handle.attach(res);
  if (found.kind === 'standalone') session.attachStandalone(found.handle);
}
