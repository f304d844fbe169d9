import { StringDecoder } from 'node:string_decoder';

/**
 * Splits a byte stream into UTF-8 lines. The decoder keeps a multi-byte character that is split
 * across two chunks whole.
 */
export class LineSplitter {
  private tail = '';
  private readonly decoder = new StringDecoder('utf8');

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.tail + this.decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.onLine(text.slice(start, end));
      start = nl + 1;
    }
    this.tail = text.slice(start);
  }
}
