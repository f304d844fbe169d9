import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CounterStore } from '../../src/limits/index.js';
import { waitForLine } from '../support/processes.js';
import type { WorkerArgs } from './consume-worker.js';

const WORKER = fileURLToPath(new URL('./consume-worker.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));

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
    await waitForLine(child, 'stdout', (l) => l === 'ready', 20_000);
    const remote = waitForLine(child, 'stdout', (l) => l.startsWith('{'), 20_000);
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
