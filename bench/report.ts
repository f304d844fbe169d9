/**
 * Render bench/results/*.json as the Markdown tables used in docs/benchmarks.md.
 * Run: node --import tsx bench/report.ts
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR } from './lib/results.js';

// biome-ignore lint/suspicious/noExplicitAny: result files are read as loose JSON
type Json = Record<string, any>;

function load(name: string): Json | undefined {
  const file = join(RESULTS_DIR, `${name}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Json) : undefined;
}

const f = (n: number | undefined | null, d = 2) =>
  n === undefined || n === null ? '-' : Number(n).toFixed(d);
const table = (header: string[], rows: string[][]) =>
  [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
const machine = (j: Json) => {
  const m = j.machine ?? {};
  const load = m.loadAvgAtStart ? m.loadAvgAtStart.join(' ') : '?';
  return `_${j.generatedAt?.slice(0, 16).replace('T', ' ')} UTC; ${m.cpu}, ${m.cores} cores, node ${m.node}; load average at start ${load}, at end ${m.loadAvgAtEnd ?? '?'}_`;
};

const out: string[] = [];
for (const name of ['overhead', 'peers']) {
  const j = load(name);
  if (!j) continue;
  out.push(`### ${name}\n`, machine(j), '');
  out.push(
    table(
      [
        'setup',
        'p50 ms c=1',
        'p99 ms c=1',
        'calls/s c=1',
        'calls/s c=32',
        'added p50 ms',
        'x direct c=1',
        'x direct c=32',
        'CPU us/call client / proxy / upstream',
        'proxy CPU us/call c=1',
      ],
      (j.results as Json[]).map((r) => [
        r.setup,
        f(r.c1.p50Ms, 3),
        f(r.c1.p99Ms, 2),
        f(r.c1.callsPerSec, 0),
        f(r.c32.callsPerSec, 0),
        r.addedP50Ms === undefined ? 'baseline' : f(r.addedP50Ms, 3),
        f(r.throughputRatioC1),
        f(r.throughputRatioC32),
        `${r.cpuPerCallC32?.clientUs ?? '-'} / ${r.cpuPerCallC32?.gatewayUs ?? '-'} / ${r.cpuPerCallC32?.serverUs ?? '-'}`,
        r.proxyCpuUsPerCallC1 === undefined ? '-' : String(r.proxyCpuUsPerCallC1),
      ]),
    ),
    '',
  );
}
const d = load('decide');
if (d) {
  out.push('### decide\n', machine(d), '');
  out.push(
    table(
      ['policy tools', 'decisions/s', 'ns/decision', 'x no-rule baseline'],
      (d.results as Json[]).map((r) => [
        String(r.tools),
        Number(r.decisionsPerSecond).toLocaleString('en'),
        f(r.nsPerDecision, 0),
        f(r.ratioToBaseline),
      ]),
    ),
    '',
  );
}
const c = load('counters');
if (c) {
  out.push('### counters\n', machine(c), '');
  out.push(
    table(
      ['backend', 'counters/call', 'p50 ms', 'p99 ms', 'ops/s c=1', 'ops/s c=32', 'p50 x memory'],
      (c.results as Json[]).map((r) => [
        r.backend,
        String(r.counters),
        f(r.p50Ms, 4),
        f(r.p99Ms, 4),
        f(r.opsPerSec, 0),
        f(r.opsPerSecC32, 0),
        f(r.p50VsMemory, 1),
      ]),
    ),
    '',
  );
}
const s = load('scale');
if (s) {
  out.push('### scale\n', machine(s), '');
  out.push(
    table(
      [
        'sessions',
        'RSS start MB',
        'RSS idle MB',
        'KB/session',
        'RSS after load MB',
        'upstream processes',
        'calls/s',
        'p50 ms',
        'p99 ms',
        'CPU us/call client / gateway',
      ],
      (s.results as Json[]).map((r) => [
        String(r.sessions),
        f(r.rssStartMb, 1),
        f(r.rssIdleMb, 1),
        f(r.rssPerSessionKb, 1),
        f(r.rssAfterLoadMb, 1),
        String(r.upstreamProcesses),
        f(r.callsPerSec, 0),
        f(r.p50Ms, 1),
        f(r.p99Ms, 1),
        `${r.clientCpuUsPerCall} / ${r.gatewayCpuUsPerCall}`,
      ]),
    ),
    '',
  );
}
console.log(out.join('\n'));
