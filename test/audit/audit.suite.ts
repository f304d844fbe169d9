import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, type AuditRecord, recordHash, verifyAudit } from '../../src/audit/index.js';
import type { AuditInput } from '../../src/audit/types.js';
import { Redactor } from '../../src/redact/index.js';
import type { Store } from '../../src/store/index.js';
import { AUDIT_COLUMNS, auditParams } from '../../src/store/rows.js';
import type { HarnessFactory, StoreHarness } from '../store/harness.js';

const COLUMNS = AUDIT_COLUMNS.join(', ');

export function call(i: number, over: Partial<AuditInput> = {}): AuditInput {
  return {
    ts: 1_700_000_000_000 + i,
    grant: 'support',
    session: 'sess-1',
    server: 'everything',
    tool: 'echo',
    method: 'tools/call',
    args: { message: `hello ${i}` },
    decision: 'allow',
    rule: 'tools.echo',
    reason: 'allowed by tools.echo',
    latencyMs: 1.5,
    upstream: 'ok',
    ...over,
  };
}

/** Chain, tampering, redaction and multi-writer behaviour, run against every store. */
export function auditSuite(name: string, factory: HarnessFactory): void {
  describe(`audit log on ${name}`, () => {
    let h: StoreHarness;
    let store: Store;
    let log: AuditLog;
    beforeEach(async () => {
      h = await factory();
      store = await h.open();
      log = new AuditLog(store.audit, { flushIntervalMs: 10 });
    });
    afterEach(async () => {
      await log.close();
      await h.dispose();
    });

    async function write(n: number): Promise<void> {
      for (let i = 1; i <= n; i++) log.record(call(i));
      await log.flush();
    }
    async function problems() {
      const r = await verifyAudit(store);
      return r.problems.map((p) => [p.seq, p.kind]);
    }

    it('verifies an untouched chain and reports its head', async () => {
      await write(12);
      const r = await verifyAudit(store);
      expect(r).toMatchObject({ ok: true, records: 12, problems: [] });
      expect(r.head).toEqual(await store.audit.head());
    });

    it('verifies an empty log', async () => {
      expect(await verifyAudit(store)).toEqual({ ok: true, records: 0, problems: [], unfinished: [] });
    });

    it('finds one byte changed in a stored record and names it', async () => {
      await write(10);
      await h.exec('UPDATE audit SET reason = $1 WHERE seq = $2', ['allowed by tools.echO', 4]);
      expect(await problems()).toEqual([[4, 'edited']]);
    });

    it('finds edited arguments, decision and timestamp', async () => {
      await write(10);
      await h.exec('UPDATE audit SET args = $1 WHERE seq = $2', ['{"message":"hello 9!"}', 2]);
      await h.exec('UPDATE audit SET decision = $1 WHERE seq = $2', ['deny', 5]);
      await h.exec('UPDATE audit SET ts = ts + 1 WHERE seq = $1', [8]);
      expect(await problems()).toEqual([
        [2, 'edited'],
        [5, 'edited'],
        [8, 'edited'],
      ]);
    });

    it('reports a record rewritten with a recomputed hash at the break it leaves, once', async () => {
      await write(6);
      const [r] = (await store.audit.query({ afterSeq: 2, limit: 1 })) as [AuditRecord];
      const forged = { ...r, decision: 'deny' as const };
      await h.exec('UPDATE audit SET decision = $1, hash = $2 WHERE seq = $3', [
        'deny',
        recordHash(r.prevHash, forged),
        3,
      ]);
      // Record 4 still links to the true hash of 3: the edit is caught there, and only once.
      const r2 = await verifyAudit(store);
      expect(r2.problems.map((p) => [p.seq, p.kind])).toEqual([[4, 'deleted']]);
      expect(r2.problems[0]!.message).toContain('record 3 was rewritten');
    });

    it('finds a deleted record and names the gap', async () => {
      await write(10);
      await h.exec('DELETE FROM audit WHERE seq = $1', [6]);
      const r = await verifyAudit(store);
      expect(r.ok).toBe(false);
      expect(r.problems).toEqual([expect.objectContaining({ seq: 7, kind: 'deleted' })]);
      expect(r.problems[0]!.message).toContain('record 6 is missing');
    });

    it('finds the first record deleted', async () => {
      await write(3);
      await h.exec('DELETE FROM audit WHERE seq = $1', [1]);
      expect(await problems()).toEqual([[2, 'deleted']]);
    });

    it('finds a deletion hidden by renumbering the records after it', async () => {
      await write(8);
      await h.exec('DELETE FROM audit WHERE seq = $1', [4]);
      await h.exec('UPDATE audit SET seq = -seq + 1 WHERE seq > $1', [4]);
      await h.exec('UPDATE audit SET seq = -seq WHERE seq < 0');
      expect(await problems()).toEqual([[4, 'deleted']]);
    });

    it('finds an inserted record, even one with a valid hash, and names it', async () => {
      await write(8);
      // Make room at seq 6, then slip in a well-formed record that links to record 5.
      await h.exec('UPDATE audit SET seq = -seq - 1 WHERE seq >= $1', [6]);
      await h.exec('UPDATE audit SET seq = -seq WHERE seq < 0');
      const [five] = (await store.audit.query({ afterSeq: 4, limit: 1 })) as [AuditRecord];
      const fake: AuditRecord = { ...five, seq: 6, prevHash: five.hash, reason: 'nothing to see', hash: '' };
      fake.hash = recordHash(five.hash, fake);
      await insertRaw(h, fake);
      const r = await verifyAudit(store);
      expect(r.records).toBe(9);
      expect(r.problems.map((p) => [p.seq, p.kind])).toEqual([[6, 'inserted']]);
      expect(r.problems[0]!.message).toContain('record 6 was inserted');
    });

    it('finds an inserted record with a made-up link', async () => {
      await write(5);
      await h.exec('UPDATE audit SET seq = -seq - 1 WHERE seq >= $1', [3]);
      await h.exec('UPDATE audit SET seq = -seq WHERE seq < 0');
      const [two] = (await store.audit.query({ afterSeq: 1, limit: 1 })) as [AuditRecord];
      await insertRaw(h, { ...two, seq: 3, prevHash: 'f'.repeat(64), hash: 'e'.repeat(64) });
      expect(await problems()).toEqual([[3, 'inserted']]);
    });

    it('reports edit, deletion and insertion together, each once', async () => {
      await write(20);
      await h.exec('UPDATE audit SET tool = $1 WHERE seq = $2', ['ech0', 3]);
      await h.exec('DELETE FROM audit WHERE seq = $1', [10]);
      await h.exec('UPDATE audit SET seq = -seq - 1 WHERE seq >= $1', [15]);
      await h.exec('UPDATE audit SET seq = -seq WHERE seq < 0');
      const [fourteen] = (await store.audit.query({ afterSeq: 13, limit: 1 })) as [AuditRecord];
      const fake: AuditRecord = { ...fourteen, seq: 15, prevHash: fourteen.hash, hash: '' };
      fake.hash = recordHash(fake.prevHash, fake);
      await insertRaw(h, fake);
      expect(await problems()).toEqual([
        [3, 'edited'],
        [11, 'deleted'],
        [15, 'inserted'],
      ]);
    });

    it('never stores secrets: keys are redacted at any depth, extra paths too', async () => {
      await log.close();
      log = new AuditLog(store.audit, {
        redactor: new Redactor({ paths: ['args.card.number', 'items.*.ssn'] }),
      });
      log.record(
        call(1, {
          args: {
            password: 'pw-SECRET-1',
            nested: { deeper: { Authorization: 'Bearer SECRET-2-abcdefgh', apiKey: 'SECRET-3' } },
            list: [{ client_secret: 'SECRET-4' }, { session_token: 'SECRET-5' }],
            card: { number: '4111-SECRET-6', holder: 'Ann' },
            items: [{ ssn: 'SECRET-7' }, { ssn: 'SECRET-8' }],
            cookie: 'SECRET-9',
            note: 'tg_' + 'S'.repeat(43),
            keep: 'visible',
          },
        }),
      );
      await log.flush();
      const rows = await h.exec(`SELECT ${COLUMNS} FROM audit`);
      const dump = JSON.stringify(rows);
      expect(dump).not.toMatch(/SECRET|SSSSSSSS/);
      expect(dump).toContain('visible');
      expect(dump).toContain('Ann');
      const [rec] = await store.audit.query();
      expect(rec!.args).toMatchObject({
        password: '[REDACTED]',
        card: { number: '[REDACTED]', holder: 'Ann' },
      });
      expect((await verifyAudit(store)).ok).toBe(true);
    });

    it('keeps one linear chain with two writers interleaving batches', async () => {
      const other = await h.open();
      const a = new AuditLog(store.audit, { flushIntervalMs: 1, maxBatch: 7 });
      const b = new AuditLog(other.audit, { flushIntervalMs: 1, maxBatch: 5 });
      const flushes: Promise<void>[] = [];
      for (let i = 0; i < 300; i++) {
        a.record(call(i, { grant: 'writer-a' }));
        b.record(call(i, { grant: 'writer-b' }));
        if (i % 10 === 0) flushes.push(a.flush(), b.flush());
        if (i % 25 === 0) await new Promise((r) => setTimeout(r, 1));
      }
      await Promise.all([...flushes, a.close(), b.close()]);
      const r = await verifyAudit(store);
      expect(r).toMatchObject({ ok: true, records: 600, problems: [] });
      const seqs: number[] = [];
      const writers: string[] = [];
      for await (const rec of store.audit.iterate()) {
        seqs.push(rec.seq);
        writers.push(rec.grant);
      }
      expect(seqs).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
      // The batches really did interleave: the writer changes many times along the chain.
      const switches = writers.filter((w, i) => i > 0 && w !== writers[i - 1]).length;
      expect(switches).toBeGreaterThan(10);
    });

    it('verifies after pruning, keeps detecting tampering, and keeps appending', async () => {
      await write(10);
      expect(await store.audit.prune(call(5).ts!)).toBe(4);
      expect(await verifyAudit(store)).toMatchObject({ ok: true, records: 6, checkpoint: { seq: 5 } });
      await write(3);
      expect(await verifyAudit(store)).toMatchObject({ ok: true, records: 9 });
      await h.exec('DELETE FROM audit WHERE seq = $1', [5]);
      expect(await problems()).toEqual([[6, 'deleted']]);
    });

    it('tells onRecord listeners about committed records', async () => {
      const seen: AuditRecord[] = [];
      const off = log.onRecord((r) => seen.push(r));
      await write(3);
      off();
      await write(1);
      expect(seen.map((r) => r.seq)).toEqual([1, 2, 3]);
      expect(seen[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
    });

    describe('write-ahead records', () => {
      const intent = (i: number) => call(i, { upstream: 'pending', call: `call-${i}`, latencyMs: 0 });
      const outcome = (i: number, upstream: 'ok' | 'error' = 'ok') =>
        call(i, { decision: 'outcome', upstream, call: `call-${i}`, args: undefined, rule: undefined });

      it('commits concurrent write-ahead records together: one transaction per group, not per call', async () => {
        const committed = await Promise.all(
          Array.from({ length: 32 }, (_, i) => log.recordDurable(intent(i))),
        );
        // Each promise resolves with its own committed record, already in the store.
        expect(committed.map((r) => r.call)).toEqual(Array.from({ length: 32 }, (_, i) => `call-${i}`));
        expect(await store.audit.count()).toBe(32);
        expect(log.stats).toMatchObject({ durable: 32, commits: 1 });
        const more = Array.from({ length: 10 }, (_, i) => log.recordDurable(intent(100 + i)));
        log.record(outcome(0));
        await Promise.all(more);
        expect(log.stats.commits).toBe(2); // the batched outcome rode along with the group
        expect((await store.audit.query({ decision: 'outcome' })).map((r) => r.call)).toEqual(['call-0']);
      });

      it('round-trips the call id, verifies, and lists the calls whose outcome was never written', async () => {
        for (const i of [1, 2, 3]) await log.recordDurable(intent(i));
        log.record(outcome(2));
        log.record(call(4, { decision: 'deny', upstream: 'none' }));
        await log.flush();
        const r = await verifyAudit(store);
        expect(r).toMatchObject({ ok: true, records: 5, problems: [] });
        expect(r.unfinished.map((u) => [u.seq, u.call, u.tool])).toEqual([
          [1, 'call-1', 'echo'],
          [3, 'call-3', 'echo'],
        ]);
        const [stored] = await store.audit.query({ afterSeq: 3, limit: 1 });
        expect(stored).toMatchObject({ decision: 'outcome', call: 'call-2', upstream: 'ok' });
        expect(stored!.args).toBeUndefined();
      });

      it('seals the call id: changing which call an outcome belongs to is an edit', async () => {
        await log.recordDurable(intent(1));
        await log.recordDurable(intent(2));
        log.record(outcome(1));
        await log.flush();
        await h.exec('UPDATE audit SET call_id = $1 WHERE seq = $2', ['call-2', 3]);
        expect(await problems()).toEqual([[3, 'edited']]);
      });
    });
  });
}

async function insertRaw(h: StoreHarness, r: AuditRecord): Promise<void> {
  const values = auditParams(r);
  await h.exec(
    `INSERT INTO audit (${COLUMNS}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`,
    values,
  );
}
