// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${VAR} strings are config references under test
// `toolgate stdio` starts from what a client entry names (token file, env file) and needs only
// the chosen server's variables; without a grant in token mode, or with a token file others may
// read, a wrong token, or a token whose grant cannot reach the server, it refuses in one line.
// Runs the built CLI (`npm run build`) as a client would launch it.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keepOnlyServer } from '../../src/cli/stdio-config.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const EVERYTHING = join(process.cwd(), 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const LOCAL = `tg_${'L'.repeat(43)}`;
const OTHER = `tg_${'O'.repeat(43)}`;
const sha = (t: string) => createHash('sha256').update(t).digest('hex');

let dir: string;
let client: Client | undefined;
const file = (name: string) => join(dir, name);
function privateFile(name: string, text: string, mode = 0o600): string {
  writeFileSync(file(name), text);
  chmodSync(file(name), mode);
  return file(name);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'toolgate-stdio-start-'));
  mkdirSync(file('policies'));
  writeFileSync(file('policies/open.yaml'), 'version: "1"\ndefault: allow\n');
  writeFileSync(
    file('toolgate.yaml'),
    [
      'storage: {sqlite: ./toolgate.db}',
      'counters: {backend: memory}',
      'servers:',
      '  plain:',
      `    command: ${JSON.stringify(process.execPath)}`,
      `    args: [${JSON.stringify(EVERYTHING)}, stdio]`,
      '    policy: ./policies/open.yaml',
      '  keyed:',
      `    command: ${JSON.stringify(process.execPath)}`,
      `    args: [${JSON.stringify(EVERYTHING)}, stdio]`,
      '    env: {KEYED_API_KEY: "${KEYED_SECRET}"}',
      '    policy: ./policies/open.yaml',
      'grants:',
      `  - {name: local, servers: ["*"], token_sha256: ${sha(LOCAL)}}`,
      `  - {name: other, servers: [keyed], token_sha256: ${sha(OTHER)}}`,
      '  - {name: from-env, servers: ["*"], token_env: SOME_UNSET_TOKEN}',
      '',
    ].join('\n'),
  );
  privateFile('local.token', `${LOCAL}\n`);
});
afterEach(async () => {
  await client?.close().catch(() => {});
  client = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `toolgate stdio ARGS` with a bare environment and no stdin: for starts that must fail. */
function refuse(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, 'stdio', '--config', file('toolgate.yaml'), ...args],
      { env: { PATH: process.env.PATH }, timeout: 60_000, cwd: '/' },
      (err, _stdout, stderr) => resolve({ code: err ? (err.code as number | null) : 0, stderr }),
    );
    child.stdin?.end();
  });
}

async function start(args: string[]): Promise<Client> {
  client = new Client({ name: 'stdio-start-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'stdio', '--config', file('toolgate.yaml'), ...args],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      cwd: '/',
      stderr: 'pipe',
    }),
  );
  return client;
}

function oneLine(stderr: string, ...words: string[]) {
  // The gateway's own structured log lines (JSON) may come before; the refusal is one line.
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('{"level"'));
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  for (const w of words) expect(stderr).toContain(w);
}

describe('toolgate stdio start-up', () => {
  it('serves one server with only its own variables set, as the token file grant', async () => {
    // keyed's $KEYED_SECRET is unset: serving `plain` does not need it
    const c = await start(['--server', 'plain', '--token-file', file('local.token')]);
    const r = await c.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } });
    expect(JSON.stringify(r.content)).toContain('3');
  }, 90_000);

  it('takes a server variable from a 0600 --env-file', async () => {
    const env = privateFile('secrets.env', "# init's secrets\nKEYED_SECRET='k3y-with-a-'\\''quote'\n");
    const c = await start(['--server', 'keyed', '--token-file', file('local.token'), '--env-file', env]);
    const r = await c.callTool({ name: 'get-env', arguments: {} });
    expect(JSON.stringify(r.content)).toContain("k3y-with-a-'quote");
  }, 90_000);

  it("names the chosen server's missing variable in one line", async () => {
    const r = await refuse(['--server', 'keyed', '--token-file', file('local.token')]);
    expect(r.code).toBe(1);
    oneLine(r.stderr, '$KEYED_SECRET', 'server "keyed"', '--env-file');
  }, 90_000);

  it('refuses in token mode without --grant or a token', async () => {
    const r = await refuse(['--server', 'plain']);
    expect(r.code).toBe(1);
    oneLine(r.stderr, '--token-file', '--grant');
  }, 90_000);

  it('refuses a token file others may read, a wrong token, and a missing file', async () => {
    privateFile('open.token', `${LOCAL}\n`, 0o644);
    const open = await refuse(['--server', 'plain', '--token-file', file('open.token')]);
    expect(open.code).toBe(1);
    oneLine(open.stderr, 'chmod 600');

    privateFile('wrong.token', `tg_${'W'.repeat(43)}\n`);
    const wrong = await refuse(['--server', 'plain', '--token-file', file('wrong.token')]);
    expect(wrong.code).toBe(1);
    oneLine(wrong.stderr, 'not accepted');

    const missing = await refuse(['--server', 'plain', '--token-file', file('nope.token')]);
    expect(missing.code).toBe(1);
    oneLine(missing.stderr, 'ENOENT');
  }, 120_000);

  it("keeps a token's grant to its own servers and to its own name", async () => {
    privateFile('other.token', `${OTHER}\n`);
    const noAccess = await refuse(['--server', 'plain', '--token-file', file('other.token')]);
    expect(noAccess.code).toBe(1);
    oneLine(noAccess.stderr, 'grant "other" has no access to server "plain"');

    const impersonate = await refuse([
      '--server',
      'plain',
      '--grant',
      'local',
      '--token-file',
      file('other.token'),
    ]);
    expect(impersonate.code).toBe(1);
    oneLine(impersonate.stderr, 'does not match');

    const unknown = await refuse(['--server', 'plain', '--grant', 'nobody']);
    expect(unknown.code).toBe(1);
    oneLine(unknown.stderr, 'no such grant');
  }, 120_000);
});

describe('keepOnlyServer', () => {
  it('blanks the other servers in place, so line:column still point into the file', () => {
    const text = [
      'servers:',
      '  # the one we serve',
      '  a: {command: node, args: [a.js], policy: ./p.yaml}',
      '  b:',
      '    command: node',
      '    env: {K: "${B_ONLY}"}',
      '    policy: ./p.yaml',
      '  c: {url: "${C_URL}", policy: ./p.yaml}',
      'grants: [{name: g, servers: [b], token_sha256: x}]',
      '',
    ].join('\n');
    const kept = keepOnlyServer(text, 'a');
    expect(kept?.names).toEqual(['a', 'b', 'c']);
    const lines = kept?.text.split('\n') ?? [];
    expect(lines).toHaveLength(text.split('\n').length);
    expect(lines[2]).toBe('  a: {command: node, args: [a.js], policy: ./p.yaml}');
    expect(kept?.text).not.toContain('B_ONLY');
    expect(kept?.text).not.toContain('C_URL');
    expect(lines[8]).toBe(text.split('\n')[8]);
    // an unknown name keeps the text (the caller reports the name)
    expect(keepOnlyServer(text, 'zz')?.text).toBe(text);
    // a flow map of servers it cannot blank safely is left whole
    expect(keepOnlyServer('servers: {a: {command: x}, b: {command: y}}\n', 'b')).toBeUndefined();
  });

  it('leaves the file whole when a blanked server holds an anchor that another part aliases', () => {
    // Generated configs (YAML.stringify of a shared object) reuse a node through an anchor.
    const text = [
      'servers:',
      '  a:',
      '    command: node',
      '    args: &a1 [s.js]',
      '  b:',
      '    command: node',
      '    args: *a1',
      '',
    ].join('\n');
    expect(keepOnlyServer(text, 'b')).toBeUndefined();
    expect(keepOnlyServer(text, 'a')?.text).not.toContain('*a1');
  });
});
