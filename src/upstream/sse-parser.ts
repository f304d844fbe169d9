/** One dispatched server-sent event (only events that carry data are dispatched). */
export interface SseEvent {
  /** `message` unless the event named another type. */
  event: string;
  data: string;
  /** The stream's last event id when this event was dispatched ('' if none yet). */
  id: string;
}

/**
 * Incremental `text/event-stream` parser (the WHATWG EventSource rules): feed it decoded text in
 * chunks split anywhere, it calls `onEvent` for each complete event as soon as its blank line
 * arrives. Lines end in LF, CRLF or CR (a CR at the end of one chunk may pair with an LF at the
 * start of the next). Comments (`:`) are skipped; `id:` sets the last event id, also on events
 * without data (an MCP server's priming event is just an id, kept for resumption); `retry:` with
 * digits only is reported through `onRetry`. An event cut off by the end of the stream is dropped,
 * as the spec says. Hand-rolled because the web-streams pipeline the SDK uses for this
 * (TextDecoderStream + EventSourceParserStream) was about a tenth of the gateway's CPU per call.
 */
export class SseParser {
  lastEventId = '';
  private buffer = '';
  /** The previous chunk ended in CR: an LF starting the next chunk belongs to that line end. */
  private skipLf = false;
  private data = '';
  private hasData = false;
  private type = '';
  private idBuffer = '';
  private started = false;

  constructor(
    private readonly onEvent: (event: SseEvent) => void,
    private readonly onRetry?: (ms: number) => void,
  ) {}

  push(chunk: string): void {
    let text = chunk;
    if (this.skipLf) {
      this.skipLf = false;
      if (text.startsWith('\n')) text = text.slice(1);
    }
    if (!this.started && text.length > 0) {
      this.started = true;
      if (this.buffer === '' && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    let input = this.buffer + text;
    let start = 0;
    // Where the next CR is; -1 once none is left, so LF-only streams scan for CR once per chunk.
    let cr = input.indexOf('\r');
    for (;;) {
      const lf = input.indexOf('\n', start);
      if (cr !== -1 && cr < start) cr = input.indexOf('\r', start);
      if (lf === -1 && cr === -1) break;
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr + 1 < input.length) next = input.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
        else {
          next = cr + 1;
          this.skipLf = true; // the LF of this CRLF may be in the next chunk
        }
      } else {
        end = lf;
        next = lf + 1;
      }
      this.line(input.slice(start, end));
      start = next;
    }
    input = input.slice(start);
    this.buffer = input;
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58) return; // ':' comment
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data = this.hasData ? `${this.data}\n${value}` : value;
        this.hasData = true;
        break;
      case 'event':
        this.type = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.idBuffer = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.onRetry?.(Number(value));
        break;
      default: // unknown fields are ignored
    }
  }

  private dispatch(): void {
    this.lastEventId = this.idBuffer;
    const { hasData, data, type } = this;
    this.data = '';
    this.hasData = false;
    this.type = '';
    if (!hasData) return;
    this.onEvent({ event: type || 'message', data, id: this.lastEventId });
  }
}
