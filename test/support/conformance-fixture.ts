/**
 * Starts the conformance fixture as a child process (HTTP), for tests whose upstream must be a
 * separate process. In-process tests can call `startConformanceServer()` directly instead.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RequestRecord } from '../fixtures/servers/request-log.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVER = 'test/fixtures/servers/conformance-server.ts';

/** tsx by resolved URL, so the command works from any working directory (a gateway's, say). */
// (createRequire, not import.meta.resolve: Vitest's module runner lacks the latter.)
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Runs the fixture over stdio, e.g. as an upstream `command`/`args` in a gateway config. */
export const CONFORMANCE_STDIO_COMMAND = {
  command: process.execPath,
  args: ['--import', TSX, `${ROOT}${SERVER}`, '--stdio'],
};

export interface ConformanceChild {
  url: string;
  child: ChildProcess;
  /** Request records parsed from the child's stderr, as they arrive. */
  records: RequestRecord[];
  close(): Promise<void>;
}

/** `port` 0 picks a free one; a fixed port lets a test restart the server at the same URL. */
export async function spawnConformanceServer(timeoutMs = 15_000, port = 0): Promise<ConformanceChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, '--http', '--port', String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const records: RequestRecord[] = [];
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    try {
      const parsed = JSON.parse(line) as RequestRecord & { fixture?: string };
      if (parsed.fixture === 'conformance-server') return void records.push(parsed);
    } catch {}
    stderr.push(line);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fixture did not print its URL within ${timeoutMs} ms: ${stderr.join('\n')}`));
    }, timeoutMs);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fixture exited (${code}) before listening: ${stderr.join('\n')}`));
    });
  });
  return {
    url,
    child,
    records,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
