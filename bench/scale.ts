/**
 * scale: gateway RSS and calls/s with 1, 100 and 1000 concurrent client sessions on one
 * `shared: true` stdio upstream. RSS is read from /proc/<pid>/status of the gateway process.
 */
import type { Client } from '@modelcontextprotocol/client';
import { closeClient, echo, httpClient, percentile } from './lib/load.js';
import { describeMachine } from './lib/machine.js';
import { BENCH_POLICY, childCount, cpuMs, EVERYTHING_STDIO, rssMb, startGateway, stop } from './lib/procs.js';
import { fmt, printTable, writeResults } from './lib/results.js';

const SESSIONS = (process.env.BENCH_SESSIONS ?? '1,100,1000').split(',').map(Number);
const TOTAL_CALLS = Number(process.env.BENCH_SCALE_CALLS ?? 3000);
const RSS_TARGET_MB = 150;

interface Row {
  sessions: number;
  rssStartMb: number;
  rssIdleMb: number;
  rssPerSessionKb: number;
  rssAfterLoadMb: number;
  upstreamProcesses: number;
  connectSeconds: number;
  calls: number;
  callsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time per call under load, microseconds: the gateway process and this (client) process. */
  gatewayCpuUsPerCall: number;
  clientCpuUsPerCall: number;
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function measure(n: number): Promise<Row> {
  const gw = await startGateway({ ev: { ...EVERYTHING_STDIO, shared: true, policy: BENCH_POLICY } });
  const clients: Client[] = [];
  try {
    const url = `${gw.url}/mcp/ev`;
    // A first session starts the shared upstream; the start RSS includes it, so the delta is sessions only.
    const first = await httpClient(url);
    await echo(first);
    await closeClient(first);
    await settle(500);
    const rssStartMb = rssMb(gw.pid);

    const c0 = performance.now();
    for (let i = 0; i < n; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, n - i) }, () => httpClient(url, `bench-${i}`)),
      );
      clients.push(...batch);
    }
    const connectSeconds = (performance.now() - c0) / 1000;
    // Idle: initialized sessions (and their GET streams, if the client opened one), no calls.
    await settle(1500);
    const rssIdleMb = rssMb(gw.pid);

    // Load: every session calls in turn, all sessions at once.
    const perSession = Math.max(1, Math.ceil(TOTAL_CALLS / n));
    for (const c of clients) await echo(c); // warm-up: one call per session
    const lat: number[] = [];
    const cpu0 = { gw: cpuMs(gw.pid), client: process.cpuUsage() };
    const t0 = performance.now();
    await Promise.all(
      clients.map(async (c) => {
        for (let k = 0; k < perSession; k++) {
          const s = performance.now();
          await echo(c, k);
          lat.push(performance.now() - s);
        }
      }),
    );
    const elapsed = performance.now() - t0;
    const gwCpu = cpuMs(gw.pid) - cpu0.gw;
    const clientCpu = process.cpuUsage(cpu0.client);
    const sorted = Float64Array.from(lat).sort();
    await settle(500);
    const row: Row = {
      sessions: n,
      rssStartMb,
      rssIdleMb,
      rssPerSessionKb: ((rssIdleMb - rssStartMb) * 1024) / n,
      rssAfterLoadMb: rssMb(gw.pid),
      upstreamProcesses: childCount(gw.pid),
      connectSeconds,
      calls: lat.length,
      callsPerSec: lat.length / (elapsed / 1000),
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      gatewayCpuUsPerCall: Math.round((gwCpu * 1000) / lat.length),
      clientCpuUsPerCall: Math.round((clientCpu.user + clientCpu.system) / lat.length),
    };
    process.stdout.write('.');
    return row;
  } finally {
    for (let i = 0; i < clients.length; i += 100)
      await Promise.all(clients.slice(i, i + 100).map((c) => closeClient(c)));
    await stop(gw.child);
  }
}

export async function scale(): Promise<void> {
  const machine = describeMachine();
  const rows: Row[] = [];
  for (const n of SESSIONS) rows.push(await measure(n));
  process.stdout.write('\n');
  console.log(`\nscale: one shared stdio upstream, ~${TOTAL_CALLS} echo calls spread over the sessions\n`);
  printTable(
    [
      'sessions',
      'RSS start MB',
      'RSS idle MB',
      'KB/session',
      'RSS after load MB',
      'upstreams',
      'calls/s',
      'p50 ms',
      'p99 ms',
      'cpu us/call client / gw',
    ],
    rows.map((r) => [
      String(r.sessions),
      fmt(r.rssStartMb, 1),
      fmt(r.rssIdleMb, 1),
      fmt(r.rssPerSessionKb, 1),
      fmt(r.rssAfterLoadMb, 1),
      String(r.upstreamProcesses),
      fmt(r.callsPerSec, 0),
      fmt(r.p50Ms, 2),
      fmt(r.p99Ms, 2),
      `${r.clientCpuUsPerCall} / ${r.gatewayCpuUsPerCall}`,
    ]),
  );
  const big = rows.find((r) => r.sessions === 1000);
  const met = big ? big.rssIdleMb < RSS_TARGET_MB : null;
  if (big)
    console.log(
      `\n1000 idle sessions: ${fmt(big.rssIdleMb, 1)} MB RSS (target < ${RSS_TARGET_MB} MB: ${met ? 'met' : 'MISSED'})`,
    );
  writeResults('scale', machine, {
    method: {
      upstream: 'server-everything stdio, shared: true',
      policy: BENCH_POLICY,
      totalCalls: TOTAL_CALLS,
      rss: '/proc/<gateway pid>/status VmRSS',
    },
    results: rows,
    targets: { idleRss1000SessionsUnderMb: RSS_TARGET_MB, met },
  });
}
