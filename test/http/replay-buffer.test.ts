import { describe, expect, it } from 'vitest';
import { parseEventId, ReplayBuffer } from '../../src/http/replay-buffer.js';

const big = { events: 1000, bytes: 1 << 20 };
const data = (events: { data: string }[] | undefined) => events?.map((e) => e.data);

describe('ReplayBuffer', () => {
  it('gives each event an id <stream>_<seq>, unique across the streams of the session', () => {
    const b = new ReplayBuffer<string>(big);
    const post = b.open('post', 'P');
    const get = b.open('standalone', 'G');
    expect(post).not.toBe(get);
    const ids = [b.record(post, 'a', false), b.record(get, 'b', false), b.record(post, 'c', true)];
    expect(ids).toEqual([`${post}_1`, `${get}_1`, `${post}_2`]);
    for (const id of ids) expect(parseEventId(id!)).toBeDefined();
  });

  it("replays the events after the cursor on that stream only, never another stream's", () => {
    const b = new ReplayBuffer<string>(big);
    const one = b.open('post', 'one');
    const two = b.open('post', 'two');
    const first = b.record(one, '1a', false)!;
    b.record(two, '2a', false);
    b.record(one, '1b', false);
    b.record(two, '2b', false);
    const r = b.resume(first);
    expect(r?.kind).toBe('post');
    expect(r?.handle).toBe('one');
    expect(r?.events).toEqual([{ id: `${one}_2`, data: '1b' }]);
    expect(data(b.resume(`${two}_1`)?.events)).toEqual(['2b']);
  });

  it('an id it never issued resumes nothing', () => {
    const b = new ReplayBuffer<string>(big);
    const s = b.open('post', 'P');
    b.record(s, 'x', false);
    for (const id of ['', 'abc', `${s}`, `${s}_`, `${s}_2`, `9_1`, `${s}_1_1`, `-1_1`])
      expect(b.resume(id)).toBeUndefined();
  });

  it('an ended stream replays and has no handle left; its last id replays nothing', () => {
    const b = new ReplayBuffer<string>(big);
    const s = b.open('post', 'P');
    const first = b.record(s, 'progress', false)!;
    const last = b.record(s, 'response', true)!;
    expect(b.resume(first)).toEqual({
      kind: 'post',
      handle: undefined,
      events: [{ id: last, data: 'response' }],
    });
    expect(b.resume(last)).toEqual({ kind: 'post', handle: undefined, events: [] });
  });

  it('keeps at most `events` events, oldest out first; a cursor whose successors were evicted is refused', () => {
    const b = new ReplayBuffer<string>({ events: 3, bytes: 1 << 20 });
    const s = b.open('standalone', 'G');
    const ids = ['a', 'b', 'c', 'd', 'e'].map((d) => b.record(s, d, false)!);
    expect(b.size.events).toBe(3);
    expect(b.resume(ids[0]!)).toBeUndefined(); // 'b' is gone: replaying from here would skip it
    expect(data(b.resume(ids[1]!)?.events)).toEqual(['c', 'd', 'e']);
    expect(data(b.resume(ids[3]!)?.events)).toEqual(['e']);
  });

  it('keeps at most `bytes` bytes (UTF-8), but always the newest event', () => {
    const b = new ReplayBuffer<string>({ events: 100, bytes: 10 });
    const s = b.open('post', 'P');
    b.record(s, '12345', false);
    b.record(s, 'é'.repeat(2), false); // 4 bytes
    expect(b.size).toMatchObject({ events: 2, bytes: 9 });
    const huge = b.record(s, 'x'.repeat(50), false)!;
    expect(b.size).toMatchObject({ events: 1, bytes: 50 });
    expect(b.resume(`${s}_2`)?.events).toEqual([{ id: huge, data: 'x'.repeat(50) }]);
  });

  it('forgets an ended stream once its last event is evicted', () => {
    const b = new ReplayBuffer<string>({ events: 2, bytes: 1 << 20 });
    const done = b.open('post', 'done');
    const last = b.record(done, 'response', true)!;
    const other = b.open('post', 'other');
    b.record(other, 'x', false);
    expect(b.size.streams).toBe(2);
    b.record(other, 'y', false);
    expect(b.size.streams).toBe(1);
    expect(b.resume(last)).toBeUndefined();
    expect(b.record(done, 'late', false)).toBeUndefined();
  });

  it('a new standalone stream drops the previous one with its events', () => {
    const b = new ReplayBuffer<string>(big);
    const post = b.open('post', 'P');
    b.record(post, 'p', false);
    const old = b.open('standalone', 'G1');
    const oldId = b.record(old, 'gg', false)!;
    const fresh = b.open('standalone', 'G2');
    expect(b.resume(oldId)).toBeUndefined();
    expect(b.size).toMatchObject({ events: 1, bytes: 1, streams: 2 });
    const id = b.record(fresh, 'n', false)!;
    expect(b.resume(id)?.handle).toBe('G2');
    expect(b.resume(`${fresh}_0`)?.events).toEqual([{ id, data: 'n' }]);
  });

  it('clear forgets everything and returns the streams still live', () => {
    const b = new ReplayBuffer<string>(big);
    const ended = b.open('post', 'ended');
    b.record(ended, 'r', true);
    b.open('post', 'live');
    b.open('standalone', 'get');
    expect(b.clear().sort()).toEqual(['get', 'live']);
    expect(b.size).toEqual({ events: 0, bytes: 0, streams: 0 });
  });
});
