// Counter store benchmark: latency of one check-and-consume (p50/p99) and throughput, for the
// memory, sqlite and redis backends, with memory as the in-run baseline.
// Run: node --import tsx bench/counters.ts   (TOOLGATE_BENCH_REDIS_URL overrides the Redis URL)
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type CounterCharge,
  type CounterConfig,
  type CounterStore,
  createCounterStore,
} from '../src/limits/index.js';
import { describeMachine } from './lib/machine.js';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20_000);
const WARMUP = 2_000;
const CONCURRENCY = 32;
const REDIS_URL = process.env.TOOLGATE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const REDIS_PREFIX = `toolgate-bench:${randomUUID()}:`;
const REDIS_P50_TARGET_MS = 0.3;

interface Row {
  backend: CounterStore['kind'];
  counters: number;
  p50Ms: number;
  p99Ms: number;
  opsPerSec: number;
  opsPerSecC32: number;
  p50VsMemory?: number;
  opsVsMemory?: number;
}

// A call typically carries a tool limit, an all-tools limit and maybe a spend cap: bench 1 and 3.
// Keys rotate over 100 grants and max is out of reach, so every consume does the full write path.
function chargesFor(n: number, i: number): CounterCharge[] {
  const grant = `grant:bench-${i % 100}`;
  const all: CounterCharge[] = [
    { key: `${grant}:track_event_rate`, windowSeconds: 60, max: 1e12, amount: 1 },
    { key: `${grant}:all`, windowSeconds: 3600, max: 1e12, amount: 1 },
    { key: `${grant}:refund_total`, windowSeconds: 86_400, max: 1e15, amount: 2500 },
  ];
  return all.slice(0, n);
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function measure(store: CounterStore, counters: number): Promise<Row> {
  for (let i = 0; i < WARMUP; i++) await store.consume(chargesFor(counters, i), Date.now());

  // Sequential: one call in flight, which is what a single agent's call waits for.
  const lat = new Float64Array(ITERATIONS);
  const t0 = performance.now();
  for (let i = 0; i < ITERATIONS; i++) {
    const charges = chargesFor(counters, i);
    const s = performance.now();
    await store.consume(charges, Date.now());
    lat[i] = performance.now() - s;
  }
  const seqMs = performance.now() - t0;
  lat.sort();

  // Concurrent: CONCURRENCY calls in flight, as a busy gateway would have.
  let next = 0;
  const c0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < ITERATIONS) {
        const i = next++;
        await store.consume(chargesFor(counters, i), Date.now());
      }
    }),
  );
  const concMs = performance.now() - c0;

  return {
    backend: store.kind,
    counters,
    p50Ms: percentile(lat, 0.5),
    p99Ms: percentile(lat, 0.99),
    opsPerSec: ITERATIONS / (seqMs / 1000),
    opsPerSecC32: ITERATIONS / (concMs / 1000),
  };
}

async function main(): Promise<void> {
  const machine = describeMachine();
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-bench-'));
  const configs: CounterConfig[] = [
    { backend: 'memory' },
    { backend: 'sqlite', path: join(dir, 'counters.db') },
    { backend: 'redis', url: REDIS_URL, prefix: REDIS_PREFIX },
  ];
  const rows: Row[] = [];
  const skipped: string[] = [];
  try {
    for (const cfg of configs) {
      const store = await createCounterStore(cfg);
      try {
        await store.ping();
      } catch (err) {
        skipped.push(`${cfg.backend}: ${(err as Error).message}`);
        await store.close();
        continue;
      }
      for (const counters of [1, 3]) rows.push(await measure(store, counters));
      if (cfg.backend === 'redis') await cleanupRedis();
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  for (const row of rows) {
    const base = rows.find((r) => r.backend === 'memory' && r.counters === row.counters);
    if (!base) continue;
    row.p50VsMemory = row.p50Ms / base.p50Ms;
    row.opsVsMemory = row.opsPerSec / base.opsPerSec;
  }
  print(rows, skipped);

  const redis1 = rows.find((r) => r.backend === 'redis' && r.counters === 1);
  const out = {
    bench: 'counters',
    generatedAt: new Date().toISOString(),
    machine,
    iterations: ITERATIONS,
    concurrency: CONCURRENCY,
    baseline: 'memory',
    results: rows,
    skipped,
    targets: {
      redisCheckAndConsumeP50Ms: REDIS_P50_TARGET_MS,
      met: redis1 ? redis1.p50Ms < REDIS_P50_TARGET_MS : null,
    },
  };
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'counters.json'), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nwrote bench/results/counters.json`);
  if (redis1) {
    const verdict = redis1.p50Ms < REDIS_P50_TARGET_MS ? 'met' : 'MISSED';
    console.log(
      `redis check-and-consume p50 ${redis1.p50Ms.toFixed(3)} ms (target < ${REDIS_P50_TARGET_MS} ms): ${verdict}`,
    );
  }
}

function print(rows: Row[], skipped: string[]): void {
  const header = [
    'backend',
    'counters',
    'p50 ms',
    'p99 ms',
    'ops/s (c=1)',
    `ops/s (c=${CONCURRENCY})`,
    'p50 x mem',
    'ops/s x mem',
  ];
  const fmt = (n: number | undefined, d: number) => (n === undefined ? '-' : n.toFixed(d));
  const table = rows.map((r) => [
    r.backend,
    String(r.counters),
    fmt(r.p50Ms, 4),
    fmt(r.p99Ms, 4),
    fmt(r.opsPerSec, 0),
    fmt(r.opsPerSecC32, 0),
    fmt(r.p50VsMemory, 1),
    fmt(r.opsVsMemory, 3),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(`counter stores: ${ITERATIONS} consumes each, baseline memory (same run)\n`);
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const t of table) console.log(line(t));
  for (const s of skipped) console.log(`skipped ${s}`);
}

async function cleanupRedis(): Promise<void> {
  const { Redis } = await import('ioredis');
  const admin = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [nextCursor, keys] = await admin.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 1000);
    if (keys.length) await admin.del(...keys);
    cursor = nextCursor;
  } while (cursor !== '0');
  await admin.quit();
}

await main();
