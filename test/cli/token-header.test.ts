// `toolgate token-header` (what a rewritten Claude Code entry runs as its headersHelper) and
// `toolgate serve --env-file`, run as the built CLI: the 0600 rule on both files, and a command
// line that survives the shell Claude Code runs it in, whatever the token file's path holds.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shellCommand } from '../../src/init/clients.js';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');
const TOKEN = 'tg_0123456789abcdefghijklmnopqrstuvwxyzABCDEF';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'toolgate-token-header-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function privateFile(name: string, text: string, mode = 0o600): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

describe('toolgate token-header', () => {
  it('prints the Authorization header of a 0600 token file, run through a shell as Claude Code does', () => {
    // A folder name with a space, a quote and a command substitution: the helper is one shell
    // command line, and the name must stay a name.
    const odd = join(dir, "my project's $(touch pwned) dir");
    mkdirSync(odd);
    const file = join(odd, 'local.token');
    writeFileSync(file, `${TOKEN}\n`);
    chmodSync(file, 0o600);
    const line = shellCommand([process.execPath, CLI, 'token-header', '--token-file', file], 'linux');
    const out = execFileSync('/bin/sh', ['-c', line], {
      env: { PATH: '/usr/bin:/bin' },
      cwd: '/',
    }).toString();
    expect(JSON.parse(out)).toEqual({ Authorization: `Bearer ${TOKEN}` });
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it('refuses a token file others may read, prints nothing on stdout, exit 1', () => {
    const file = privateFile('open.token', `${TOKEN}\n`, 0o644);
    const r = cli(['token-header', '--token-file', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `toolgate token-header: the token file ${file} may be read by other users; run \`chmod 600 ${file}\` (and replace what it holds if someone may have read it)\n`,
    );
    expect(r.stderr).not.toContain(TOKEN);
  });

  it('refuses a missing file or one that holds no token, in one line', () => {
    const missing = cli(['token-header', '--token-file', join(dir, 'none')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^toolgate token-header: cannot read the token file .*: ENOENT\n$/);
    const junk = cli(['token-header', '--token-file', privateFile('junk', 'two words\n')]);
    expect(junk.code).toBe(1);
    expect(junk.stderr).toMatch(/does not hold a token \(one line, no spaces\)\n$/);
  });

  it('answers --help with exit 0 and needs --token-file', () => {
    const help = cli(['token-header', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: toolgate token-header --token-file FILE/);
    const bare = cli(['token-header']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/--token-file FILE is required/);
  });
});

describe('shellCommand', () => {
  it('leaves plain paths bare and quotes the rest for POSIX shells and cmd.exe', () => {
    expect(shellCommand(['/usr/bin/node', '/a/main.js', 'token-header'], 'linux')).toBe(
      '/usr/bin/node /a/main.js token-header',
    );
    expect(shellCommand(["/a b/it's", '$HOME', '`x`'], 'darwin')).toBe(`'/a b/it'\\''s' '$HOME' '\`x\`'`);
    expect(shellCommand(['C:\\Program Files\\nodejs\\node.exe', 'C:\\t\\main.js'], 'win32')).toBe(
      '"C:\\Program Files\\nodejs\\node.exe" C:\\t\\main.js',
    );
  });
});

describe('toolgate serve --env-file', () => {
  it('refuses an env file others may read before starting anything', () => {
    const config = privateFile('toolgate.yaml', 'servers: {}\n', 0o644);
    const env = privateFile('secrets.env', "TOOLGATE_X_KEY='sk-live-secret-value-0123456789'\n", 0o644);
    const r = cli(['serve', '--config', config, '--env-file', env]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `toolgate serve: the env file ${env} may be read by other users; run \`chmod 600 ${env}\` (and replace what it holds if someone may have read it)\n`,
    );
    expect(r.stdout + r.stderr).not.toContain('sk-live-secret-value');
  });

  it('says which line of a broken env file is wrong', () => {
    const config = privateFile('toolgate.yaml', 'servers: {}\n', 0o644);
    const env = privateFile('secrets.env', 'not a variable line\n');
    const r = cli(['serve', '--config', config, '--env-file', env]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^toolgate serve: the env file .*secrets\.env.*\n$/);
  });
});
