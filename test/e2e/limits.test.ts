/**
 * Issue 3, end to end through the gateway's HTTP front end with server-everything: call caps,
 * denied calls that do not count, spend caps (`sum`), session vs grant scope, and SQLite counters
 * that survive a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { awayFromWindowEnd, connect, isEcho, RATE_LIMITED, type Session } from '../support/e2e.js';
import { EVERYTHING, startTestGateway, type TestGateway } from '../support/gateway.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-e2e-limits-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function gateway(config: Record<string, unknown>, env?: NodeJS.ProcessEnv): Promise<TestGateway> {
  const gw = await startTestGateway(config, { env });
  let closed = false;
  const close = gw.close.bind(gw);
  gw.close = async () => {
    if (closed) return;
    closed = true;
    await close();
  };
  cleanup.push(() => gw.close());
  return gw;
}

async function session(gw: TestGateway, server = 'everything', token?: string): Promise<Session> {
  const s = await connect(`${gw.url}/mcp/${server}`, { token });
  cleanup.push(() => s.close());
  return s;
}

const sumText = (a: number, b: number) => `The sum of ${a} and ${b} is ${a + b}.`;

describe('limits through the gateway', () => {
  it('max: 3 per minute lets exactly 3 calls through; the 4th is rate limited with retryAfterSeconds', async () => {
    const db = join(tempDir(), 'audit.db');
    const gw = await gateway({
      auth: { mode: 'none' },
      storage: { sqlite: db },
      servers: {
        everything: {
          ...EVERYTHING,
          policy: {
            version: '1',
            default: 'deny',
            tools: { echo: { limits: [{ counter: 'echo_calls', window: 'minute', max: 3 }] } },
          },
        },
      },
    });
    const s = await session(gw);
    await awayFromWindowEnd(60, 20_000);

    const results = [];
    for (let i = 1; i <= 5; i++) results.push(await s.call('echo', { message: `call ${i}` }));
    expect(results.slice(0, 3).map((r, i) => isEcho(r, `call ${i + 1}`))).toEqual([true, true, true]);
    for (const limited of results.slice(3)) {
      expect(limited.isError).toBe(true);
      const m = RATE_LIMITED.exec(limited.text);
      expect(m, limited.text).not.toBeNull();
      expect(m!.slice(1, 4)).toEqual(['echo_calls', '3', 'minute']);
      const retry = limited.meta?.retryAfterSeconds;
      expect(typeof retry).toBe('number');
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(60);
      expect(Number(m![4])).toBe(retry);
    }
    // The upstream answered exactly three echoes.
    expect(results.filter((r) => isEcho(r))).toHaveLength(3);

    // The audit log agrees: three forwarded, two answered by the gateway without the upstream.
    await gw.close();
    const store = await openStore({ sqlite: db });
    try {
      const all = await store.audit.query({ tool: 'echo' });
      // Each forwarded call has a write-ahead record and, once it answered, an outcome record.
      const records = all.filter((r) => r.decision !== 'outcome');
      expect(records.map((r) => [r.decision, r.upstream])).toEqual([
        ['allow', 'pending'],
        ['allow', 'pending'],
        ['allow', 'pending'],
        ['rate_limited', 'none'],
        ['rate_limited', 'none'],
      ]);
      expect(records[3]!.rule).toBe('tools.echo.limits[0]');
      const outcomes = all.filter((r) => r.decision === 'outcome');
      expect(outcomes.map((r) => r.upstream)).toEqual(['ok', 'ok', 'ok']);
      expect(new Set(outcomes.map((r) => r.call))).toEqual(new Set(records.slice(0, 3).map((r) => r.call)));
    } finally {
      await store.close();
    }
  });

  it('denied calls do not count against the limit', async () => {
    const gw = await gateway({
      auth: { mode: 'none' },
      servers: {
        everything: {
          ...EVERYTHING,
          policy: {
            version: '1',
            default: 'deny',
            tools: {
              echo: {
                deny_if: [
                  { path: 'args.message', op: 'eq', value: 'blocked', reason: 'blocked is not sent' },
                ],
                limits: [{ counter: 'echo_calls', window: 'minute', max: 3 }],
              },
            },
          },
        },
      },
    });
    const s = await session(gw);
    await awayFromWindowEnd(60, 25_000);

    expect(isEcho(await s.call('echo', { message: 'one' }), 'one')).toBe(true);
    for (let i = 0; i < 5; i++) {
      expect(await s.call('echo', { message: 'blocked' })).toMatchObject({
        text: '[POLICY DENIED] blocked is not sent',
        isError: true,
      });
    }
    expect(isEcho(await s.call('echo', { message: 'two' }), 'two')).toBe(true);
    expect(isEcho(await s.call('echo', { message: 'three' }), 'three')).toBe(true);
    const fourth = await s.call('echo', { message: 'four' });
    expect(fourth.text).toMatch(RATE_LIMITED);
    // Once limited, a call the policy denies is still answered as denied, not rate limited.
    expect((await s.call('echo', { message: 'blocked' })).text).toBe('[POLICY DENIED] blocked is not sent');
  });

  it('a sum cap stops the call that would cross it and lets smaller ones through', async () => {
    const gw = await gateway({
      auth: { mode: 'none' },
      servers: {
        everything: {
          ...EVERYTHING,
          policy: {
            version: '1',
            default: 'deny',
            tools: {
              'get-sum': { limits: [{ counter: 'spend', window: 'day', max: 10, sum: 'args.a' }] },
            },
          },
        },
      },
    });
    const s = await session(gw);
    await awayFromWindowEnd(86_400, 60_000);

    expect((await s.call('get-sum', { a: 4, b: 1 })).text).toBe(sumText(4, 1)); // 4
    expect((await s.call('get-sum', { a: 5, b: 1 })).text).toBe(sumText(5, 1)); // 9
    const over = await s.call('get-sum', { a: 3, b: 1 }); // 12 > 10: refused, nothing counted
    expect(over.isError).toBe(true);
    expect(over.text).toMatch(/^\[RATE LIMITED\] spend: 10 per day reached; retry in \d+s$/);
    expect(over.meta?.retryAfterSeconds).toEqual(expect.any(Number));
    expect((await s.call('get-sum', { a: 1, b: 1 })).text).toBe(sumText(1, 1)); // exactly 10
    expect((await s.call('get-sum', { a: 0, b: 7 })).text).toBe(sumText(0, 7)); // 0 still fits
    expect((await s.call('get-sum', { a: 1, b: 1 })).text).toMatch(RATE_LIMITED);
    // A sum that cannot be counted is denied (never counted as 0).
    const bad = await s.call('get-sum', { a: -2, b: 1 });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/^\[POLICY DENIED\] /);
  });

  it('scope: session gives each session its own budget; scope: grant shares one per grant', async () => {
    const env = {
      ...process.env,
      TG_E2E_ALPHA: 'alpha-token-0123456789',
      TG_E2E_BETA: 'beta-token-0123456789',
    };
    const gw = await gateway(
      {
        auth: { mode: 'tokens' },
        servers: {
          everything: {
            ...EVERYTHING,
            policy: {
              version: '1',
              default: 'deny',
              tools: {
                echo: { limits: [{ counter: 'per_session', window: 'day', max: 2, scope: 'session' }] },
                'get-sum': { limits: [{ counter: 'per_grant', window: 'day', max: 2, scope: 'grant' }] },
              },
            },
          },
        },
        grants: [
          { name: 'alpha', servers: ['everything'], token_env: 'TG_E2E_ALPHA' },
          { name: 'beta', servers: ['everything'], token_env: 'TG_E2E_BETA' },
        ],
      },
      env,
    );
    const a1 = await session(gw, 'everything', env.TG_E2E_ALPHA);
    const a2 = await session(gw, 'everything', env.TG_E2E_ALPHA);
    const b1 = await session(gw, 'everything', env.TG_E2E_BETA);
    await awayFromWindowEnd(86_400, 60_000);

    // session scope: two sessions of one grant each get 2.
    for (const s of [a1, a2, b1]) {
      expect(isEcho(await s.call('echo', { message: 'x' }))).toBe(true);
      expect(isEcho(await s.call('echo', { message: 'y' }))).toBe(true);
    }
    for (const s of [a1, a2, b1])
      expect((await s.call('echo', { message: 'z' })).text).toMatch(
        /^\[RATE LIMITED\] per_session: 2 per day/,
      );

    // grant scope: the two alpha sessions share 2; beta has its own 2.
    expect((await a1.call('get-sum', { a: 1, b: 1 })).text).toBe(sumText(1, 1));
    expect((await a2.call('get-sum', { a: 2, b: 2 })).text).toBe(sumText(2, 2));
    expect((await a2.call('get-sum', { a: 3, b: 3 })).text).toMatch(/^\[RATE LIMITED\] per_grant: 2 per day/);
    expect((await a1.call('get-sum', { a: 3, b: 3 })).text).toMatch(/^\[RATE LIMITED\] per_grant: 2 per day/);
    expect((await b1.call('get-sum', { a: 4, b: 4 })).text).toBe(sumText(4, 4));
    expect((await b1.call('get-sum', { a: 5, b: 5 })).text).toBe(sumText(5, 5));
    expect((await b1.call('get-sum', { a: 6, b: 6 })).text).toMatch(/^\[RATE LIMITED\] per_grant: 2 per day/);
    // A new alpha session does not get a fresh grant budget.
    const a3 = await session(gw, 'everything', env.TG_E2E_ALPHA);
    expect((await a3.call('get-sum', { a: 7, b: 7 })).text).toMatch(/^\[RATE LIMITED\] per_grant/);
    expect(isEcho(await a3.call('echo', { message: 'fresh session' }), 'fresh session')).toBe(true);
  });
});

describe('SQLite counters', () => {
  it('survive a gateway restart', async () => {
    const dir = tempDir();
    const config = {
      auth: { mode: 'none' },
      storage: { sqlite: join(dir, 'toolgate.db') },
      counters: { backend: 'sqlite' },
      servers: {
        everything: {
          ...EVERYTHING,
          policy: {
            version: '1',
            default: 'deny',
            tools: { echo: { limits: [{ counter: 'durable', window: 'hour', max: 3, scope: 'grant' }] } },
          },
        },
      },
    };
    await awayFromWindowEnd(3600, 90_000);

    const first = await gateway(config);
    const s1 = await session(first);
    expect(isEcho(await s1.call('echo', { message: 'one' }), 'one')).toBe(true);
    expect(isEcho(await s1.call('echo', { message: 'two' }), 'two')).toBe(true);
    await s1.close();
    await first.close();

    const second = await gateway(config);
    const s2 = await session(second);
    expect(isEcho(await s2.call('echo', { message: 'three' }), 'three')).toBe(true);
    const limited = await s2.call('echo', { message: 'four' });
    expect(limited.text).toMatch(/^\[RATE LIMITED\] durable: 3 per hour reached; retry in \d+s$/);
    expect(limited.meta?.retryAfterSeconds).toEqual(expect.any(Number));
  });
});
