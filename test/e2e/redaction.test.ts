/**
 * Issue 13 part 4 (review finding F15), end to end: every secret shape, sent in tool arguments through
 * a real in-process gateway to a careless server of our own (it logs what it receives on stderr),
 * appears in NONE of the places the gateway stores or shows it: /api/audit, /api/approvals, the live
 * stream /api/decisions/stream, `toolgate audit export`, `toolgate approvals list --json`, both
 * webhook formats (json and slack, to a receiver of this test's own), the gateway's logs and the
 * SQLite file. The words around the secrets stay visible, so the outputs are not simply empty.
 *
 * And the display half of part 3 (F14): an object carrying `__proto__` that reaches these outputs
 * below admission (admission refuses such keys in tool arguments on the wire) is shown with the key,
 * byte for byte as it was recorded, in every one of them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/audit/types.js';
import { generateToken } from '../../src/auth/tokens.js';
import { runApprovalsCommand } from '../../src/cli/approvals-command.js';
import { runAuditCommand } from '../../src/cli/audit-command.js';
import type { Decision } from '../../src/policy/index.js';
import { LEAKY_STDIO_COMMAND } from '../fixtures/servers/leaky-server.js';
import { connect, type Session } from '../support/e2e.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { until } from '../support/mcp-http.js';

const rnd = (n = 12) => randomBytes(n).toString('base64url');
const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Each secret once, random per run, so finding it anywhere means it leaked from this run. */
const S = {
  tgToken: generateToken(),
  bearer: `SECRET-hdr-${rnd()}`,
  basic: Buffer.from(`user:SECRET-basic-${rnd()}`).toString('base64'),
  jwt: `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ sub: `SECRET-sub-${rnd()}` })}.${rnd(32)}`,
  urlPassword: `SECRET-urlpw-${rnd()}`,
  passwd: `SECRET-passwd-${rnd()}`,
  pwd: `SECRET-pwd-${rnd()}`,
  pass: `SECRET-pass-${rnd()}`,
  privateKey: `SECRET-private-key-${rnd()}`,
  accessKey: `SECRET-access-key-${rnd()}`,
  credentials: `SECRET-credentials-${rnd()}`,
  auth: `SECRET-auth-${rnd()}`,
  anthropic: `sk-ant-api03-${rnd(30)}`,
  openai: `sk-proj-${rnd(30)}`,
  github: `ghp_${randomBytes(27).toString('hex').slice(0, 36)}`,
  slack: `xoxb-${Date.now()}-${randomBytes(12).toString('hex')}`,
  aws: `AKIA${randomBytes(10).toString('hex').toUpperCase().slice(0, 16)}`,
  gitlab: `glpat-${rnd(15)}`,
  google: `AIza${rnd(40).slice(0, 35)}`,
  pemBody: `MIIEow${rnd(48)}`,
  queryKey: `SECRET-query-${rnd()}`,
  cookie: `SECRET-cookie-${rnd()}`,
  adminToken: generateToken(),
};
/** The words around the secrets, which must stay visible. */
const VISIBLE = 'visible-marker-7f3a';

/** Tool arguments carrying every shape: some under innocent names, in prose, some under secret names. */
function secretArgs(): Record<string, unknown> {
  return {
    comment: `${VISIBLE}: my token is ${S.tgToken}, please keep it`,
    header: `Authorization: Bearer ${S.bearer}`,
    basic: `curl -H "Authorization: Basic ${S.basic}" https://api.example.com`,
    session_jwt_in_text: `jwt=${S.jwt}`,
    pasted: S.jwt,
    db: `postgres://app:${S.urlPassword}@db.internal:5432/prod`,
    passwd: S.passwd,
    pwd: S.pwd,
    nested: { pass: S.pass, private_key: S.privateKey, access_key: S.accessKey, keep: VISIBLE },
    credentials: { value: S.credentials },
    auth: S.auth,
    keys: `anthropic ${S.anthropic} openai ${S.openai} github ${S.github} slack ${S.slack}`,
    cloud: [`aws ${S.aws}`, `gitlab ${S.gitlab}`, `google ${S.google}`],
    pem: `-----BEGIN PRIVATE KEY-----\n${S.pemBody}\n-----END PRIVATE KEY-----`,
    link: `https://example.com/cb?api_key=${S.queryKey}&page=2`,
    headers: `Cookie: sid=${S.cookie}`,
  };
}

/** The secret strings to look for (a JWT also by its parts, a Basic credential decoded too). */
function needles(): [string, string][] {
  const out: [string, string][] = Object.entries(S).map(([k, v]) => [k, v]);
  const [h, p, sig] = S.jwt.split('.');
  out.push(['jwt payload', p!], ['jwt signature', sig!], ['jwt header+payload', `${h}.${p}`]);
  out.push(['basic decoded', Buffer.from(S.basic, 'base64').toString().split(':')[1]!]);
  return out;
}

function expectNoSecrets(where: string, text: string): void {
  expect(text.length, `${where} is empty`).toBeGreaterThan(0);
  for (const [name, secret] of needles()) {
    expect(text.includes(secret), `${name} leaked in ${where}`).toBe(false);
  }
}

interface Hook {
  path: string;
  body: string;
}

let gw: TestGateway;
let session: Session;
let hookServer: Server;
const hooks: Hook[] = [];
let stream = '';
const streamAbort = new AbortController();

async function api(path: string): Promise<string> {
  const res = await fetch(`${gw.url}${path}`, {
    headers: { authorization: `Bearer ${S.adminToken}` },
    signal: AbortSignal.timeout(10_000),
  });
  expect(res.status, path).toBe(200);
  return res.text();
}

async function cliOutput(
  run: (ctx: { stdout(s: string): void; stderr(s: string): void }) => Promise<number>,
) {
  let out = '';
  let err = '';
  const code = await run({ stdout: (s) => (out += s), stderr: (s) => (err += s) });
  expect(code, err).toBe(0);
  return out;
}

const auditExport = () => cliOutput((io) => runAuditCommand(['export'], { ...io, store: gw.store }));
const approvalsList = () =>
  cliOutput((io) =>
    runApprovalsCommand(['list', '--status', 'all', '--json'], {
      ...io,
      store: gw.store,
      audit: gw.audit,
      env: {},
      now: Date.now,
    }),
  );

beforeAll(async () => {
  hookServer = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      hooks.push({ path: req.url ?? '', body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}`;

  gw = await startTestGateway(
    {
      auth: { mode: 'none' },
      admin: { token_env: 'TG_TEST_ADMIN_TOKEN' },
      approvals: {
        webhooks: [
          { url: `${hookUrl}/json`, format: 'json' },
          { url: `${hookUrl}/slack`, format: 'slack' },
        ],
      },
      servers: {
        leaky: {
          ...LEAKY_STDIO_COMMAND,
          policy: {
            version: '1',
            default: 'deny',
            tools: {
              note: {},
              pay: { approval: { mode: 'retry' } },
              // The deny reason quotes the argument it looked at: it must be redacted too.
              search: { deny_if: [{ path: 'args.q', op: 'regex', value: 'leak' }] },
            },
          },
        },
      },
    },
    { env: { ...process.env, TG_TEST_ADMIN_TOKEN: S.adminToken } },
  );

  // The live stream, read from before the first call.
  void fetch(`${gw.url}/api/decisions/stream`, {
    headers: { authorization: `Bearer ${S.adminToken}` },
    signal: streamAbort.signal,
  })
    .then(async (res) => {
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
        stream += decoder.decode(chunk, { stream: true });
    })
    .catch(() => undefined);
  await until('the live stream is connected', async () =>
    stream.includes(': connected') ? true : undefined,
  );

  session = await connect(`${gw.url}/mcp/leaky`);
  const allowed = await session.call('note', secretArgs());
  expect(allowed.text).toBe('ran note');
  const held = await session.call('pay', secretArgs());
  expect(held.isError).toBe(true); // approval required (retry mode): the call waits for a person
  const denied = await session.call('search', { q: `leak ${JSON.stringify(secretArgs())}` });
  expect(denied.isError).toBe(true);
  // The careless server logged what it received, and the gateway logged that line.
  await until('the upstream stderr line in the gateway log', async () =>
    gw.logs.some((l) => l.includes('note received')) ? true : undefined,
  );
  await gw.audit.flush();
  await until('both webhooks', async () => (hooks.length >= 2 ? true : undefined));
  await until('three decisions on the live stream', async () =>
    (stream.match(/event: decision/g) ?? []).length >= 3 ? true : undefined,
  );
}, 120_000);

afterAll(async () => {
  streamAbort.abort();
  await session?.close();
  await gw?.close();
  await new Promise((r) => hookServer?.close(r));
});

describe('no secret shape in arguments is stored or shown in clear', () => {
  it('/api/audit', async () => {
    const text = await api('/api/audit?limit=100');
    expectNoSecrets('/api/audit', text);
    const { records } = JSON.parse(text) as { records: AuditRecord[] };
    // The allowed call has its write-ahead record and its outcome record (no arguments on it).
    expect(records.map((r) => r.decision).sort()).toEqual(['allow', 'approval_requested', 'deny', 'outcome']);
    expect(text).toContain(VISIBLE);
    expect(text).toContain('[REDACTED:toolgate-token]');
    const deny = records.find((r) => r.decision === 'deny')!;
    expect(deny.reason).toContain('leak'); // the reason quotes the argument, masked
    const allow = records.find((r) => r.decision === 'allow')!;
    expect(allow.args).toMatchObject({
      header: 'Authorization: Bearer [REDACTED]',
      db: 'postgres://app:[REDACTED]@db.internal:5432/prod',
      pasted: '[REDACTED:jwt]',
      passwd: '[REDACTED]',
      nested: { pass: '[REDACTED]', private_key: '[REDACTED]', access_key: '[REDACTED]', keep: VISIBLE },
      credentials: { value: '[REDACTED]' },
      auth: '[REDACTED]',
      pem: '[REDACTED:private-key]',
      link: 'https://example.com/cb?api_key=[REDACTED]&page=2',
    });
  });

  it('/api/approvals', async () => {
    const text = await api('/api/approvals');
    expectNoSecrets('/api/approvals', text);
    expect(text).toContain(VISIBLE);
  });

  it('/api/decisions/stream', () => {
    expectNoSecrets('/api/decisions/stream', stream);
    expect(stream).toContain(VISIBLE);
  });

  it('toolgate audit export', async () => {
    const text = await auditExport();
    expectNoSecrets('audit export', text);
    expect(text.trim().split('\n')).toHaveLength(4); // allow, its outcome, approval_requested, deny
  });

  it('toolgate approvals list --json', async () => {
    const text = await approvalsList();
    expectNoSecrets('approvals list --json', text);
    expect(JSON.parse(text)).toHaveLength(1);
    expect(text).toContain(VISIBLE);
  });

  it('both webhook formats', () => {
    for (const format of ['json', 'slack']) {
      const hook = hooks.find((h) => h.path === `/${format}`);
      expect(hook, `${format} webhook`).toBeDefined();
      expectNoSecrets(`${format} webhook`, hook!.body);
      expect(hook!.body).toContain(VISIBLE);
    }
  });

  it('the gateway logs, which carry the upstream stderr line that printed them', () => {
    const text = gw.logs.join('');
    expectNoSecrets('gateway logs', text);
    expect(text).toContain('note received');
    expect(text).toContain(VISIBLE);
  });

  it('the SQLite file', async () => {
    await gw.audit.flush();
    const db = join(gw.dir, 'toolgate.db');
    const bytes = [db, `${db}-wal`].filter(existsSync).map((f) => readFileSync(f).toString('latin1'));
    expectNoSecrets('the SQLite file', bytes.join(''));
  });
});

describe('an object with __proto__ is shown with its key, byte for byte', () => {
  // In canonical order (keys sorted), which is how records and approvals store arguments.
  const PROTO_ARGS = '{"__proto__":{"to":"attacker-account"},"amount":1,"constructor":{"prototype":{"x":1}}}';
  const SHOWN = '"__proto__":{"to":"attacker-account"}';

  it('in the audit API, the live stream and the export', async () => {
    // Written below admission (which refuses such keys in tool arguments on the wire).
    gw.audit.record({
      grant: 'local',
      server: 'leaky',
      tool: 'note',
      method: 'tools/call',
      args: JSON.parse(PROTO_ARGS),
      decision: 'deny',
      reason: 'recorded for display',
      upstream: 'none',
    });
    await gw.audit.flush();
    const api1 = await api('/api/audit?limit=1');
    const [shown] = (JSON.parse(api1) as { records: AuditRecord[] }).records;
    expect(JSON.stringify(shown!.args)).toBe(PROTO_ARGS);
    await until('the record on the live stream', async () => (stream.includes(SHOWN) ? true : undefined));
    expect((await auditExport()).split('\n').at(-2)).toContain(SHOWN);
  });

  it('in the approval request, both webhooks, /api/approvals and approvals list', async () => {
    const before = hooks.length;
    const decision: Decision = {
      outcome: 'approval',
      reason: 'needs a person',
      rule: 'tools.pay.approval',
      explanation: 'tools.pay.approval',
      limits: [],
      approval: { timeoutSeconds: 600, mode: 'retry' },
      shadow: false,
    };
    const verdict = await gw.core.approvals.request({
      caller: { grant: 'local', sessionId: 'proto-test' },
      server: 'leaky',
      tool: 'pay',
      args: JSON.parse(PROTO_ARGS),
      decision,
    });
    expect(verdict.kind).toBe('refused'); // retry mode: asked, not yet decided
    await until('two more webhooks', async () => (hooks.length >= before + 2 ? true : undefined));
    const json = JSON.parse(hooks.find((h, i) => i >= before && h.path === '/json')!.body);
    expect(JSON.stringify(json.args)).toBe(PROTO_ARGS);
    const slack = hooks.find((h, i) => i >= before && h.path === '/slack')!.body;
    expect(slack).toContain('\\"__proto__\\": {');
    expect(slack).toContain('attacker-account');
    const listed = (
      JSON.parse(await api('/api/approvals')) as { approvals: { tool: string; args: unknown }[] }
    ).approvals;
    expect(listed.map((a) => JSON.stringify(a.args))).toContain(PROTO_ARGS);
    const cli = JSON.parse(await approvalsList()) as { args: unknown }[];
    expect(cli.map((a) => JSON.stringify(a.args))).toContain(PROTO_ARGS);
  });
});
