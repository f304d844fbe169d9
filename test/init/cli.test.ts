import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readManifest } from '../../src/init/index.js';
import { FIXTURE_SERVERS, run, type Sandbox, sandbox } from './helpers.js';

let sb: Sandbox;
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

describe('toolgate init --json', () => {
  it('has the documented shape', async () => {
    const r = await run(sb, ['--yes', '--json', '--rewrite', '--only', 'sentry', 'linear']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual([
      'version',
      'mode',
      'dryRun',
      'config',
      'found',
      'servers',
      'env',
      'written',
      'blockedBy',
      'rewritten',
      'warnings',
      'tokenFile',
      'serve',
    ]);
    expect(out).toMatchObject({
      version: 1,
      mode: 'init',
      dryRun: false,
      config: join(sb.project, 'toolgate.yaml'),
    });
    expect(Object.keys(out.found)).toEqual(['files', 'problems', 'alreadyRewritten']);
    expect(out.found.files[0]).toEqual({
      client: 'claude-desktop',
      scope: 'user',
      path: join(sb.home, '.config', 'Claude', 'claude_desktop_config.json'),
      servers: ['filesystem', 'github', 'postgres'],
    });
    expect(out.found.problems).toHaveLength(1);
    expect(out.servers.map((s: { name: string }) => s.name)).toEqual(FIXTURE_SERVERS);
    expect(out.servers.find((s: { name: string }) => s.name === 'sentry')).toEqual({
      name: 'sentry',
      transport: 'http',
      included: true,
      sources: [
        { client: 'claude-code', scope: 'project', file: join(sb.project, '.mcp.json'), entry: 'sentry' },
      ],
    });
    expect(out.servers.filter((s: { included: boolean }) => s.included)).toHaveLength(2);
    // No variable for the token: it is in a 0600 file the rewritten entries read (or VS Code asks for).
    expect(out.env).toEqual([]);
    expect(out.tokenFile).toBe(join(sb.project, '.toolgate', 'local.token'));
    expect(out.serve).toBe(`toolgate serve --config ${join(sb.project, 'toolgate.yaml')}`);
    expect(out.written).toEqual([
      { path: join(sb.project, 'toolgate.yaml'), kind: 'config' },
      { path: join(sb.project, 'policies', 'sentry.yaml'), kind: 'policy' },
      { path: join(sb.project, 'policies', 'linear.yaml'), kind: 'policy' },
    ]);
    expect(out.blockedBy).toEqual([]);
    expect(out.rewritten).toEqual([
      {
        file: join(sb.project, '.mcp.json'),
        client: 'claude-code',
        backup: join(sb.project, '.mcp.json.toolgate-backup'),
        entries: [{ entry: 'sentry', server: 'sentry' }],
      },
      {
        file: join(sb.home, '.cursor', 'mcp.json'),
        client: 'cursor',
        backup: join(sb.home, '.cursor', 'mcp.json.toolgate-backup'),
        entries: [{ entry: 'linear', server: 'linear' }],
      },
    ]);
    expect(out.warnings).toEqual([]);
  });
});

describe('toolgate init, interactive', () => {
  it('shows what it found, asks which servers and whether to rewrite', async () => {
    const r = await run(sb, [], { isTTY: true, answers: ['2 sentry 9', 'y'] });
    expect(r.code).toBe(0);
    expect(r.questions).toHaveLength(2);
    expect(r.questions[0]).toMatch(/Include which servers\? Enter for all/);
    expect(r.questions[1]).toMatch(/Point those clients at the gateway now\?/);
    expect(r.stdout.indexOf('Found 19 MCP servers')).toBeLessThan(r.stdout.indexOf('Wrote:'));
    const yaml = readFileSync(join(sb.project, 'toolgate.yaml'), 'utf8');
    for (const name of ['github', 'sentry', 'linear']) expect(yaml).toContain(`\n  ${name}:\n`);
    expect(yaml).not.toContain('\n  memory:\n');
    expect(
      readManifest(sb.project)
        ?.files.flatMap((f) => f.entries.map((e) => e.server))
        .sort(),
    ).toEqual(['github', 'github', 'linear', 'sentry']);
  });

  it('takes Enter for every server, no for the rewrite, and asks before overwriting', async () => {
    const first = await run(sb, [], { isTTY: true, answers: ['', 'n'] });
    expect(first.code).toBe(0);
    expect(readManifest(sb.project)).toBeUndefined();

    const declined = await run(sb, [], { isTTY: true, answers: ['memory', '', 'n'] });
    expect(declined.code).toBe(1);
    expect(declined.questions[2]).toMatch(/These files exist:[\s\S]*Overwrite them\? \[y\/N\]/);

    const accepted = await run(sb, [], { isTTY: true, answers: ['memory', '', 'y'] });
    expect(accepted.code).toBe(0);
    const yaml = readFileSync(join(sb.project, 'toolgate.yaml'), 'utf8');
    expect(yaml).toContain('\n  memory:\n');
    expect(yaml).not.toContain('\n  github:\n');
  });

  it('asks again after an unknown answer and stops on "none"', async () => {
    const r = await run(sb, [], { isTTY: true, answers: ['nosuch 99', 'none'] });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('not a server: nosuch, 99');
    expect(existsSync(join(sb.project, 'toolgate.yaml'))).toBe(false);
  });

  it('asks nothing with --yes or without a terminal', async () => {
    const yes = await run(sb, ['--yes'], { isTTY: true });
    expect(yes.questions).toEqual([]);
    const piped = await run(sb, ['--force'], { isTTY: false });
    expect(piped.questions).toEqual([]);
    expect(piped.code).toBe(0);
  });
});

describe('toolgate init, exit codes', () => {
  it.each([[['--bogus']], [['--port', 'x']], [['--auth', 'maybe']], [['--undo', '--rewrite']], [['stray']]])(
    'exits 2 on usage errors: %j',
    async (argv) => {
      const r = await run(sb, argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('usage: toolgate init');
    },
  );

  it('exits 2 for a server name that matches nothing', async () => {
    const r = await run(sb, ['--yes', '--only', 'nosuch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no server named "nosuch"');
  });

  it('exits 1 when no servers are found', async () => {
    const empty = { ...sb, home: join(sb.root, 'none'), project: join(sb.root, 'none') };
    const r = await run(empty, ['--yes']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Found no MCP servers');
    expect(r.stderr).toContain('no servers to put behind toolgate');
  });

  it('prints help with exit 0', async () => {
    const r = await run(sb, ['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--rewrite');
  });
});
