/**
 * A stdio server's stderr is untrusted and unbounded (src/upstream/stderr-tail.ts): what is kept
 * and logged of it stays small and clean whatever the server writes.
 */
import { describe, expect, it } from 'vitest';
import {
  cleanLine,
  LOG_BURST_CHARS,
  LOG_CHARS_PER_SECOND,
  MAX_LINE_CHARS,
  StderrTail,
  TAIL_CHARS,
  TAIL_LINES,
  withStderr,
} from '../../src/upstream/stderr-tail.js';

describe('cleanLine', () => {
  it.each([
    ['plain text', 'npm error code E404', 'npm error code E404'],
    ['colours', '\x1b[31mnpm error\x1b[39m code \x1b[1;4mE404\x1b[0m', 'npm error code E404'],
    ['a window title (OSC, BEL)', '\x1b]0;pwned\x07after', 'after'],
    ['a hyperlink (OSC, ST)', '\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\', 'click'],
    ['cursor moves and erase', '\x1b[2J\x1b[Hhome\x1b[K', 'home'],
    ['8-bit CSI', '\x9b31mred', 'red'],
    ['a progress bar redrawn with CR', 'fetch 10%\rfetch 50%\rfetch 100%', 'fetch 100%'],
    ['a trailing CR', 'done\r', 'done'],
    ['bells, backspaces, NUL, DEL', 'a\x07b\x08c\x00d\x7fe', 'abcde'],
    ['bidi overrides and zero-width marks', 'safe\u202Egnp.exe\u200B\u2066x\u2069', 'safegnp.exex'],
    ['tabs', 'a\tb', 'a b'],
    ['a lone ESC at the end', 'text\x1b', 'text'],
  ])('%s', (_, raw, clean) => {
    expect(cleanLine(raw)).toBe(clean);
  });
});

function feed(chunks: (string | Buffer)[], now = () => 0) {
  const logged: string[] = [];
  const skipped: [number, number][] = [];
  const tail = new StderrTail({ line: (l) => logged.push(l), skipped: (n, c) => skipped.push([n, c]) }, now);
  for (const c of chunks) tail.push(typeof c === 'string' ? Buffer.from(c) : c);
  return { tail, logged, skipped };
}

describe('StderrTail', () => {
  it('keeps the last lines of an npm 404, split across chunks, with secrets masked', () => {
    const { tail, logged } = feed([
      'npm error code E40',
      '4\nnpm error 404 Not Found - GET https://registry.npmjs.org/@acme%2fno-such-mcp - Not found\n',
      'npm error 404\r\n',
      'npm error //registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789\n\n',
      'npm error A complete log',
    ]);
    tail.end();
    expect(tail.lines()).toEqual([
      'npm error code E404',
      'npm error 404 Not Found - GET https://registry.npmjs.org/@acme%2fno-such-mcp - Not found',
      'npm error 404',
      expect.stringMatching(/^npm error \/\/registry\.npmjs\.org\/:_authToken=\[REDACTED/),
      'npm error A complete log',
    ]);
    expect(tail.lines().join('\n')).not.toContain('abcdefghijklmnop');
    expect(logged).toHaveLength(5);
  });

  it('an unfinished last line counts before the stream ends', () => {
    const { tail } = feed(['first\n', 'npm error code E4']);
    expect(tail.lines()).toEqual(['first', 'npm error code E4']);
  });

  it('a multi-byte character split across chunks stays whole', () => {
    const bytes = Buffer.from('héllo ✓\n');
    const { tail } = feed([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)]);
    expect(tail.lines()).toEqual(['héllo ✓']);
  });

  it('keeps at most TAIL_LINES lines and TAIL_CHARS characters, the newest', () => {
    const { tail } = feed([Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n') + '\n']);
    expect(tail.lines()).toHaveLength(TAIL_LINES);
    expect(tail.lines().at(-1)).toBe('line 499');
    const long = feed([Array.from({ length: 50 }, (_, i) => `${i}:${'x'.repeat(900)}`).join('\n') + '\n']);
    const kept = long.tail.lines();
    expect(kept.join('').length).toBeLessThanOrEqual(TAIL_CHARS);
    expect(kept.at(-1)).toMatch(/^49:x+$/);
  });

  it('attacker: 16 MB without a newline holds one cut line, not 16 MB', () => {
    const mb = Buffer.alloc(1024 * 1024, 'A');
    const { tail, logged } = feed(Array.from({ length: 16 }, () => mb));
    tail.push(Buffer.from('\nafter\n'));
    expect(logged).toHaveLength(2);
    expect(logged[0]!.length).toBeLessThanOrEqual(MAX_LINE_CHARS + 10);
    expect(logged[0]).toMatch(/ \[\.\.\.\]$/);
    expect(logged[1]).toBe('after');
    expect(tail.lines().join('').length).toBeLessThanOrEqual(TAIL_CHARS);
  });

  it('attacker: a flood reaches the log at the budgeted rate, and the rest is counted', () => {
    let now = 0;
    const line = `${'e'.repeat(999)}\n`;
    const { tail, logged, skipped } = feed([], () => now);
    for (let i = 0; i < 8_000; i++) tail.push(Buffer.from(line)); // 8 MB at once
    const burst = logged.length;
    expect(burst).toBe(Math.floor(LOG_BURST_CHARS / 999));
    expect(skipped).toEqual([]); // reported when the log takes lines again, or at the end
    now += 1_000; // a second later: one second's worth more
    for (let i = 0; i < 8_000; i++) tail.push(Buffer.from(line));
    // What the burst left over, plus one second's refill.
    expect(logged.length - burst).toBe(Math.floor(((LOG_BURST_CHARS % 999) + LOG_CHARS_PER_SECOND) / 999));
    expect(skipped).toEqual([[8_000 - burst, (8_000 - burst) * 999]]);
    tail.end();
    expect(skipped).toHaveLength(2);
    const total = logged.length + skipped.reduce((n, [l]) => n + l, 0);
    expect(total).toBe(16_000);
  });

  it('escape sequences never reach the log or the tail', () => {
    const { tail, logged } = feed(['\x1b[2J\x1b]0;owned\x07\x1b[31mboom\x1b[0m\n']);
    expect(logged).toEqual(['boom']);
    expect(tail.lines()).toEqual(['boom']);
  });
});

describe('withStderr', () => {
  it('puts the lines under the text, indented, only when there are some', () => {
    expect(withStderr('exited with code 1', undefined)).toBe('exited with code 1');
    expect(withStderr('exited with code 1', [])).toBe('exited with code 1');
    expect(withStderr('exited with code 1', ['a', 'b'])).toBe(
      'exited with code 1\nLast lines of its stderr:\n  a\n  b',
    );
  });
});
