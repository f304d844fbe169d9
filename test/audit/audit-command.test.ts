import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/index.js';
import { runAuditCommand } from '../../src/cli/audit-command.js';
import type { Store } from '../../src/store/index.js';
import { type StoreHarness, sqliteHarness } from '../store/harness.js';
import { call } from './audit.suite.js';

describe('toolgate audit', () => {
  let h: StoreHarness;
  let store: Store;
  let out: string;
  let err: string;
  const ctx = (extra: object = {}) => ({
    store,
    stdout: (s: string) => {
      out += s;
    },
    stderr: (s: string) => {
      err += s;
    },
    now: () => call(10).ts! + 1,
    ...extra,
  });
  const run = (...argv: string[]) => runAuditCommand(argv, ctx());

  beforeEach(async () => {
    h = await sqliteHarness();
    store = await h.open();
    const log = new AuditLog(store.audit);
    for (let i = 1; i <= 10; i++)
      log.record(call(i, { decision: i === 3 ? 'deny' : 'allow', args: { token: 'SECRET' } }));
    await log.close();
    out = '';
    err = '';
  });
  afterEach(async () => {
    await h.dispose();
  });

  it('verify exits 0 on an intact log and prints the head hash', async () => {
    expect(await run('verify')).toBe(0);
    const head = await store.audit.head();
    expect(out).toContain(`10 records`);
    expect(out).toContain(head!.hash);
  });

  it('verify names the calls whose outcome was never recorded, and does not call the log intact', async () => {
    expect(out).toBe('');
    const log = new AuditLog(store.audit);
    const intent = (i: number) => call(i, { upstream: 'pending', call: `call-${i}` });
    for (const i of [11, 12, 13]) await log.recordDurable(intent(i));
    log.record(call(12, { decision: 'outcome', upstream: 'ok', call: 'call-12', args: undefined }));
    await log.close();
    expect(await run('verify')).toBe(0);
    expect(out).toMatch(/^Audit chain intact: 14 records/);
    expect(out).toContain('2 calls have no recorded outcome');
    expect(out).toContain('record 11  call call-11');
    expect(out).toContain('record 13  call call-13');
    expect(out).not.toContain('call-12');
    out = '';
    expect(await run('verify', '--json')).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      ok: true,
      unfinished: [
        { seq: 11, call: 'call-11', server: 'everything', tool: 'echo' },
        { seq: 13, call: 'call-13' },
      ],
    });
  });

  it('verify exits 1 naming each problem', async () => {
    await h.exec('UPDATE audit SET reason = $1 WHERE seq = $2', ['x', 2]);
    await h.exec('DELETE FROM audit WHERE seq = $1', [7]);
    expect(await run('verify')).toBe(1);
    expect(out).toContain('record 2: edited');
    expect(out).toContain('record 8: deleted');
    expect(out).toContain('2 problem(s)');
    out = '';
    expect(await run('verify', '--json')).toBe(1);
    expect(JSON.parse(out)).toMatchObject({
      ok: false,
      records: 9,
      problems: [
        { seq: 2, kind: 'edited' },
        { seq: 8, kind: 'deleted' },
      ],
    });
  });

  it('tail prints the last n records, oldest first, as text or JSON', async () => {
    expect(await run('tail', '-n', '3')).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('#8');
    expect(lines[0]).toContain('everything/echo');
    out = '';
    await run('tail', '--json');
    expect(
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).seq),
    ).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(out).not.toContain('SECRET');
  });

  it('tail -f follows new records until stopped', async () => {
    const ac = new AbortController();
    const done = runAuditCommand(['tail', '-n', '1', '-f', '--json'], ctx({ signal: ac.signal, pollMs: 10 }));
    await store.audit.append([
      {
        ts: 1,
        grant: 'g',
        server: 'memory',
        method: 'tools/list',
        argsDigest: 'x',
        decision: 'hide',
        latencyMs: 0,
        upstream: 'none',
      },
    ]);
    await expect.poll(() => out.trim().split('\n').length, { timeout: 2000 }).toBe(2);
    ac.abort();
    expect(await done).toBe(0);
    expect(JSON.parse(out.trim().split('\n')[1]!)).toMatchObject({ seq: 11, decision: 'hide' });
  });

  it('export writes JSONL, optionally since a time or duration', async () => {
    expect(await run('export', '--format', 'jsonl')).toBe(0);
    expect(out.trim().split('\n')).toHaveLength(10);
    const rec = JSON.parse(out.split('\n')[0]!);
    expect(rec).toMatchObject({ seq: 1, prevHash: '0'.repeat(64) });
    out = '';
    await run('export', '--since', new Date(call(8).ts!).toISOString());
    expect(out.trim().split('\n')).toHaveLength(3);
    out = '';
    await run('export', '--since', '1s');
    expect(out.trim().split('\n')).toHaveLength(10);
  });

  it('rejects bad usage with exit 2', async () => {
    expect(await run('export', '--format', 'csv')).toBe(2);
    expect(await run('export', '--since', 'yesterday')).toBe(2);
    expect(await run('tail', '-n', 'lots')).toBe(2);
    expect(await run('nope')).toBe(2);
    expect(await run()).toBe(2);
    expect(err).toContain('usage:');
  });
});
