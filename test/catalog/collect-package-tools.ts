// Collects the real tools/list of public MCP server packages for the catalogue's accuracy test
// (test/catalog/packages.test.ts). The packages are installed outside the project, one folder
// each (`npm i --prefix DIR/<name> --ignore-scripts PKG`), and every server is spawned over stdio
// inside an empty network namespace (`unshare -n`, root only) with dummy credentials, so what it
// lists is what it offers before it has talked to anything.
// Run: npx tsx test/catalog/collect-package-tools.ts DIR [PACKAGE...]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fixtureName } from './package-rows.js';

interface Launch {
  /** The package's bin, relative to its package folder. */
  bin: string;
  args?: string[];
  env?: Record<string, string>;
}

// Dummy credentials only: enough for each server to start and list its tools.
const LAUNCH: Record<string, Launch> = {
  '@iterable/mcp': {
    bin: 'dist/index.js',
    // NODE_ENV=test keeps it away from the OS keychain; the three flags list every tool.
    env: {
      NODE_ENV: 'test',
      ITERABLE_API_KEY: '0123456789abcdef0123456789abcdef',
      ITERABLE_USER_PII: 'true',
      ITERABLE_ENABLE_WRITES: 'true',
      ITERABLE_ENABLE_SENDS: 'true',
    },
  },
  '@modelcontextprotocol/server-slack': {
    bin: 'dist/index.js',
    env: { SLACK_BOT_TOKEN: 'xoxb-0000-dummy', SLACK_TEAM_ID: 'T00000000' },
  },
  '@modelcontextprotocol/server-gitlab': {
    bin: 'dist/index.js',
    env: { GITLAB_PERSONAL_ACCESS_TOKEN: 'glpat-dummy' },
  },
  // 0.3 only forwards to Stripe's hosted server; 0.2.5 is the last that carries its tools.
  '@stripe/mcp': { bin: 'dist/index.js', args: ['--tools=all', '--api-key=sk_test_dummy'] },
  '@notionhq/notion-mcp-server': { bin: 'bin/cli.mjs', env: { NOTION_TOKEN: 'ntn_dummy' } },
  '@mongodb-js/mongodb-mcp-server': { bin: 'dist/index.js' },
  '@playwright/mcp': { bin: 'cli.js', args: ['--headless'] },
  '@sentry/mcp-server': { bin: 'dist/index.js', args: ['--access-token=sntrys_dummy'] },
  '@heroku/mcp-server': { bin: 'bin/heroku-mcp-server.mjs', env: { HEROKU_API_KEY: 'dummy' } },
  'mcp-server-kubernetes': { bin: 'dist/index.js' },
  '@modelcontextprotocol/server-redis': { bin: 'dist/index.js', args: ['redis://127.0.0.1:1'] },
  '@modelcontextprotocol/server-puppeteer': { bin: 'dist/index.js' },
  '@hubspot/mcp-server': { bin: 'dist/index.js', env: { PRIVATE_APP_ACCESS_TOKEN: 'pat-dummy' } },
};

function packageDir(root: string, pkg: string): string {
  // `@a/b` -> `_a_b`, `c` -> `_c` (a prefix named like the package confuses npm).
  return join(root, `_${pkg.replace(/^@/, '').replace(/\//g, '_')}`, 'node_modules', pkg);
}

/**
 * Plain JSON-RPC over the child's stdio rather than an SDK client: an SDK validates the answer
 * and refuses older servers' lists (a schema without `type`), while the fixture should hold
 * exactly what the server said.
 */
async function listTools(root: string, pkg: string): Promise<{ version: string; tools: unknown[] }> {
  const launch = LAUNCH[pkg];
  if (!launch) throw new Error(`no launch recipe for ${pkg}`);
  const dir = packageDir(root, pkg);
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  const home = mkdtempSync(join(tmpdir(), 'catalog-pkg-home-'));
  const child = spawn('unshare', ['-n', process.execPath, join(dir, launch.bin), ...(launch.args ?? [])], {
    env: { PATH: process.env.PATH ?? '', HOME: home, ...launch.env },
    cwd: home,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const pending = new Map<number, (msg: Record<string, unknown>) => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      const msg = JSON.parse(line) as Record<string, unknown>;
      if (typeof msg.id === 'number') pending.get(msg.id)?.(msg);
    } catch {
      // servers that log to stdout: not a message
    }
  });
  let next = 0;
  const request = (method: string, params: object) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = ++next;
      const timer = setTimeout(() => reject(new Error(`${pkg}: ${method} timed out`)), 30_000);
      pending.set(id, (msg) => {
        clearTimeout(timer);
        if (msg.error) reject(new Error(`${pkg}: ${method}: ${JSON.stringify(msg.error)}`));
        else resolve(msg.result as Record<string, unknown>);
      });
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`);
    });
  try {
    await request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'toolgate-catalog-collect', version: '0.0.0' },
    });
    child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
    const tools: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await request('tools/list', cursor ? { cursor } : {});
      tools.push(...(page.tools as unknown[]));
      cursor = page.nextCursor as string | undefined;
    } while (cursor);
    return { version, tools };
  } finally {
    child.kill();
  }
}

const [root, ...wanted] = process.argv.slice(2);
if (!root) throw new Error('usage: collect-package-tools.ts DIR [PACKAGE...]');
for (const pkg of wanted.length ? wanted : Object.keys(LAUNCH)) {
  const { version, tools } = await listTools(root, pkg);
  // Only what the classifier reads; the rest (output schemas, _meta) is noise in a diff.
  const kept = (tools as Array<Record<string, unknown>>).map((t) => ({
    name: t.name,
    ...(t.title !== undefined ? { title: t.title } : {}),
    ...(t.description !== undefined ? { description: t.description } : {}),
    inputSchema: t.inputSchema,
    ...(t.annotations !== undefined ? { annotations: t.annotations } : {}),
  }));
  const file = join(import.meta.dirname, '../fixtures/catalog', fixtureName(pkg));
  writeFileSync(file, `${JSON.stringify({ package: `${pkg}@${version}`, tools: kept }, null, 2)}\n`);
  console.log(`${file}: ${kept.length} tools`);
}
