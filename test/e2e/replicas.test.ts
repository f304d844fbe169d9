/**
 * Issue 5, "Must show": two `toolgate serve` processes on one PostgreSQL + Redis.
 * - a grant created through one (CLI against the shared store, or `POST /api/grants` on one
 *   process) works on the other;
 * - a revoke on one (`DELETE /api/grants/:name` on one process, or `grants revoke` via the CLI)
 *   stops the next call on the other within about a second (polled with a deadline);
 * - counters are shared: a limit of N across both processes admits exactly N;
 * - both write to one hash-chained audit log that `toolgate audit verify` accepts, with exactly
 *   the records this test's calls produced.
 * PostgreSQL (127.0.0.1:5432, db `test`) gets a schema of its own, dropped afterwards; the shared
 * Redis (127.0.0.1:6379) is only touched under a unique key prefix, deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  awayFromWindowEnd,
  EVERYTHING_STDIO,
  ensureFreshBuild,
  type GatewayProcess,
  runCli,
  spawnGateway,
} from '../support/e2e.js';
import { type HttpReply, McpSession, resultText } from '../support/mcp-http.js';

/** Trust auth, but the client still needs a user name (CI has no $USER). */
const PG_URL = process.env.TOOLGATE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = 'redis://127.0.0.1:6379';
const ADMIN = `admin-${randomBytes(16).toString('hex')}`;
const BOT_TOKEN = `tg_replicaBot_${randomBytes(16).toString('hex')}`;
const LIMIT = 6;
const isError = (r: HttpReply) => (r.body?.result as { isError?: boolean } | undefined)?.isError === true;

describe('two gateway processes on one PostgreSQL + Redis', () => {
  const schema = `tg_test_${randomBytes(6).toString('hex')}`;
  const prefix = `tg-test-replicas-${randomBytes(6).toString('hex')}:`;
  const env = { ...process.env, TG_REPLICA_ADMIN: ADMIN, TG_REPLICA_BOT: BOT_TOKEN };
  let dir: string;
  let configFile: string;
  let a: GatewayProcess;
  let b: GatewayProcess;
  /** tools/call requests that passed authentication, by `grant:decision`: each is one audit record. */
  const expected: Record<string, number> = {};
  const decided = () => Object.values(expected).reduce((x, y) => x + y, 0);
  const tokens: string[] = [BOT_TOKEN];

  const toolgate = (...args: string[]) => runCli([...args, '--config', configFile], env);
  const api = (gw: GatewayProcess, path: string, init: RequestInit = {}) =>
    fetch(`${gw.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      signal: AbortSignal.timeout(15_000),
    });
  const open = (gw: GatewayProcess, token: string) =>
    McpSession.open(`${gw.url}/mcp/everything`, { authorization: `Bearer ${token}` });
  /** One echo through `session` as `grant`; counts it when the gateway decided it (not a 401). */
  const echo = async (grant: string, session: McpSession, message: string) => {
    const r = await session.callTool('echo', { message });
    if (r.status === 200) {
      const key = `${grant}:${isError(r) && resultText(r).startsWith('[RATE LIMITED]') ? 'rate_limited' : isError(r) ? 'deny' : 'allow'}`;
      expected[key] = (expected[key] ?? 0) + 1;
    }
    return r;
  };

  beforeAll(async () => {
    await ensureFreshBuild();
    dir = mkdtempSync(join(tmpdir(), 'toolgate-e2e-replicas-'));
    configFile = join(dir, 'toolgate.yaml');
    writeFileSync(
      configFile,
      stringify({
        listen: { host: '127.0.0.1', port: 0 },
        storage: { postgres: PG_URL, schema },
        counters: { backend: 'redis', url: REDIS_URL, prefix },
        admin: { token_env: 'TG_REPLICA_ADMIN' },
        log: { level: 'debug' },
        servers: {
          everything: {
            ...EVERYTHING_STDIO,
            policy: {
              version: '1',
              default: 'allow',
              tools: { echo: { limits: [{ counter: 'echo', window: 'hour', max: LIMIT, scope: 'grant' }] } },
            },
          },
        },
        grants: [{ name: 'bot', servers: ['everything'], token_env: 'TG_REPLICA_BOT' }],
      }),
    );
    // Start one first: it creates the schema and applies migrations; then the second joins it.
    a = await spawnGateway(configFile, env);
    b = await spawnGateway(configFile, env);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
      await client.end();
    }
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('a grant created with the CLI works on both processes; `grants revoke` stops it on both', async () => {
    const created = await toolgate('grants', 'create', '--name', 'cli-agent', '--server', 'everything');
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.match(/tg_[A-Za-z0-9_-]{43}/g)?.[0];
    expect(token).toBeDefined();
    tokens.push(token!);
    const onA = await open(a, token!);
    const onB = await open(b, token!);
    expect(resultText(await echo('cli-agent', onA, 'cli on a'))).toBe('Echo: cli on a');
    expect(resultText(await echo('cli-agent', onB, 'cli on b'))).toBe('Echo: cli on b');

    const revoked = await toolgate('grants', 'revoke', 'cli-agent');
    expect(revoked.code, revoked.stderr).toBe(0);
    const at = Date.now();
    for (const session of [onA, onB]) {
      const refused = await refusedWithin(() => echo('cli-agent', session, 'after revoke'), 1_500);
      expect(refused.status).toBe(401);
      expect(JSON.stringify(refused.body)).toContain('grant \\"cli-agent\\" was revoked');
    }
    expect(Date.now() - at).toBeLessThan(2_500);
  }, 60_000);

  it('a grant created through one process (POST /api/grants) works on the other; DELETE on the other stops it on the first within ~1 s', async () => {
    const res = await api(a, '/api/grants', {
      method: 'POST',
      body: JSON.stringify({ name: 'api-agent', servers: ['everything'] }),
    });
    expect(res.status).toBe(201);
    const { token } = (await res.json()) as { token: string };
    expect(token).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    tokens.push(token);

    const onB = await open(b, token);
    expect(resultText(await echo('api-agent', onB, 'made on a, used on b'))).toBe(
      'Echo: made on a, used on b',
    );
    const onA = await open(a, token);
    expect(resultText(await echo('api-agent', onA, 'and on a'))).toBe('Echo: and on a');

    const del = await api(b, '/api/grants/api-agent', { method: 'DELETE' });
    expect(del.status).toBe(204);
    const refused = await refusedWithin(() => echo('api-agent', onA, 'after delete'), 1_500);
    expect(refused.status).toBe(401);
    expect(JSON.stringify(refused.body)).toContain('grant \\"api-agent\\" was revoked');
    // A new session with the token is refused at once on both.
    for (const gw of [a, b]) await expect(open(gw, token)).rejects.toThrow(/HTTP 401/);
  }, 60_000);

  it(`counters are shared: ${LIMIT} echoes per hour across both processes, not ${LIMIT} each`, async () => {
    await awayFromWindowEnd(3600, 60_000);
    const sessions = [await open(a, BOT_TOKEN), await open(b, BOT_TOKEN)];
    const outcomes: string[] = [];
    for (let i = 0; i < 2 * LIMIT; i++) {
      const r = await echo('bot', sessions[i % 2]!, `shared ${i}`);
      expect(r.status).toBe(200);
      outcomes.push(isError(r) ? resultText(r) : 'ok');
    }
    expect(outcomes.slice(0, LIMIT)).toEqual(Array(LIMIT).fill('ok'));
    for (const o of outcomes.slice(LIMIT))
      expect(o).toMatch(new RegExp(`^\\[RATE LIMITED\\] echo: ${LIMIT} per hour reached; retry in \\d+s$`));
  }, 60_000);

  it('both processes wrote one audit log, which `audit verify` accepts with exactly these records', async () => {
    // 2 + 2 allowed calls per revoked grant (more if one slipped in before the revoke reached the
    // process, which refusedWithin bounds to ~1 s), LIMIT allowed and LIMIT limited for `bot`.
    expect(expected['bot:allow']).toBe(LIMIT);
    expect(expected['bot:rate_limited']).toBe(LIMIT);
    // Every allowed call has a write-ahead record and an outcome record.
    const allowed = Object.entries(expected)
      .filter(([k]) => k.endsWith(':allow'))
      .reduce((x, [, n]) => x + n, 0);
    const total = decided() + allowed;
    // Each gateway writes its audit batch within ~100 ms; wait until every decision is stored.
    const deadline = Date.now() + 10_000;
    let result: { ok: boolean; records: number; problems: unknown[] } | undefined;
    for (;;) {
      const r = await toolgate('audit', 'verify', '--json');
      result = JSON.parse(r.stdout) as typeof result;
      expect(r.code, r.stdout + r.stderr).toBe(0);
      if (result!.records >= total || Date.now() > deadline) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(result).toMatchObject({ ok: true, records: total, problems: [] });

    const human = await toolgate('audit', 'verify');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^Audit log intact: ${total} records`));

    // The records name who was decided, and every allowed call reached the upstream.
    const exported = await toolgate('audit', 'export');
    expect(exported.code).toBe(0);
    const records = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { grant: string; decision: string; upstream: string; call?: string });
    const decisions = records.filter((r) => r.decision !== 'outcome');
    const tally: Record<string, number> = {};
    for (const r of decisions)
      tally[`${r.grant}:${r.decision}`] = (tally[`${r.grant}:${r.decision}`] ?? 0) + 1;
    expect(tally).toEqual(expected);
    expect(expected['cli-agent:allow']).toBeGreaterThanOrEqual(2);
    expect(expected['api-agent:allow']).toBeGreaterThanOrEqual(2);
    const outcomes = new Map(
      records.filter((r) => r.decision === 'outcome').map((r) => [r.call, r.upstream]),
    );
    const allows = records.filter((r) => r.decision === 'allow');
    expect(allows.every((r) => r.upstream === 'pending' && outcomes.get(r.call) === 'ok')).toBe(true);
    // And no token reached the audit log.
    for (const t of tokens) expect(exported.stdout).not.toContain(t);
  }, 60_000);

  it('no token appears in either process log', () => {
    const logs = a.stderr() + b.stderr();
    expect(logs.length).toBeGreaterThan(0);
    for (const t of [...tokens, ADMIN]) expect(logs).not.toContain(t);
  });
});

/**
 * Repeats `call` until it is refused (not HTTP 200) and returns that reply; fails if it is still
 * accepted after `withinMs`. Every accepted call before the refusal is a real (audited) call.
 */
async function refusedWithin(call: () => Promise<HttpReply>, withinMs: number): Promise<HttpReply> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const r = await call();
    if (r.status !== 200) return r;
    if (Date.now() > deadline) throw new Error(`still accepted ${withinMs} ms after the revoke: ${r.text}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
