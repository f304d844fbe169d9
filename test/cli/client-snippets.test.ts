// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR}, ${env:VAR} and ${input:ID} are the clients' placeholders under test
/**
 * Issue 15 part 7: the client entries `toolgate serve` prints work when pasted. The real CLI
 * serves a fixture server; each printed HTTP entry is read the way its client reads it (Claude
 * Code expands `${VAR}`, Cursor `${env:VAR}`, VS Code `${input:ID}` from the answer to its
 * `inputs` prompt) and handed to the SDK's HTTP client, which must list and call tools, not get
 * 401. The printed text never holds the token. The Claude Desktop entry is launched as Claude
 * Desktop would: its command and args, through the SDK's stdio client.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientSnippets, type SnippetContext } from '../../src/cli/client-snippets.js';
import { TEN_TOOLS, TEN_TOOLS_STDIO_COMMAND } from '../fixtures/servers/ten-tools-server.js';
import { stopProcess, waitForLine } from '../support/processes.js';

const MAIN = join(process.cwd(), 'dist/cli/main.js');
const TOKEN = 'dev-grant-token-0123456789abcdef';
const HEADINGS = {
  'claude-code': 'Claude Code (',
  cursor: 'Cursor (',
  vscode: 'VS Code (',
  'claude-desktop': 'Claude Desktop (',
} as const;
type ClientId = keyof typeof HEADINGS;
type Entry = {
  type?: string;
  url?: string;
  headers?: Record<string, string>;
  command?: string;
  args?: string[];
};
type Printed = Record<
  ClientId,
  {
    mcpServers?: Record<string, Entry>;
    servers?: Record<string, Entry>;
    inputs?: { id: string; password?: boolean }[];
  }
>;

interface Served {
  dir: string;
  child: ChildProcess;
  output: string;
  printed: Printed;
}

/** Starts `toolgate serve` (the built CLI) on `config` and waits for its start-up text. */
async function serve(config: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-snippets-'));
  writeFileSync(join(dir, 'toolgate.yaml'), JSON.stringify(config, null, 2));
  const child = spawn(process.execPath, [MAIN, 'serve', '--config', 'toolgate.yaml'], {
    cwd: dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const served: Served = { dir, child, output: '', printed: {} as Printed };
  child.stdout!.on('data', (d: Buffer) => {
    served.output += d.toString();
  });
  child.stderr!.resume();
  await waitForLine(child, 'stdout', (l) => l.startsWith('Press Ctrl+C'), 60_000);
  served.printed = parsePrinted(served.output);
  return served;
}

/** Each client's block: the JSON between its heading line and the next blank line. */
function parsePrinted(output: string): Printed {
  const lines = output.split('\n');
  const printed = {} as Printed;
  for (const [client, heading] of Object.entries(HEADINGS) as [ClientId, string][]) {
    const at = lines.findIndex((l) => l.startsWith(heading));
    expect(at, `no "${heading}" block in:\n${output}`).toBeGreaterThan(-1);
    const end = lines.indexOf('', at);
    printed[client] = JSON.parse(lines.slice(at + 1, end).join('\n'));
  }
  return printed;
}

/** The header values a client sends after expanding its own placeholder syntax. */
function expand(
  client: ClientId,
  headers: Record<string, string>,
  env: Record<string, string>,
  answers: Record<string, string>,
) {
  const pattern = {
    'claude-code': /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
    cursor: /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g,
    vscode: /\$\{input:([^}]+)\}/g,
    'claude-desktop': /(?!)/g,
  }[client];
  const source = client === 'vscode' ? answers : env;
  return Object.fromEntries(
    Object.entries(headers).map(([k, v]) => [
      k,
      v.replace(pattern, (_all, name: string, dflt?: string) => {
        const value = source[name] ?? dflt;
        if (value === undefined) throw new Error(`${client}: nothing for ${name} in ${v}`);
        return value;
      }),
    ]),
  );
}

async function listAndCall(url: string, headers: Record<string, string>): Promise<string[]> {
  const client = new Client({ name: 'snippet-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  try {
    const result = await client.callTool({ name: 'get_user', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'get_user ran' }]);
    return (await client.listTools()).tools.map((t) => t.name).sort();
  } finally {
    await client.close();
  }
}

const fixture = (dir: string) => ({
  ...TEN_TOOLS_STDIO_COMMAND,
  env: { EXEC_LOG: join(dir, 'exec.jsonl') },
  policy: { version: 1, default: 'allow' },
});

describe('printed client entries, tokens on', () => {
  let s: Served;
  let tmp: string;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'toolgate-snippets-fixture-'));
    s = await serve(
      {
        listen: { host: '127.0.0.1', port: 0 },
        storage: { sqlite: './state/toolgate.db' },
        counters: { backend: 'memory' },
        servers: { tools: fixture(tmp) },
        grants: [{ name: 'dev', servers: ['tools'], token_env: 'DEV_TOKEN' }],
      },
      { DEV_TOKEN: TOKEN },
    );
  }, 90_000);
  afterAll(async () => {
    if (s) {
      await stopProcess(s.child);
      rmSync(s.dir, { recursive: true, force: true });
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('never prints the token', () => {
    expect(s.output).not.toContain(TOKEN);
  });

  it('without the Authorization header the gateway answers 401 (so the checks below can fail)', async () => {
    const url = s.printed['claude-code'].mcpServers!.tools!.url!;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
      }),
    });
    expect(res.status).toBe(401);
  });

  for (const client of ['claude-code', 'cursor', 'vscode'] as const) {
    it(`the ${client} entry, pasted, lists and calls tools`, async () => {
      const block = s.printed[client];
      const entry = (client === 'vscode' ? block.servers : block.mcpServers)!.tools!;
      if (client !== 'cursor') expect(entry.type).toBe('http');
      expect(entry.headers!.Authorization).toMatch(/^Bearer \$\{/);
      // VS Code: the user answers each `inputs` prompt (a password prompt) with the token.
      const answers = Object.fromEntries((block.inputs ?? []).map((i) => [i.id, TOKEN]));
      if (client === 'vscode') expect(block.inputs).toEqual([expect.objectContaining({ password: true })]);
      const headers = expand(client, entry.headers!, { DEV_TOKEN: TOKEN }, answers);
      expect(headers).toEqual({ Authorization: `Bearer ${TOKEN}` });
      expect(await listAndCall(entry.url!, headers)).toEqual([...TEN_TOOLS].sort());
    });
  }

  it('the Claude Desktop entry runs this installation by absolute path, for the config grant', () => {
    const entry = s.printed['claude-desktop'].mcpServers!.tools!;
    expect(entry.command).toBe(process.execPath);
    expect(entry.args!.slice(0, 2)).toEqual([MAIN, 'stdio']);
    expect(entry.args).toEqual(expect.arrayContaining(['--server', 'tools', '--grant', 'dev']));
    const config = entry.args![entry.args!.indexOf('--config') + 1]!;
    expect(isAbsolute(config) && existsSync(config)).toBe(true);
    expect(JSON.stringify(entry)).not.toContain('npx');
  });
});

describe('printed client entries, auth: none', () => {
  let s: Served;
  let tmp: string;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'toolgate-snippets-fixture-'));
    s = await serve(
      {
        listen: { host: '127.0.0.1', port: 0 },
        auth: { mode: 'none' },
        storage: { sqlite: './state/toolgate.db' },
        counters: { backend: 'memory' },
        servers: { tools: fixture(tmp) },
      },
      {},
    );
  }, 90_000);
  afterAll(async () => {
    if (s) {
      await stopProcess(s.child);
      rmSync(s.dir, { recursive: true, force: true });
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('the HTTP entries carry no headers and no VS Code inputs, and work as pasted', async () => {
    expect(s.printed.vscode.inputs).toBeUndefined();
    for (const client of ['claude-code', 'cursor', 'vscode'] as const) {
      const block = s.printed[client];
      const entry = (client === 'vscode' ? block.servers : block.mcpServers)!.tools!;
      expect(entry.headers).toBeUndefined();
      expect(await listAndCall(entry.url!, {})).toEqual([...TEN_TOOLS].sort());
    }
  });

  it('the Claude Desktop entry, launched as Claude Desktop would, serves the tools over stdio', async () => {
    const entry = s.printed['claude-desktop'].mcpServers!.tools!;
    expect(entry.args).not.toContain('--grant');
    const client = new Client({ name: 'desktop-like', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({ command: entry.command!, args: entry.args!, stderr: 'ignore' }),
    );
    try {
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual([...TEN_TOOLS].sort());
    } finally {
      await client.close();
    }
  }, 60_000);
});

describe('clientSnippets', () => {
  const base: SnippetContext = {
    url: 'http://127.0.0.1:8787',
    servers: ['a', 'b', 'c'],
    tokens: true,
    grants: [
      { name: 'ga', servers: ['a'], token_env: 'A_TOKEN' },
      { name: 'gb', servers: ['b'] },
    ],
    node: '/usr/bin/node',
    cli: '/opt/toolgate/dist/cli/main.js',
    config: '/etc/toolgate.yaml',
  };
  const by = (client: string, ctx = base) => clientSnippets(ctx).find((c) => c.client === client)!.config;

  it("uses each server's grant token_env, else TOOLGATE_TOKEN; one VS Code input per token", () => {
    const code = by('claude-code').mcpServers as Record<string, Entry>;
    expect(code.a!.headers).toEqual({ Authorization: 'Bearer ${A_TOKEN}' });
    expect(code.b!.headers).toEqual({ Authorization: 'Bearer ${TOOLGATE_TOKEN}' });
    expect(code.c!.headers).toEqual({ Authorization: 'Bearer ${TOOLGATE_TOKEN}' });
    const vscode = by('vscode');
    expect((vscode.inputs as { id: string }[]).map((i) => i.id)).toEqual(['a-token', 'toolgate-token']);
    expect((vscode.servers as Record<string, Entry>).a!.headers).toEqual({
      Authorization: 'Bearer ${input:a-token}',
    });
  });

  it('names the grant for Claude Desktop, or a placeholder when no config grant covers the server', () => {
    const desktop = by('claude-desktop').mcpServers as Record<string, Entry>;
    expect(desktop.a!.args!.slice(-2)).toEqual(['--grant', 'ga']);
    expect(desktop.b!.args!.slice(-2)).toEqual(['--grant', 'gb']);
    expect(desktop.c!.args!.slice(-2)).toEqual(['--grant', '<grant>']);
    const star = by('claude-desktop', { ...base, grants: [{ name: 'all', servers: ['*'] }] })
      .mcpServers as Record<string, Entry>;
    expect(star.c!.args!.slice(-2)).toEqual(['--grant', 'all']);
  });
});
