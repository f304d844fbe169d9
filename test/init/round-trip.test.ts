// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${VAR} strings are client config references under test
// `init --rewrite` and `--undo` on the four client formats with realistic files (JSONC where the
// client allows it, env secrets, HTTP entries, other keys), each with its own file mode:
//   1. init: the rewritten files and their backups hold none of the secrets, keep their modes;
//   2. the rewritten Claude Desktop entry is started for real, as the client would (its command
//      and args only, a bare environment, cwd /), by an SDK stdio client that calls tools;
//   3. the rewritten HTTP entries reach a gateway started from the written toolgate.yaml;
//   4. --undo: every file has its original bytes and mode back.
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initProposer } from '../../src/cli/init-propose.js';
import { loadConfigFile } from '../../src/config/index.js';
import { type Gateway, startGateway } from '../../src/gateway/index.js';
import { parseJsonc, toValue } from '../../src/init/jsonc.js';
import { parseEnvFile } from '../../src/init/state-files.js';
import { run, type Sandbox, sandbox } from './helpers.js';

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
let gw: Gateway | undefined;
const clients: Client[] = [];
beforeEach(() => {
  sb = sandbox();
  // Only the four files of this test: the shared fixtures' client files would add their servers.
  for (const f of sb.files().keys()) writeFileSync(f, '{}\n');
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => {});
  await gw?.close();
  gw = undefined;
  sb.cleanup();
});

const mode = (file: string) => statSync(file).mode & 0o7777;
const octal = (m: number) => m.toString(8).padStart(4, '0');
const count = (text: string) => Object.values(SECRETS).reduce((n, s) => n + text.split(s).length - 1, 0);

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
    const r = await run(sb, ['--yes', '--rewrite', '--json'], { propose });
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

    // 2. the Claude Desktop entry, started as Claude Desktop starts it
    const desktop = read(cases[0]!.file).mcpServers.everything;
    expect(desktop.command).toBe(NODE);
    expect(JSON.stringify(desktop)).not.toContain('npx');
    const stdio = new Client({ name: 'claude-desktop-like', version: '1.0.0' });
    clients.push(stdio);
    await stdio.connect(
      new StdioClientTransport({
        command: desktop.command,
        args: desktop.args,
        env: { PATH: '/usr/bin:/bin' },
        stderr: 'pipe',
        cwd: '/',
      }),
    );
    const listed = (await stdio.listTools()).tools.map((t) => t.name);
    // init's policy: Read tools allowed, the others denied and so hidden
    expect(listed).toContain('get-sum');
    expect(listed).not.toContain('gzip-file-as-resource');
    const sum = await stdio.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
    expect(sum.isError).toBeFalsy();
    expect(JSON.stringify(sum.content)).toContain('5');
    // the server got its secret from init's 0600 file, not from the client's environment
    const envDump = await stdio.callTool({ name: 'get-env', arguments: {} });
    expect(JSON.stringify(envDump.content)).toContain(SECRETS.desktop);
    await stdio.close();

    // 3. the HTTP entries, through a gateway started from the written config
    const secrets = Object.fromEntries(
      parseEnvFile(readFileSync(join(state, 'secrets.env'), 'utf8'), 'secrets.env'),
    );
    const inputs = report.env.filter((e: { origin: string }) => e.origin === 'input');
    const gwEnv = {
      ...secrets,
      TEAM: 'platform',
      ...Object.fromEntries(inputs.map((e: { name: string }) => [e.name, 'typed-into-vscode'])),
    };
    gw = await startGateway(loadConfigFile(join(sb.project, 'toolgate.yaml'), gwEnv), {
      port: 0,
      watch: false,
      probe: false,
      env: gwEnv,
      log: pino({ level: 'silent' }),
    });
    const httpEntries = [
      read(cases[1]!.file).mcpServers['everything-cc'],
      read(cases[2]!.file).mcpServers['everything-cursor'],
      read(cases[3]!.file).servers['everything-vscode'],
    ];
    for (const entry of httpEntries) {
      // What the client does with its own variable syntax, TOOLGATE_TOKEN being the token file's content.
      const auth = String(entry.headers.Authorization).replace(/\$\{(env:)?TOOLGATE_TOKEN\}/, token);
      const url = new URL(entry.url.replace('127.0.0.1:8787', new URL(gw.url).host));
      const client = new Client({ name: 'http-client', version: '1.0.0' });
      clients.push(client);
      await client.connect(
        new StreamableHTTPClientTransport(url, { requestInit: { headers: { Authorization: auth } } }),
      );
      const result = await client.callTool({ name: 'get-sum', arguments: { a: 20, b: 22 } });
      expect(JSON.stringify(result.content), entry.url).toContain('42');
    }

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
      ].join('\n'),
    );
  }, 180_000);
});
