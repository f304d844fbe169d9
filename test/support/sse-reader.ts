/**
 * Reads an SSE response as it arrives, keeping each event's `id` (which `McpSession.stream` drops),
 * and lets a test break the connection at a chosen event: for resumability tests.
 */

export interface SseEvent {
  id?: string;
  data: string;
}

export interface SseConnection {
  status: number;
  headers: Headers;
  /** Events received so far, in order (keep-alive comments are not events). */
  events: SseEvent[];
  /** Resolves with the first `count` events, waiting for them (or fails when the stream ends first). */
  take(count: number, timeoutMs?: number): Promise<SseEvent[]>;
  /** Resolves when the server ended the stream; every event is in `events` by then. */
  ended: Promise<SseEvent[]>;
  /** Break the connection (what a dropped network does to the client). */
  abort(): void;
}

/** The JSON-RPC message an event carries. */
export const message = (e: SseEvent): Record<string, unknown> =>
  JSON.parse(e.data) as Record<string, unknown>;

export async function openSse(
  url: string,
  init: { method?: string; headers: Record<string, string>; body?: string },
): Promise<SseConnection> {
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(new Error('SSE test connection: 30 s passed')), 30_000);
  const res = await fetch(url, { ...init, signal: controller.signal });
  const events: SseEvent[] = [];
  let wake = () => {};
  let done = false;
  const ended = (async () => {
    try {
      if (!res.body) return events;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done: finished } = await reader.read();
        if (finished) return events;
        buffer += value;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const event = parseEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          if (event) events.push(event);
          wake();
        }
      }
    } finally {
      done = true;
      clearTimeout(deadline);
      wake();
    }
  })();
  ended.catch(() => undefined);
  const take = async (count: number, timeoutMs = 20_000): Promise<SseEvent[]> => {
    const until = Date.now() + timeoutMs;
    while (events.length < count) {
      if (done)
        throw new Error(`the stream ended after ${events.length} of ${count} events: ${show(events)}`);
      if (Date.now() > until)
        throw new Error(`${count} events expected within ${timeoutMs} ms: ${show(events)}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
    }
    return events.slice(0, count);
  };
  return {
    status: res.status,
    headers: res.headers,
    events,
    take,
    ended,
    abort: () => controller.abort(new Error('the test broke the connection')),
  };
}

function parseEvent(block: string): SseEvent | undefined {
  let id: string | undefined;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('id:')) id = line.slice(3).trimStart();
    else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
  }
  if (id === undefined && data.length === 0) return undefined; // a comment (keep-alive)
  return { ...(id === undefined ? {} : { id }), data: data.join('\n') };
}

const show = (events: SseEvent[]) => JSON.stringify(events).slice(0, 2000);
