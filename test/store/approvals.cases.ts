import { describe, expect, it } from 'vitest';
import type { NewApproval, Store } from '../../src/store/index.js';
import type { StoreHarness } from './harness.js';

let n = 0;
export function newApproval(over: Partial<NewApproval> = {}): NewApproval {
  n++;
  return {
    id: `apr_test_${n}_${Math.random().toString(36).slice(2, 8)}`,
    grant: 'alpha',
    session: 's-1',
    server: 'everything',
    tool: 'echo',
    args: { message: 'hi', api_key: '[REDACTED]' },
    argsDigest: 'd'.repeat(64),
    mode: 'hold',
    rule: 'tools.echo.approval',
    reason: 'needs a person',
    createdAt: 1000,
    expiresAt: 61_000,
    ...over,
  };
}

/** Approval cases of the shared store suite: both stores run them (store.suite.ts). */
export function approvalCases(ctx: { store(): Store; harness(): StoreHarness }): void {
  describe('approvals', () => {
    const s = () => ctx.store().approvals;

    it('creates a pending approval and reads it back with every field', async () => {
      const a = newApproval({ holder: 'h1', heldUntil: 5000 });
      const created = await s().create(a);
      expect(created).toEqual({
        id: a.id,
        grant: 'alpha',
        session: 's-1',
        server: 'everything',
        tool: 'echo',
        args: a.args,
        argsDigest: a.argsDigest,
        status: 'pending',
        mode: 'hold',
        rule: 'tools.echo.approval',
        reason: 'needs a person',
        createdAt: 1000,
        expiresAt: 61_000,
        holder: 'h1',
        heldUntil: 5000,
      });
      expect(await s().get(a.id)).toEqual(created);
      expect(await s().get('nope')).toBeUndefined();
    });

    it('lists by status, newest first', async () => {
      const a = await s().create(newApproval({ createdAt: 1000 }));
      const b = await s().create(newApproval({ createdAt: 2000 }));
      await s().decide(a.id, { approved: false, approver: 'ann', now: 3000 });
      expect((await s().list()).map((r) => r.id)).toEqual([b.id, a.id]);
      expect((await s().list({ status: 'pending' })).map((r) => r.id)).toEqual([b.id]);
      expect((await s().list({ status: 'denied' })).map((r) => r.id)).toEqual([a.id]);
    });

    it('decides a pending approval once; a second decision or an unknown id is false', async () => {
      const a = await s().create(newApproval());
      const decided = await s().decide(a.id, { approved: true, approver: 'cli:ann', note: 'ok', now: 2000 });
      expect(decided).toMatchObject({ status: 'approved', approver: 'cli:ann', note: 'ok', decidedAt: 2000 });
      expect(await s().decide(a.id, { approved: false, approver: 'bob', now: 2100 })).toBe(false);
      expect(await s().decide('nope', { approved: true, approver: 'bob', now: 2100 })).toBe(false);
      expect(await s().get(a.id)).toMatchObject({ status: 'approved', approver: 'cli:ann' });
    });

    it('cannot decide an approval past its deadline', async () => {
      const a = await s().create(newApproval({ expiresAt: 5000 }));
      expect(await s().decide(a.id, { approved: true, approver: 'ann', now: 5000 })).toBe(false);
      expect((await s().get(a.id))?.status).toBe('pending');
    });

    it('two approvers racing (another replica): exactly one wins', async () => {
      const replica = await ctx.harness().open();
      const a = await s().create(newApproval());
      const results = await Promise.all([
        s().decide(a.id, { approved: true, approver: 'ann', now: 2000 }),
        replica.approvals.decide(a.id, { approved: false, approver: 'bob', now: 2000 }),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('approving a retry-mode approval restarts its clock', async () => {
      const a = await s().create(newApproval({ mode: 'retry', createdAt: 1000, expiresAt: 11_000 }));
      expect(await s().decide(a.id, { approved: true, approver: 'ann', now: 9000 })).toMatchObject({
        expiresAt: 19_000,
      });
      const h = await s().create(newApproval({ createdAt: 1000, expiresAt: 11_000 }));
      expect(await s().decide(h.id, { approved: true, approver: 'ann', now: 9000 })).toMatchObject({
        expiresAt: 11_000,
      });
    });

    it('consumes a retry approval once, only for the exact grant, tool and arguments', async () => {
      const a = await s().create(newApproval({ mode: 'retry' }));
      const match = { grant: 'alpha', server: 'everything', tool: 'echo', argsDigest: 'd'.repeat(64) };
      expect(await s().consume(match, 1500)).toBeUndefined(); // still pending
      await s().decide(a.id, { approved: true, approver: 'ann', now: 2000 });
      expect(await s().consume({ ...match, argsDigest: 'e'.repeat(64) }, 2500)).toBeUndefined();
      expect(await s().consume({ ...match, grant: 'beta' }, 2500)).toBeUndefined();
      expect(await s().consume({ ...match, tool: 'add' }, 2500)).toBeUndefined();
      expect(await s().consume(match, 2500)).toMatchObject({ id: a.id, consumedAt: 2500 });
      expect(await s().consume(match, 2600)).toBeUndefined();
    });

    it('does not consume a denied or expired approval', async () => {
      const d = await s().create(newApproval({ mode: 'retry' }));
      await s().decide(d.id, { approved: false, approver: 'ann', now: 2000 });
      expect(await s().consume({ id: d.id }, 2500)).toBeUndefined();
      const e = await s().create(newApproval({ mode: 'retry', createdAt: 1000, expiresAt: 3000 }));
      await s().decide(e.id, { approved: true, approver: 'ann', now: 2000 }); // usable until 4000
      expect(await s().consume({ id: e.id }, 4000)).toBeUndefined();
    });

    it('two concurrent consumers on two connections: exactly one gets the approval', async () => {
      const replica = await ctx.harness().open();
      const a = await s().create(newApproval({ mode: 'retry' }));
      await s().decide(a.id, { approved: true, approver: 'ann', now: 2000 });
      const match = { grant: 'alpha', server: 'everything', tool: 'echo', argsDigest: 'd'.repeat(64) };
      const got = await Promise.all([
        s().consume(match, 2500),
        replica.approvals.consume(match, 2500),
        s().consume({ id: a.id }, 2500),
      ]);
      expect(got.filter(Boolean)).toHaveLength(1);
    });

    it('ends a pending approval as withdrawn or expired, once', async () => {
      const a = await s().create(newApproval());
      expect(await s().end(a.id, { status: 'withdrawn', now: 2000, note: 'client went away' })).toMatchObject(
        {
          status: 'withdrawn',
          note: 'client went away',
        },
      );
      expect(await s().end(a.id, { status: 'expired', now: 2100 })).toBeUndefined();
      expect(await s().decide(a.id, { approved: true, approver: 'ann', now: 2200 })).toBe(false);
    });

    it('expires past-deadline approvals and held ones whose lease lapsed, each once', async () => {
      const late = await s().create(newApproval({ expiresAt: 5000 }));
      const lapsed = await s().create(newApproval({ holder: 'dead', heldUntil: 3000 }));
      const live = await s().create(newApproval({ holder: 'alive', heldUntil: 3000 }));
      const retry = await s().create(newApproval({ mode: 'retry', expiresAt: 9000 }));
      expect(await s().renew('alive', 10_000)).toBe(1);
      const expired = await s().expire(6000);
      expect(expired.map((r) => r.id).sort()).toEqual([late.id, lapsed.id].sort());
      expect(expired.find((r) => r.id === lapsed.id)?.note).toContain('stopped');
      expect(await s().expire(6000)).toEqual([]);
      expect((await s().get(live.id))?.status).toBe('pending');
      expect((await s().get(retry.id))?.status).toBe('pending');
    });
  });
}
