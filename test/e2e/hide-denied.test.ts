/**
 * Issue 13 part 7, `hide_denied` end to end. Behind the gateway, a fixture server of our own
 * with ten tools that logs every execution; the policy is `default: deny` and allows one tool
 * (the issue's `@iterable/mcp` case, 118 tools of which the model could call one). The model is
 * shown only the callable tool on /mcp/<server>, on the aggregate /mcp and through
 * `toolgate stdio`; a call to a tool left out by name answers the policy's deny reason (never
 * "not found", so an agent is not left guessing), is audited, and never runs upstream;
 * `hide_denied: false` lists the tools again, and a shadow policy keeps them listed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { executions, TEN_TOOLS, TEN_TOOLS_STDIO_COMMAND } from '../fixtures/servers/ten-tools-server.js';
import { CLI, connect, ensureFreshBuild, type Session } from '../support/e2e.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const ALLOW_ONE = { version: '1', default: 'deny', tools: { track_event: {} } };
const DENIED =
  /^\[POLICY DENIED\] tool "(\w+)" is not allowed by policy: it is not listed under tools and the default is deny/;

const dir = mkdtempSync(join(tmpdir(), 'toolgate-hide-denied-'));
const logOf = (server: string) => join(dir, `${server}.jsonl`);
const fixture = (server: string, policy: Record<string, unknown>) => ({
  ...TEN_TOOLS_STDIO_COMMAND,
  env: { EXEC_LOG: logOf(server) },
  policy,
});
/** fx: the policy; open: the same with hide_denied: false; shadowy: the same in shadow mode. */
const SERVERS = {
  fx: fixture('fx', ALLOW_ONE),
  open: fixture('open', { ...ALLOW_ONE, hide_denied: false }),
  shadowy: fixture('shadowy', { ...ALLOW_ONE, mode: 'shadow' }),
};
const ran = (server: string) => executions(logOf(server)).map((e) => e.tool);
const prefixed = (server: string, names: readonly string[]) => names.map((n) => `${server}__${n}`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hide_denied over HTTP', () => {
  let gw: TestGateway;
  const sessions: Session[] = [];
  const open = async (path: string) => {
    const s = await connect(`${gw.url}${path}`);
    sessions.push(s);
    return s;
  };
  const names = async (s: Session) => (await s.client.listTools()).tools.map((t) => t.name).sort();

  beforeAll(async () => {
    gw = await startTestGateway({ auth: { mode: 'none' }, servers: SERVERS });
  });
  afterAll(async () => {
    for (const s of sessions) await s.close();
    await gw?.close();
  });

  it('/mcp/<server> lists only the callable tool; a call to a left-out tool gets the deny reason and never runs', async () => {
    const s = await open('/mcp/fx');
    // Before the session listed anything, and after: the same answer, the policy's.
    const before = await s.call('delete_user', { value: 'alice' });
    expect(before.isError).toBe(true);
    expect(before.text).toMatch(DENIED);
    expect(await names(s)).toEqual(['track_event']);
    for (const tool of ['delete_user', 'run_sql', 'drop_table']) {
      const r = await s.call(tool, { value: 'x' });
      expect(r.isError, tool).toBe(true);
      expect(r.text, tool).toMatch(DENIED);
      expect(r.text, tool).toContain(`"${tool}"`);
      expect(r.text, tool).not.toContain('not found');
    }
    // A tool the server does not have still answers as unknown: only real tools get a reason.
    expect((await s.call('no_such_tool')).text).toContain('no_such_tool not found');
    expect(await s.call('track_event', { value: 'signup' })).toEqual({
      text: 'track_event ran',
      isError: false,
    });
    expect(ran('fx')).toEqual(['track_event']);
  });

  it('/mcp lists each server by its own policy, and a prefixed call to a left-out tool is denied', async () => {
    const s = await open('/mcp');
    expect(await names(s)).toEqual(
      [
        'fx__track_event',
        // hide_denied: false lists them all; a shadow policy lets denied calls through, so lists them.
        ...prefixed('open', TEN_TOOLS),
        ...prefixed('shadowy', TEN_TOOLS),
      ].sort(),
    );
    const r = await s.call('fx__export_data', { value: 'everything' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(DENIED);
    expect(r.text).toContain('"export_data"');
    expect(ran('fx')).not.toContain('export_data');
  });

  it('hide_denied: false lists the denied tools again; calling them is still denied', async () => {
    const s = await open('/mcp/open');
    expect(await names(s)).toEqual([...TEN_TOOLS].sort());
    expect((await s.call('send_email', { value: 'hi' })).text).toMatch(DENIED);
    expect(ran('open')).toEqual([]);
  });

  it('every refusal is in the audit log, with the rule and no upstream', async () => {
    await gw.audit.flush();
    const denied = (await gw.store.audit.query({ decision: 'deny', limit: 1000 })).filter(
      (r) => r.method === 'tools/call' && r.rule === 'default',
    );
    const seen = denied.map((r) => `${r.server}/${r.tool}`);
    for (const call of ['fx/delete_user', 'fx/run_sql', 'fx/drop_table', 'fx/export_data', 'open/send_email'])
      expect(seen, call).toContain(call);
    expect(denied.every((r) => r.upstream === 'none')).toBe(true);
  });
});

describe('hide_denied through toolgate stdio', () => {
  const clients: Client[] = [];
  let config: string;

  beforeAll(async () => {
    await ensureFreshBuild();
    config = join(dir, 'toolgate.yaml');
    // auth none: `toolgate stdio` in token mode needs --token-file or --grant (docs/init.md).
    writeFileSync(
      config,
      stringify({ auth: { mode: 'none' }, storage: { sqlite: join(dir, 'stdio.db') }, servers: SERVERS }),
    );
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
  });

  async function stdio(...extra: string[]): Promise<Client> {
    return stdioWith(config, ...extra);
  }
  async function stdioWith(file: string, ...extra: string[]): Promise<Client> {
    const client = new Client({ name: 'hide-denied-e2e', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'stdio', '--config', file, ...extra],
        stderr: 'ignore',
      }),
    );
    clients.push(client);
    return client;
  }
  const names = async (c: Client) => (await c.listTools()).tools.map((t) => t.name).sort();
  const text = (r: unknown) =>
    ((r as { content?: { text?: string }[] }).content ?? []).map((c) => c.text ?? '').join('\n');

  it('--server lists only the callable tool, and a left-out tool answers the deny reason', async () => {
    const c = await stdio('--server', 'fx');
    expect(await names(c)).toEqual(['track_event']);
    const r = await c.callTool({ name: 'update_user', arguments: { value: 'bob' } });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(DENIED);
    expect(text(r)).toContain('"update_user"');
    expect(ran('fx')).not.toContain('update_user');
  });

  it('the aggregate lists by each policy, and a prefixed left-out tool answers the deny reason', async () => {
    const c = await stdio();
    expect(await names(c)).toEqual(
      ['fx__track_event', ...prefixed('open', TEN_TOOLS), ...prefixed('shadowy', TEN_TOOLS)].sort(),
    );
    const r = await c.callTool({ name: 'fx__create_refund', arguments: { value: '100' } });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(DENIED);
    expect(text(r)).toContain('"create_refund"');
    expect(ran('fx')).not.toContain('create_refund');
  });

  it('the aggregate names tools with the configured separator (as /mcp does), not a hard-coded one', async () => {
    const file = join(dir, 'tilde.yaml');
    writeFileSync(
      file,
      stringify({
        auth: { mode: 'none' },
        storage: { sqlite: join(dir, 'tilde.db') },
        aggregate: { separator: '~' },
        servers: { fx: SERVERS.fx },
      }),
    );
    const c = await stdioWith(file);
    expect(await names(c)).toEqual(['fx~track_event']);
    const r = await c.callTool({ name: 'fx~track_event', arguments: { value: 'tilde' } });
    expect(text(r)).toBe('track_event ran');
    expect(executions(logOf('fx')).at(-1)).toEqual({ tool: 'track_event', args: { value: 'tilde' } });
  });
});
