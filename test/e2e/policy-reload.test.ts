/**
 * Issue 3, hot reload end to end: a policy edit changes the next decision of an open session; a
 * broken policy file keeps the last good one and is logged with file:line; a policy edit that hides
 * a tool tells connected clients (`notifications/tools/list_changed`); a toolgate.yaml edit (a new
 * grant) applies without dropping sessions.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  type CallOutcome,
  CLI,
  connect,
  ensureFreshBuild,
  eventually,
  isEcho,
  type Session,
} from '../support/e2e.js';
import { EVERYTHING, startTestGateway, type TestGateway } from '../support/gateway.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function gateway(
  config: Record<string, unknown>,
  opts: { env?: NodeJS.ProcessEnv; files?: Record<string, string> } = {},
): Promise<TestGateway> {
  const gw = await startTestGateway(config, opts);
  cleanup.push(() => gw.close());
  return gw;
}

async function session(url: string, token?: string): Promise<Session> {
  const s = await connect(url, { token });
  cleanup.push(() => s.close());
  return s;
}

/** How many log lines contain `text`. */
const logCount = (gw: TestGateway, text: string) => gw.logs.filter((l) => l.includes(text)).length;

/** Writes a file the gateway watches and waits until the gateway logged `marker` once more. */
async function edit(gw: TestGateway, name: string, text: string, marker: string): Promise<void> {
  const before = logCount(gw, marker);
  gw.write(name, text);
  await eventually(() => {
    if (logCount(gw, marker) <= before) throw new Error(`no "${marker}" after writing ${name}`);
  }, 15_000);
}

const ALLOW_ECHO = 'version: "1"\ndefault: deny\ntools:\n  echo: {}\n  get-sum: {}\n';

/** A call's answer or the protocol error it raised, as text. */
async function attempt(s: Session, name: string, args: Record<string, unknown>): Promise<CallOutcome> {
  try {
    return await s.call(name, args);
  } catch (err) {
    return { text: `protocol error: ${(err as Error).message}`, isError: true };
  }
}

describe('policy file reload', () => {
  it('an edit while a session is open changes the next decision (allow -> deny -> allow)', async () => {
    const gw = await gateway(
      { auth: { mode: 'none' }, servers: { everything: { ...EVERYTHING, policy: './policy.yaml' } } },
      { files: { 'policy.yaml': ALLOW_ECHO } },
    );
    const s = await session(`${gw.url}/mcp/everything`);
    const sessionId = s.transport.sessionId;
    expect(isEcho(await s.call('echo', { message: 'before' }), 'before')).toBe(true);

    await edit(
      gw,
      'policy.yaml',
      'version: "1"\ndefault: deny\ntools:\n  echo: {deny: true, reason: echo is switched off}\n  get-sum: {}\n',
      'policy reloaded',
    );
    expect(await s.call('echo', { message: 'after' })).toEqual({
      text: '[POLICY DENIED] echo is switched off',
      isError: true,
      meta: undefined,
    });
    expect((await s.call('get-sum', { a: 1, b: 2 })).text).toBe('The sum of 1 and 2 is 3.');

    await edit(gw, 'policy.yaml', ALLOW_ECHO, 'policy reloaded');
    expect(isEcho(await s.call('echo', { message: 'again' }), 'again')).toBe(true);
    expect(s.transport.sessionId).toBe(sessionId);
  });

  it('a broken file keeps the last good policy and the log names the file and line', async () => {
    const gw = await gateway(
      { auth: { mode: 'none' }, servers: { everything: { ...EVERYTHING, policy: './policy.yaml' } } },
      { files: { 'policy.yaml': ALLOW_ECHO } },
    );
    const file = join(gw.dir, 'policy.yaml');
    const s = await session(`${gw.url}/mcp/everything`);
    expect(isEcho(await s.call('echo', { message: 'before' }), 'before')).toBe(true);

    // Line 5, column 5: an unknown field (a typo of deny_if) that would deny every echo.
    const broken =
      'version: "1"\ndefault: deny\ntools:\n  echo:\n    deny_iff: [{path: args.message, op: exists}]\n';
    await edit(gw, 'policy.yaml', broken, 'policy file is invalid');
    const line = gw.logs.find((l) => l.includes('policy file is invalid'))!;
    expect(JSON.parse(line)).toMatchObject({ file, level: 50 });
    expect(line).toContain(`${file}:5:5 tools.echo.deny_iff`);
    expect(isEcho(await s.call('echo', { message: 'still served' }), 'still served')).toBe(true);

    // Syntax errors too: the last good policy still serves.
    await edit(gw, 'policy.yaml', 'version: "1"\ntools: {echo: [\n', 'policy file is invalid');
    expect(gw.logs.filter((l) => l.includes('policy file is invalid')).at(-1)).toContain(`${file}:`);
    expect(isEcho(await s.call('echo', { message: 'still' }), 'still')).toBe(true);

    // A fixed file applies again.
    await edit(
      gw,
      'policy.yaml',
      'version: "1"\ndefault: deny\ntools:\n  echo:\n    deny_if: [{path: args.message, op: exists, reason: no messages}]\n',
      'policy reloaded',
    );
    expect((await s.call('echo', { message: 'now' })).text).toBe('[POLICY DENIED] no messages');
  });

  it('hiding a tool sends notifications/tools/list_changed and the tool disappears', async () => {
    const gw = await gateway(
      { auth: { mode: 'none' }, servers: { everything: { ...EVERYTHING, policy: './policy.yaml' } } },
      { files: { 'policy.yaml': 'version: "1"\ndefault: allow\n' } },
    );
    const s = await session(`${gw.url}/mcp/everything`);
    const names = async () => (await s.client.listTools()).tools.map((t) => t.name);
    expect(await names()).toContain('echo');
    // What the upstream itself answers for a tool it does not have (default: allow forwards it).
    const unknownBefore = await attempt(s, 'no-such-tool', { message: 'x' });
    expect(unknownBefore.isError).toBe(true);

    // The SDK client opens its GET stream after initialize; give it time to be there.
    await new Promise((r) => setTimeout(r, 300));
    await edit(gw, 'policy.yaml', 'version: "1"\ndefault: allow\nhide: [echo]\n', 'policy reloaded');
    await eventually(() => expect(s.toolsChanged).toBeGreaterThan(0), 10_000);
    expect(await names()).not.toContain('echo');
    expect(await names()).toContain('get-sum');
    // A hidden tool answers exactly as an unknown one.
    const hidden = await attempt(s, 'echo', { message: 'x' });
    expect(hidden.isError).toBe(true);
    expect(hidden.text).toBe(unknownBefore.text.replaceAll('no-such-tool', 'echo'));
  });
});

describe('policy file reload under the stdio front end', () => {
  it('toolgate stdio tells its client notifications/tools/list_changed, and the next list follows', async () => {
    await ensureFreshBuild();
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-stdio-reload-'));
    cleanup.push(async () => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'policy.yaml'), 'version: "1"\ndefault: allow\n');
    const config = join(dir, 'toolgate.yaml');
    writeFileSync(
      config,
      stringify({
        // auth none: `toolgate stdio` in token mode needs --token-file or --grant (docs/init.md).
        auth: { mode: 'none' },
        storage: { sqlite: join(dir, 'toolgate.db') },
        servers: { everything: { ...EVERYTHING, policy: './policy.yaml' } },
      }),
    );
    const client = new Client({ name: 'toolgate-e2e', version: '1.0.0' });
    let changed = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      changed++;
    });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'stdio', '--server', 'everything', '--config', config],
        stderr: 'ignore',
      }),
    );
    cleanup.push(() => client.close());
    const names = async () => (await client.listTools()).tools.map((t) => t.name);
    expect(await names()).toContain('echo');
    // server-everything registers some tools after initialize and says so itself: count from here.
    await new Promise((r) => setTimeout(r, 500));
    const before = changed;
    writeFileSync(join(dir, 'policy.yaml'), 'version: "1"\ndefault: allow\nhide: [echo]\n');
    await eventually(() => expect(changed).toBeGreaterThan(before), 15_000);
    expect(await names()).not.toContain('echo');
    expect(await names()).toContain('get-sum');
  });
});

describe('toolgate.yaml reload', () => {
  it('adding a grant applies without dropping open sessions', async () => {
    const env = {
      ...process.env,
      TG_E2E_ALPHA: 'alpha-token-abcdef0123',
      TG_E2E_BETA: 'beta-token-abcdef0123',
    };
    const base = {
      auth: { mode: 'tokens' },
      servers: { everything: { ...EVERYTHING, policy: { version: '1', default: 'allow' } } },
      grants: [{ name: 'alpha', servers: ['everything'], token_env: 'TG_E2E_ALPHA' }],
    };
    const gw = await gateway(base, { env });
    const url = `${gw.url}/mcp/everything`;
    const alpha = await session(url, env.TG_E2E_ALPHA);
    const sessionId = alpha.transport.sessionId;
    expect(sessionId).toEqual(expect.any(String));
    expect(isEcho(await alpha.call('echo', { message: 'alpha 1' }), 'alpha 1')).toBe(true);
    await expect(connect(url, { token: env.TG_E2E_BETA })).rejects.toThrow();

    // The same file startTestGateway wrote, plus one grant.
    const full = {
      listen: { host: '127.0.0.1', port: 0 },
      storage: { sqlite: join(gw.dir, 'toolgate.db') },
      counters: { backend: 'memory' },
      ...base,
      grants: [...base.grants, { name: 'beta', servers: ['everything'], token_env: 'TG_E2E_BETA' }],
    };
    await edit(gw, 'toolgate.yaml', stringify(full), 'config reloaded');
    expect(gw.logs.some((l) => l.includes('takes effect after a restart'))).toBe(false);

    const beta = await session(url, env.TG_E2E_BETA);
    expect(isEcho(await beta.call('echo', { message: 'beta 1' }), 'beta 1')).toBe(true);
    expect(isEcho(await alpha.call('echo', { message: 'alpha 2' }), 'alpha 2')).toBe(true);
    expect(alpha.transport.sessionId).toBe(sessionId);
  });
});
