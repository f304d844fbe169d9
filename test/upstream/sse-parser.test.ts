import { describe, expect, it } from 'vitest';
import { type SseEvent, SseParser } from '../../src/upstream/sse-parser.js';

function parse(chunks: string[]): { events: SseEvent[]; retries: number[]; parser: SseParser } {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const parser = new SseParser(
    (e) => events.push(e),
    (ms) => retries.push(ms),
  );
  for (const c of chunks) parser.push(c);
  return { events, retries, parser };
}

/** Every way of cutting `text` into two chunks, and into single characters. */
function splits(text: string): string[][] {
  const out: string[][] = [[text], [...text]];
  for (let i = 1; i < text.length; i++) out.push([text.slice(0, i), text.slice(i)]);
  return out;
}

const STREAM =
  ': priming comment\r\n' +
  'id: 7\r\n' +
  'data:\r\n' +
  '\r\n' +
  'event: message\r\n' +
  'id: 8\r\n' +
  'data: {"jsonrpc":"2.0",\r\n' +
  'data:  "method":"x"}\r\n' +
  '\r\n' +
  'retry: 1500\r\n' +
  'data: {"jsonrpc":"2.0","id":1,"result":{}}\r\n' +
  '\r\n';

describe('SseParser', () => {
  it('parses events, multi-line data, comments, id and retry, wherever the chunks are cut', () => {
    for (const chunks of splits(STREAM)) {
      const { events, retries, parser } = parse(chunks);
      expect(events, JSON.stringify(chunks)).toEqual([
        { event: 'message', data: '', id: '7' },
        { event: 'message', data: '{"jsonrpc":"2.0",\n "method":"x"}', id: '8' },
        { event: 'message', data: '{"jsonrpc":"2.0","id":1,"result":{}}', id: '8' },
      ]);
      expect(retries).toEqual([1500]);
      expect(parser.lastEventId).toBe('8');
    }
  });

  it('accepts LF, CRLF and lone CR line ends, also a CRLF split across chunks', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const text = `data: a${eol}data: b${eol}${eol}data: c${eol}${eol}`;
      for (const chunks of splits(text)) {
        expect(parse(chunks).events.map((e) => e.data)).toEqual(['a\nb', 'c']);
      }
    }
    // A CR ending one chunk and an LF starting the next are one line end, not two.
    expect(parse(['data: a\r', '\ndata: b\r', '\n\r', '\n']).events.map((e) => e.data)).toEqual(['a\nb']);
  });

  it('keeps the last event id from an event without data (a priming event) for resumption', () => {
    const { events, parser } = parse(['id: abc\n\n']);
    expect(events).toEqual([]);
    expect(parser.lastEventId).toBe('abc');
  });

  it('ignores comments, unknown fields, bad retry values and ids containing NUL', () => {
    const { events, retries, parser } = parse([':comment\nfoo: bar\nretry: 10s\nid: a\0b\ndata\ndata:x\n\n']);
    // `data` alone is a data line with an empty value; `data:x` has no space to strip.
    expect(events).toEqual([{ event: 'message', data: '\nx', id: '' }]);
    expect(retries).toEqual([]);
    expect(parser.lastEventId).toBe('');
  });

  it('reports the event type and strips only one leading space', () => {
    const { events } = parse(['event: ping\ndata:   two spaces\n\n']);
    expect(events).toEqual([{ event: 'ping', data: '  two spaces', id: '' }]);
  });

  it('drops an event the stream ended in the middle of, and a leading BOM', () => {
    const { events } = parse(['\uFEFFdata: whole\n\n', 'data: cut']);
    expect(events.map((e) => e.data)).toEqual(['whole']);
  });
});
