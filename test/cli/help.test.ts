/**
 * Issue 15: every command and sub-command of the built `toolgate` answers `--help` and `-h` with
 * its usage and exit 0, in an empty folder (no config, nothing written); an unknown command, sub-
 * command or flag is a clear error with the usage, exit 2.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureFreshBuild } from '../support/e2e.js';

const empty = mkdtempSync(join(tmpdir(), 'toolgate-cli-help-'));
const configured = mkdtempSync(join(tmpdir(), 'toolgate-cli-usage-'));
writeFileSync(
  join(configured, 'toolgate.yaml'),
  [
    'auth: {mode: none}',
    'storage: {sqlite: ./state/toolgate.db}',
    'servers:',
    '  local:',
    '    command: node',
    '    args: ["-e", "setTimeout(() => {}, 1000)"]',
    '',
  ].join('\n'),
);
const typo = mkdtempSync(join(tmpdir(), 'toolgate-cli-typo-'));
writeFileSync(join(typo, 'toolgate.yaml'), 'servers:\n  fs:\n    comand: npx\n');
afterAll(() => {
  for (const d of [empty, configured, typo]) rmSync(d, { recursive: true, force: true });
});
beforeAll(() => ensureFreshBuild(), 360_000);

/** The built CLI in `cwd`, without $TOOLGATE_CONFIG (asynchronous: the worker stays responsive). */
function toolgate(
  cwd: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.TOOLGATE_CONFIG;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env, timeout: 25_000 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      if (err && typeof code !== 'number') reject(err);
      else resolve({ code: code as number, stdout, stderr });
    });
  });
}

// Each command and sub-command, with what its usage must name.
const HELP: [args: string[], names: string][] = [
  [['serve'], 'toolgate serve'],
  [['stdio'], 'toolgate stdio'],
  [['init'], 'toolgate init'],
  [['catalog'], 'toolgate catalog'],
  [['catalog', 'accept'], 'toolgate catalog accept'],
  [['policy'], 'toolgate policy validate'],
  [['policy', 'validate'], 'toolgate policy validate'],
  [['policy', 'test'], 'toolgate policy test'],
  [['policy', 'explain'], 'toolgate policy explain'],
  [['grants'], 'toolgate grants create'],
  [['grants', 'create'], 'toolgate grants create'],
  [['grants', 'list'], 'toolgate grants list'],
  [['grants', 'revoke'], 'toolgate grants revoke'],
  [['audit'], 'toolgate audit tail'],
  [['audit', 'tail'], 'toolgate audit tail'],
  [['audit', 'verify'], 'toolgate audit verify'],
  [['audit', 'export'], 'toolgate audit export'],
  [['approvals'], 'toolgate approvals list'],
  [['approvals', 'list'], 'toolgate approvals list'],
  [['approvals', 'approve'], 'toolgate approvals approve'],
  [['approvals', 'deny'], 'toolgate approvals deny'],
  [['admin'], 'toolgate admin token'],
  [['admin', 'token'], 'toolgate admin token'],
  [['token-header'], 'toolgate token-header'],
];

describe('toolgate COMMAND --help, without a config', () => {
  it.each(
    HELP.flatMap(([args, names]) => [
      [[...args, '--help'], names],
      [[...args, '-h'], names],
    ]),
  )('%j shows the usage and exits 0', async (args, names) => {
    const r = await toolgate(empty, args as string[]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage:/);
    expect(r.stdout).toContain(names);
    expect(readdirSync(empty)).toEqual([]); // help reads no config and writes nothing
  });

  it.each([
    [['help', 'grants'], 'toolgate grants create'],
    [['help', 'stdio'], 'toolgate stdio'],
    [['grants', '--config', 'nowhere.yaml', 'list', '--help'], 'toolgate grants list'],
  ])('%j shows the usage and exits 0', async (args, names) => {
    const r = await toolgate(empty, args);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(names);
  });

  it.each([['--help'], ['-h'], ['help']])('toolgate %s lists every command and exits 0', async (flag) => {
    const r = await toolgate(empty, [flag]);
    expect(r.code).toBe(0);
    for (const c of ['serve', 'stdio', 'init', 'catalog', 'policy', 'grants', 'audit', 'approvals', 'admin'])
      expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  it('bare toolgate shows the commands on stderr and exits 2', async () => {
    const r = await toolgate(empty, []);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Usage: toolgate <command>');
  });
});

describe('unknown commands, sub-commands and flags: a clear error, the usage, exit 2', () => {
  // [args, the error, the usage it must be followed by]; run in an empty folder.
  it.each([
    [['bogus'], 'unknown command "bogus"', 'Usage: toolgate <command>'],
    [['--bogus'], 'unknown option "--bogus"', 'Usage: toolgate <command>'],
    [['help', 'bogus'], 'no command "bogus"', 'Usage: toolgate <command>'],
    [['serve', '--bogus'], "Unknown option '--bogus'", 'usage: toolgate serve'],
    [['serve', 'extra'], 'Unexpected argument', 'usage: toolgate serve'],
    [['stdio', '--bogus'], "Unknown option '--bogus'", 'usage: toolgate stdio'],
    [['init', '--bogus'], "Unknown option '--bogus'", 'usage: toolgate init'],
    [['grants'], 'missing grants command (create, list, revoke)', 'toolgate grants create'],
    [['grants', 'nope'], 'unknown grants command "nope"', 'toolgate grants create'],
    [['audit', 'tial'], 'unknown audit command "tial"', 'toolgate audit tail'],
    [['approvals'], 'missing approvals command', 'toolgate approvals list'],
    [['admin', 'tokens'], 'unknown admin command "tokens"', 'toolgate admin token'],
    [['policy', 'check'], 'unknown policy command "check"', 'toolgate policy validate'],
    [['policy', 'validate', '--bogus'], "Unknown option '--bogus'", 'toolgate policy validate'],
  ])('%j', async (args, error, usage) => {
    const r = await toolgate(empty, args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(error);
    expect(r.stderr).toContain(usage);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  // Flags of commands that read the store are checked once the config is read.
  it.each([
    [['catalog', '--bogus'], 'usage: toolgate catalog'],
    [['grants', 'list', '--bogus'], 'toolgate grants list'],
    [['audit', 'tail', '--bogus'], 'toolgate audit tail'],
    [['approvals', 'list', '--bogus'], 'toolgate approvals list'],
    [['admin', 'token', '--bogus'], 'toolgate admin token'],
  ])('%j with a config', async (args, usage) => {
    const r = await toolgate(configured, args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--bogus'");
    expect(r.stderr).toContain(usage);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a command that needs a config says where it looked, exit 2', async () => {
    const r = await toolgate(empty, ['grants', 'list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no config file at ${join(empty, 'toolgate.yaml')}`);
    expect(r.stderr).toContain('toolgate init');
  });
});

describe('a config with a typo', () => {
  it.each([
    [['serve']],
    [['stdio', '--server', 'fs']],
    [['grants', 'list']],
    [['audit', 'verify']],
    [['catalog']],
    [['admin', 'token']],
  ])('%j names the field at file:line:col, exit 1, no stack', async (args) => {
    const r = await toolgate(typo, args);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid configuration:');
    expect(r.stderr).toContain(
      `${join(typo, 'toolgate.yaml')}:3:5 servers.fs.comand: unknown field \`comand\` (did you mean \`command\`?)`,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
