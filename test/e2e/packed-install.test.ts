/**
 * Issue 15 part 5: the package as npm ships it. `npm pack` the project, install the tarball into an
 * empty folder (from the local npm cache), and run the installed `toolgate serve` on a minimal
 * config: /healthz answers, an SDK client calls a tool, the dashboard's HTML and every asset it
 * names load, and the printed login link signs the dashboard in. The tarball has LICENSE, the README,
 * every docs page the README links to, and no database, admin token or `.toolgate` state, even
 * when such files sit in the packed folders (the test puts decoys there while it packs).
 *
 * The pack runs with --ignore-scripts: `prepare` would rebuild dist, which the tests already need
 * built (`npm run build`). The install runs with --ignore-scripts too, and the test copies the
 * project's better-sqlite3 binding (same version, same Node) into it, because building that
 * addon from source takes minutes on this machine and proves nothing about our package.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executions, TEN_TOOLS, TEN_TOOLS_STDIO_COMMAND } from '../fixtures/servers/ten-tools-server.js';
import { stopProcess, waitForLine } from '../support/processes.js';

const run = promisify(execFile);
const ROOT = process.cwd();
const NPM_TIMEOUT_MS = 240_000;

interface PackResult {
  filename: string;
  entryCount: number;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

/** Decoy state files in the folders the package ships; each is removed again after the pack. */
const DECOYS = ['examples/.toolgate/toolgate.db', 'examples/.toolgate/admin-token', 'examples/toolgate.db'];

let dir: string;
let pack: PackResult;
let paths: string[];
let app: string;
let serve: ChildProcess | undefined;
let output = '';

/** Runs `npm pack` with decoys in place, and removes exactly the decoys it created. */
async function packWithDecoys(dest: string): Promise<PackResult> {
  const created: string[] = [];
  const createdDirs: string[] = [];
  try {
    for (const rel of DECOYS) {
      const file = join(ROOT, rel);
      if (existsSync(file)) continue;
      const parent = join(file, '..');
      if (!existsSync(parent)) {
        mkdirSync(parent, { recursive: true });
        createdDirs.push(parent);
      }
      writeFileSync(file, 'decoy: runtime state that must never be packed\n');
      created.push(file);
    }
    const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], {
      cwd: ROOT,
      timeout: NPM_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    return (JSON.parse(stdout) as PackResult[])[0]!;
  } finally {
    for (const f of created) rmSync(f, { force: true });
    for (const d of createdDirs.reverse()) rmSync(d, { recursive: true, force: true });
  }
}

beforeAll(
  async () => {
    for (const built of ['dist/cli/main.js', 'web/dist/index.html'])
      if (!existsSync(join(ROOT, built))) throw new Error(`${built} is missing: run \`npm run build\` first`);
    dir = mkdtempSync(join(tmpdir(), 'toolgate-pack-'));
    pack = await packWithDecoys(dir);
    paths = pack.files.map((f) => f.path);

    // An empty folder, as a user's project would be.
    app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{"private": true}\n');
    await run(
      'npm',
      [
        'install',
        join(dir, pack.filename),
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--no-package-lock',
      ],
      { cwd: app, timeout: NPM_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
    );
    const sqlite = (root: string) => join(root, 'node_modules/better-sqlite3');
    const version = (root: string) =>
      JSON.parse(readFileSync(join(sqlite(root), 'package.json'), 'utf8')).version;
    expect(version(app)).toBe(version(ROOT));
    const binding = 'build/Release/better_sqlite3.node';
    mkdirSync(join(sqlite(app), 'build/Release'), { recursive: true });
    copyFileSync(join(sqlite(ROOT), binding), join(sqlite(app), binding));

    // A minimal config: one local stdio fixture server, an ephemeral port, state in the temp folder.
    const config = {
      listen: { host: '127.0.0.1', port: 0 },
      auth: { mode: 'none' },
      storage: { sqlite: './state/toolgate.db' },
      servers: {
        tools: {
          ...TEN_TOOLS_STDIO_COMMAND,
          env: { EXEC_LOG: join(dir, 'exec.jsonl') },
          policy: { version: 1, default: 'allow' },
        },
      },
    };
    writeFileSync(join(app, 'toolgate.yaml'), JSON.stringify(config, null, 2));
    serve = spawn(join(app, 'node_modules/.bin/toolgate'), ['serve', '--config', 'toolgate.yaml'], {
      cwd: app,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    serve.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    serve.stderr!.resume();
    await waitForLine(serve, 'stdout', (l) => l.startsWith('Press Ctrl+C'), 60_000);
  },
  2 * NPM_TIMEOUT_MS + 90_000,
);

afterAll(async () => {
  if (serve) await stopProcess(serve);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const gatewayUrl = () => /toolgate listening on (http:\/\/\S+)/.exec(output)![1]!;

describe('npm pack', () => {
  it('ships the licence, the README, the docs it links to, the dashboard and the example', () => {
    for (const p of [
      'LICENSE',
      'README.md',
      'package.json',
      'dist/cli/main.js',
      'web/dist/index.html',
      'examples/toolgate.yaml',
      'examples/policies/everything.yaml',
    ])
      expect(paths).toContain(p);
    const linked = [
      ...new Set(readFileSync(join(ROOT, 'README.md'), 'utf8').match(/docs\/[a-z0-9-]+\.md/g) ?? []),
    ];
    expect(linked.length).toBeGreaterThan(5);
    for (const doc of linked) expect(paths).toContain(doc);
    expect(readFileSync(join(app, 'node_modules/toolgate/LICENSE'), 'utf8')).toContain(
      'Apache License\n                           Version 2.0, January 2004',
    );
  });

  it('ships no database, admin token, .toolgate state, sources or tests', () => {
    const state = paths.filter(
      (p) =>
        /\.db(-wal|-shm|-journal)?$/.test(p) ||
        p.split('/').includes('.toolgate') ||
        p.endsWith('admin-token') ||
        /^(src|test|bench|\.cache|\.ci|node_modules)\//.test(p),
    );
    expect(state).toEqual([]);
  });

  it('names its licence, repository, homepage and bug tracker', () => {
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules/toolgate/package.json'), 'utf8'));
    expect(manifest.license).toBe('Apache-2.0');
    expect(manifest.repository).toMatchObject({
      type: 'git',
      url: expect.stringMatching(/^git\+https:\/\//),
    });
    expect(manifest.homepage).toMatch(/^https:\/\//);
    expect(manifest.bugs.url).toMatch(/^https:\/\//);
    expect(manifest.keywords).toContain('mcp');
  });
});

describe('the installed toolgate serve', () => {
  it('answers /healthz and serves the fixture server to an SDK client', async () => {
    expect((await fetch(`${gatewayUrl()}/healthz`)).status).toBe(200);
    const client = new Client({ name: 'packed-install-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gatewayUrl()}/mcp/tools`)));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual([...TEN_TOOLS].sort());
      const result = await client.callTool({ name: 'get_user', arguments: { value: 'u1' } });
      expect(result.content).toEqual([{ type: 'text', text: 'get_user ran' }]);
      expect(executions(join(dir, 'exec.jsonl'))).toEqual([{ tool: 'get_user', args: { value: 'u1' } }]);
    } finally {
      await client.close();
    }
  });

  it('serves the dashboard HTML and every script and stylesheet it names', async () => {
    const res = await fetch(`${gatewayUrl()}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
    expect(assets.some((a) => a.endsWith('.js'))).toBe(true);
    for (const asset of assets) {
      const a = await fetch(`${gatewayUrl()}${asset}`);
      expect(a.status, asset).toBe(200);
      expect(a.headers.get('content-type'), asset).toMatch(
        asset.endsWith('.js') ? /javascript/ : /text\/css/,
      );
      expect((await a.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
    }
  });

  it('signs the dashboard in with the printed link, as the dashboard does, and lists the server', async () => {
    // The dashboard's own steps (web/src/api.ts): the #login= code to POST /api/login, then the
    // cookie on /api. (Chromium is not on every test machine; test/browser drives the same UI.)
    const code = /Dashboard: http:\/\/\S+#login=([A-Za-z0-9_-]+)/.exec(output)![1]!;
    const login = await fetch(`${gatewayUrl()}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: gatewayUrl() },
      body: JSON.stringify({ code }),
    });
    expect(login.status).toBe(204);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect(cookie).toMatch(/^tg_admin=/);
    const servers = await fetch(`${gatewayUrl()}/api/servers`, { headers: { cookie, origin: gatewayUrl() } });
    expect(servers.status).toBe(200);
    expect(await servers.json()).toEqual([
      expect.objectContaining({ name: 'tools', status: 'up', tools: 10 }),
    ]);
  });
});
