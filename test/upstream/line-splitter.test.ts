import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../src/upstream/line-splitter.js';

function split(chunks: Array<string | Buffer>, maxLine?: number) {
  const lines: string[] = [];
  const overlong: number[] = [];
  const s = new LineSplitter(
    (l) => lines.push(l),
    maxLine,
    (n) => overlong.push(n),
  );
  for (const c of chunks) s.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return { lines, overlong };
}

describe('LineSplitter', () => {
  it('splits lines across chunks, drops CR before LF and keeps multi-byte characters whole', () => {
    const euro = Buffer.from('€');
    const { lines } = split([
      '{"a":1}\r\n{"b"',
      ':2}\n',
      euro.subarray(0, 1),
      Buffer.concat([euro.subarray(1), Buffer.from('\n')]),
    ]);
    expect(lines).toEqual(['{"a":1}', '{"b":2}', '€']);
  });

  it('drops a line over the limit whether it arrives whole or in pieces, and keeps the next one', () => {
    const { lines, overlong } = split(
      ['short\n', 'x'.repeat(30), 'y'.repeat(30), 'z\nafter\n', `${'w'.repeat(70)}\nend\n`],
      50,
    );
    expect(lines).toEqual(['short', 'after', 'end']);
    expect(overlong).toEqual([61, 70]);
  });

  it('reports 16 MiB streamed without a newline as one dropped line and delivers the line after it', () => {
    const lines: string[] = [];
    const overlong: number[] = [];
    const s = new LineSplitter(
      (l) => lines.push(l),
      1024,
      (n) => overlong.push(n),
    );
    const chunk = Buffer.alloc(64 * 1024, 'a');
    for (let i = 0; i < 256; i++) s.push(chunk); // 16 MiB, no newline
    // The tail it keeps is private; what shows it is not buffered: the line is reported as
    // dropped at its full size, and a line after it is delivered intact.
    s.push(Buffer.from('\n{"ok":true}\n'));
    expect(overlong).toEqual([256 * 64 * 1024]);
    expect(lines).toEqual(['{"ok":true}']);
  });
});
