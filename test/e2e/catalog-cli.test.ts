/**
 * Issue 7, `toolgate catalog` as users run it (the built binary) against the real
 * server-everything: every tool classified in the documented JSON shape, proposed policies that
 * `policy validate` accepts, and `init` writing the catalogue's proposal.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { CATEGORIES, RISKS } from '../../src/catalog/index.js';
import { CLI, ensureFreshBuild, ROOT } from '../support/e2e.js';
import { EVERYTHING } from '../support/gateway.js';

beforeAll(() => ensureFreshBuild(), 360_000);

function toolgate(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    timeout: 90_000,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
  });
}

const TOOL_KEYS = [
  'category',
  'decision',
  'description',
  'findings',
  'name',
  'pin',
  'quarantined',
  'reasons',
  'recommended',
  'risk',
  'topReasons',
  'why',
];

describe('toolgate catalog against server-everything', () => {
  let dir: string;
  let config: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tg-catalog-'));
    config = join(dir, 'toolgate.yaml');
    writeFileSync(
      config,
      stringify({
        listen: { host: '127.0.0.1', port: 0 },
        auth: { mode: 'none' },
        storage: { sqlite: join(dir, 'toolgate.db') },
        servers: {
          everything: {
            ...EVERYTHING,
            policy: { version: '1', default: 'deny', new_tools: 'quarantine', tools: { echo: {} } },
          },
        },
      }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--json classifies every tool in the documented shape', () => {
    const r = toolgate(['catalog', '--json', '--config', config]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      servers: {
        name: string;
        status: string;
        policy: { source: string; newTools: string };
        tools: Record<string, unknown>[];
      }[];
    };
    expect(out.servers).toHaveLength(1);
    const s = out.servers[0]!;
    expect(s).toMatchObject({
      name: 'everything',
      status: 'up',
      policy: { source: 'inline', newTools: 'quarantine' },
    });
    expect(s.tools.length).toBeGreaterThanOrEqual(10);
    const names = s.tools.map((t) => String(t.name));
    expect(names).toEqual([...names].sort());
    for (const t of s.tools) {
      for (const key of TOOL_KEYS)
        if (key !== 'description') expect(t, `${t.name} ${key}`).toHaveProperty(key);
      expect(
        Object.keys(t)
          .filter((k) => !['title', 'description'].includes(k))
          .sort(),
      ).toEqual(TOOL_KEYS.filter((k) => k !== 'description'));
      expect(CATEGORIES).toContain(t.category);
      expect(RISKS).toContain(t.risk);
      expect((t.reasons as string[]).length).toBeGreaterThan(0);
      expect(t.pin).toMatchObject({ state: 'new', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    }
    // echo is named by the policy; the rest are new under quarantine (fresh store: nothing pinned).
    expect(s.tools.find((t) => t.name === 'echo')).toMatchObject({
      category: 'Read',
      quarantined: false,
      decision: { outcome: 'allow' },
    });
    expect(s.tools.find((t) => t.name === 'get-sum')).toMatchObject({
      quarantined: true,
      decision: { outcome: 'hide', rule: 'new_tools' },
    });
  });

  it('prints plain text grouped by category when stdout is not a terminal', () => {
    const r = toolgate(['catalog', 'everything', '--config', config]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('\x1b[');
    expect(r.stdout).toMatch(/^everything {2}up, \d+ tools, policy inline, new_tools: quarantine$/m);
    expect(r.stdout).toMatch(/^ {2}Read$/m);
    expect(r.stdout).toMatch(/^ {4}echo +Low +allow +new$/m);
    expect(toolgate(['catalog', 'nope', '--config', config]).status).toBe(2);
  });

  it('--propose --write writes policies `policy validate` accepts, and never overwrites without --force', () => {
    const out = join(dir, 'proposed');
    const r = toolgate(['catalog', '--propose', '--write', out, '--config', config]);
    expect(r.status, r.stderr).toBe(0);
    const file = join(out, 'everything.yaml');
    expect(r.stdout).toContain(`wrote ${file}`);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('Proposed toolgate policy for server everything');
    expect(text).toContain('new_tools: quarantine');
    const valid = toolgate(['policy', 'validate', file]);
    expect(valid.status, valid.stdout + valid.stderr).toBe(0);

    const again = toolgate(['catalog', '--propose', '--write', out, '--config', config]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('not overwriting');
    expect(toolgate(['catalog', '--propose', '--write', out, '--force', '--config', config]).status).toBe(0);

    const printed = toolgate(['catalog', 'everything', '--propose', '--config', config]);
    expect(printed.stdout).toContain('# ---- everything ----');
  });
});

describe('toolgate init with the catalogue proposer', () => {
  it('writes a classified policy for each server it finds', () => {
    const home = mkdtempSync(join(tmpdir(), 'tg-init-home-'));
    const project = join(home, 'project');
    const out = join(home, 'out');
    mkdirSync(project);
    writeFileSync(
      join(project, '.mcp.json'),
      JSON.stringify({ mcpServers: { everything: { command: EVERYTHING.command, args: EVERYTHING.args } } }),
    );
    try {
      const r = toolgate(['init', '--yes', '--dir', out], { cwd: project, env: { HOME: home } });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const file = join(out, 'policies', 'everything.yaml');
      expect(existsSync(file)).toBe(true);
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('Proposed toolgate policy for server everything');
      expect(text).toMatch(/echo: Read, Low risk; allowed/);
      expect(toolgate(['policy', 'validate', file]).status).toBe(0);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
