/**
 * Issue 6, end to end through the gateway's HTTP front end with server-everything: held calls are
 * released by `toolgate approvals approve` (the built CLI, another process), refused by `deny`,
 * expired by a short timeout and withdrawn by a cancel; the upstream sees only the approved call.
 * Retry mode is single use and bound to the grant and the exact arguments. Webhooks are signed and
 * redacted. A held approval does not survive its gateway process.
 */
import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { AuditRecord } from '../../src/audit/types.js';
import { cliApprover } from '../../src/cli/approvals-command.js';
import { openStore } from '../../src/store/index.js';
import { CLI, connect, ensureFreshBuild, isEcho, killProcess, ROOT, spawnGateway } from '../support/e2e.js';
import { EVERYTHING, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type Json, McpSession, until } from '../support/mcp-http.js';

const run = promisify(execFile);
const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
beforeAll(() => ensureFreshBuild(), 300_000);

const APPROVER = cliApprover(process.env);

function policy(approval: Record<string, unknown>) {
  return { version: '1', default: 'deny', tools: { echo: { approval } } };
}

async function gateway(config: Record<string, unknown>, env?: NodeJS.ProcessEnv): Promise<TestGateway> {
  const gw = await startTestGateway({ log: { level: 'warn' }, ...config }, { env });
  cleanup.push(() => gw.close());
  return gw;
}

async function holdGateway(approval: Record<string, unknown> = {}) {
  return gateway({
    auth: { mode: 'none' },
    servers: { everything: { ...EVERYTHING, policy: policy(approval) } },
  });
}

async function mcp(gw: TestGateway, headers: Record<string, string> = {}): Promise<McpSession> {
  const s = await McpSession.open(`${gw.url}/mcp/everything`, headers);
  cleanup.push(() => s.close());
  return s;
}

/** `toolgate approvals ...` as a person would run it: the built CLI, its own process. */
async function cli(gw: TestGateway, ...args: string[]) {
  return run(process.execPath, [CLI, 'approvals', ...args, '--config', join(gw.dir, 'toolgate.yaml')], {
    cwd: ROOT,
    timeout: 30_000,
  }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code?: number; stdout?: string; stderr?: string }) => ({
      code: e.code ?? 1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
    }),
  );
}

async function pendingId(gw: TestGateway, n = 1): Promise<string> {
  const rows = await until('a pending approval', async () => {
    const r = await gw.store.approvals.list({ status: 'pending' });
    return r.length >= n ? r : undefined;
  });
  return rows[0]!.id;
}

async function auditOf(gw: TestGateway): Promise<AuditRecord[]> {
  await gw.audit.flush();
  return gw.store.audit.query({ limit: 1000 });
}

const resultText = (m: Json | undefined) =>
  ((m?.result as Json | undefined)?.content as { text: string }[] | undefined)
    ?.map((c) => c.text)
    .join('\n') ?? '';
const isErrorResult = (m: Json | undefined) => (m?.result as Json | undefined)?.isError === true;
const echoCall = (message: string, extra: Json = {}) => ({
  name: 'echo',
  arguments: { message },
  _meta: { progressToken: 'tok-1' },
  ...extra,
});

async function api(gw: TestGateway, method: string, path: string, body?: unknown) {
  const res = await gw.adminFetch(path, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as Json };
}

describe('hold mode', () => {
  it('holds the call with progress notifications until `toolgate approvals approve`, then forwards it', async () => {
    const gw = await holdGateway();
    const s = await mcp(gw);
    const call = s.stream('tools/call', echoCall('approved one'), 60_000);
    const id = await pendingId(gw);
    // Progress while held: the first at once, the next a few seconds later.
    await call.next(
      'a second progress notification',
      () => call.seen.filter((m) => m.method === 'notifications/progress').length >= 2,
    );
    const progress = call.seen.filter((m) => m.method === 'notifications/progress');
    expect((progress[0]!.params as Json).progressToken).toBe('tok-1');
    expect(String((progress[0]!.params as Json).message)).toContain(id);
    expect(call.seen.some((m) => 'result' in m)).toBe(false);

    const listed = await cli(gw, 'list', '--json');
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject([{ id, status: 'pending', tool: 'echo', mode: 'hold' }]);

    const approved = await cli(gw, 'approve', id, '--note', 'looks fine');
    expect(approved.code, approved.stderr).toBe(0);
    const reply = await call.finished;
    expect(resultText(reply.body)).toBe('Echo: approved one');
    expect(isErrorResult(reply.body)).toBe(false);

    expect((await cli(gw, 'approve', id)).code).toBe(1); // decided once
    const records = await until('the outcome record', async () => {
      const r = await auditOf(gw);
      return r.some((x) => x.decision === 'outcome') ? r : undefined;
    });
    expect(records.map((r) => r.decision)).toEqual([
      'approval_requested',
      'approval_granted',
      'allow',
      'outcome',
    ]);
    expect(records[1]).toMatchObject({ approver: APPROVER, note: 'looks fine' });
    // The write-ahead record carries the approval; the outcome record says how the call ended.
    expect(records[2]).toMatchObject({ approver: APPROVER, upstream: 'pending' });
    expect(records[3]).toMatchObject({ upstream: 'ok', call: records[2]!.call });
    expect(new Set(records.map((r) => r.argsDigest)).size).toBe(1);
    expect(await gw.store.approvals.get(id)).toMatchObject({
      status: 'approved',
      consumedAt: expect.any(Number),
    });
  }, 60_000);

  it('answers [APPROVAL DENIED] with the approver and note after `deny`; nothing reaches the upstream', async () => {
    const gw = await holdGateway();
    const s = await mcp(gw);
    const call = s.stream('tools/call', echoCall('refused one'), 60_000);
    const id = await pendingId(gw);
    const denied = await cli(gw, 'deny', id, '--note', 'not today');
    expect(denied.code, denied.stderr).toBe(0);
    const reply = await call.finished;
    expect(isErrorResult(reply.body)).toBe(true);
    expect(resultText(reply.body)).toBe(`[APPROVAL DENIED] by ${APPROVER}: not today`);
    const records = await auditOf(gw);
    expect(records.map((r) => r.decision)).toEqual(['approval_requested', 'approval_denied']);
    expect(records[1]).toMatchObject({ approver: APPROVER, note: 'not today', upstream: 'none' });
  }, 60_000);

  it('expires after the policy timeout with [APPROVAL EXPIRED]; a late approve is refused', async () => {
    const gw = await holdGateway({ timeout: '2s' });
    const s = await mcp(gw);
    const started = Date.now();
    const call = s.stream('tools/call', echoCall('too slow'), 30_000);
    const id = await pendingId(gw);
    const reply = await call.finished;
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(took).toBeLessThan(6000);
    expect(isErrorResult(reply.body)).toBe(true);
    expect(resultText(reply.body)).toMatch(new RegExp(`^\\[APPROVAL EXPIRED\\] id=${id} `));
    expect((await gw.store.approvals.get(id))?.status).toBe('expired');
    const late = await cli(gw, 'approve', id);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('expired');
    const records = await auditOf(gw);
    expect(records.map((r) => r.decision)).toEqual(['approval_requested', 'approval_expired']);
  }, 60_000);

  it('a client that cancels withdraws the request; approving it afterwards forwards nothing', async () => {
    const gw = await holdGateway();
    const s = await mcp(gw);
    const call = s.stream('tools/call', echoCall('cancelled'), 30_000);
    const id = await pendingId(gw);
    await s.notify('notifications/cancelled', { requestId: 1, reason: 'changed my mind' });
    await until('withdrawn', async () =>
      (await gw.store.approvals.get(id))?.status === 'withdrawn' ? true : undefined,
    );
    expect((await cli(gw, 'approve', id)).code).toBe(1);
    // A cancelled request gets no answer (MCP): do not wait for one.
    call.finished.catch(() => undefined);
    const records = await until('the withdrawal record', async () => {
      const r = await auditOf(gw);
      return r.length >= 2 ? r : undefined;
    });
    expect(records.map((r) => r.decision)).toEqual(['approval_requested', 'approval_expired']);
    expect(records[1]!.reason).toContain('withdrawn');
    expect(records.some((r) => r.decision === 'allow')).toBe(false);
  }, 60_000);

  it('the admin API lists pending approvals with redacted arguments, approves once, then answers 409', async () => {
    const gw = await holdGateway();
    const s = await mcp(gw);
    const call = s.stream('tools/call', echoCall('via api'), 30_000);
    const id = await pendingId(gw);
    const listed = await api(gw, 'GET', '/api/approvals?status=pending');
    expect(listed.status).toBe(200);
    expect(listed.body.approvals).toMatchObject([
      {
        id,
        status: 'pending',
        server: 'everything',
        tool: 'echo',
        grant: 'local',
        mode: 'hold',
        args: { message: 'via api' },
      },
    ]);
    expect((await api(gw, 'GET', '/api/approvals?status=bogus')).status).toBe(400);
    expect((await api(gw, 'POST', `/api/approvals/${id}/approve`, { note: 'ok by ops' })).body).toEqual({
      ok: true,
    });
    expect(resultText((await call.finished).body)).toBe('Echo: via api');
    const again = await api(gw, 'POST', `/api/approvals/${id}/deny`, {});
    expect(again.status).toBe(409);
    expect((await api(gw, 'POST', '/api/approvals/apr_nope/approve', {})).status).toBe(404);
    const decided = await api(gw, 'GET', '/api/approvals?status=approved');
    expect(decided.body.approvals).toMatchObject([{ id, decidedBy: 'admin', note: 'ok by ops' }]);
  }, 60_000);
});

describe('retry mode', () => {
  it('is single use and bound to the grant and the exact arguments', async () => {
    const tokens = {
      TG_A: `tok-a-${randomBytes(8).toString('hex')}`,
      TG_B: `tok-b-${randomBytes(8).toString('hex')}`,
    };
    const gw = await gateway(
      {
        grants: [
          { name: 'agent-a', servers: ['everything'], token_env: 'TG_A' },
          { name: 'agent-b', servers: ['everything'], token_env: 'TG_B' },
        ],
        servers: { everything: { ...EVERYTHING, policy: policy({ mode: 'retry', timeout: '5m' }) } },
      },
      { ...process.env, ...tokens },
    );
    const a = await connect(`${gw.url}/mcp/everything`, { token: tokens.TG_A });
    const b = await connect(`${gw.url}/mcp/everything`, { token: tokens.TG_B });
    cleanup.push(
      () => a.close(),
      () => b.close(),
    );

    const first = await a.call('echo', { message: 'pay 10' });
    expect(first.isError).toBe(true);
    const m = /^\[APPROVAL REQUIRED\] id=(\S+) /.exec(first.text);
    expect(m, first.text).not.toBeNull();
    const id = m![1]!;
    // Asking again before anyone decided points at the same approval.
    expect((await a.call('echo', { message: 'pay 10' })).text).toContain(`id=${id} `);
    expect((await cli(gw, 'approve', id, '--note', 'once')).code).toBe(0);

    const changed = await a.call('echo', { message: 'pay 1000' });
    expect(changed.text).toMatch(/^\[APPROVAL REQUIRED\] id=/);
    expect(changed.text).not.toContain(id);
    const otherGrant = await b.call('echo', { message: 'pay 10' });
    expect(otherGrant.text).toMatch(/^\[APPROVAL REQUIRED\] id=/);
    expect(otherGrant.text).not.toContain(id);

    expect(isEcho(await a.call('echo', { message: 'pay 10' }), 'pay 10')).toBe(true);
    const second = await a.call('echo', { message: 'pay 10' });
    expect(second.text).toMatch(/^\[APPROVAL REQUIRED\] id=/);
    expect(second.text).not.toContain(id);

    const records = await auditOf(gw);
    const allowed = records.filter((r) => r.decision === 'allow');
    expect(allowed).toHaveLength(1); // the upstream saw exactly the approved call
    expect(allowed[0]).toMatchObject({ grant: 'agent-a', approver: APPROVER, args: { message: 'pay 10' } });
    expect(await gw.store.approvals.get(id)).toMatchObject({
      status: 'approved',
      consumedAt: expect.any(Number),
    });
  }, 60_000);
});

describe('webhooks', () => {
  it('POSTs a signed, redacted description of the call (JSON and Slack formats)', async () => {
    const secret = randomBytes(16).toString('hex');
    const got: { path: string; headers: IncomingMessage['headers']; body: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        got.push({ path: req.url ?? '', headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise((r) => receiver.close(() => r(undefined))));
    const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const gw = await gateway(
      {
        auth: { mode: 'none' },
        approvals: {
          webhooks: [
            { url: `${base}/json`, secret_env: 'TG_HOOK_SECRET' },
            { url: `${base}/slack`, secret_env: 'TG_HOOK_SECRET', format: 'slack' },
          ],
        },
        servers: { everything: { ...EVERYTHING, policy: policy({ mode: 'retry' }) } },
      },
      { ...process.env, TG_HOOK_SECRET: secret },
    );
    const s = await connect(`${gw.url}/mcp/everything`);
    cleanup.push(() => s.close());
    const apiKey = `sk-live-${randomBytes(12).toString('hex')}`;
    const r = await s.call('echo', { message: 'deploy', api_key: apiKey, db_password: 'hunter2-xyz' });
    const id = /id=(\S+)/.exec(r.text)![1]!;
    await until('both deliveries', () => (got.length >= 2 ? true : undefined), 10_000);

    for (const d of got) {
      const expected = `sha256=${createHmac('sha256', secret).update(d.body).digest('hex')}`;
      expect(d.headers['x-toolgate-signature']).toBe(expected);
      expect(d.body).not.toContain(apiKey);
      expect(d.body).not.toContain('hunter2-xyz');
      expect(d.body).not.toContain(secret);
    }
    const json = JSON.parse(got.find((d) => d.path === '/json')!.body) as Json;
    expect(json).toMatchObject({
      type: 'approval.requested',
      id,
      server: 'everything',
      tool: 'echo',
      grant: 'local',
      mode: 'retry',
      args: { message: 'deploy', api_key: '[REDACTED]', db_password: '[REDACTED]' },
    });
    const slack = JSON.parse(got.find((d) => d.path === '/slack')!.body) as Json;
    expect(String(slack.text)).toContain(id);
    expect(Array.isArray(slack.blocks)).toBe(true);
  }, 60_000);
});

describe('restart', () => {
  it('a held approval whose gateway process died is expired when a gateway starts again', async () => {
    const gw = await holdGateway(); // only to get a folder, a config and a database to share
    const file = join(gw.dir, 'serve.yaml');
    const db = join(gw.dir, 'shared.db');
    writeFileSync(
      file,
      stringify({
        listen: { host: '127.0.0.1', port: 0 },
        storage: { sqlite: db },
        counters: { backend: 'memory' },
        auth: { mode: 'none' },
        log: { level: 'warn' },
        servers: { everything: { ...EVERYTHING, policy: policy({}) } },
      }),
    );
    const proc = await spawnGateway(file);
    cleanup.push(() => killProcess(proc.child));
    const s = await McpSession.open(`${proc.url}/mcp/everything`);
    const call = s.stream('tools/call', echoCall('held across a crash'), 30_000);
    call.finished.catch(() => undefined);
    const store = await openStore({ sqlite: db });
    cleanup.push(() => store.close());
    const [held] = await until('a held approval', async () => {
      const r = await store.approvals.list({ status: 'pending' });
      return r.length ? r : undefined;
    });
    await killProcess(proc.child); // a crash: nothing withdraws the approval
    expect((await store.approvals.get(held!.id))?.status).toBe('pending');

    const again = await spawnGateway(file);
    cleanup.push(() => again.stop());
    expect(await store.approvals.get(held!.id)).toMatchObject({ status: 'expired' });
    const records = await until('the expiry record', async () => {
      const r = await store.audit.query({ decision: 'approval_expired' });
      return r.length ? r : undefined;
    });
    expect(records[0]!.reason).toContain('stopped');
  }, 90_000);
});
