/**
 * Issue 5: `toolgate grants create|list|revoke` end to end, against a running `toolgate serve`
 * on the same store (SQLite here; test/e2e/replicas.test.ts does PostgreSQL with two processes).
 * The token is printed once (`tg_` + 43 base64url characters) with how to use it; `list` never
 * shows a token or its hash; `--expires` and `revoke` reach the running gateway; `--policy`
 * applies to the grant's calls; names from toolgate.yaml and unknown grants are refused; and no
 * token ever reaches the gateway's log output.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  EVERYTHING_STDIO,
  ensureFreshBuild,
  type GatewayProcess,
  runCli,
  spawnGateway,
} from '../support/e2e.js';
import { McpSession, postInitialize, resultText } from '../support/mcp-http.js';

const TOKEN = /tg_[A-Za-z0-9_-]{43}/g;
const YAML_TOKEN = `tg_grantsCliYaml_${randomBytes(16).toString('hex')}`;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('toolgate grants, end to end', () => {
  const env = { ...process.env, TG_GRANTS_CLI_YAML: YAML_TOKEN };
  let dir: string;
  let configFile: string;
  let gw: GatewayProcess;
  let gatewayStdout = '';
  const tokens: string[] = [YAML_TOKEN];
  let supportToken = '';

  const toolgate = (...args: string[]) => runCli([...args, '--config', configFile], env);
  const create = async (...args: string[]) => {
    const r = await toolgate('grants', 'create', ...args);
    expect(r.code, r.stderr).toBe(0);
    const found = r.stdout.match(TOKEN) ?? [];
    expect(found).toHaveLength(1); // printed once
    tokens.push(found[0]!);
    return { ...r, token: found[0]! };
  };
  // A stateless probe: `initialize` authenticates like any call, and a 401 says why.
  const echo = (token: string, message: string) =>
    postInitialize(`${gw.url}/mcp/everything`, token, message, { signal: AbortSignal.timeout(15_000) });
  /** Polls until the token is refused; returns the 401's message. Fails after `withinMs`. */
  const refusedWithin = async (token: string, withinMs: number) => {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const res = await echo(token, 'poll');
      const body = await res.text();
      if (res.status !== 200) {
        expect(res.status).toBe(401);
        return (JSON.parse(body) as { error: { message: string } }).error.message;
      }
      if (Date.now() > deadline) throw new Error(`token still accepted after ${withinMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    await ensureFreshBuild();
    dir = mkdtempSync(join(tmpdir(), 'toolgate-e2e-grants-'));
    configFile = join(dir, 'toolgate.yaml');
    writeFileSync(
      configFile,
      stringify({
        listen: { host: '127.0.0.1', port: 0 },
        storage: { sqlite: join(dir, 'toolgate.db') },
        counters: { backend: 'memory' },
        log: { level: 'debug' }, // the most the gateway ever logs: still no token
        servers: { everything: { ...EVERYTHING_STDIO, policy: { version: '1', default: 'allow' } } },
        grants: [{ name: 'from-yaml', servers: ['everything'], token_env: 'TG_GRANTS_CLI_YAML' }],
        // Never contacted here (JWKS are fetched on the first JWT): the grant name is what counts.
        jwt: {
          issuer: 'https://idp.invalid/',
          audience: 'toolgate',
          jwks_url: 'http://127.0.0.1:9/jwks.json',
          grants: [{ name: 'jwt-team', servers: ['everything'], claims: { groups: 'team' } }],
        },
      }),
    );
    gw = await spawnGateway(configFile, env);
    gw.child.stdout!.on('data', (d: Buffer) => {
      gatewayStdout += d.toString();
    });
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('create prints the token once, with how to use it, and the token works on the running gateway', async () => {
    const r = await create('--name', 'support', '--server', 'everything', '--expires', '30d');
    expect(r.token).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    supportToken = r.token;
    expect(r.stdout).toContain('shown only this once');
    expect(r.stdout).toMatch(/url: +http:\/\/127\.0\.0\.1:\d+\/mcp\/everything\n/);
    expect(r.stdout).toContain('Authorization: Bearer <the token above>');
    expect(r.stdout).toContain('toolgate grants revoke support');
    expect(r.stderr).toBe('');

    const s = await McpSession.open(`${gw.url}/mcp/everything`, { authorization: `Bearer ${r.token}` });
    expect(resultText(await s.callTool('echo', { message: 'hi' }))).toBe('Echo: hi');
    await s.close();

    // --json gives the token once too, in a field, with the grant.
    const j = await toolgate('grants', 'create', '--name', 'json-bot', '--server', 'everything', '--json');
    expect(j.code, j.stderr).toBe(0);
    const parsed = JSON.parse(j.stdout) as { token: string; name: string; status: string };
    expect(parsed).toMatchObject({ name: 'json-bot', status: 'active' });
    expect(parsed.token).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    expect(j.stdout.match(TOKEN)).toHaveLength(1);
    tokens.push(parsed.token);
  }, 60_000);

  it('list and list --json never show a token or its hash', async () => {
    const table = await toolgate('grants', 'list');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME +STATUS +SERVERS/);
    expect(table.stdout).toMatch(/\nsupport +active +everything/);
    const json = await toolgate('grants', 'list', '--json');
    expect(json.code).toBe(0);
    const grants = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(grants.map((g) => g.name).sort()).toEqual(['json-bot', 'support']);
    for (const g of grants)
      expect(Object.keys(g).sort()).toEqual(
        ['createdAt', 'expiresAt', 'name', 'policy', 'revokedAt', 'servers', 'status'].sort(),
      );
    for (const out of [table.stdout, json.stdout]) {
      expect(out).not.toMatch(/tg_/);
      expect(out).not.toMatch(/[0-9a-f]{64}/); // no SHA-256 of anything
      for (const t of tokens) {
        expect(out).not.toContain(t);
        expect(out).not.toContain(sha256(t));
      }
    }
  }, 60_000);

  it('--expires 1s: the running gateway refuses the token as expired once the second is over', async () => {
    const r = await create('--name', 'short-lived', '--server', 'everything', '--expires', '1s');
    expect(await refusedWithin(r.token, 4_000)).toBe('Unauthorized: grant "short-lived" expired');
    const list = JSON.parse((await toolgate('grants', 'list', '--json')).stdout) as {
      name: string;
      status: string;
    }[];
    expect(list.find((g) => g.name === 'short-lived')?.status).toBe('expired');
  }, 60_000);

  it('--policy FILE applies to the grant: its calls are decided by that policy, not the server one', async () => {
    const policy = join(dir, 'no-echo.json');
    writeFileSync(
      policy,
      JSON.stringify({
        version: '1',
        default: 'allow',
        tools: { echo: { deny: true, reason: 'not for this grant' } },
      }),
    );
    const r = await create('--name', 'restricted', '--server', 'everything', '--policy', policy);
    expect(r.stdout).toContain(`policy ${policy}`);
    const s = await McpSession.open(`${gw.url}/mcp/everything`, { authorization: `Bearer ${r.token}` });
    try {
      expect(resultText(await s.callTool('echo', { message: 'x' }))).toBe(
        '[POLICY DENIED] not for this grant',
      );
      expect(resultText(await s.callTool('get-sum', { a: 1, b: 2 }))).toMatch(/3/);
    } finally {
      await s.close();
    }
    // An inline document works the same way.
    const inline = await create(
      '--name',
      'inline-deny',
      '--server',
      'everything',
      '--policy',
      '{"version":"1","default":"deny"}',
    );
    const t = await McpSession.open(`${gw.url}/mcp/everything`, { authorization: `Bearer ${inline.token}` });
    try {
      expect(resultText(await t.callTool('get-sum', { a: 1, b: 2 }))).toMatch(/^\[POLICY DENIED\] /);
    } finally {
      await t.close();
    }
  }, 60_000);

  it('refuses a name used in toolgate.yaml (grants or jwt.grants)', async () => {
    const r = await toolgate('grants', 'create', '--name', 'from-yaml', '--server', 'everything');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: grant name "from-yaml" is taken by a grant in toolgate.yaml (grants); pick another name\n',
    );
    expect(r.stdout).not.toMatch(/tg_/);
    const names = (JSON.parse((await toolgate('grants', 'list', '--json')).stdout) as { name: string }[]).map(
      (g) => g.name,
    );
    expect(names).not.toContain('from-yaml');
    // A jwt.grants name is taken too: a stored grant of that name would share its sessions.
    const jwt = await toolgate('grants', 'create', '--name', 'jwt-team', '--server', 'everything');
    expect(jwt.code).toBe(1);
    expect(jwt.stderr).toBe(
      'error: grant name "jwt-team" is taken by a JWT grant (jwt.grants in toolgate.yaml); pick another name\n',
    );
    expect(jwt.stdout).not.toMatch(/tg_/);
    // The yaml grant itself still works.
    expect((await echo(YAML_TOKEN, 'yaml')).status).toBe(200);
  }, 60_000);

  it('refuses a second grant of the same name, and usage errors exit 2', async () => {
    const again = await toolgate('grants', 'create', '--name', 'support', '--server', 'everything');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('grant name "support" is taken by a stored grant');
    const usage = await toolgate('grants', 'create', '--server', 'everything');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--name is required');
    const badServer = await toolgate('grants', 'create', '--name', 'x', '--server', 'nope');
    expect(badServer.code).toBe(2);
    expect(badServer.stderr).toContain('unknown server "nope"');
  }, 60_000);

  it('revoke of an unknown grant exits 1 with a message', async () => {
    const r = await toolgate('grants', 'revoke', 'no-such-grant');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: no grant named "no-such-grant" in the store/);
    const yaml = await toolgate('grants', 'revoke', 'from-yaml');
    expect(yaml.code).toBe(1);
    expect(yaml.stderr).toContain('grants in toolgate.yaml are removed by editing the file');
  }, 60_000);

  it('revoke stops the token on the running gateway within a second; revoking again is harmless', async () => {
    const support = supportToken;
    expect((await echo(support, 'before')).status).toBe(200);
    const r = await toolgate('grants', 'revoke', 'support');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Revoked grant "support"');
    const at = Date.now();
    expect(await refusedWithin(support, 1_500)).toBe('Unauthorized: grant "support" was revoked');
    expect(Date.now() - at).toBeLessThan(2_000);
    const again = await toolgate('grants', 'revoke', 'support');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('was already revoked');
  }, 60_000);

  it('no token appears in the gateway log (stderr) or on its stdout', () => {
    const logs = gw.stderr();
    expect(logs.length).toBeGreaterThan(0); // debug logging did write
    expect(tokens.length).toBeGreaterThanOrEqual(5);
    for (const t of tokens) {
      expect(logs).not.toContain(t);
      expect(gatewayStdout).not.toContain(t);
    }
    expect(logs).not.toMatch(/tg_[A-Za-z0-9_-]{20,}/);
  });
});
