/**
 * audit: what the write-ahead audit record costs. Two gateways on the same upstream, in the same
 * run: `audit.write_ahead: true` (the default: a call is forwarded only once its decision record is
 * committed, concurrent calls sharing one commit) and `false` (one record per call, batched after
 * the answer). Rounds alternate between them; the figure that matters is the ratio at c=32
 * (target: the durable path keeps >= 90% of the throughput). SQLite always; PostgreSQL too when
 * it answers at TOOLGATE_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test), in a
 * schema of its own that is dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/client';
import pg from 'pg';
import { closeClient, echo, httpClient, medianStats, runLoad, type Stats } from './lib/load.js';
import { describeMachine } from './lib/machine.js';
import {
  BENCH_POLICY,
  cpuMs,
  type GatewayProcess,
  startEverythingHttp,
  startGateway,
  stop,
} from './lib/procs.js';
import { fmt, printTable, writeResults } from './lib/results.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CALLS_C32 = Number(process.env.BENCH_CALLS_C32 ?? 5000);
const CALLS_C1 = Number(process.env.BENCH_AUDIT_CALLS_C1 ?? 300);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 300);
const CONCURRENCY = 32;
const TARGET = 0.9;
const PG_URL = process.env.TOOLGATE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Setup {
  store: 'sqlite' | 'postgres';
  writeAhead: boolean;
  gw: GatewayProcess;
  client?: Client;
  c32: Stats[];
  c1: Stats[];
  gwCpuUs: number[];
}

interface Row {
  store: string;
  writeAhead: boolean;
  c32: Stats;
  c1: Stats;
  gatewayCpuUsPerCallC32: number;
}

async function postgresReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

export async function audit(): Promise<void> {
  const machine = describeMachine();
  const upstream = await startEverythingHttp();
  const servers = { ev: { url: upstream.url, policy: BENCH_POLICY } };
  const withPg = await postgresReachable();
  if (!withPg) console.log(`audit: PostgreSQL not reachable at ${PG_URL}; SQLite only`);
  const schemas: string[] = [];
  const setups: Setup[] = [];
  try {
    const stores = (process.env.BENCH_AUDIT_STORES ?? 'sqlite,postgres')
      .split(',')
      .filter((x): x is 'sqlite' | 'postgres' => x === 'sqlite' || (x === 'postgres' && withPg));
    for (const store of stores) {
      for (const writeAhead of [true, false]) {
        const extra: Record<string, unknown> = { audit: { write_ahead: writeAhead } };
        if (store === 'postgres') {
          const schema = `tg_bench_${randomBytes(5).toString('hex')}`;
          schemas.push(schema);
          extra.storage = { postgres: PG_URL, schema };
        }
        setups.push({
          store,
          writeAhead,
          gw: await startGateway(servers, extra),
          c32: [],
          c1: [],
          gwCpuUs: [],
        });
      }
    }
    for (const s of setups) s.client = await httpClient(`${s.gw.url}/mcp/ev`);
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of setups) {
        // c=1: one call at a time, so each pays a commit of its own (the latency cost).
        s.c1.push(await runLoad((i) => echo(s.client!, i), CALLS_C1, 1, Math.min(50, WARMUP)));
        const cpu0 = cpuMs(s.gw.pid);
        s.c32.push(await runLoad((i) => echo(s.client!, i), CALLS_C32, CONCURRENCY, WARMUP));
        s.gwCpuUs.push(Math.round(((cpuMs(s.gw.pid) - cpu0) * 1000) / (CALLS_C32 + WARMUP)));
        process.stdout.write('.');
      }
    }
    process.stdout.write('\n');
  } finally {
    await Promise.all(setups.map((s) => (s.client ? closeClient(s.client) : undefined)));
    await Promise.all(setups.map((s) => stop(s.gw.child)));
    await stop(upstream.child);
    if (schemas.length > 0) {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      for (const schema of schemas) await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    }
  }

  const rows: Row[] = setups.map((s) => ({
    store: s.store,
    writeAhead: s.writeAhead,
    c32: medianStats(s.c32),
    c1: medianStats(s.c1),
    gatewayCpuUsPerCallC32: [...s.gwCpuUs].sort((a, b) => a - b)[s.gwCpuUs.length >> 1]!,
  }));
  console.log(
    `\naudit: toolgate http -> server-everything http, echo; ${ROUNDS} rounds alternating; c=${CONCURRENCY}: ${CALLS_C32} calls, c=1: ${CALLS_C1} calls per round; medians of rounds\n`,
  );
  printTable(
    ['store', 'write_ahead', 'c=32 calls/s', 'c=32 p50 ms', 'c=32 p99 ms', 'c=1 p50 ms', 'gw cpu us/call'],
    rows.map((r) => [
      r.store,
      String(r.writeAhead),
      fmt(r.c32.callsPerSec, 0),
      fmt(r.c32.p50Ms, 2),
      fmt(r.c32.p99Ms, 2),
      fmt(r.c1.p50Ms, 2),
      String(r.gatewayCpuUsPerCallC32),
    ]),
  );
  const ratios: Record<
    string,
    {
      ratioC32: number;
      met: boolean;
      addedP50C1Ms: number;
      ratioC32PerRound: number[];
      ratioC32MedianOfRounds: number;
    }
  > = {};
  for (const store of new Set(rows.map((r) => r.store))) {
    const durable = rows.find((r) => r.store === store && r.writeAhead)!;
    const batched = rows.find((r) => r.store === store && !r.writeAhead)!;
    const ratio = durable.c32.callsPerSec / batched.c32.callsPerSec;
    // Each round runs both setups back to back, so a round's ratio sees the same load on the
    // machine; on a shared machine the median of those moves less than the ratio of the medians.
    const [d, b] = [true, false].map((w) => setups.find((x) => x.store === store && x.writeAhead === w)!);
    const perRound = d!.c32.map((st, i) => st.callsPerSec / b!.c32[i]!.callsPerSec);
    const median = [...perRound].sort((x, y) => x - y)[perRound.length >> 1]!;
    ratios[store] = {
      ratioC32: ratio,
      met: ratio >= TARGET,
      addedP50C1Ms: durable.c1.p50Ms - batched.c1.p50Ms,
      ratioC32PerRound: perRound,
      ratioC32MedianOfRounds: median,
    };
    console.log(
      `${store}: write-ahead keeps ${fmt(ratio * 100, 1)}% of the c=${CONCURRENCY} throughput (target >= ${TARGET * 100}%: ${ratio >= TARGET ? 'met' : 'MISSED'}); per round ${perRound.map((r) => fmt(r, 2)).join(' ')} (median ${fmt(median, 2)}); c=1 p50 ${fmt(durable.c1.p50Ms - batched.c1.p50Ms, 2)} ms more`,
    );
  }
  writeResults('audit', machine, {
    method: {
      path: 'SDK client -> toolgate (HTTP) -> server-everything streamableHttp, echo',
      policy: BENCH_POLICY,
      rounds: ROUNDS,
      callsC32: CALLS_C32,
      callsC1: CALLS_C1,
      warmup: WARMUP,
      concurrency: CONCURRENCY,
      postgres: withPg ? 'own schema per gateway, dropped afterwards' : 'not reachable',
    },
    results: rows,
    ratios,
    target: { throughputC32RatioAtLeast: TARGET },
  });
}
