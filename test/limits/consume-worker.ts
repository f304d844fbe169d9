// A second process for the cross-process exactness tests. It opens a store, says "ready", waits
// for one line on stdin (so both processes fire together), fires N consumes at once and prints
// how many were admitted. Usage: node --import tsx consume-worker.ts '<json WorkerArgs>'
import { createInterface } from 'node:readline';
import { type CounterCharge, type CounterConfig, createCounterStore } from '../../src/limits/index.js';

export interface WorkerArgs {
  config: CounterConfig;
  charge: CounterCharge;
  count: number;
  nowMs: number;
}

const args = JSON.parse(process.argv[2] ?? '') as WorkerArgs;
const store = await createCounterStore(args.config);
await store.ping();
process.stdout.write('ready\n');
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once('line', () => resolve()));
lines.close();
const results = await Promise.all(
  Array.from({ length: args.count }, () => store.consume([args.charge], args.nowMs)),
);
await store.close();
process.stdout.write(`${JSON.stringify({ admitted: results.filter((r) => r.ok).length })}\n`);
