import type { Writable } from 'node:stream';

/**
 * Newline-delimited messages to a pipe, written together when several are sent in one turn of
 * the event loop. Under concurrency a chunk read from one side holds many messages, and one
 * write(2) per message was a third of the stdio front end's CPU at c=32 (pipe writes wake the
 * reader each time); now they leave as one write. A message sent alone still goes out in the
 * same loop iteration (setImmediate runs right after the I/O that produced it).
 */
export class LineWriter {
  private pending: string[] = [];

  constructor(private readonly out: Writable) {}

  write(line: string): void {
    if (this.pending.length === 0) setImmediate(this.flush);
    this.pending.push(line);
  }

  /** Write what is pending now (before ending the stream, say). */
  readonly flush = (): void => {
    if (this.pending.length === 0) return;
    const text = `${this.pending.join('\n')}\n`;
    this.pending = [];
    if (this.out.writable) this.out.write(text);
  };
}
