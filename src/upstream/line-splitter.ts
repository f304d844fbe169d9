import { StringDecoder } from 'node:string_decoder';

/** What a splitter does with a line longer than its limit: the line is dropped, never buffered. */
export type OnOverlong = (chars: number) => void;

/**
 * Splits a byte stream into UTF-8 lines. The decoder keeps a multi-byte character that is split
 * across two chunks whole.
 *
 * The peer is untrusted: a line longer than `maxLine` characters is dropped as it arrives (the
 * splitter skips to the next newline and reports the line's size once), so a stream without
 * newlines can never grow memory without bound.
 */
export class LineSplitter {
  private tail = '';
  /** Characters of the current over-long line dropped so far; 0 while a line is being kept. */
  private dropping = 0;
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLine = Number.POSITIVE_INFINITY,
    private readonly onOverlong: OnOverlong = () => {},
  ) {}

  push(chunk: Buffer): void {
    let text = this.decoder.write(chunk);
    if (this.dropping > 0) {
      const nl = text.indexOf('\n');
      if (nl === -1) {
        this.dropping += text.length;
        return;
      }
      this.onOverlong(this.dropping + nl);
      this.dropping = 0;
      text = text.slice(nl + 1);
    }
    // Only the new text can hold a newline: the kept tail has none (scanning it again on every
    // chunk would make one long line quadratic).
    let nl = text.indexOf('\n');
    if (nl !== -1) {
      text = this.tail + text;
      nl += this.tail.length;
      this.tail = '';
    }
    let start = 0;
    for (; nl !== -1; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (end - start > this.maxLine) this.onOverlong(end - start);
      else this.onLine(text.slice(start, end));
      start = nl + 1;
    }
    const rest = start === 0 ? text : text.slice(start);
    if (this.tail.length + rest.length > this.maxLine) {
      this.dropping = this.tail.length + rest.length;
      this.tail = '';
    } else {
      this.tail += rest;
    }
  }
}
