/**
 * Issue 14 (F2): a stored grant whose policy cannot be loaded must not take the gateway down. Its
 * calls are denied with a reason the agent can read (and audited with file:line), its tools/list
 * is empty, every other grant keeps working, and the upstream never runs one of its calls. The
 * failure is kept (not re-read per call) and retried when the file changes. Creating such a grant
 * is refused by the admin API and the CLI, with the line.
 *
 * The upstream is our own lenient fixture (test/fixtures/servers/exec-log-server.ts): it appends
 * every tools/call that reaches it to a file, so the test counts what really ran.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/auth/tokens.js';
import { EXEC_LOG_STDIO_COMMAND, executions } from '../fixtures/servers/exec-log-server.js';
import { CLI, connect, ensureFreshBuild, eventually, type Session } from '../support/e2e.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const ADMIN = 'admin-secret-for-policy-faults-0123';
const GOOD_TOKEN = 'tg_good_grant_token_0123456789abcdef';
const BROKEN_TOKEN = 'tg_broken_grant_token_0123456789abcd';
const ALLOW_ECHO = 'version: "1"\ndefault: deny\ntools:\n  echo: {}\n';
/** Line 3, column 18: a stray closing brace. */
const BROKEN_YAML = 'version: "1"\ndefault: deny\ntools: {echo: {}}}\n';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

let dir: string;
let execLog: string;
let rejections: unknown[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'toolgate-policy-faults-'));
  execLog = join(dir, 'executions.jsonl');
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  // What used to kill the process: a rejection nobody handled. The test records any.
  rejections = [];
  const onRejection = (r: unknown) => rejections.push(r);
  process.on('unhandledRejection', onRejection);
  cleanup.push(() => {
    process.off('unhandledRejection', onRejection);
  });
});

/** A gateway on a store in `dir` (so a second gateway is the first one restarted). */
async function gateway(): Promise<TestGateway> {
  const gw = await startTestGateway(
    {
      auth: { mode: 'tokens' },
      admin: { token_env: 'TG_PF_ADMIN' },
      storage: { sqlite: join(dir, 'toolgate.db') },
      servers: {
        lenient: {
          ...EXEC_LOG_STDIO_COMMAND,
          env: { EXEC_LOG: execLog },
          policy: { version: '1', default: 'allow' },
        },
      },
      grants: [{ name: 'good', servers: ['lenient'], token_env: 'TG_PF_GOOD' }],
    },
    { env: { ...process.env, TG_PF_ADMIN: ADMIN, TG_PF_GOOD: GOOD_TOKEN } },
  );
  cleanup.push(() => gw.close());
  return gw;
}

function api(gw: TestGateway, path: string, init: RequestInit = {}) {
  return fetch(`${gw.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
  });
}

async function session(gw: TestGateway, token: string): Promise<Session> {
  const s = await connect(`${gw.url}/mcp/lenient`, { token });
  cleanup.push(() => s.close());
  return s;
}

/** A stored grant as an older gateway, another host or a hand-edited store could have left it. */
async function storeGrant(gw: TestGateway, name: string, token: string, policy: string) {
  await gw.store.grants.create({ name, tokenSha256: hashToken(token), servers: ['lenient'], policy });
}

const ran = (message: string) => executions(execLog).filter((e) => e.args.message === message).length;

async function auditOf(gw: TestGateway, grant: string) {
  return gw.store.audit.query({ grant, limit: 1000 });
}

describe('a stored grant whose policy cannot be loaded', () => {
  it('is denied with a reason and audited; the gateway and every other grant keep working', async () => {
    const gw = await gateway();
    const missing = join(dir, 'gone', 'policy.yaml');
    await storeGrant(gw, 'broken', BROKEN_TOKEN, missing);
    const broken = await session(gw, BROKEN_TOKEN);
    const good = await session(gw, GOOD_TOKEN);

    // Its tools/list fails closed: no tools at all.
    expect((await broken.client.listTools()).tools).toEqual([]);
    // The good grant lists and runs everything.
    expect((await good.client.listTools()).tools.map((t) => t.name).sort()).toEqual(['delete_all', 'echo']);

    // When the gateway last read the file: the calls below must not read it again.
    const checkedAt = async () =>
      (
        (await (await api(gw, '/api/grants')).json()) as {
          name: string;
          policyState?: { checkedAt?: string };
        }[]
      ).find((g) => g.name === 'broken')?.policyState?.checkedAt;
    const readAt = await checkedAt();
    expect(readAt).toEqual(expect.any(String));
    for (let i = 0; i < 5; i++) {
      const r = await broken.call('echo', { message: `broken ${i}` });
      expect(r.isError).toBe(true);
      expect(r.text).toBe(
        '[POLICY DENIED] the policy of grant "broken" cannot be loaded (its policy file is missing), so the ' +
          'gateway denies every call of this grant; an operator must fix the policy (the gateway log and ' +
          'dashboard say what is wrong)',
      );
      // The agent is not told where the file lives.
      expect(r.text).not.toContain(dir);
      expect(await good.call('echo', { message: `good ${i}` })).toMatchObject({
        text: `ran echo: good ${i}`,
        isError: false,
      });
    }
    // A second session of the broken grant, and a hidden-or-not tool: the same.
    const again = await session(gw, BROKEN_TOKEN);
    expect((await again.call('delete_all')).text).toMatch(/^\[POLICY DENIED\] the policy of grant "broken"/);

    // Nothing of the broken grant ran; all of the good one's did.
    expect(executions(execLog).filter((e) => String(e.args.message).startsWith('broken'))).toEqual([]);
    expect(executions(execLog).filter((e) => e.tool === 'delete_all')).toEqual([]);
    for (let i = 0; i < 5; i++) expect(ran(`good ${i}`)).toBe(1);

    // Audited, with the file and why; the failure was read and logged once, not per call.
    const records = await eventually(async () => {
      const rows = await auditOf(gw, 'broken');
      expect(rows.length).toBe(6);
      return rows;
    });
    for (const r of records) {
      expect(r).toMatchObject({ decision: 'deny', rule: 'policy_unavailable', upstream: 'none' });
      expect(r.reason).toBe(
        `grant "broken" policy cannot be loaded: ${missing}: cannot read policy: no such file`,
      );
    }
    expect(gw.logs.filter((l) => l.includes('policy file is missing')).length).toBe(1);
    expect(await checkedAt()).toBe(readAt);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect(rejections).toEqual([]);
  });

  it('an inline document that does not parse is denied the same way', async () => {
    const gw = await gateway();
    await storeGrant(gw, 'broken', BROKEN_TOKEN, '{"version": "1", "default": allow');
    const broken = await session(gw, BROKEN_TOKEN);
    const r = await broken.call('echo', { message: 'inline' });
    expect(r.text).toMatch(
      /^\[POLICY DENIED\] the policy of grant "broken" cannot be loaded \(its policy is invalid\)/,
    );
    const good = await session(gw, GOOD_TOKEN);
    expect((await good.call('echo', { message: 'ok' })).text).toBe('ran echo: ok');
    expect(ran('inline')).toBe(0);
    const [rec] = await eventually(async () => {
      const rows = await auditOf(gw, 'broken');
      expect(rows.length).toBe(1);
      return rows;
    });
    expect(rec!.reason).toMatch(
      /^grant "broken" policy cannot be loaded: invalid policy \(1 error\):\nstored-grant-policy:1:\d+: invalid JSON/,
    );
    expect(rejections).toEqual([]);
  });

  it('breaks across a restart, is denied, and applies as soon as the file is fixed', async () => {
    const policy = join(dir, 'grant.yaml');
    writeFileSync(policy, ALLOW_ECHO);
    const first = await gateway();
    const created = await api(first, '/api/grants', {
      method: 'POST',
      body: JSON.stringify({ name: 'broken', servers: ['lenient'], policy }),
    });
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };
    const before = await session(first, token);
    expect((await before.call('echo', { message: 'before' })).text).toBe('ran echo: before');
    await before.close();
    await first.close();

    // Broken while the gateway was down; it starts anyway.
    writeFileSync(policy, BROKEN_YAML);
    const gw = await gateway();
    const s = await session(gw, token);
    const denied = await s.call('echo', { message: 'while broken' });
    expect(denied.text).toMatch(
      /^\[POLICY DENIED\] the policy of grant "broken" cannot be loaded \(its policy is invalid\)/,
    );
    const good = await session(gw, GOOD_TOKEN);
    expect((await good.call('echo', { message: 'good' })).text).toBe('ran echo: good');
    expect(ran('while broken')).toBe(0);
    const [rec] = await eventually(async () => {
      const rows = (await auditOf(gw, 'broken')).filter((r) => r.decision === 'deny');
      expect(rows.length).toBe(1);
      return rows;
    });
    expect(rec!.rule).toBe('policy_unavailable');
    expect(rec!.reason).toContain(`${policy}:3:18: invalid YAML`);

    // The grants listing says what is wrong, with the line.
    const list = (await (await api(gw, '/api/grants')).json()) as {
      name: string;
      policyState?: { state: string; enforced: boolean; error: { issues: { line: number }[] } | null };
    }[];
    expect(list.find((g) => g.name === 'broken')?.policyState).toMatchObject({
      kind: 'file',
      state: 'invalid',
      enforced: false,
      error: { issues: [expect.objectContaining({ line: 3 })] },
    });

    // Fixed on disk: retried because the file changed, and the same session is served.
    writeFileSync(policy, ALLOW_ECHO);
    await eventually(async () => {
      expect((await s.call('echo', { message: 'fixed' })).text).toBe('ran echo: fixed');
    });
    expect(ran('fixed')).toBe(1);
    // Its tools are listed again, and the fixed policy itself decides (default deny).
    expect((await s.client.listTools()).tools.map((t) => t.name)).toContain('echo');
    expect((await s.call('delete_all')).text).toMatch(
      /^\[POLICY DENIED\] tool "delete_all" is not allowed by policy/,
    );
    expect(rejections).toEqual([]);
  });

  it('a grant whose file is deleted while serving keeps its last good policy and says the file is missing', async () => {
    const policy = join(dir, 'grant.yaml');
    writeFileSync(policy, ALLOW_ECHO);
    const gw = await gateway();
    const created = await api(gw, '/api/grants', {
      method: 'POST',
      body: JSON.stringify({ name: 'g', servers: ['lenient'], policy }),
    });
    const { token } = (await created.json()) as { token: string };
    const s = await session(gw, token);
    expect((await s.call('echo', { message: 'one' })).text).toBe('ran echo: one');
    unlinkSync(policy);
    await eventually(async () => {
      const list = (await (await api(gw, '/api/grants')).json()) as { name: string; policyState?: unknown }[];
      expect(list.find((g) => g.name === 'g')?.policyState).toMatchObject({
        state: 'missing',
        enforced: true,
      });
    });
    expect((await s.call('echo', { message: 'two' })).text).toBe('ran echo: two');
    expect((await s.call('delete_all')).text).toMatch(/^\[POLICY DENIED\] /);
    expect(executions(execLog).filter((e) => e.tool === 'delete_all')).toEqual([]);
  });
});

describe('creating a grant with a policy that cannot be loaded', () => {
  it('the admin API answers 400 with the file, line and message, and creates nothing', async () => {
    const gw = await gateway();
    const brokenFile = join(dir, 'broken.yaml');
    writeFileSync(brokenFile, BROKEN_YAML);
    const cases: [string, RegExp][] = [
      [
        join(dir, 'missing.yaml'),
        new RegExp(`${join(dir, 'missing.yaml')}: cannot read policy: no such file`),
      ],
      [brokenFile, new RegExp(`${brokenFile}:3:18: invalid YAML`)],
      ['{"version": "1", "default": allow', /stored-grant-policy:1:\d+: invalid JSON/],
    ];
    for (const [i, [policy, expected]] of cases.entries()) {
      const r = await api(gw, '/api/grants', {
        method: 'POST',
        body: JSON.stringify({ name: `bad-${i}`, servers: ['lenient'], policy }),
      });
      expect(r.status).toBe(400);
      const body = (await r.json()) as { error: string; message: string; issues: { line: number }[] };
      expect(body.error).toBe('invalid_policy');
      expect(body.message).toMatch(/^the policy cannot be loaded; no grant was created: invalid policy/);
      expect(body.message).toMatch(expected);
      expect(body.issues.length).toBe(1);
      if (i === 0) expect(body.issues[0]!.line).toBe(0);
      else expect(body.issues[0]!.line).toBeGreaterThan(0);
      if (i === 1) expect(body.issues[0]!.line).toBe(3);
    }
    // A policy that is not text at all.
    const obj = await api(gw, '/api/grants', {
      method: 'POST',
      body: JSON.stringify({ name: 'obj', servers: ['lenient'], policy: { version: '1' } }),
    });
    expect(obj.status).toBe(400);
    const names = ((await (await api(gw, '/api/grants')).json()) as { name: string }[]).map((g) => g.name);
    expect(names).toEqual(['good']);
  });

  it('the CLI exits 1 and prints the file and line', async () => {
    await ensureFreshBuild();
    const gw = await gateway();
    const brokenFile = join(dir, 'broken.yaml');
    writeFileSync(brokenFile, BROKEN_YAML);
    const config = join(gw.dir, 'toolgate.yaml');
    const run = (...args: string[]) =>
      promisify(execFile)(process.execPath, [CLI, ...args], {
        env: { ...process.env, TG_PF_ADMIN: ADMIN, TG_PF_GOOD: GOOD_TOKEN },
      }).then(
        (r) => ({ code: 0, ...r }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
    const r = await run(
      'grants',
      'create',
      '--name',
      'cli-bad',
      '--server',
      'lenient',
      '--policy',
      brokenFile,
      '--config',
      config,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: --policy cannot be loaded, so no grant was created; .*\\n${brokenFile}:3:18: invalid YAML`,
        's',
      ),
    );
    expect(r.stdout).not.toMatch(/tg_/);
    const missing = await run(
      'grants',
      'create',
      '--name',
      'cli-bad',
      '--server',
      'lenient',
      '--policy',
      join(dir, 'nope.yaml'),
      '--config',
      config,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`${join(dir, 'nope.yaml')}: cannot read policy: no such file`);
    const ok = await run(
      'grants',
      'create',
      '--name',
      'cli-ok',
      '--server',
      'lenient',
      '--policy',
      '{"version":"1","default":"deny"}',
      '--config',
      config,
    );
    expect(ok.code).toBe(0);
    const names = (await gw.store.grants.list()).map((g) => g.name);
    expect(names).toEqual(['cli-ok']);
  }, 120_000);
});

describe('an exception while deciding stays in its own call', () => {
  it('the gate fails closed when looking up a policy throws; the session answers an internal error when the gate rejects', async () => {
    const gw = await gateway();
    await storeGrant(gw, 'victim', BROKEN_TOKEN, '{"version":"1","default":"allow"}');
    const victim = await session(gw, BROKEN_TOKEN);
    const good = await session(gw, GOOD_TOKEN);
    expect((await victim.call('echo', { message: 'v0' })).text).toBe('ran echo: v0');

    // 1. The policy lookup throws (a bug in it, say): the gate denies and audits, it does not throw.
    const policies = gw.core.policies;
    const lookup = policies.lookup.bind(policies);
    policies.lookup = (grant, server, ref) => {
      if (grant === 'victim') throw new Error('lookup exploded at /secret/path');
      return lookup(grant, server, ref);
    };
    const r1 = await victim.call('echo', { message: 'v1' });
    expect(r1.text).toBe(
      '[POLICY DENIED] the gateway could not decide this call (an internal error) and fails closed; retry later, and if it persists ask an operator to read the gateway log',
    );
    expect(r1.text).not.toContain('secret');
    // Its tools/list fails closed too (every tool hidden); the other grant still sees them.
    expect((await victim.client.listTools()).tools).toEqual([]);
    expect((await good.client.listTools()).tools.length).toBe(2);
    policies.lookup = lookup;

    // 2. The gate itself rejects (the contract broken): the session answers a JSON-RPC internal
    // error that leaks nothing, audits it, and no other session notices.
    const gate = gw.core.gate;
    const checkCall = gate.checkCall.bind(gate);
    gate.checkCall = (caller, ...rest) =>
      caller.grant === 'victim'
        ? Promise.reject(new Error('gate exploded at /secret/path'))
        : checkCall(caller, ...rest);
    const [r2, other] = await Promise.all([
      victim.call('echo', { message: 'v2' }).then(
        () => undefined,
        (e: Error) => e,
      ),
      good.call('echo', { message: 'g2' }),
    ]);
    expect(r2?.message).toContain('internal gateway error; see the gateway log');
    expect((r2 as Error & { code?: number }).code).toBe(-32603);
    expect(r2?.message).not.toContain('secret');
    expect(other.text).toBe('ran echo: g2');
    gate.checkCall = checkCall;
    // The victim's session is still usable afterwards.
    expect((await victim.call('echo', { message: 'v3' })).text).toBe('ran echo: v3');

    expect(ran('v1')).toBe(0);
    expect(ran('v2')).toBe(0);
    const rows = await eventually(async () => {
      const all = (await auditOf(gw, 'victim')).filter((r) => r.rule === 'internal');
      expect(all.length).toBe(2);
      return all;
    });
    expect(rows.map((r) => r.reason)).toEqual([
      'the gate failed: lookup exploded at /secret/path',
      'internal gateway error: gate exploded at /secret/path',
    ]);
    expect(rows.every((r) => r.decision === 'deny')).toBe(true);
    expect(rejections).toEqual([]);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});
