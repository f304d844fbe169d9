import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/types.js';
import { hashToken } from '../../src/auth/tokens.js';
import { isStoreError, type Store, StoreError } from '../../src/store/index.js';
import { approvalCases } from './approvals.cases.js';
import type { HarnessFactory, StoreHarness } from './harness.js';

export function entry(i: number, over: Partial<AuditEntry> = {}): AuditEntry {
  return {
    ts: 1_700_000_000_000 + i * 1000,
    grant: i % 2 === 0 ? 'alpha' : 'beta',
    session: `s-${i}`,
    server: 'everything',
    tool: i % 3 === 0 ? 'echo' : 'add',
    method: 'tools/call',
    argsDigest: 'd'.repeat(64),
    args: { i, nested: { list: [1, 'two', null] } },
    decision: i % 4 === 0 ? 'deny' : 'allow',
    latencyMs: i + 0.25,
    upstream: 'ok',
    ...over,
  };
}

/** Every Store implementation runs this same suite (hono's common.case.test pattern). */
export function storeSuite(name: string, factory: HarnessFactory): void {
  describe(`${name} store`, () => {
    let h: StoreHarness;
    let store: Store;
    beforeEach(async () => {
      h = await factory();
      store = await h.open();
    });
    afterEach(async () => {
      await h.dispose();
    });

    describe('migrations', () => {
      it('applies every migration once, in order, and records them', async () => {
        const rows = await h.exec('SELECT version, name FROM schema_migrations ORDER BY version');
        expect(rows.map((r) => Number(r.version))).toEqual([1, 2, 3, 4]);
        const again = await h.open();
        expect(await h.exec('SELECT version FROM schema_migrations')).toHaveLength(4);
        await again.close();
      });

      it('creates the approvals and tool_pins tables for later features', async () => {
        await h.exec(
          'INSERT INTO tool_pins (id, server, tool, hash, definition, accepted_at) VALUES ($1, $2, $3, $4, $5, $6)',
          ['p1', 'everything', 'echo', 'h'.repeat(64), '{"name":"echo"}', 1],
        );
        expect(await h.exec('SELECT id FROM tool_pins')).toHaveLength(1);
        expect(await h.exec('SELECT id FROM approvals')).toEqual([]);
      });

      it('refuses a database migrated by a newer toolgate', async () => {
        await h.exec('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          99,
          'future',
          1,
        ]);
        await expect(h.open()).rejects.toMatchObject({ code: 'SCHEMA_TOO_NEW' });
      });
    });

    approvalCases({ store: () => store, harness: () => h });

    describe('grants', () => {
      const token = 'tg_' + 'a'.repeat(43);
      const base = { name: 'support', tokenSha256: hashToken(token), servers: ['everything', 'memory'] };

      it('creates and reads a grant by name and by token hash', async () => {
        const g = await store.grants.create({
          ...base,
          policy: './p.json',
          expiresAt: 5000,
          createdAt: 1000,
        });
        expect(g).toEqual({ ...base, policy: './p.json', expiresAt: 5000, createdAt: 1000, source: 'store' });
        expect(await store.grants.get('support')).toEqual(g);
        expect(await store.grants.findByTokenHash(hashToken(token))).toEqual(g);
        expect(await store.grants.findByTokenHash(hashToken(token).toUpperCase())).toEqual(g);
        expect(await store.grants.findByTokenHash(hashToken('tg_other'))).toBeUndefined();
        expect(await store.grants.get('nobody')).toBeUndefined();
      });

      it('omits optional fields that were not set', async () => {
        const g = await store.grants.create(base);
        expect(Object.keys(g).sort()).toEqual(['createdAt', 'name', 'servers', 'source', 'tokenSha256']);
      });

      it('rejects a duplicate name with GRANT_EXISTS and a reused token with TOKEN_REUSED', async () => {
        await store.grants.create(base);
        const dup = await store.grants
          .create({ ...base, tokenSha256: hashToken('x') })
          .catch((e: unknown) => e);
        expect(dup).toBeInstanceOf(StoreError);
        expect(isStoreError(dup, 'GRANT_EXISTS')).toBe(true);
        expect((dup as Error).message).toContain('support');
        await expect(store.grants.create({ ...base, name: 'other' })).rejects.toMatchObject({
          code: 'TOKEN_REUSED',
        });
      });

      it('lists grants by name', async () => {
        await store.grants.create({ ...base, name: 'zeta', tokenSha256: hashToken('1') });
        await store.grants.create({ ...base, name: 'alpha', tokenSha256: hashToken('2') });
        expect((await store.grants.list()).map((g) => g.name)).toEqual(['alpha', 'zeta']);
      });

      it('revokes once; revoking again or an unknown name reports false', async () => {
        await store.grants.create({ ...base, createdAt: 1000 });
        expect(await store.grants.revoke('support', 2000)).toBe(true);
        expect(await store.grants.revoke('support', 3000)).toBe(false);
        expect(await store.grants.revoke('nobody', 3000)).toBe(false);
        expect((await store.grants.findByTokenHash(base.tokenSha256))?.revokedAt).toBe(2000);
      });

      it('reports creations and revocations through changedSince', async () => {
        await store.grants.create({ ...base, name: 'old', tokenSha256: hashToken('1'), createdAt: 1000 });
        await store.grants.create({ ...base, name: 'new', tokenSha256: hashToken('2'), createdAt: 5000 });
        expect((await store.grants.changedSince(4000)).map((g) => g.name)).toEqual(['new']);
        await store.grants.revoke('old', 6000);
        const changed = await store.grants.changedSince(5500);
        expect(changed.map((g) => [g.name, g.revokedAt])).toEqual([['old', 6000]]);
      });

      it('sees a grant made and revoked through another connection (another replica)', async () => {
        const replica = await h.open();
        await store.grants.create(base);
        expect(await replica.grants.findByTokenHash(base.tokenSha256)).toMatchObject({ name: 'support' });
        await replica.grants.revoke('support', Date.now());
        expect((await store.grants.get('support'))?.revokedAt).toBeTypeOf('number');
      });
    });

    describe('audit', () => {
      it('appends batches with contiguous seqs linked by prevHash', async () => {
        const a = await store.audit.append([entry(1), entry(2)]);
        const b = await store.audit.append([entry(3)]);
        expect([...a, ...b].map((r) => r.seq)).toEqual([1, 2, 3]);
        expect(a[0]!.prevHash).toBe('0'.repeat(64));
        expect(a[1]!.prevHash).toBe(a[0]!.hash);
        expect(b[0]!.prevHash).toBe(a[1]!.hash);
        expect(await store.audit.head()).toEqual({ seq: 3, hash: b[0]!.hash });
        expect(await store.audit.count()).toBe(3);
        expect(await store.audit.append([])).toEqual([]);
      });

      it('returns records exactly as appended', async () => {
        const withOptional = entry(1, { rule: 'tools.echo', reason: 'why', approver: 'ann', note: 'n' });
        const bare: AuditEntry = { ...entry(2) };
        delete bare.session;
        delete bare.tool;
        delete bare.args;
        const written = await store.audit.append([withOptional, bare]);
        expect(await store.audit.query()).toEqual(written);
      });

      it('filters, orders and limits queries', async () => {
        await store.audit.append(Array.from({ length: 10 }, (_, i) => entry(i + 1)));
        const q = (f: Parameters<Store['audit']['query']>[0]) =>
          store.audit.query(f).then((rs) => rs.map((r) => r.seq));
        expect(await q({ grant: 'alpha' })).toEqual([2, 4, 6, 8, 10]);
        expect(await q({ decision: 'deny' })).toEqual([4, 8]);
        expect(await q({ tool: 'echo', server: 'everything' })).toEqual([3, 6, 9]);
        expect(await q({ session: 's-7' })).toEqual([7]);
        expect(await q({ since: entry(8).ts })).toEqual([8, 9, 10]);
        expect(await q({ until: entry(3).ts })).toEqual([1, 2]);
        expect(await q({ afterSeq: 8 })).toEqual([9, 10]);
        expect(await q({ order: 'desc', limit: 3 })).toEqual([10, 9, 8]);
      });

      it('iterates every record in seq order across pages', async () => {
        await store.audit.append(Array.from({ length: 7 }, (_, i) => entry(i + 1)));
        const seqs: number[] = [];
        for await (const r of store.audit.iterate({ batchSize: 3 })) seqs.push(r.seq);
        expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7]);
        const since: number[] = [];
        for await (const r of store.audit.iterate({ batchSize: 2, since: entry(5).ts })) since.push(r.seq);
        expect(since).toEqual([5, 6, 7]);
      });

      it('prunes a prefix, keeps a checkpoint, and continues the chain after it', async () => {
        const first = await store.audit.append(Array.from({ length: 5 }, (_, i) => entry(i + 1)));
        expect(await store.audit.prune(entry(4).ts, 42)).toBe(3);
        expect(await store.audit.checkpoint()).toEqual({
          seq: 4,
          prevHash: first[2]!.hash,
          prunedAt: 42,
          prunedCount: 3,
        });
        expect(await store.audit.prune(entry(4).ts)).toBe(0);
        const [next] = await store.audit.append([entry(6)]);
        expect(next).toMatchObject({ seq: 6, prevHash: first[4]!.hash });
      });

      it("links onto another writer's records when it was overtaken between two appends", async () => {
        const other = await h.open();
        const a1 = await store.audit.append([entry(1), entry(2)]);
        const b = await other.audit.append([entry(3)]);
        // This writer last wrote seq 2; seq 3 is the other's: the append must link onto it.
        const a2 = await store.audit.append([entry(4), entry(5)]);
        expect(b[0]).toMatchObject({ seq: 3, prevHash: a1[1]!.hash });
        expect(a2.map((r) => [r.seq, r.prevHash])).toEqual([
          [4, b[0]!.hash],
          [5, a2[0]!.hash],
        ]);
        expect(store.health()).toMatchObject({ state: 'up' });
        expect((await store.audit.query()).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
      });

      it('keeps linking after pruning everything', async () => {
        const all = await store.audit.append([entry(1), entry(2)]);
        expect(await store.audit.prune(Number.MAX_SAFE_INTEGER)).toBe(2);
        expect(await store.audit.count()).toBe(0);
        const [next] = await store.audit.append([entry(3)]);
        expect(next).toMatchObject({ seq: 3, prevHash: all[1]!.hash });
      });
    });

    describe('pins', () => {
      const def = (d: string) => ({ name: 'echo', description: d });
      it('has no pin before the first accept, then the accepted one', async () => {
        expect(await store.pins.get('everything', 'echo')).toBeUndefined();
        const pin = await store.pins.accept('everything', 'echo', 'a'.repeat(64), def('v1'), 1000);
        expect(pin).toEqual({
          server: 'everything',
          tool: 'echo',
          hash: 'a'.repeat(64),
          definition: def('v1'),
          acceptedAt: 1000,
        });
        expect(await store.pins.get('everything', 'echo')).toEqual(pin);
      });

      it('makes the last accepted hash current, also one seen before, and never ties', async () => {
        await store.pins.accept('everything', 'echo', 'a'.repeat(64), def('v1'), 1000);
        // Same clock reading: the new pin is still strictly later.
        const b = await store.pins.accept('everything', 'echo', 'b'.repeat(64), def('v2'), 1000);
        expect(b.acceptedAt).toBe(1001);
        expect((await store.pins.get('everything', 'echo'))?.hash).toBe('b'.repeat(64));
        const back = await store.pins.accept('everything', 'echo', 'a'.repeat(64), def('v1'), 1001);
        expect(back.acceptedAt).toBe(1002);
        expect(await store.pins.get('everything', 'echo')).toMatchObject({
          hash: 'a'.repeat(64),
          acceptedAt: 1002,
        });
        expect(await h.exec('SELECT hash FROM tool_pins')).toHaveLength(2);
      });

      it('is idempotent for the current hash', async () => {
        const first = await store.pins.accept('everything', 'echo', 'a'.repeat(64), def('v1'), 1000);
        expect(await store.pins.accept('everything', 'echo', 'a'.repeat(64), def('v1'), 5000)).toEqual(first);
      });

      it('lists the current pin of every tool, optionally of one server', async () => {
        await store.pins.accept('memory', 'read_graph', 'c'.repeat(64), { name: 'read_graph' }, 10);
        await store.pins.accept('everything', 'echo', 'a'.repeat(64), def('v1'), 20);
        await store.pins.accept('everything', 'echo', 'b'.repeat(64), def('v2'), 30);
        await store.pins.accept('everything', 'add', 'd'.repeat(64), { name: 'add' }, 40);
        const all = await store.pins.list();
        expect(all.map((p) => `${p.server}/${p.tool}/${p.hash[0]}`)).toEqual([
          'everything/add/d',
          'everything/echo/b',
          'memory/read_graph/c',
        ]);
        expect((await store.pins.list('memory')).map((p) => p.tool)).toEqual(['read_graph']);
        expect(await store.pins.list('nope')).toEqual([]);
      });

      it('is shared by two writers on the same database', async () => {
        const other = await h.open();
        await other.pins.accept('everything', 'echo', 'e'.repeat(64), def('v9'), 50);
        expect((await store.pins.get('everything', 'echo'))?.definition).toEqual(def('v9'));
      });
    });

    describe('lifecycle', () => {
      it('pings, closes idempotently, and refuses work once closed', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
        await store.close();
        await store.close();
        await expect(store.grants.list()).rejects.toMatchObject({ code: 'STORE_CLOSED' });
      });
    });
  });
}
