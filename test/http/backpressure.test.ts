import type { ServerResponse } from 'node:http';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { allowReplay, overflows, SseWriter } from '../../src/http/backpressure.js';

/** Enough of a ServerResponse for the writer: what is unsent, what was written, whether destroyed. */
function fakeRes(unsent: number) {
  const res = {
    writableLength: unsent,
    written: [] as string[],
    destroyed: false,
    write(chunk: string) {
      res.written.push(chunk);
      res.writableLength += Buffer.byteLength(chunk);
      return true;
    },
    destroy() {
      res.destroyed = true;
    },
  };
  return res;
}

function writer(max: number) {
  const logs: string[] = [];
  const drops: string[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => logs.push(s) });
  const w = new SseWriter({ maxUnsentBytes: max, dropped: (stream) => drops.push(stream) }, log, 'sess-1');
  return { w, logs, drops };
}

describe('overflows', () => {
  it('lets a write through while the backlog stays within the cap', () => {
    expect(overflows(0, 10, 100)).toBe(false);
    expect(overflows(90, 10, 100)).toBe(false);
  });
  it('refuses the write that would take the backlog over the cap', () => {
    expect(overflows(91, 10, 100)).toBe(true);
    expect(overflows(100, 1, 100)).toBe(true);
  });
  it('always lets one event through to a drained connection, however large', () => {
    expect(overflows(0, 1_000, 100)).toBe(false);
  });
});

describe('SseWriter', () => {
  it('writes while under the cap', () => {
    const { w, logs, drops } = writer(100);
    const res = fakeRes(0);
    expect(w.write(res as unknown as ServerResponse, 'a'.repeat(60), 'post', '1')).toBe(true);
    expect(w.write(res as unknown as ServerResponse, 'b'.repeat(40), 'post', '1')).toBe(true);
    expect(res.written).toHaveLength(2);
    expect(res.destroyed).toBe(false);
    expect(logs).toEqual([]);
    expect(drops).toEqual([]);
  });

  it('destroys the connection instead of going over, and warns once with sizes and ids only', () => {
    const { w, logs, drops } = writer(100);
    const res = fakeRes(90);
    expect(w.write(res as unknown as ServerResponse, 'secret'.repeat(5), 'standalone', '3')).toBe(false);
    expect(res.written).toEqual([]);
    expect(res.destroyed).toBe(true);
    expect(drops).toEqual(['standalone']);
    expect(logs).toHaveLength(1);
    expect(JSON.parse(logs[0]!)).toMatchObject({
      level: 40,
      session: 'sess-1',
      stream: 'standalone',
      streamId: '3',
      unsentBytes: 90,
      maxUnsentBytes: 100,
    });
    expect(logs[0]).not.toContain('secret');
  });

  it('lets a resume replay more than the cap, and caps live events on top until it is read down', () => {
    const { w } = writer(100);
    const res = fakeRes(0);
    const replay = 'r'.repeat(500);
    res.write(replay); // what resume.ts does before the stream goes on
    allowReplay(res as unknown as ServerResponse, 500);
    expect(w.write(res as unknown as ServerResponse, 'x'.repeat(50), 'post', '1')).toBe(true);
    // The client reads the replay down below the cap: from then on the plain cap applies.
    res.writableLength = 60;
    expect(w.write(res as unknown as ServerResponse, 'y'.repeat(30), 'post', '1')).toBe(true);
    res.writableLength = 101;
    expect(w.write(res as unknown as ServerResponse, 'z', 'post', '1')).toBe(false);
    expect(res.destroyed).toBe(true);
  });
});
