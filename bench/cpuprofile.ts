/**
 * Summarise a V8 .cpuprofile (from `node --cpu-prof`): top functions by self time, and by
 * self time aggregated per file. Run: node --import tsx bench/cpuprofile.ts FILE [top=25]
 * A gateway benchmark runs its gateway under --cpu-prof when BENCH_CPU_PROF=<dir> is set.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node --import tsx bench/cpuprofile.ts FILE.cpuprofile [top]');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const prof = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i]!;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const short = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\//, 'npm:')
    .replace(/.*\/dist\//, 'dist/') || '(native)';

const fn = new Map<string, number>();
const perFile = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  const f = n.callFrame;
  const key = `${f.functionName || '(anonymous)'}  ${short(f.url)}:${f.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const fileKey = f.url ? short(f.url).replace(/:\d+$/, '') : f.functionName;
  perFile.set(fileKey, (perFile.get(fileKey) ?? 0) + us);
}
// Shares are of the busy time (everything but idle): a benchmark's gateway is mostly idle at c=1.
const idle = [...fn].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, us]) => a + us, 0);
const busy = total - idle || 1;
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
console.log(
  `total sampled ${(total / 1000).toFixed(0)} ms, busy ${(busy / 1000).toFixed(0)} ms (shares below are of busy time)\n\ntop ${top} functions by self time:`,
);
for (const [k, us] of [...fn]
  .filter(([k]) => !k.startsWith('(idle)'))
  .sort((a, b) => b[1] - a[1])
  .slice(0, top))
  console.log(`${pct(us)}  ${k}`);
console.log(`\ntop ${top} files by self time:`);
for (const [k, us] of [...perFile]
  .filter(([k]) => k !== '(idle)')
  .sort((a, b) => b[1] - a[1])
  .slice(0, top))
  console.log(`${pct(us)}  ${k}`);

// Optional third argument: a function name; prints the heaviest call stacks ending in it.
const focus = process.argv[4];
if (focus) {
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stacks = new Map<string, number>();
  for (const [id, us] of selfUs) {
    if (byId.get(id)!.callFrame.functionName !== focus) continue;
    const frames: string[] = [];
    for (let p: number | undefined = id; p !== undefined && frames.length < 12; p = parent.get(p)) {
      const f = byId.get(p)!.callFrame;
      frames.push(`${f.functionName || '(anon)'}@${short(f.url).split('/').pop()}:${f.lineNumber + 1}`);
    }
    const key = frames.join(' < ');
    stacks.set(key, (stacks.get(key) ?? 0) + us);
  }
  console.log(`\nheaviest stacks ending in ${focus}:`);
  for (const [k, us] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`${pct(us)}  ${k}`);
}

// Optional: BENCH_INCLUSIVE=name1,name2 prints the share of samples whose stack contains each name.
const inclusive = process.env.BENCH_INCLUSIVE?.split(',').filter(Boolean) ?? [];
if (inclusive.length) {
  const parentOf = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  console.log('\ninclusive time (stacks containing the function):');
  for (const name of inclusive) {
    let us = 0;
    for (const [id, t] of selfUs) {
      for (let p: number | undefined = id; p !== undefined; p = parentOf.get(p)) {
        if (byId.get(p)!.callFrame.functionName === name) {
          us += t;
          break;
        }
      }
    }
    console.log(`${pct(us)}  ${name}`);
  }
}
