/**
 * Issue 15: `toolgate audit export | head -1` ends quietly. The reader of a real pipe goes away
 * after the first line; the built CLI must exit 0 without an EPIPE stack trace.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/index.js';
import { openStore } from '../../src/store/index.js';
import { call } from '../audit/audit.suite.js';
import { CLI, ensureFreshBuild } from '../support/e2e.js';

const dir = mkdtempSync(join(tmpdir(), 'toolgate-cli-pipe-'));
const config = join(dir, 'toolgate.yaml');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Far more output than a pipe holds (64 KiB), so the CLI is still writing when the reader leaves.
const RECORDS = 3000;

beforeAll(async () => {
  writeFileSync(
    config,
    [
      'auth: {mode: none}',
      'storage: {sqlite: ./toolgate.db}',
      'servers:',
      '  local: {command: node, args: ["-e", ""]}',
      '',
    ].join('\n'),
  );
  const store = await openStore({ sqlite: join(dir, 'toolgate.db') });
  const log = new AuditLog(store.audit);
  for (let i = 1; i <= RECORDS; i++)
    log.record(call(i, { args: { message: `hello ${i} ${'x'.repeat(200)}` } }));
  await log.close();
  await store.close();
  await ensureFreshBuild();
}, 360_000);

/** `bash -c 'toolgate ARGS | head -1'`: what the pipeline printed, and the CLI's own exit code. */
function pipeline(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash expansion, not a template
  const script = 'node "$0" "$@" | head -1; echo "toolgate exited ${PIPESTATUS[0]}" >&2';
  return new Promise((resolve, reject) => {
    execFile('bash', ['-c', script, CLI, ...args], { cwd: dir, timeout: 25_000 }, (err, stdout, stderr) => {
      if (err) return reject(err);
      const m = /toolgate exited (\d+)\n$/.exec(stderr);
      if (!m) return reject(new Error(`no exit code in ${stderr}`));
      resolve({ stdout, stderr: stderr.slice(0, m.index), code: Number(m[1]) });
    });
  });
}

describe('output piped to a reader that stops early', () => {
  it.each([
    [['audit', 'export', '--config', config]],
    [['audit', 'tail', '-n', String(RECORDS), '--json', '--config', config]],
    [['audit', 'tail', '-n', String(RECORDS), '--config', config]],
  ])('%j | head -1 ends quietly with exit 0', async (args) => {
    const r = await pipeline(args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('the reader closing its end of the pipe mid-stream ends the export quietly', async () => {
    const child = spawn(process.execPath, [CLI, 'audit', 'export', '--config', config], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    // Read one chunk, then close our end: the CLI's next write fails with EPIPE.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
