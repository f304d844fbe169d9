/**
 * Issue 13 part 5 with the built CLI: `toolgate serve` with no admin token configured prints a
 * one-time login link (never the token); opening it signs in once; `toolgate admin token` shows
 * the token from its 0600 file, and `--rotate` replaces it: the running gateway refuses the old
 * token and ends the dashboard sessions signed in with it, at its next request.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  CLI,
  EVERYTHING_STDIO,
  ensureFreshBuild,
  ROOT,
  runCli,
  stopProcess,
  waitForLine,
} from '../support/e2e.js';

describe('toolgate serve and toolgate admin token, with no admin token configured', () => {
  let dir: string;
  let configFile: string;
  let child: ChildProcess;
  let output = '';
  let link = '';
  let url = '';
  const admin = (...args: string[]) =>
    runCli(['admin', 'token', ...args, '--config', configFile], process.env);
  const bearer = (token: string) =>
    fetch(`${url}/api/servers`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    await ensureFreshBuild();
    dir = mkdtempSync(join(tmpdir(), 'toolgate-e2e-admin-'));
    configFile = join(dir, 'toolgate.yaml');
    writeFileSync(
      configFile,
      stringify({
        listen: { host: '127.0.0.1', port: 0 },
        storage: { sqlite: join(dir, 'data', 'toolgate.db') },
        counters: { backend: 'memory' },
        log: { level: 'debug' },
        servers: { everything: { ...EVERYTHING_STDIO, policy: { version: '1', default: 'deny' } } },
      }),
    );
    child = spawn(process.execPath, [CLI, 'serve', '--config', configFile, '--port', '0'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const line = await waitForLine(child, 'stdout', (l) => l.startsWith('Dashboard: '), 60_000);
    link = line.slice('Dashboard: '.length).trim();
    url = new URL(link).origin; // the start-up text is written in one piece: all of it is in `output`
  }, 120_000);

  afterAll(async () => {
    if (child) await stopProcess(child);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints a one-time login link and where the token is, never the token', async () => {
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#login=[A-Za-z0-9_-]{43}$/);
    const file = join(dir, 'data', 'admin-token');
    expect(output).toContain(`A new admin token was written to ${file} (readable by you only).`);
    expect(output).toContain(`toolgate admin token --config ${configFile}`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const shown = await admin();
    expect(shown.code, shown.stderr).toBe(0);
    const token = shown.stdout.trim();
    expect(token).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    expect(shown.stderr).toContain(`The admin token, from ${file}.`);
    expect(output).not.toContain(token);
    expect((await fetch(`${url}/api/servers`)).status).toBe(401);
    expect((await bearer(token)).status).toBe(200);
  });

  it('the printed link signs in once: a cookie, /api/session authenticated; a second use is refused', async () => {
    const page = await fetch(link);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const code = new URL(link).hash.slice('#login='.length);
    const exchange = () =>
      fetch(`${url}/api/login`, {
        method: 'POST',
        headers: { origin: url, 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      });
    const first = await exchange();
    expect(first.status).toBe(204);
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]!;
    const session = (await (await fetch(`${url}/api/session`, { headers: { cookie } })).json()) as {
      authenticated: boolean;
    };
    expect(session.authenticated).toBe(true);
    expect((await exchange()).status).toBe(401);
  });

  it('admin token --rotate: the old token and its dashboard sessions stop working at once, the new one works', async () => {
    const old = (await admin()).stdout.trim();
    const login = await fetch(`${url}/api/login`, {
      method: 'POST',
      headers: { origin: url, 'content-type': 'application/json' },
      body: JSON.stringify({ token: old }),
    });
    expect(login.status).toBe(204);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect((await fetch(`${url}/api/servers`, { headers: { cookie } })).status).toBe(200);

    const rotated = await admin('--rotate');
    expect(rotated.code, rotated.stderr).toBe(0);
    const fresh = rotated.stdout.trim();
    expect(fresh).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    expect(fresh).not.toBe(old);
    expect(rotated.stderr).toContain(
      'the old token and every dashboard session signed in with it stop working',
    );
    expect(statSync(join(dir, 'data', 'admin-token')).mode & 0o777).toBe(0o600);

    expect((await bearer(old)).status).toBe(401);
    expect((await fetch(`${url}/api/servers`, { headers: { cookie } })).status).toBe(401);
    expect((await bearer(fresh)).status).toBe(200);
    expect((await admin()).stdout.trim()).toBe(fresh);
    const json = JSON.parse((await admin('--json')).stdout) as { token: string; file: string };
    expect(json).toEqual({ token: fresh, file: join(dir, 'data', 'admin-token'), rotated: false });
    expect(output).not.toContain(fresh);
  });

  it('admin token with admin.token_env says where the token is and keeps no copy', async () => {
    const other = join(dir, 'env.yaml');
    writeFileSync(
      other,
      stringify({
        admin: { token_env: 'TG_SOME_ADMIN' },
        servers: { everything: { ...EVERYTHING_STDIO } },
      }),
    );
    const r = await runCli(['admin', 'token', '--config', other], process.env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('the value of $TG_SOME_ADMIN (admin.token_env)');
    const rotate = await runCli(['admin', 'token', '--rotate', '--config', other], process.env);
    expect(rotate.code).toBe(1);
    expect(rotate.stderr).toContain('set a new value there and restart the gateway');
  });
});
