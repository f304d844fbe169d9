/**
 * Issue 3, shadow mode end to end: a policy with `mode: shadow` decides every call as it would,
 * lets it through, and the audit log records `shadow_deny` with the rule that would have fired.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { awayFromWindowEnd, connect, isEcho } from '../support/e2e.js';
import { EVERYTHING, startTestGateway } from '../support/gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'toolgate-e2e-shadow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const POLICY = {
  version: '1',
  mode: 'shadow',
  default: 'deny',
  tools: {
    echo: {
      deny_if: [{ path: 'args.message', op: 'contains', value: 'secret', reason: 'no secrets in echoes' }],
      limits: [{ counter: 'shadow_cap', window: 'day', max: 2 }],
    },
  },
};

describe('shadow mode', () => {
  it('lets calls the policy would deny through and audits them as shadow_deny with the rule', async () => {
    const db = join(dir, 'audit.db');
    const gw = await startTestGateway({
      auth: { mode: 'none' },
      storage: { sqlite: db },
      servers: { everything: { ...EVERYTHING, policy: POLICY } },
    });
    try {
      const s = await connect(`${gw.url}/mcp/everything`);
      try {
        await awayFromWindowEnd(86_400, 60_000);
        expect(isEcho(await s.call('echo', { message: 'hello' }), 'hello')).toBe(true);
        // deny_if holds: would be denied, goes through.
        expect(isEcho(await s.call('echo', { message: 'a secret' }), 'a secret')).toBe(true);
        // Not listed and default deny: would be denied, goes through.
        expect((await s.call('get-sum', { a: 2, b: 3 })).text).toBe('The sum of 2 and 3 is 5.');
        // Over the limit (2 per day): would be rate limited, goes through.
        expect(isEcho(await s.call('echo', { message: 'second' }), 'second')).toBe(true);
        expect(isEcho(await s.call('echo', { message: 'third' }), 'third')).toBe(true);
      } finally {
        await s.close();
      }
    } finally {
      await gw.close(); // flushes the audit log
    }

    const store = await openStore({ sqlite: db });
    try {
      const records = await store.audit.query({ limit: 1000 });
      const calls = records.filter((r) => r.method === 'tools/call' && r.decision !== 'outcome');
      // Write-ahead records (the decision, before the call went out); each has its outcome record.
      expect(
        calls.map((r) => ({ tool: r.tool, decision: r.decision, rule: r.rule, upstream: r.upstream })),
      ).toEqual([
        { tool: 'echo', decision: 'allow', rule: 'tools.echo', upstream: 'pending' },
        { tool: 'echo', decision: 'shadow_deny', rule: 'tools.echo.deny_if[0]', upstream: 'pending' },
        { tool: 'get-sum', decision: 'shadow_deny', rule: 'default', upstream: 'pending' },
        { tool: 'echo', decision: 'allow', rule: 'tools.echo', upstream: 'pending' },
        { tool: 'echo', decision: 'shadow_deny', rule: 'tools.echo.limits[0]', upstream: 'pending' },
      ]);
      const outcomes = new Map(
        records.filter((r) => r.decision === 'outcome').map((r) => [r.call, r.upstream]),
      );
      expect(calls.map((r) => outcomes.get(r.call))).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
      expect(calls[1]!.reason).toContain('no secrets in echoes');
      expect(calls[4]!.reason).toMatch(/rate_limited: shadow_cap: 2 per day reached/);
      // The filter the dashboard and CLI will use finds exactly the would-be denials.
      const shadow = await store.audit.query({ decision: 'shadow_deny' });
      expect(shadow.map((r) => r.rule)).toEqual(['tools.echo.deny_if[0]', 'default', 'tools.echo.limits[0]']);
    } finally {
      await store.close();
    }
  });
});
