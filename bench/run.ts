/**
 * `npm run bench` runs every benchmark; `npm run bench -- <name>...` runs some.
 * Gateway benchmarks use the built CLI (dist/): the run builds it first unless BENCH_NO_BUILD=1.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { audit } from './audit.js';
import { describeMachine } from './lib/machine.js';
import { ROOT, stopAll } from './lib/procs.js';
import { overhead, peers } from './proxies.js';
import { scale } from './scale.js';

/** decide.ts and counters.ts are standalone scripts: run them in their own process. */
const script = (file: string) => async () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', file)], {
    stdio: 'inherit',
    cwd: ROOT,
  });
  if (r.status !== 0) throw new Error(`${file} exited with ${r.status}`);
};

const benches: Record<string, { run: () => Promise<void>; needsBuild: boolean }> = {
  overhead: { run: overhead, needsBuild: true },
  peers: { run: peers, needsBuild: true },
  decide: { run: script('decide.ts'), needsBuild: false },
  counters: { run: script('counters.ts'), needsBuild: false },
  redact: { run: script('redact.ts'), needsBuild: false },
  scale: { run: scale, needsBuild: true },
  audit: { run: audit, needsBuild: true },
};
const aliases: Record<string, string[]> = { decisions: ['decide', 'counters'] };

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = (asked.length ? asked : Object.keys(benches)).flatMap((n) => aliases[n] ?? [n]);
const unknown = names.filter((n) => !benches[n]);
if (unknown.length) {
  console.error(
    `unknown benchmark ${unknown.join(', ')}; known: ${[...Object.keys(benches), ...Object.keys(aliases)].join(', ')}`,
  );
  process.exit(2);
}

const m = describeMachine();
console.log(`${m.cpu}, ${m.cores} cores, node ${m.node}, load average ${m.loadAvgAtStart.join(' ')}`);
if (m.loadAvgAtStart[0] > m.cores) console.log(`note: load average above ${m.cores}; figures will be noisy`);
if (names.some((n) => benches[n]!.needsBuild) && process.env.BENCH_NO_BUILD !== '1') {
  console.log('building dist/ (tsc -p tsconfig.build.json)');
  try {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
        stdio: 'inherit',
      },
    );
  } catch {
    // tsc still emits on type errors; a tree mid-edit should not stop a benchmark of what is built.
    if (!existsSync(join(ROOT, 'dist/cli/main.js')))
      throw new Error('no dist/cli/main.js; fix the build first');
    console.log('warning: the build reported errors; benchmarking dist/ as emitted');
  }
}
let failed = false;
try {
  for (const name of names) {
    console.log(`\n== ${name} ==`);
    try {
      await benches[name]!.run();
    } catch (err) {
      failed = true;
      console.error(`${name} failed: ${(err as Error).stack ?? err}`);
    }
  }
} finally {
  await stopAll();
}
process.exit(failed ? 1 : 0);
