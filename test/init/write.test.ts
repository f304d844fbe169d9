// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${VAR} strings are config references under test
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig, validateConfigSemantics } from '../../src/config/index.js';
import { runInit, starterPolicy } from '../../src/init/index.js';
import { parsePolicy } from '../../src/policy/index.js';
import { FIXTURE_SERVERS, PLANTED_SECRETS, run, type Sandbox, sandbox } from './helpers.js';

let sb: Sandbox;
beforeEach(() => {
  sb = sandbox();
});
afterEach(() => sb.cleanup());

/** Every variable the written config references, set to a dummy value. */
function envFor(yamlText: string): NodeJS.ProcessEnv {
  return Object.fromEntries(
    [...yamlText.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => [m[1], 'x']),
  );
}

describe('writing toolgate.yaml', () => {
  it('writes a config the loader accepts, with every server found and a policy for each', async () => {
    const r = await run(sb, ['--yes']);
    expect(r.code).toBe(0);
    const file = join(sb.project, 'toolgate.yaml');
    const text = readFileSync(file, 'utf8');
    const loaded = parseConfig(text, file, envFor(text));
    validateConfigSemantics(loaded);
    const { config } = loaded;
    expect(Object.keys(config.servers)).toEqual(FIXTURE_SERVERS);
    expect(config.listen).toMatchObject({ host: '127.0.0.1', port: 8787 });
    // The token is in a 0600 file; toolgate.yaml holds only its hash.
    const tokenFile = join(sb.project, '.toolgate', 'local.token');
    const token = readFileSync(tokenFile, 'utf8').trim();
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(token).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    expect(text).not.toContain(token);
    expect(config.grants).toEqual([
      { name: 'local', servers: ['*'], token_sha256: createHash('sha256').update(token).digest('hex') },
    ]);
    expect(config.servers.filesystem).toMatchObject({
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-filesystem', `${sb.home}/Documents`, `${sb.home}/Desktop`],
    });
    expect(config.servers.linear).toMatchObject({ url: 'https://mcp.linear.app/sse', transport: 'sse' });
    expect(config.servers.sentry).toMatchObject({
      url: 'https://mcp.sentry.dev/mcp',
      transport: 'streamable-http',
    });
    for (const name of FIXTURE_SERVERS) {
      const policyFile = join(sb.project, 'policies', `${name}.yaml`);
      expect(config.servers[name]?.policy).toBe(policyFile);
      const policy = parsePolicy(readFileSync(policyFile, 'utf8'), { file: policyFile });
      expect(policy).toBeDefined();
    }
    expect(r.stdout).toContain('Found 19 MCP servers in 7 client files');
    for (const secret of PLANTED_SECRETS) expect(r.stdout + r.stderr).not.toContain(secret);
    expect(r.stdout).toMatch(/Skipped.*\n.*project\/\.cursor\/mcp\.json: not valid JSON/);
  });

  it('keeps every secret out of the file and says which variables to set', async () => {
    const r = await run(sb, ['--yes', '--json']);
    const text = readFileSync(join(sb.project, 'toolgate.yaml'), 'utf8');
    for (const secret of PLANTED_SECRETS) {
      expect(text).not.toContain(secret);
      expect(r.stdout).not.toContain(secret);
    }
    const { config } = parseConfig(text, 'toolgate.yaml', {
      ...envFor(text),
      TOOLGATE_GITHUB_GITHUB_PERSONAL_ACCESS_TOKEN: 'tok',
      TOOLGATE_POSTGRES_PASSWORD: 'pw',
    });
    expect(config.servers.github).toMatchObject({ env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'tok' } });
    expect(config.servers.postgres).toMatchObject({
      args: ['-y', '@modelcontextprotocol/server-postgres', 'postgresql://app:pw@localhost:5432/appdb'],
    });
    expect(config.servers['local-db']).toMatchObject({ env: { LOG_LEVEL: 'debug' } }); // not a secret
    expect(text).toContain('--api-key=${TOOLGATE_STRIPE_API_KEY}');
    expect(text).toContain('--tools=all');
    expect(text).toContain('api_key=${TOOLGATE_ANALYTICS_API_KEY}&region=eu');
    expect(text).toContain('X-Api-Key: ${TOOLGATE_ANALYTICS_X_API_KEY}');
    const env = JSON.parse(r.stdout).env as { name: string; origin: string; from: string }[];
    const byName = Object.fromEntries(env.map((e) => [e.name, e]));
    // The token is no variable anyone sets: it is in .toolgate/local.token.
    expect(byName.TOOLGATE_TOKEN).toBeUndefined();
    const report = JSON.parse(r.stdout);
    expect(report.secretsFile).toBe(join(sb.project, '.toolgate', 'secrets.env'));
    expect(report.serve).toBe(
      `toolgate serve --config ${join(sb.project, 'toolgate.yaml')} --env-file ${report.secretsFile}`,
    );
    expect(byName.TOOLGATE_GITHUB_GITHUB_PERSONAL_ACCESS_TOKEN).toMatchObject({
      origin: 'secret',
      from: expect.stringContaining('claude_desktop_config.json env.GITHUB_PERSONAL_ACCESS_TOKEN'),
    });
    expect(byName.TOOLGATE_GITHUB_2_GITHUB_PERSONAL_ACCESS_TOKEN?.origin).toBe('secret');
    expect(byName.TOOLGATE_BRAVE_SEARCH_BRAVE_API_KEY?.origin).toBe('secret');
    expect(byName.TOOLGATE_PERPLEXITY_PERPLEXITY_KEY?.origin).toBe('input');
    expect(byName.NOTION_TOKEN?.origin).toBe('reference');
    expect(byName.GITHUB_TOKEN?.origin).toBe('reference');
    expect(byName.EXAMPLE_API_KEY?.origin).toBe('reference');
  });

  it('notes a Claude Code headersHelper it cannot copy, without quoting the command', async () => {
    const helper = `echo '{"Authorization":"Bearer sk-helper-0123456789abcdefghij"}'`;
    writeFileSync(
      join(sb.project, '.mcp.json'),
      JSON.stringify({
        mcpServers: { helped: { type: 'http', url: 'https://mcp.example.net/mcp', headersHelper: helper } },
      }),
    );
    expect((await run(sb, ['--yes', '--only', 'helped'])).code).toBe(0);
    const text = readFileSync(join(sb.project, 'toolgate.yaml'), 'utf8');
    expect(text).toContain("note: Claude Code's headersHelper is not copied");
    expect(text).not.toContain('sk-helper-');
  });

  it('copies secrets in clear only with --inline-secrets, and warns', async () => {
    const r = await run(sb, ['--yes', '--inline-secrets', '--only', 'github']);
    expect(r.code).toBe(0);
    const text = readFileSync(join(sb.project, 'toolgate.yaml'), 'utf8');
    expect(text).toContain(PLANTED_SECRETS[0]);
    expect(r.stdout).toMatch(/warning: github: copied env.GITHUB_PERSONAL_ACCESS_TOKEN in clear/);
  });

  it('refuses to overwrite an existing config or policy without --force', async () => {
    const config = join(sb.project, 'toolgate.yaml');
    writeFileSync(config, '# mine\n');
    const r = await run(sb, ['--yes']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Nothing written: these files already exist');
    expect(readFileSync(config, 'utf8')).toBe('# mine\n');
    expect(existsSync(join(sb.project, 'policies'))).toBe(false);

    const forced = await run(sb, ['--yes', '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(config, 'utf8')).toContain('servers:');

    const policy = join(sb.project, 'policies', 'github.yaml');
    writeFileSync(policy, 'version: "1"\ndefault: allow\n');
    const again = await run(sb, ['--yes', '--dir', sb.project, '--only', 'github', '--json']);
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).blockedBy).toEqual([config, policy]);
    expect(readFileSync(policy, 'utf8')).toBe('version: "1"\ndefault: allow\n');
  });

  it('writes nothing with --dry-run', async () => {
    const r = await run(sb, ['--yes', '--dry-run', '--rewrite']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Would write:');
    expect(r.stdout).toContain('Would point these client files');
    expect(existsSync(join(sb.project, 'toolgate.yaml'))).toBe(false);
    for (const [file, bytes] of sb.files()) expect(readFileSync(file).equals(bytes)).toBe(true);
  });

  it('honours --only, --exclude, --dir, --port and --auth none', async () => {
    const out = join(sb.root, 'gateway');
    const r = await run(sb, [
      '--yes',
      '--dir',
      out,
      '--only',
      'github',
      'memory,linear',
      '--exclude',
      'linear',
      '--port',
      '9900',
      '--auth',
      'none',
    ]);
    expect(r.code).toBe(0);
    const text = readFileSync(join(out, 'toolgate.yaml'), 'utf8');
    const { config } = parseConfig(text, join(out, 'toolgate.yaml'), envFor(text));
    expect(Object.keys(config.servers)).toEqual(['github', 'memory']);
    expect(config.listen.port).toBe(9900);
    expect(config.auth.mode).toBe('none');
    expect(config.grants).toEqual([]);
  });

  it('writes the starter policy by default and the catalogue proposal when one is plugged in', async () => {
    const starter = parsePolicy(starterPolicy('x'), { file: 'x.yaml' });
    expect(starter).toBeDefined();
    expect(starterPolicy('x')).toMatch(/default: deny\nnew_tools: quarantine/);
    expect(starterPolicy('x')).toContain('toolgate catalog x');

    const proposed = 'version: "1"\ndefault: deny\ntools:\n  read_file: {}\n';
    const r = await runInit({
      home: sb.home,
      cwd: sb.project,
      dir: sb.project,
      platform: 'linux',
      only: ['filesystem', 'memory'],
      propose: async (server) => {
        if (server === 'memory') throw new Error('upstream did not start');
        return proposed;
      },
    });
    expect(readFileSync(join(sb.project, 'policies', 'filesystem.yaml'), 'utf8')).toBe(proposed);
    expect(readFileSync(join(sb.project, 'policies', 'memory.yaml'), 'utf8')).toBe(starterPolicy('memory'));
    expect(r.warnings).toContain(
      'memory: no proposed policy (upstream did not start); wrote the starter policy',
    );
  });
});
