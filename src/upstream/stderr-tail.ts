import { StringDecoder } from 'node:string_decoder';
import { defaultRedactor } from '../redact/index.js';

/** What a failure shows of a server's stderr: at most this many of its last lines... */
export const TAIL_LINES = 20;
/** ...and at most this many characters of them. */
export const TAIL_CHARS = 4096;
/** A longer line is cut here (kept and logged with a mark), so one endless line costs nothing. */
export const MAX_LINE_CHARS = 8192;
/** The log's share of a server's stderr: a burst of this many characters... */
export const LOG_BURST_CHARS = 256 * 1024;
/** ...refilled at this many characters a second. Beyond it lines are counted, not logged. */
export const LOG_CHARS_PER_SECOND = 32 * 1024;

const CUT = ' [...]';

// Terminal escape sequences: CSI (colours, cursor moves, erase), OSC (titles, hyperlinks) ended by
// BEL or ST, and the two-character ones. All linear: no nested quantifiers.
const ESCAPES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  /\x1b\[[0-?]*[ -/]*[@-~]?|\x9b[0-?]*[ -/]*[@-~]?|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?/g;
// Whatever control is left (C0 but tab, DEL, C1), and the invisible characters that reorder or
// hide text when shown (bidi embeddings/overrides/isolates, zero-width marks, line separators, the BOM).
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * A line of a server's stderr made safe to show: untrusted text that may go to a terminal, a log
 * viewer or the dashboard. Escape sequences and controls are removed; a carriage return keeps
 * what a terminal would show (the text after the last one: progress bars redraw this way); tabs
 * become spaces. Secrets are masked by the caller, after the line is whole.
 */
export function cleanLine(raw: string): string {
  const segments = raw.split('\r');
  let line = segments.pop() ?? '';
  while (line.trim() === '' && segments.length > 0) line = segments.pop() ?? '';
  return line.replace(ESCAPES, '').replace(/\t/g, ' ').replace(CONTROLS, '').trimEnd();
}

/** Where the lines go that the log may take, and the count of those it may not. */
export interface StderrLog {
  line(text: string): void;
  skipped(lines: number, chars: number): void;
}

/**
 * A child's stderr as lines, bounded whatever the child writes: megabytes without a newline hold
 * one cut line, a flood of lines reaches the log at LOG_CHARS_PER_SECOND, and only the last
 * TAIL_LINES (TAIL_CHARS) lines are kept, for the message that says why the server stopped.
 */
export class StderrTail {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private partialCut = false;
  private readonly kept: string[] = [];
  private keptChars = 0;
  private budget = LOG_BURST_CHARS;
  private refilledAt: number;
  private skippedLines = 0;
  private skippedChars = 0;

  constructor(
    private readonly log?: StderrLog,
    private readonly now: () => number = Date.now,
  ) {
    this.refilledAt = now();
  }

  push(chunk: Buffer): void {
    const text = this.decoder.write(chunk);
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl !== -1; nl = text.indexOf('\n', start)) {
      this.append(text, start, nl);
      this.finishLine();
      start = nl + 1;
    }
    this.append(text, start, text.length);
  }

  /** The stream ended: the unfinished last line counts, and the log hears of what it missed. */
  end(): void {
    this.append(this.decoder.end(), 0, undefined);
    if (this.partial !== '' || this.partialCut) this.finishLine();
    this.reportSkipped();
  }

  /**
   * The last lines, cleaned and with secrets masked: safe to show. Oldest first; an unfinished last
   * line counts (the pipe may still be open when the process is gone).
   */
  lines(): string[] {
    const lines = [...this.kept];
    const pending = cleanLine(this.partial.slice(0, TAIL_CHARS / 4));
    if (pending.trim() !== '') {
      lines.push(pending);
      let chars = this.keptChars + pending.length;
      while (lines.length > TAIL_LINES || chars > TAIL_CHARS) chars -= lines.shift()?.length ?? 0;
    }
    return lines.map((l) => defaultRedactor.text(l));
  }

  private append(text: string, from: number, to: number | undefined): void {
    if (this.partialCut) return; // the rest of an over-long line is dropped unread
    const room = MAX_LINE_CHARS - this.partial.length;
    const end = to ?? text.length;
    if (end - from > room) {
      this.partial += text.slice(from, from + room);
      this.partialCut = true;
    } else this.partial += text.slice(from, end);
  }

  private finishLine(): void {
    const line = cleanLine(this.partial) + (this.partialCut ? CUT : '');
    this.partial = '';
    this.partialCut = false;
    if (line.trim() === '') return;
    this.keep(line);
    this.toLog(line);
  }

  private keep(line: string): void {
    // The tail's lines are shorter than a log line: a few long ones must not push out the rest.
    const short = line.length > TAIL_CHARS / 4 ? `${line.slice(0, TAIL_CHARS / 4)}${CUT}` : line;
    this.kept.push(short);
    this.keptChars += short.length;
    while (this.kept.length > TAIL_LINES || this.keptChars > TAIL_CHARS)
      this.keptChars -= this.kept.shift()?.length ?? 0;
  }

  private toLog(line: string): void {
    if (!this.log) return;
    const now = this.now();
    this.budget = Math.min(
      LOG_BURST_CHARS,
      this.budget + ((now - this.refilledAt) / 1000) * LOG_CHARS_PER_SECOND,
    );
    this.refilledAt = now;
    if (this.budget < line.length) {
      this.skippedLines++;
      this.skippedChars += line.length;
      return;
    }
    this.budget -= line.length;
    this.reportSkipped();
    this.log.line(line);
  }

  private reportSkipped(): void {
    if (this.skippedLines === 0 || !this.log) return;
    this.log.skipped(this.skippedLines, this.skippedChars);
    this.skippedLines = 0;
    this.skippedChars = 0;
  }
}

/** A failure's text with the server's last stderr lines under it, indented, when there are any. */
export function withStderr(text: string, stderr: readonly string[] | undefined): string {
  if (!stderr?.length) return text;
  return `${text}\nLast lines of its stderr:\n${stderr.map((l) => `  ${l}`).join('\n')}`;
}
