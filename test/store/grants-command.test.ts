import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashToken } from '../../src/auth/tokens.js';
import { runGrantsCommand } from '../../src/cli/grants-command.js';
import type { Store } from '../../src/store/index.js';
import { type StoreHarness, sqliteHarness } from './harness.js';

const NOW = Date.parse('2025-06-01T00:00:00Z');

describe('toolgate grants', () => {
  let h: StoreHarness;
  let store: Store;
  let out: string;
  let err: string;
  const run = (...argv: string[]) =>
    runGrantsCommand(argv, {
      store,
      knownServers: ['everything', 'memory'],
      stdout: (s) => {
        out += s;
      },
      stderr: (s) => {
        err += s;
      },
      now: () => NOW,
      configGrants: ['from-yaml'],
    });
  beforeEach(async () => {
    h = await sqliteHarness();
    store = await h.open();
    out = '';
    err = '';
  });
  afterEach(async () => {
    await h.dispose();
  });

  it('create prints the token once, with how to use it, and stores only its hash', async () => {
    expect(await run('create', '--name', 'support', '--server', 'everything', '--expires', '30d')).toBe(0);
    const tokens = out.match(/tg_[A-Za-z0-9_-]{43}/g) ?? [];
    expect(tokens).toHaveLength(1);
    expect(out).toContain('http://127.0.0.1:8787/mcp/everything');
    expect(out).toContain('Authorization: Bearer');
    expect(out).toContain('2025-07-01T00:00:00.000Z');
    const g = await store.grants.findByTokenHash(hashToken(tokens[0]!));
    expect(g).toMatchObject({ name: 'support', servers: ['everything'], expiresAt: NOW + 30 * 86_400_000 });
    const rows = JSON.stringify(await h.exec('SELECT * FROM grants'));
    expect(rows).not.toContain(tokens[0]);
  });

  it('create --json returns the token and the grant', async () => {
    const policy = join(mkdtempSync(join(tmpdir(), 'tg-pol-')), 'p.json');
    writeFileSync(policy, '{"version":"1","default":"deny"}');
    expect(
      await run(
        'create',
        '--name',
        'bot',
        '--server',
        'everything',
        '--server',
        'memory',
        '--policy',
        policy,
        '--json',
      ),
    ).toBe(0);
    const j = JSON.parse(out);
    expect(j).toMatchObject({
      name: 'bot',
      servers: ['everything', 'memory'],
      policy,
      status: 'active',
      expiresAt: null,
      revokedAt: null,
    });
    expect(j.token).toMatch(/^tg_/);
    rmSync(policy);
  });

  it('create refuses bad input with exit 2 and a duplicate name with exit 1', async () => {
    expect(await run('create', '--server', 'everything')).toBe(2);
    expect(await run('create', '--name', 'x')).toBe(2);
    expect(await run('create', '--name', 'x', '--server', 'nope')).toBe(2);
    expect(err).toContain('unknown server "nope"; servers in the config: everything, memory');
    expect(await run('create', '--name', 'x', '--server', 'everything', '--expires', 'soon')).toBe(2);
    // A policy that cannot be loaded is refused with the reason (exit 1, as for a taken name).
    expect(await run('create', '--name', 'x', '--server', 'everything', '--policy', '/no/such.json')).toBe(1);
    expect(await run('create', '--name', 'bad name', '--server', 'everything')).toBe(2);
    expect(await run('create', '--name', 'x', '--server', 'everything', '--bogus')).toBe(2);
    expect(await store.grants.list()).toEqual([]);
    expect(await run('create', '--name', 'x', '--server', 'everything')).toBe(0);
    err = '';
    expect(await run('create', '--name', 'x', '--server', 'everything')).toBe(1);
    expect(err).toContain('grant name "x" is taken by a stored grant');
    expect(await run('create', '--name', 'from-yaml', '--server', 'everything')).toBe(1);
    expect(err).toContain('grant name "from-yaml" is taken by a grant in toolgate.yaml (grants)');
  });

  it('list shows status and never a token or hash', async () => {
    await run('create', '--name', 'a', '--server', 'everything');
    await run('create', '--name', 'b', '--server', 'memory', '--expires', '1h');
    await run('revoke', 'a');
    const grants = await store.grants.list();
    out = '';
    expect(await run('list')).toBe(0);
    expect(out).toMatch(/^NAME\s+STATUS/);
    expect(out).toMatch(/a\s+revoked/);
    expect(out).toMatch(/b\s+active/);
    out += (await run('list', '--json')).toString();
    for (const g of grants) expect(out).not.toContain(g.tokenSha256);
    expect(out).not.toMatch(/tg_/);
  });

  it('list marks expired grants and says how to start when empty', async () => {
    expect(await run('list')).toBe(0);
    expect(out).toContain('No grants');
    await store.grants.create({
      name: 'old',
      tokenSha256: hashToken('t'),
      servers: ['memory'],
      expiresAt: NOW - 1,
    });
    out = '';
    await run('list', '--json');
    expect(JSON.parse(out)).toEqual([expect.objectContaining({ name: 'old', status: 'expired' })]);
  });

  it('revoke revokes, is idempotent, and fails for an unknown name', async () => {
    await run('create', '--name', 'a', '--server', 'everything');
    expect(await run('revoke', 'a')).toBe(0);
    expect((await store.grants.get('a'))?.revokedAt).toBe(NOW);
    expect(await run('revoke', 'a')).toBe(0);
    expect(out).toContain('already revoked');
    expect(await run('revoke', 'ghost')).toBe(1);
    expect(err).toContain('no grant named "ghost"');
    expect(await run('revoke')).toBe(2);
    expect(await run('frobnicate')).toBe(2);
  });

  it('reports a closed or unavailable store with exit 1', async () => {
    await store.close();
    expect(await run('list')).toBe(1);
    expect(err).toContain('closed');
  });
});
