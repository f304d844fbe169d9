/**
 * What a session's SSE streams sent, so that a client whose connection dropped can resume a stream
 * with `GET` + `Last-Event-ID` (MCP streamable HTTP, "Resumability and Redelivery"). Bookkeeping
 * only: the connections belong to the sinks (src/http/sinks.ts), which this holds as opaque handles.
 *
 * Event ids are `<stream>_<seq>`. The stream part says which stream an id is a cursor in, since a
 * resume must never replay another stream's messages; the sequence says where in it. Both are
 * counters of this session, so ids are unique within the session. They need not be secret: the
 * session id is, and a resume is scoped to the session (and grant) like every other request.
 */

export interface ReplayLimits {
  /** Most events kept per session, over all its streams. */
  events: number;
  /** Most bytes of JSON kept per session; the newest event stays even when it alone is larger. */
  bytes: number;
}

/** A POSTed request's response stream, or the standalone GET stream. */
export type StreamKind = 'post' | 'standalone';

export interface ReplayedEvent {
  id: string;
  data: string;
}

export interface Resumption<H> {
  kind: StreamKind;
  /** The events after the cursor, oldest first. */
  events: ReplayedEvent[];
  /** The stream to go on with; undefined when it already sent its last event. */
  handle: H | undefined;
}

interface Stream<H> {
  id: string;
  kind: StreamKind;
  handle: H | undefined;
  nextSeq: number;
  /** Events up to this sequence number were evicted: a cursor before it would skip them. */
  evictedThrough: number;
  retained: number;
  ended: boolean;
}

interface Kept<H> {
  stream: Stream<H>;
  seq: number;
  data: string;
  bytes: number;
}

export class ReplayBuffer<H> {
  private readonly streams = new Map<string, Stream<H>>();
  /** Every kept event of the session, oldest first: eviction takes from the front. */
  private kept: Kept<H>[] = [];
  private keptBytes = 0;
  private lastStream = 0;
  private standalone?: Stream<H>;

  constructor(private readonly limits: ReplayLimits) {}

  get size(): { events: number; bytes: number; streams: number } {
    return { events: this.kept.length, bytes: this.keptBytes, streams: this.streams.size };
  }

  /**
   * A new stream. A session has one standalone stream at a time: opening another (a plain GET
   * after the last one closed) drops the previous one and its events, so its ids stop resuming.
   */
  open(kind: StreamKind, handle: H): string {
    if (kind === 'standalone' && this.standalone) this.drop(this.standalone);
    const stream: Stream<H> = {
      id: String(++this.lastStream),
      kind,
      handle,
      nextSeq: 1,
      evictedThrough: 0,
      retained: 0,
      ended: false,
    };
    this.streams.set(stream.id, stream);
    if (kind === 'standalone') this.standalone = stream;
    return stream.id;
  }

  /**
   * Keep one event of a stream and return its id (undefined for a stream no longer kept). `last`
   * marks the stream's final event (a POST stream's response): a resume then ends after replaying.
   */
  record(streamId: string, data: string, last: boolean): string | undefined {
    const stream = this.streams.get(streamId);
    if (!stream) return undefined;
    const seq = stream.nextSeq++;
    const bytes = Buffer.byteLength(data);
    this.kept.push({ stream, seq, data, bytes });
    this.keptBytes += bytes;
    stream.retained++;
    if (last) {
      stream.ended = true;
      stream.handle = undefined; // nothing live is left to continue; let the connection go
    }
    this.evict();
    return `${stream.id}_${seq}`;
  }

  /**
   * Where a `Last-Event-ID` resumes: its stream, and that stream's events after it. Undefined when
   * the id is malformed, was never issued in this session, or events after it were evicted (a
   * replay with a hole in it would lose messages silently).
   */
  resume(lastEventId: string): Resumption<H> | undefined {
    const cursor = parseEventId(lastEventId);
    const stream = cursor && this.streams.get(cursor.stream);
    if (!cursor || !stream || cursor.seq >= stream.nextSeq || cursor.seq < stream.evictedThrough)
      return undefined;
    const events: ReplayedEvent[] = [];
    for (const k of this.kept) {
      if (k.stream === stream && k.seq > cursor.seq)
        events.push({ id: `${stream.id}_${k.seq}`, data: k.data });
    }
    return { kind: stream.kind, events, handle: stream.ended ? undefined : stream.handle };
  }

  /** Forget everything (the session closed); returns the streams still live, for their owner to end. */
  clear(): H[] {
    const live: H[] = [];
    for (const s of this.streams.values()) if (!s.ended && s.handle !== undefined) live.push(s.handle);
    this.streams.clear();
    this.kept = [];
    this.keptBytes = 0;
    this.standalone = undefined;
    return live;
  }

  private evict(): void {
    const { events, bytes } = this.limits;
    while (this.kept.length > 1 && (this.kept.length > events || this.keptBytes > bytes)) {
      const old = this.kept.shift() as Kept<H>;
      this.keptBytes -= old.bytes;
      old.stream.evictedThrough = old.seq;
      old.stream.retained--;
      // A finished stream with nothing left to replay is forgotten; its ids become unknown.
      if (old.stream.ended && old.stream.retained === 0) this.streams.delete(old.stream.id);
    }
  }

  private drop(stream: Stream<H>): void {
    this.streams.delete(stream.id);
    if (this.standalone === stream) this.standalone = undefined;
    if (stream.retained === 0) return;
    this.kept = this.kept.filter((k) => {
      if (k.stream !== stream) return true;
      this.keptBytes -= k.bytes;
      return false;
    });
  }
}

/** `<stream>_<seq>`, both decimal; anything else is not an id this gateway issued. */
export function parseEventId(id: string): { stream: string; seq: number } | undefined {
  const m = /^(\d{1,15})_(\d{1,15})$/.exec(id);
  return m ? { stream: m[1] as string, seq: Number(m[2]) } : undefined;
}
