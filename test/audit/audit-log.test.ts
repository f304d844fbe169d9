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
