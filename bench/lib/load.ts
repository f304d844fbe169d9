import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

export interface Stats {
  calls: number;
  concurrency: number;
  p50Ms: number;
  p99Ms: number;
  callsPerSec: number;
}

export type Call = () => Promise<unknown>;

/**
 * The SDK v2 transport hands its one connection-wide abort signal to every POST; under load the
 * abort listeners pile up (MaxListenersExceededWarning, slower fetches). Benchmarks run short
 * calls and close cleanly, so POSTs go without a signal; the GET stream keeps it (close aborts it).
 */
const fetchOwnSignal: typeof fetch = (input, init) =>
  fetch(input, init?.method === 'POST' ? { ...init, signal: null } : init);

/** An SDK v2 client over streamable HTTP. */
export async function httpClient(url: string, name = 'toolgate-bench'): Promise<Client> {
  const client = new Client({ name, version: '0.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: fetchOwnSignal }));
  return client;
}

export async function stdioClient(command: string, args: string[]): Promise<Client> {
  const client = new Client({ name: 'toolgate-bench', version: '0.0.0' });
  await client.connect(new StdioClientTransport({ command, args, stderr: 'ignore' }));
  return client;
}

/** Close a client the way a well-behaved one does: DELETE the session, then close. */
export async function closeClient(client: Client): Promise<void> {
  const t = client.transport as { terminateSession?: () => Promise<void> } | undefined;
  await t?.terminateSession?.().catch(() => {});
  await client.close().catch(() => {});
}

export function echo(client: Client, i = 0): Promise<unknown> {
  return client.callTool({ name: 'echo', arguments: { message: `bench ${i}` } }).then((r) => {
    if ((r as { isError?: boolean }).isError) throw new Error(`echo failed: ${JSON.stringify(r)}`);
    return r;
  });
}

/** `calls` calls with `concurrency` in flight, after `warmup` untimed ones; latency per call. */
export async function runLoad(
  call: (i: number) => Promise<unknown>,
  calls: number,
  concurrency: number,
  warmup: number,
): Promise<Stats> {
  let w = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, warmup) }, async () => {
      while (w < warmup) await call(w++);
    }),
  );
  const lat = new Float64Array(calls);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        const i = next++;
        const s = performance.now();
        await call(i);
        lat[i] = performance.now() - s;
      }
    }),
  );
  return statsOf(lat, concurrency, performance.now() - t0);
}

/** `calls` calls one after another (no warm-up): each call's latency in ms, in call order. */
export async function timeSequential(
  call: (i: number) => Promise<unknown>,
  calls: number,
  first = 0,
): Promise<Float64Array> {
  const lat = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const s = performance.now();
    await call(first + i);
    lat[i] = performance.now() - s;
  }
  return lat;
}

/** p50, p99 and calls/s of a set of latencies measured over `elapsedMs` (sorts `lat` in place). */
export function statsOf(lat: Float64Array, concurrency: number, elapsedMs: number): Stats {
  lat.sort();
  return {
    calls: lat.length,
    concurrency,
    p50Ms: percentile(lat, 0.5),
    p99Ms: percentile(lat, 0.99),
    callsPerSec: lat.length / (elapsedMs / 1000),
  };
}

export function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

/** The median of each figure over rounds (rounds alternate between setups, so noise spreads evenly). */
export function medianStats(rounds: Stats[]): Stats {
  const med = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  };
  return {
    calls: rounds[0]!.calls,
    concurrency: rounds[0]!.concurrency,
    p50Ms: med(rounds.map((r) => r.p50Ms)),
    p99Ms: med(rounds.map((r) => r.p99Ms)),
    callsPerSec: med(rounds.map((r) => r.callsPerSec)),
  };
}
