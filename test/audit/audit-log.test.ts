import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuditLog, toEntry } from '../../src/audit/audit-log.js';
import { sealEntries } from '../../src/audit/chain.js';
import type { AuditEntry, AuditRecord, AuditStore } from '../../src/audit/types.js';
import { canonicalJson } from '../../src/util/canonical-json.js';
import { call } from './audit.suite.js';

/** An in-memory AuditStore that records how it was called and can be told to fail. */
function fakeStore() {
  const records: AuditRecord[] = [];
  const batches: number[] = [];
  const state = { fail: false };
  const store: AuditStore = {
    async append(entries: AuditEntry[]) {
      if (state.fail) throw new Error('store down');
      const last = records.at(-1);
      const sealed = sealEntries(last ?? { seq: 0, hash: '0'.repeat(64) }, entries);
      records.push(...sealed);
      batches.push(entries.length);
      return sealed;
    },
    query: async () => records,
    async *iterate() {
      yield* records;
    },
    head: async () => records.at(-1),
    checkpoint: async () => undefined,
    count: async () => records.length,
    prune: async () => 0,
  };
  return { store, records, batches, state };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  if (!cond()) throw new Error('condition never held');
}

describe('AuditLog', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('queues synchronously and writes a batch when the timer fires', async () => {
    vi.useFakeTimers();
    const f = fakeStore();
    const log = new AuditLog(f.store, { flushIntervalMs: 100 });
    for (let i = 0; i < 5; i++) log.record(call(i));
    expect(f.batches).toEqual([]);
    expect(log.stats.queued).toBe(5);
    await vi.advanceTimersByTimeAsync(99);
    expect(f.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(f.batches).toEqual([5]);
    expect(log.stats).toMatchObject({ queued: 0, written: 5, healthy: true });
  });

  it('writes at once when a full batch is queued, in batches of maxBatch', async () => {
    vi.useFakeTimers();
    const f = fakeStore();
    const log = new AuditLog(f.store, { flushIntervalMs: 10_000, maxBatch: 200 });
    for (let i = 0; i < 450; i++) log.record(call(i));
    await vi.advanceTimersByTimeAsync(0);
    expect(f.batches).toEqual([200, 200, 50]);
    expect(f.records.map((r) => r.seq)).toEqual(Array.from({ length: 450 }, (_, i) => i + 1));
  });

  it('keeps entries while the store is down and writes them when it returns', async () => {
    vi.useFakeTimers();
    const f = fakeStore();
    const errors: unknown[] = [];
    const log = new AuditLog(f.store, { flushIntervalMs: 100, onError: (e) => errors.push(e) });
    f.state.fail = true;
    log.record(call(1));
    log.record(call(2));
    await vi.advanceTimersByTimeAsync(100);
    expect(errors).toHaveLength(1);
    expect(log.stats).toMatchObject({ queued: 2, healthy: false, failedFlushes: 1 });
    f.state.fail = false;
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.records).toHaveLength(2);
    expect(log.stats).toMatchObject({ queued: 0, healthy: true });
  });

  it('bounds memory during an outage and counts what it dropped', async () => {
    const f = fakeStore();
    f.state.fail = true;
    const log = new AuditLog(f.store, { flushIntervalMs: 60_000, maxBatch: 1000, maxQueue: 10 });
    for (let i = 0; i < 15; i++) log.record(call(i));
    expect(log.stats).toMatchObject({ queued: 10, dropped: 5 });
    await expect(log.flush()).rejects.toThrow('store down');
    f.state.fail = false;
    await log.close();
    expect(f.records.map((r) => r.ts)).toEqual(Array.from({ length: 10 }, (_, i) => call(i + 5).ts));
  });

  it('close() drains everything; records after close are dropped, not thrown', async () => {
    const f = fakeStore();
    const log = new AuditLog(f.store, { flushIntervalMs: 60_000 });
    log.record(call(1));
    await log.close();
    expect(f.records).toHaveLength(1);
    expect(() => log.record(call(2))).not.toThrow();
    expect(log.stats.dropped).toBe(1);
  });

  it('group commit: write-ahead records arriving while a flush runs share the next one', async () => {
    const f = fakeStore();
    // A store whose commits take a while and are released by the test, one at a time.
    const gates: (() => void)[] = [];
    const append = f.store.append.bind(f.store);
    f.store.append = async (entries) => {
      await new Promise<void>((r) => gates.push(r));
      return append(entries);
    };
    const log = new AuditLog(f.store, { flushIntervalMs: 60_000 });
    const first = log.recordDurable(call(0));
    await until(() => gates.length === 1);
    // 20 calls arrive while the first commit is in progress, plus a batched refusal.
    const next = Array.from({ length: 20 }, (_, i) => log.recordDurable(call(i + 1)));
    log.record(call(99, { decision: 'deny', upstream: 'none' }));
    gates.shift()!();
    expect((await first).seq).toBe(1);
    await until(() => gates.length === 1);
    gates.shift()!();
    const records = await Promise.all(next);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect(f.batches).toEqual([1, 21]);
    expect(log.stats).toMatchObject({ commits: 2, durable: 21, queued: 0 });
  });

  it('group commit: while calls are out, a record arriving a turn later shares the commit; a lone one does not wait', async () => {
    const f = fakeStore();
    const log = new AuditLog(f.store, { flushIntervalMs: 60_000 });
    const turn = () => new Promise<void>((r) => setImmediate(r));
    const outcome = (i: number) => call(i, { decision: 'outcome', args: undefined, call: `call-${i}` });
    // Nothing in flight: committed on the next turn, alone.
    await log.recordDurable(call(0, { call: 'call-0' }));
    await log.flush(); // the flush that committed it has finished
    expect(f.batches).toEqual([1]);
    // call-0 is out (forwarded, no outcome yet): a record one turn behind joins the group.
    const a = log.recordDurable(call(1, { call: 'call-1' }));
    await turn();
    const b = log.recordDurable(call(2, { call: 'call-2' }));
    await Promise.all([a, b]);
    expect(f.batches).toEqual([1, 2]);
    // Every forwarded call has ended: the next lone record does not wait for company.
    for (const i of [0, 1, 2]) log.record(outcome(i));
    await log.flush();
    expect(f.batches).toEqual([1, 2, 3]);
    const c = log.recordDurable(call(3, { call: 'call-3' }));
    await turn();
    const d = log.recordDurable(call(4, { call: 'call-4' }));
    await Promise.all([c, d]);
    expect(f.batches).toEqual([1, 2, 3, 1, 1]);
    await log.close();
  });

  it('a write-ahead record the store refuses fails its caller and is never written later', async () => {
    const f = fakeStore();
    const errors: unknown[] = [];
    const log = new AuditLog(f.store, { flushIntervalMs: 60_000, onError: (e) => errors.push(e) });
    f.state.fail = true;
    log.record(call(1, { decision: 'deny', upstream: 'none' }));
    await expect(log.recordDurable(call(2))).rejects.toThrow('store down');
    expect(log.stats).toMatchObject({ queued: 1, durableFailed: 1, healthy: false, lastError: 'store down' });
    f.state.fail = false;
    await expect(log.recordDurable(call(3))).resolves.toMatchObject({ seq: 2 });
    // The refusal kept for the retry, then the call that went ahead; the refused call is not there.
    expect(f.records.map((r) => r.ts)).toEqual([call(1).ts, call(3).ts]);
    expect(log.stats).toMatchObject({ healthy: true, durable: 1 });
    expect(log.stats.lastError).toBeUndefined();
    await log.close();
    await expect(log.recordDurable(call(4))).rejects.toThrow(/closed/);
    expect(errors.length).toBeGreaterThan(0);
  });

  it('never drops a write-ahead record to bound memory, and says when it drops others', async () => {
    const f = fakeStore();
    const errors: string[] = [];
    const log = new AuditLog(f.store, {
      flushIntervalMs: 60_000,
      maxQueue: 3,
      onError: (e) => errors.push((e as Error).message),
    });
    const durable = log.recordDurable(call(0));
    for (let i = 1; i <= 4; i++) log.record(call(i));
    expect(log.stats).toMatchObject({ queued: 3, dropped: 2 });
    expect(errors.at(-1)).toMatch(/audit record\(s\) dropped/);
    await durable;
    await log.close();
    expect(f.records.map((r) => r.ts)).toEqual([call(0).ts, call(3).ts, call(4).ts]);
  });

  it('never throws from record(), even for unserializable arguments', async () => {
    const f = fakeStore();
    const log = new AuditLog(f.store);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => log.record(call(1, { args: cyclic }))).not.toThrow();
    expect(() => log.record(call(2, { args: { big: 10n } }))).not.toThrow();
    await log.close();
    expect(f.records.map((r) => r.args)).toEqual(['[unserializable arguments]', { big: '10' }]);
  });
});

describe('toEntry', () => {
  it('digests the raw arguments and stores them redacted', () => {
    const args = { password: 'hunter2', q: 'x' };
    const e = toEntry(call(1, { args }));
    expect(e.args).toEqual({ password: '[REDACTED]', q: 'x' });
    expect(e.argsDigest).toBe(createHash('sha256').update(canonicalJson(args)).digest('hex'));
  });

  it('normalizes values both databases store unchanged', () => {
    const e = toEntry(
      call(1, { ts: 1.7, latencyMs: Number.NaN, reason: 'a\u0000b\uD800', session: undefined }),
    );
    expect(e).toMatchObject({ ts: 2, latencyMs: 0, reason: 'a\uFFFDb\uFFFD' });
    expect('session' in e).toBe(false);
    expect(toEntry({ ...call(1), args: undefined }).args).toBeUndefined();
  });
});
