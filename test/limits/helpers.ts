import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { CounterStore } from '../../src/limits/index.js';
import type { WorkerArgs } from './consume-worker.js';

const WORKER = fileURLToPath(new URL('./consume-worker.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Reads stdout lines of a child until `predicate` matches one, or fails after `timeoutMs`. */
function waitForLine(
  child: ChildProcess,
  predicate: (line: string) => boolean,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let stderr = '';
    const timer = setTimeout(
      () => done(new Error(`timed out after ${timeoutMs} ms; stderr: ${stderr}`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      const hit = lines.find(predicate);
      if (hit !== undefined) done(undefined, hit);
    };
    const onErr = (d: Buffer) => {
      stderr += d.toString();
    };
    const onExit = (code: number | null) =>
      done(new Error(`worker exited (${code}) early; stderr: ${stderr}`));
    function done(err?: Error, line?: string) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(line!);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onErr);
    child.once('exit', onExit);
  });
}

/**
 * Fires `local` consumes in this process and `args.count` in a second Node process at the same
 * moment, against the same backend; returns how many each side admitted.
 */
export async function splitAcrossProcesses(
  store: CounterStore,
  args: WorkerArgs,
  local: number,
): Promise<{ local: number; remote: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(args)], {
    cwd: REPO,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  try {
    await waitForLine(child, (l) => l === 'ready', 20_000);
    const remote = waitForLine(child, (l) => l.startsWith('{'), 20_000);
    child.stdin.write('go\n');
    const mine = await Promise.all(
      Array.from({ length: local }, () => store.consume([args.charge], args.nowMs)),
    );
    const theirs = JSON.parse(await remote) as { admitted: number };
    return { local: mine.filter((r) => r.ok).length, remote: theirs.admitted };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** An ephemeral TCP port nothing listens on (it was free a moment ago). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  srv.close();
  await once(srv, 'close');
  return port;
}

/** A throwaway redis-server of our own, so fault tests never stop the shared one. */
export async function startRedisServer(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await waitForLine(child, (l) => l.includes('Ready to accept connections'), 10_000);
  return child;
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** Polls `fn` until it resolves or `timeoutMs` passes; returns its value or throws its last error. */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs: number, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, stepMs));
    }
  }
}
