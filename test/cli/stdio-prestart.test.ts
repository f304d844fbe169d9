/**
 * Issue 15: the built `toolgate stdio` starts its server before it builds the gateway, and the
 * client's session takes that process over: one server process per run, answering `initialize`.
 * When the command fails after that head start (a policy that cannot be loaded), the server it
 * started does not outlive it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureFreshBuild, ROOT } from '../support/e2e.js';
import { isAlive } from '../support/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'toolgate-stdio-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => ensureFreshBuild(), 360_000);

const EVERYTHING = join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
// server-everything, noting each process's pid first.
const WRAPPER = join(dir, 'counted-server.mjs');
writeFileSync(
  WRAPPER,
  `import { appendFileSync } from 'node:fs';
appendFileSync(process.argv[2], process.pid + '\\n');
process.argv.splice(2, 1);
await import(${JSON.stringify(EVERYTHING)});
`,
);

// A server that outlives its stdin: only a signal stops it.
const STUBBORN = join(dir, 'stubborn-server.mjs');
writeFileSync(
  STUBBORN,
  `import { appendFileSync } from 'node:fs';
appendFileSync(process.argv[2], process.pid + '\\n');
setInterval(() => {}, 1000);
`,
);

function config(name: string, extra = '', server = WRAPPER): { file: string; pids: () => number[] } {
  const pidFile = join(dir, `${name}.pids`);
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      'auth: {mode: none}',
      `storage: {sqlite: ./${name}.db}`,
      'servers:',
      '  everything:',
      '    command: node',
      `    args: [${JSON.stringify(server)}, ${JSON.stringify(pidFile)}, stdio]`,
      extra,
      '',
    ].join('\n'),
  );
  const pids = () => {
    try {
      return readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  return { file, pids };
}

describe('toolgate stdio starts its server ahead', () => {
  it('answers initialize from the one server process it started', async () => {
    const { file, pids } = config('one');
    const child = spawn(process.execPath, [CLI, 'stdio', '--server', 'everything', '--config', file], {
      cwd: dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    const answered = new Promise<Record<string, unknown>>((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        const line = out.split('\n').find((l) => l.includes('"id":1'));
        if (line) resolve(JSON.parse(line) as Record<string, unknown>);
      });
    });
    child.stdin.write(
      `${JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
      })}\n`,
    );
    const reply = await answered;
    expect(reply.result).toMatchObject({ serverInfo: expect.any(Object) });
    expect(pids()).toHaveLength(1);
    child.stdin.end();
    expect(await new Promise((r) => child.once('exit', r))).toBe(0);
    await expect.poll(() => isAlive(pids()[0]!), { timeout: 10_000 }).toBe(false);
    expect(pids()).toHaveLength(1);
  });

  it('stops the server it started when the gateway cannot be built', async () => {
    const { file, pids } = config(
      'bad-policy',
      `    policy: ${JSON.stringify(join(dir, 'missing-policy.yaml'))}`,
    );
    const child = spawn(process.execPath, [CLI, 'stdio', '--server', 'everything', '--config', file], {
      cwd: dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(1);
    expect(stderr).toContain('missing-policy.yaml');
    // The head start has usually noted its pid by then (the gateway fails only once loaded); if
    // it got that far, it is stopped as the command ends: gone at once, not seconds later.
    expect(pids().length).toBeLessThanOrEqual(1);
    await expect.poll(() => pids().filter(isAlive), { timeout: 1_500, interval: 50 }).toEqual([]);
  });
});
