// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${VAR} strings are config references under test
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BACKUP_SUFFIX, manifestPath, readManifest, scan } from '../../src/init/index.js';
import { parseJsonc, toValue } from '../../src/init/jsonc.js';
import { CLI, PLANTED_SECRETS, run, type Sandbox, sandbox } from './helpers.js';

let sb: Sandbox;
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

// biome-ignore lint/suspicious/noExplicitAny: tests walk parsed client files of known shape
type Json = any;
const read = (file: string): Json => toValue(parseJsonc(readFileSync(file, 'utf8')));
const gw = (name: string) => `http://127.0.0.1:8787/mcp/${name}`;

describe('--rewrite and --undo', () => {
  it('rewrites then undoes every client file byte for byte', async () => {
    const before = sb.files();
    const r = await run(sb, ['--yes', '--rewrite']);
    expect(r.code).toBe(0);
    const manifest = readManifest(sb.project);
    expect(manifest?.files.map((f) => f.file.replace(sb.root, '')).sort()).toEqual(
      [
        '/home/.config/Claude/claude_desktop_config.json',
        '/project/.mcp.json',
        '/home/.claude.json',
        '/home/.cursor/mcp.json',
        '/project/.vscode/mcp.json',
        '/home/.config/Code/User/mcp.json',
        '/home/.codeium/windsurf/mcp_config.json',
      ].sort(),
    );
    for (const f of manifest?.files ?? []) {
      // A backup is the original minus the secrets init moved out, under the original's mode.
      const backup = readFileSync(f.backup, 'utf8');
      for (const secret of PLANTED_SECRETS) expect(backup, f.backup).not.toContain(secret);
      expect(statSync(f.backup).mode & 0o7777).toBe(statSync(f.file).mode & 0o7777);
      expect(readFileSync(f.file).equals(before.get(f.file) as Buffer)).toBe(false);
    }
    // Where they went: init's own 0600 files, never a client file
    const secrets = readFileSync(join(sb.project, '.toolgate', 'secrets.env'), 'utf8');
    expect(statSync(join(sb.project, '.toolgate', 'secrets.env')).mode & 0o777).toBe(0o600);
    expect(secrets).toContain('ghp_FAKEfakeFAKEfake0123456789abcdefABCD');
    // the broken file is left exactly as it was
    const broken = join(sb.project, '.cursor', 'mcp.json');
    expect(readFileSync(broken).equals(before.get(broken) as Buffer)).toBe(true);
    // a second scan sees only gateway entries: nothing is imported twice
    const again = scan({ home: sb.home, cwd: sb.project, platform: 'linux' });
    expect(again.servers).toEqual([]);
    expect(again.discovery.gatewayEntries).toHaveLength(20);

    const undo = await run(sb, ['--undo']);
    expect(undo.code).toBe(0);
    for (const [file, bytes] of before) expect(readFileSync(file).equals(bytes), file).toBe(true);
    expect([...sb.files().keys()].some((f) => f.endsWith(BACKUP_SUFFIX))).toBe(false);
    expect(existsSync(manifestPath(sb.project))).toBe(false);
  });

  it("writes each client's own gateway entry and keeps everything else", async () => {
    const desktopFile = join(sb.home, '.config', 'Claude', 'claude_desktop_config.json');
    const claudeJson = join(sb.home, '.claude.json');
    const before = { desktop: read(desktopFile), claude: read(claudeJson) };
    await run(sb, ['--yes', '--rewrite']);
    const config = join(sb.project, 'toolgate.yaml');

    const desktop = read(desktopFile);
    // This installation's CLI by absolute path (never `npx -y toolgate`, an unpublished name),
    // with the 0600 token file; the env file only for a server with moved secrets.
    const tokenFile = join(sb.project, '.toolgate', 'local.token');
    expect(desktop.mcpServers.filesystem).toEqual({
      command: process.execPath,
      args: [CLI, 'stdio', '--server', 'filesystem', '--config', config, '--token-file', tokenFile],
    });
    expect(desktop.mcpServers.github.args).toEqual([
      CLI,
      'stdio',
      '--server',
      'github',
      '--config',
      config,
      '--token-file',
      tokenFile,
      '--env-file',
      join(sb.project, '.toolgate', 'secrets.env'),
    ]);
    expect(desktop.globalShortcut).toBe('Alt+Space');

    // Claude Code: the HTTP endpoint, its header from a command that reads the 0600 token file.
    const headersHelper = `${process.execPath} ${CLI} token-header --token-file ${tokenFile}`;
    const project = read(join(sb.project, '.mcp.json'));
    expect(project.mcpServers.sentry).toEqual({ type: 'http', url: gw('sentry'), headersHelper });
    expect(project.mcpServers['internal api'].url).toBe(gw('internal-api'));
    expect(project.mcpServers.github.url).toBe(gw('github'));

    const claude = read(claudeJson);
    const { mcpServers: _a, projects: _b, ...rest } = claude;
    const { mcpServers: _c, projects: _d, ...restBefore } = before.claude;
    expect(rest).toEqual(restBefore);
    expect(claude.mcpServers.memory).toEqual({ type: 'http', url: gw('memory'), headersHelper });
    const local = claude.projects[sb.project];
    expect(local.mcpServers['local-db'].url).toBe(gw('local-db'));
    expect(local.history).toEqual(before.claude.projects[sb.project].history);
    expect(claude.projects['/srv/some/other/project']).toEqual(
      before.claude.projects['/srv/some/other/project'],
    );

    // Cursor and Windsurf can name only a variable for a header: the stdio bridge, like Desktop's.
    const bridge = (server: string, envFile: boolean) => ({
      command: process.execPath,
      args: [
        CLI,
        'stdio',
        '--server',
        server,
        '--config',
        config,
        '--token-file',
        tokenFile,
        ...(envFile ? ['--env-file', join(sb.project, '.toolgate', 'secrets.env')] : []),
      ],
    });
    const cursor = read(join(sb.home, '.cursor', 'mcp.json'));
    expect(cursor.mcpServers.github).toEqual(bridge('github-2', true));
    expect(cursor.mcpServers.notion).toEqual(bridge('notion', false));

    // VS Code: the HTTP endpoint, the token from a password input it asks for once.
    const vscodeFile = join(sb.project, '.vscode', 'mcp.json');
    const vscodeText = readFileSync(vscodeFile, 'utf8');
    const vscode = read(vscodeFile);
    expect(vscode.servers.legacy).toEqual({
      type: 'http',
      url: gw('legacy'),
      headers: { Authorization: 'Bearer ${input:toolgate-token}' },
    });
    const tokenInput = {
      type: 'promptString',
      id: 'toolgate-token',
      description: `toolgate token: paste the contents of ${tokenFile}`,
      password: true,
    };
    expect(vscode.inputs).toEqual([expect.objectContaining({ id: 'perplexity-key' }), tokenInput]);
    for (const comment of [
      '// Inputs VS Code asks for',
      '// Local servers',
      '/* Remote servers */',
      '// old transport',
    ]) {
      expect(vscodeText).toContain(comment);
    }
    // the tab-indented user file gets a tab-indented entry, and its empty inputs the prompt
    const userVscode = readFileSync(join(sb.home, '.config', 'Code', 'User', 'mcp.json'), 'utf8');
    expect(userVscode).toContain(`\t\t"time": {\n\t\t\t"type": "http",\n\t\t\t"url": "${gw('time')}",`);
    expect(read(join(sb.home, '.config', 'Code', 'User', 'mcp.json')).inputs).toEqual([tokenInput]);

    const windsurf = read(join(sb.home, '.codeium', 'windsurf', 'mcp_config.json'));
    expect(windsurf.mcpServers.puppeteer).toEqual({
      ...bridge('puppeteer', false),
      disabled: true,
      disabledTools: ['puppeteer_evaluate'],
    });
  });

  it('adds the VS Code token input once, where the file has none, and keeps the rest', async () => {
    const file = join(sb.home, '.config', 'Code', 'User', 'mcp.json');
    const original = [
      '{',
      '  "servers": {',
      '    "time": { "command": "uvx", "args": ["mcp-server-time"] },',
      '    "clock": { "command": "uvx", "args": ["mcp-server-clock"] }',
      '  }',
      '}',
      '',
    ].join('\n');
    writeFileSync(file, original);
    expect((await run(sb, ['--yes', '--rewrite', '--only', 'time'])).code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('{\n  "inputs": [\n    {\n      "type": "promptString",')).toBe(true);
    expect(read(file).inputs.map((i: { id: string }) => i.id)).toEqual(['toolgate-token']);
    expect(read(file).servers.time.headers).toEqual({ Authorization: 'Bearer ${input:toolgate-token}' });
    // a second rewrite of the same file adds no second input
    expect((await run(sb, ['--yes', '--rewrite', '--force', '--only', 'clock'])).code).toBe(0);
    expect(read(file).inputs).toHaveLength(1);
    expect(read(file).servers.clock.headers).toEqual({ Authorization: 'Bearer ${input:toolgate-token}' });
    expect((await run(sb, ['--undo'])).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(original);
  });

  it('rewrites no VS Code file whose inputs are not a list', async () => {
    const file = join(sb.home, '.config', 'Code', 'User', 'mcp.json');
    const original = '{"inputs": {}, "servers": {"time": {"command": "uvx", "args": ["mcp-server-time"]}}}\n';
    writeFileSync(file, original);
    const r = await run(sb, ['--yes', '--rewrite', '--only', 'time']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`error: ~/.config/Code/User/mcp.json: not rewritten: "inputs" is not a list`);
    expect(readFileSync(file, 'utf8')).toBe(original);
    expect(existsSync(file + BACKUP_SUFFIX)).toBe(false);
  });

  it('changes only the bytes of the rewritten entries', async () => {
    const file = join(sb.home, '.cursor', 'mcp.json');
    const original = readFileSync(file, 'utf8');
    await run(sb, ['--yes', '--rewrite', '--only', 'linear', '--auth', 'none']);
    const after = readFileSync(file, 'utf8');
    const start = original.indexOf('"linear": ') + '"linear": '.length;
    const end = original.indexOf('}', start) + 1;
    expect(after).toBe(
      `${original.slice(0, start)}{\n      "url": "${gw('linear')}"\n    }${original.slice(end)}`,
    );
    expect(readManifest(sb.project)?.files.map((f) => f.entries)).toEqual([
      [{ entry: 'linear', server: 'linear', path: ['mcpServers', 'linear'] }],
    ]);
  });

  it('puts back only the server entries of a file edited since the rewrite', async () => {
    const file = join(sb.home, '.claude.json');
    const original = readFileSync(file, 'utf8');
    await run(sb, ['--yes', '--rewrite', '--only', 'memory', 'local-db']);
    // Claude Code bumps its own counters in this file all the time.
    writeFileSync(file, readFileSync(file, 'utf8').replace('"numStartups": 42', '"numStartups": 43'));
    const undo = await run(sb, ['--undo', '--json']);
    expect(undo.code).toBe(0);
    expect(JSON.parse(undo.stdout)).toEqual({
      version: 1,
      mode: 'undo',
      dryRun: false,
      restored: [],
      merged: [file],
      problems: [],
    });
    expect(readFileSync(file, 'utf8')).toBe(original.replace('"numStartups": 42', '"numStartups": 43'));
    expect(existsSync(file + BACKUP_SUFFIX)).toBe(false);
  });

  it('leaves a file whose rewritten entry was removed alone unless --force', async () => {
    const file = join(sb.project, '.mcp.json');
    const original = readFileSync(file);
    await run(sb, ['--yes', '--rewrite', '--only', 'sentry']);
    const edited = read(file);
    delete edited.mcpServers.sentry;
    writeFileSync(file, JSON.stringify(edited, null, 2));
    const refused = await run(sb, ['--undo', '--json']);
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout).problems).toEqual([
      { file, reason: expect.stringMatching(/changed since toolgate rewrote it .*pass --force/) },
    ]);
    expect(existsSync(file + BACKUP_SUFFIX)).toBe(true);
    const forced = await run(sb, ['--undo', '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(file).equals(original)).toBe(true);
  });

  it('says so when there is nothing to undo', async () => {
    const r = await run(sb, ['--undo']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nothing to undo');
  });

  it('rewrites nothing when the config could not be written', async () => {
    writeFileSync(join(sb.project, 'toolgate.yaml'), '# mine\n');
    const before = sb.files();
    const r = await run(sb, ['--yes', '--rewrite']);
    expect(r.code).toBe(1);
    for (const [file, bytes] of before) expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('keeps secrets out of a backup in the mode of the file, and undo refuses a backup edited since', async () => {
    // the case: a 0600 ~/.claude.json whose server holds an API key
    const file = join(sb.home, '.claude.json');
    const key = 'sk-ant-api03-FAKEfakeFAKEfake0123456789abcdef';
    const original = readFileSync(file, 'utf8').replace(
      '"env": {}',
      `"env": { "ANTHROPIC_API_KEY": "${key}" }`,
    );
    writeFileSync(file, original);
    chmodSync(file, 0o600);
    const r = await run(sb, ['--yes', '--rewrite', '--only', 'memory']);
    expect(r.code, r.stderr).toBe(0);
    const backup = `${file}${BACKUP_SUFFIX}`;
    expect(statSync(backup).mode & 0o777).toBe(0o600);
    const backupText = readFileSync(backup, 'utf8');
    expect(backupText).not.toContain(key);
    expect(backupText).toMatch(/"ANTHROPIC_API_KEY": "toolgate-moved-secret-[0-9a-f]{8}-1"/);
    expect(readFileSync(file, 'utf8')).not.toContain(key);
    // every other byte of the backup is the original's
    expect(backupText.replace(/"toolgate-moved-secret-[0-9a-f]{8}-1"/, `"${key}"`)).toBe(original);
    const kept = join(sb.project, '.toolgate', 'backup-secrets.json');
    expect(statSync(kept).mode & 0o777).toBe(0o600);

    // an attacker (or an accident) edits what was cut out: undo will not write a forged file
    const rewritten = readFileSync(file);
    writeFileSync(
      kept,
      readFileSync(kept, 'utf8').replace(key, 'sk-ant-api03-ATTACKERattacker0123456789abcdef'),
    );
    const refused = await run(sb, ['--undo']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('does not match the original file');
    expect(readFileSync(file).equals(rewritten)).toBe(true);

    // put right, undo restores every byte and the mode
    writeFileSync(
      kept,
      readFileSync(kept, 'utf8').replace('sk-ant-api03-ATTACKERattacker0123456789abcdef', key),
    );
    const undo = await run(sb, ['--undo']);
    expect(undo.code, undo.stdout + undo.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(original);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(kept)).toBe(false);
  });

  it('restores a client file deleted since the rewrite with its original mode', async () => {
    const file = join(sb.home, '.cursor', 'mcp.json');
    const original = readFileSync(file);
    chmodSync(file, 0o640);
    await run(sb, ['--yes', '--rewrite']);
    rmSync(file);
    const undo = await run(sb, ['--undo']);
    expect(undo.code, undo.stdout + undo.stderr).toBe(0);
    expect(readFileSync(file).equals(original)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o640);
  });
});
