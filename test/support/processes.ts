/**
 * Child processes and polling for tests: waiting on a child's output, ending it, a free port, a
 * throwaway redis-server, retrying until a deadline.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** Polls `fn` until it returns without throwing, or rethrows its last error after `timeoutMs`. */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 15_000, stepMs = 50): Promise<T> {
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

/** Calls `onLine` for each stdout line of `child`; resolves with the first line it accepts. */
export function waitForLine(
  child: ChildProcess,
  stream: 'stdout' | 'stderr',
  accept: (line: string) => boolean,
  timeoutMs: number,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let other = '';
    const src = child[stream]!;
    const otherStream = stream === 'stdout' ? child.stderr : child.stdout;
    const timer = setTimeout(
      () => done(new Error(`timed out after ${timeoutMs} ms; output: ${other}`)),
      timeoutMs,
    );
    const onData = (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      const hit = lines.find(accept);
      if (hit !== undefined) done(undefined, hit);
    };
    const onOther = (d: Buffer) => {
      other = (other + d.toString()).slice(-4000);
    };
    const onExit = (code: number | null, signal: string | null) =>
      done(new Error(`process exited early (code ${code}, signal ${signal}); output: ${other}`));
    function done(err?: Error, line?: string) {
      clearTimeout(timer);
      src.off('data', onData);
      otherStream?.off('data', onOther);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(line!);
    }
    src.on('data', onData);
    otherStream?.on('data', onOther);
    child.once('exit', onExit);
  });
}

/** Ends a child we started: SIGTERM, then SIGKILL if it lingers. */
export async function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
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

/** A throwaway redis-server of our own (no persistence), so fault tests never stop the shared one. */
export async function startRedisServer(port: number, readyTimeoutMs = 15_000): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    await waitForLine(child, 'stdout', (l) => l.includes('Ready to accept connections'), readyTimeoutMs);
  } catch (e) {
    await killProcess(child);
    throw e;
  }
  child.stdout!.resume();
  return child;
}

/** True while a process with this pid exists (signal 0 only checks). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
