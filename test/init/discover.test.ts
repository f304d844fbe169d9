// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${VAR} strings are config references under test
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { discover, mergeEntries, scan } from '../../src/init/index.js';
import { FIXTURE_SERVERS, type Sandbox, sandbox } from './helpers.js';

let sb: Sandbox;
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

const where = (s: Sandbox) => ({ home: s.home, cwd: s.project, platform: 'linux' as const });

describe('discovery', () => {
  it('finds every server with its client, scope and file', () => {
    const d = discover(where(sb));
    const seen = d.entries.map((e) => [e.client, e.scope, e.file.replace(sb.root, ''), e.entry]);
    expect(seen).toEqual([
      ['claude-desktop', 'user', '/home/.config/Claude/claude_desktop_config.json', 'filesystem'],
      ['claude-desktop', 'user', '/home/.config/Claude/claude_desktop_config.json', 'github'],
      ['claude-desktop', 'user', '/home/.config/Claude/claude_desktop_config.json', 'postgres'],
      ['claude-code', 'project', '/project/.mcp.json', 'github'],
      ['claude-code', 'project', '/project/.mcp.json', 'sentry'],
      ['claude-code', 'project', '/project/.mcp.json', 'internal api'],
      ['claude-code', 'user', '/home/.claude.json', 'memory'],
      ['claude-code', 'local', '/home/.claude.json', 'local-db'],
      ['cursor', 'user', '/home/.cursor/mcp.json', 'github'],
      ['cursor', 'user', '/home/.cursor/mcp.json', 'linear'],
      ['cursor', 'user', '/home/.cursor/mcp.json', 'stripe'],
      ['cursor', 'user', '/home/.cursor/mcp.json', 'notion'],
      ['vscode', 'project', '/project/.vscode/mcp.json', 'perplexity'],
      ['vscode', 'project', '/project/.vscode/mcp.json', 'fetch'],
      ['vscode', 'project', '/project/.vscode/mcp.json', 'gh-remote'],
      ['vscode', 'project', '/project/.vscode/mcp.json', 'legacy'],
      ['vscode', 'user', '/home/.config/Code/User/mcp.json', 'time'],
      ['windsurf', 'user', '/home/.codeium/windsurf/mcp_config.json', 'brave-search'],
      ['windsurf', 'user', '/home/.codeium/windsurf/mcp_config.json', 'analytics'],
      ['windsurf', 'user', '/home/.codeium/windsurf/mcp_config.json', 'puppeteer'],
    ]);
    // another project's local servers in ~/.claude.json do not belong to this folder
    expect(d.entries.some((e) => e.entry === 'elsewhere')).toBe(false);
  });

  it('reports a broken file with its path and reason, and reads the rest', () => {
    const d = discover(where(sb));
    expect(d.problems).toEqual([
      {
        file: join(sb.project, '.cursor', 'mcp.json'),
        reason: expect.stringMatching(/not valid JSON.*line 5/),
      },
    ]);
    expect(d.files).toHaveLength(7);
  });

  it('reads transports and translates each client variable syntax to ${VAR}', () => {
    const byName = Object.fromEntries(discover(where(sb)).entries.map((e) => [`${e.client}:${e.entry}`, e]));
    expect(byName['cursor:linear']?.spec).toEqual({
      kind: 'http',
      url: 'https://mcp.linear.app/sse',
      headers: {},
      transport: 'sse',
    });
    expect(byName['vscode:legacy']?.spec).toMatchObject({ kind: 'http', transport: 'sse' });
    expect(byName['vscode:gh-remote']?.spec).toMatchObject({
      transport: 'streamable-http',
      headers: { Authorization: 'Bearer ${GITHUB_TOKEN}' },
    });
    expect(byName['cursor:notion']?.spec).toMatchObject({
      headers: { Authorization: 'Bearer ${NOTION_TOKEN}' },
    });
    expect(byName['claude-code:internal api']?.spec).toMatchObject({
      headers: { Authorization: 'Bearer ${EXAMPLE_API_KEY}' },
    });
    expect(byName['windsurf:analytics']?.spec).toMatchObject({
      kind: 'http',
      url: expect.stringContaining('mcp.example.org'),
    });
    expect(byName['windsurf:puppeteer']?.disabled).toBe(true);
  });

  it('merges identical servers from several clients and suffixes different ones sharing a name', () => {
    const { servers } = scan(where(sb));
    expect(servers.map((s) => s.name)).toEqual(FIXTURE_SERVERS);
    const github = servers.find((s) => s.name === 'github');
    expect(github?.sources.map((s) => s.client)).toEqual(['claude-desktop', 'claude-code']);
    expect(servers.find((s) => s.name === 'github-2')?.sources.map((s) => s.client)).toEqual(['cursor']);
  });

  it('uses macOS paths on darwin', () => {
    const d = discover({ ...where(sb), platform: 'darwin' });
    const desktop = d.entries.filter((e) => e.client === 'claude-desktop');
    expect(desktop.map((e) => [e.entry, e.file.replace(sb.home, '~')])).toEqual([
      ['sqlite', '~/Library/Application Support/Claude/claude_desktop_config.json'],
    ]);
    expect(d.entries.some((e) => e.client === 'vscode' && e.scope === 'user')).toBe(false);
  });

  it('finds nothing, and no problems, in an empty HOME', () => {
    const d = discover({ home: join(sb.root, 'empty'), cwd: join(sb.root, 'empty'), platform: 'linux' });
    expect(d).toEqual({ files: [], entries: [], gatewayEntries: [], problems: [] });
    expect(mergeEntries([])).toEqual([]);
  });
});
