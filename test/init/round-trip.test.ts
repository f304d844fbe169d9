// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${VAR} strings are client config references under test
// `init --rewrite` and `--undo` on the four client formats with realistic files (JSONC where the
// client allows it, env secrets, HTTP entries, other keys), each with its own file mode:
//   1. init: the rewritten files and their backups hold none of the secrets, keep their modes;
//   2. the rewritten stdio entries (Claude Desktop; Cursor, whose file can only name a variable
//      for a header) are started for real, as the client would (command and args only, a bare
//      environment, cwd /), by an SDK stdio client that calls tools;
//   3. the gateway is started as init's closing report says (`toolgate serve --env-file`), and
//      the rewritten HTTP entries reach it from a client environment with NO TOOLGATE_TOKEN:
//      Claude Code's headersHelper command is run for real in a shell, and VS Code's password
//      input gets what the user pastes from the token file;
//   4. --undo: every file has its original bytes and mode back.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initProposer } from '../../src/cli/init-propose.js';
import { parseJsonc, toValue } from '../../src/init/jsonc.js';
import { CLI, run, type Sandbox, sandbox } from './helpers.js';

const EVERYTHING = join(process.cwd(), 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const NODE = process.execPath;

/** Every credential planted below: none may stay in a client file or a backup after init. */
const SECRETS = {
  desktop: 'sk-desk-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c',
  ccStdio: 'ghp_CCfakeCCfake0123456789abcdefABCDEFGH',
  ccHttp: 'sk-ant-api03-FAKEfakeFAKEfake0123456789abcdef',
  cursorStdio: 'xoxb-1234567890-FAKEfakeFAKEfake',
  cursorHttp: 'lin_api_FAKEfakeFAKEfake0123456789abcdef0123',
  vscodeStdio: 'sk_live_FAKE51Habcdefghijklmnop0123456789',
  vscodeHttp: 'glpat-FAKEfakeFAKEfake0123',
};

// biome-ignore lint/suspicious/noExplicitAny: parsed client files of known shape
type Json = any;
const read = (file: string): Json => toValue(parseJsonc(readFileSync(file, 'utf8')));

interface ClientCase {
  label: string;
  file: string;
  mode: number;
  text: string;
}

function clientFiles(sb: Sandbox): ClientCase[] {
  const everything = (env: Record<string, string>) => ({ command: NODE, args: [EVERYTHING, 'stdio'], env });
  const j = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
  return [
    {
      label: 'Claude Desktop claude_desktop_config.json',
      file: join(sb.home, '.config', 'Claude', 'claude_desktop_config.json'),
      mode: 0o644,
      text: j({
        mcpServers: { everything: everything({ EVERYTHING_API_KEY: SECRETS.desktop }) },
        globalShortcut: 'Alt+Space',
      }),
    },
    {
      label: 'Claude Code ~/.claude.json',
      file: join(sb.home, '.claude.json'),
      mode: 0o600,
      text: j({
        numStartups: 42,
        installMethod: 'npm-global',
        autoUpdates: true,
        tipsHistory: { 'mcp-config': 3 },
        mcpServers: {
          'everything-cc': { type: 'stdio', ...everything({ GITHUB_TOKEN: SECRETS.ccStdio }) },
          docs: {
            type: 'http',
            url: 'https://mcp.docs.example.com/mcp',
            headers: { Authorization: `Bearer ${SECRETS.ccHttp}` },
          },
        },
        projects: {
          [sb.project]: {
            allowedTools: [],
            history: [{ display: 'hi', pastedContents: {} }],
            mcpServers: {},
          },
        },
        oauthAccount: { emailAddress: 'me@example.com', organizationUuid: '0000' },
      }),
    },
    {
      label: 'Cursor .cursor/mcp.json',
      file: join(sb.project, '.cursor', 'mcp.json'),
      mode: 0o664,
      text: j({
        mcpServers: {
          'everything-cursor': everything({ SLACK_BOT_TOKEN: SECRETS.cursorStdio, LOG_LEVEL: 'info' }),
          linear: { url: 'https://mcp.linear.app/mcp', headers: { 'X-Api-Key': SECRETS.cursorHttp } },
        },
      }),
    },
    {
      label: 'VS Code .vscode/mcp.json',
      file: join(sb.project, '.vscode', 'mcp.json'),
      mode: 0o640,
      text: [
        '{',
        '\t// VS Code asks for these once and keeps them in its secret storage',
        '\t"inputs": [',
        '\t\t{ "type": "promptString", "id": "everything-key", "description": "Everything key", "password": true },',
        '\t],',
        '\t"servers": {',
        '\t\t/* a local server */',
        '\t\t"everything-vscode": {',
        '\t\t\t"type": "stdio",',
        `\t\t\t"command": ${JSON.stringify(NODE)},`,
        `\t\t\t"args": [${JSON.stringify(EVERYTHING)}, "stdio"],`,
        `\t\t\t"env": { "EVERYTHING_KEY": "\${input:everything-key}", "STRIPE_API_KEY": "${SECRETS.vscodeStdio}" },`,
        '\t\t},',
        '\t\t"gitlab": {',
        '\t\t\t"type": "http",',
        '\t\t\t"url": "https://gitlab.example.com/api/v4/mcp", // self-hosted',
        `\t\t\t"headers": { "PRIVATE-TOKEN": "${SECRETS.vscodeHttp}", "X-Team": "\${env:TEAM}" },`,
        '\t\t},',
        '\t},',
        '}',
        '',
      ].join('\n'),
    },
  ];
}

let sb: Sandbox;
let serve: ChildProcess | undefined;
const clients: Client[] = [];
beforeEach(() => {
  sb = sandbox();
  // Only the four files of this test: the shared fixtures' client files would add their servers.
  for (const f of sb.files().keys()) writeFileSync(f, '{}\n');
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  if (serve && serve.exitCode === null) {
    const exited = new Promise((resolve) => serve?.once('exit', resolve));
    serve.kill('SIGTERM');
    await exited;
  }
  serve = undefined;
  sb.cleanup();
});

const mode = (file: string) => statSync(file).mode & 0o7777;
const octal = (m: number) => m.toString(8).padStart(4, '0');
const count = (text: string) => Object.values(SECRETS).reduce((n, s) => n + text.split(s).length - 1, 0);

/** A loopback port free right now: the rewritten entries name the port the gateway will use. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `toolgate serve ... --json`, resolved with its start-up JSON once every server was probed. */
function startServe(args: string[], env: NodeJS.ProcessEnv): Promise<{ url: string }> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args, '--json'], { env, stdio: 'pipe' });
  serve = child;
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (d) => {
      err += d;
    });
    child.stdout?.on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`toolgate serve exited ${code}: ${err}`)));
  });
}

describe('init round trip on the four client formats', () => {
  it('rewrites, starts, serves and undoes each format byte for byte and mode for mode', async () => {
    const cases = clientFiles(sb);
    for (const c of cases) {
      mkdirSync(dirname(c.file), { recursive: true });
      writeFileSync(c.file, c.text);
      chmodSync(c.file, c.mode);
    }
    const env = { HOME: sb.home, PATH: process.env.PATH };
    // The real catalogue hook for the local servers; the remote ones cannot be reached here.
    const probe = initProposer({ home: sb.home, cwd: sb.project, env, platform: 'linux' });
    const propose = (name: string) =>
      name.startsWith('everything') ? probe(name) : Promise.reject(new Error('remote, not probed in tests'));

    // 1. init
    const port = await freePort();
    const r = await run(sb, ['--yes', '--rewrite', '--json', '--port', String(port)], { propose });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.rewritten.map((f: { file: string }) => f.file).sort()).toEqual(
      cases.map((c) => c.file).sort(),
    );
    const rows: string[] = [];
    for (const c of cases) {
      const backup = `${c.file}.toolgate-backup`;
      const after = readFileSync(c.file, 'utf8');
      const left = count(after) + count(readFileSync(backup, 'utf8'));
      expect(left, c.label).toBe(0);
      expect(mode(c.file), c.label).toBe(c.mode);
      expect(mode(backup), c.label).toBe(c.mode);
      rows.push(
        `| ${c.label} | ${octal(c.mode)} | ${octal(mode(c.file))} | ${octal(mode(backup))} | ${left}`,
      );
    }
    const state = join(sb.project, '.toolgate');
    for (const f of ['local.token', 'secrets.env', 'backup-secrets.json'])
      expect(mode(join(state, f))).toBe(0o600);
    expect(mode(state)).toBe(0o700);
    const yaml = readFileSync(join(sb.project, 'toolgate.yaml'), 'utf8');
    expect(count(yaml)).toBe(0);
    // nor in what init printed or the manifest; all of them in the 0600 secrets file
    expect(count(r.stdout + r.stderr)).toBe(0);
    expect(count(readFileSync(join(state, 'init-manifest.json'), 'utf8'))).toBe(0);
    expect(count(readFileSync(join(state, 'secrets.env'), 'utf8'))).toBe(Object.keys(SECRETS).length);
    const token = readFileSync(join(state, 'local.token'), 'utf8').trim();
    expect(yaml).not.toContain(token);

    // No client file holds the token or asks for a variable: each entry gets it by itself.
    for (const c of cases) {
      const after = readFileSync(c.file, 'utf8');
      expect(after, c.label).not.toContain(token);
      expect(after, c.label).not.toContain('TOOLGATE_TOKEN');
    }
    const how: string[] = [];

    // 2. the stdio entries, started as Claude Desktop and Cursor start them
    const stdioEntries = [
      { label: 'Claude Desktop', entry: read(cases[0]!.file).mcpServers.everything, secret: SECRETS.desktop },
      {
        label: 'Cursor',
        entry: read(cases[2]!.file).mcpServers['everything-cursor'],
        secret: SECRETS.cursorStdio,
      },
    ];
    for (const { label, entry, secret } of stdioEntries) {
      expect(entry.command, label).toBe(NODE);
      expect(JSON.stringify(entry), label).not.toContain('npx');
      expect(entry.args, label).toContain('--token-file');
      const stdio = new Client({ name: `${label}-like`, version: '1.0.0' });
      clients.push(stdio);
      await stdio.connect(
        new StdioClientTransport({
          command: entry.command,
          args: entry.args,
          env: { PATH: '/usr/bin:/bin' },
          stderr: 'pipe',
          cwd: '/',
        }),
      );
      const listed = (await stdio.listTools()).tools.map((t) => t.name);
      // init's policy: Read tools allowed, the others denied and so hidden
      expect(listed, label).toContain('get-sum');
      expect(listed, label).not.toContain('gzip-file-as-resource');
      const sum = await stdio.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
      expect(sum.isError, label).toBeFalsy();
      expect(JSON.stringify(sum.content), label).toContain('5');
      // the server got its secret from init's 0600 file, not from the client's environment
      const envDump = await stdio.callTool({ name: 'get-env', arguments: {} });
      expect(JSON.stringify(envDump.content), label).toContain(secret);
      await stdio.close();
      how.push(
        `| ${label} | stdio: \`node main.js stdio --token-file --env-file\` | get-sum 5, secret from secrets.env |`,
      );
    }

    // 3. the gateway as init's report says to start it, and the HTTP entries through it
    expect(report.serve).toBe(
      `toolgate serve --config ${join(sb.project, 'toolgate.yaml')} --env-file ${join(state, 'secrets.env')}`,
    );
    const inputs = report.env.filter((e: { origin: string }) => e.origin === 'input');
    // What the user still sets for serve: the variables the client files referenced or prompted for.
    const serveEnv = {
      PATH: process.env.PATH,
      HOME: sb.home,
      TEAM: 'platform',
      ...Object.fromEntries(inputs.map((e: { name: string }) => [e.name, 'typed-into-vscode'])),
    };
    const started = await startServe(
      ['--config', join(sb.project, 'toolgate.yaml'), '--env-file', join(state, 'secrets.env')],
      serveEnv,
    );
    expect(started.url).toBe(`http://127.0.0.1:${port}`);

    // Claude Code: its headersHelper, run as Claude Code runs it (a shell, no token in the env).
    const claudeCode = read(cases[1]!.file).mcpServers['everything-cc'];
    expect(claudeCode.headers).toBeUndefined();
    const helperOut = execFileSync('/bin/sh', ['-c', claudeCode.headersHelper], {
      env: { PATH: '/usr/bin:/bin' },
      cwd: '/',
    }).toString();
    const ccHeaders = JSON.parse(helperOut);
    expect(ccHeaders).toEqual({ Authorization: `Bearer ${token}` });
    // VS Code: the value the user pastes from the token file into the password prompt, once.
    const vscodeFile = read(cases[3]!.file);
    const vscodeEntry = vscodeFile.servers['everything-vscode'];
    const prompt = vscodeFile.inputs.find((i: { id: string }) => i.id === 'toolgate-token');
    expect(prompt).toMatchObject({ type: 'promptString', password: true });
    expect(prompt.description).toContain(join(state, 'local.token'));
    const pasted = readFileSync(join(state, 'local.token'), 'utf8').trim();
    const vsHeaders = Object.fromEntries(
      Object.entries(vscodeEntry.headers as Record<string, string>).map(([k, v]) => [
        k,
        v.replace('${input:toolgate-token}', pasted),
      ]),
    );
    const httpEntries = [
      {
        label: 'Claude Code',
        url: claudeCode.url,
        headers: ccHeaders,
        how: 'HTTP + headersHelper `token-header`',
      },
      {
        label: 'VS Code',
        url: vscodeEntry.url,
        headers: vsHeaders,
        how: 'HTTP + `${input:toolgate-token}` password prompt',
      },
    ];
    for (const e of httpEntries) {
      expect(e.url, e.label).toBe(`http://127.0.0.1:${port}/mcp/${e.url.split('/').pop()}`);
      const client = new Client({ name: 'http-client', version: '1.0.0' });
      clients.push(client);
      await client.connect(
        new StreamableHTTPClientTransport(new URL(e.url), { requestInit: { headers: e.headers } }),
      );
      const result = await client.callTool({ name: 'get-sum', arguments: { a: 20, b: 22 } });
      expect(JSON.stringify(result.content), e.label).toContain('42');
      // the secret reached the server through serve --env-file
      const envDump = await client.callTool({ name: 'get-env', arguments: {} });
      const secret = e.label === 'VS Code' ? SECRETS.vscodeStdio : SECRETS.ccStdio;
      expect(JSON.stringify(envDump.content), e.label).toContain(secret);
      how.push(`| ${e.label} | ${e.how} | get-sum 42 via serve --env-file |`);
    }
    // Without the header, the gateway refuses (the token is what lets these entries in).
    const bare = await fetch(claudeCode.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(bare.status).toBe(401);
    for (const c of clients.splice(0)) await c.close().catch(() => {});

    // 4. undo
    const undo = await run(sb, ['--undo']);
    expect(undo.code, undo.stderr).toBe(0);
    cases.forEach((c, i) => {
      const same = readFileSync(c.file).equals(Buffer.from(c.text));
      expect(same, c.label).toBe(true);
      expect(mode(c.file), c.label).toBe(c.mode);
      rows[i] += ` | ${same && mode(c.file) === c.mode ? 'yes' : 'NO'} |`;
    });
    expect(() => statSync(join(state, 'backup-secrets.json'))).toThrow();
    console.log(
      [
        '| client format | mode before | after init | backup | secrets left in file+backup | undo byte-identical, mode kept |',
        '|---|---|---|---|---|---|',
        ...rows,
        '',
        '| client | rewritten entry (no TOOLGATE_TOKEN in its environment) | result |',
        '|---|---|---|',
        ...how,
      ].join('\n'),
    );
  }, 180_000);
});
