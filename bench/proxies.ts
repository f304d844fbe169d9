/**
 * overhead and peers: the SDK v2 Client calling `echo` on server-everything, direct vs through
 * toolgate (and through mcp-proxy and supergateway), at concurrency 1 and 32, in one run.
 * Every process is started here on an ephemeral loopback port and stopped at the end.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/client';
import {
  closeClient,
  echo,
  httpClient,
  medianStats,
  runLoad,
  type Stats,
  statsOf,
  stdioClient,
  timeSequential,
} from './lib/load.js';
import { describeMachine, type Machine } from './lib/machine.js';
import {
  BENCH_POLICY,
  COMPARE_JS,
  cpuMs,
  EVERYTHING_JS,
  EVERYTHING_STDIO,
  freePort,
  NGINX,
  PEERS_DIR,
  startBareRelay,
  startEverythingHttp,
  startGateway,
  startNginx,
  stop,
  TOOLGATE_JS,
  track,
  waitForHttp,
} from './lib/procs.js';
import { fmt, printTable, writeResults } from './lib/results.js';

const CALLS_C1 = Number(process.env.BENCH_CALLS_C1 ?? 1000);
const CALLS_C32 = Number(process.env.BENCH_CALLS_C32 ?? 5000);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 300);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** c=1 calls run in blocks of this many, setup after setup, so the setups share each moment's load. */
const BLOCK = Number(process.env.BENCH_BLOCK ?? 50);
const CONCURRENCY = 32;

interface Setup {
  name: string;
  /** Processes whose CPU time per call is reported (the gateway, the HTTP upstream). */
  pids?: { gateway?: number; server?: number };
  cpu: CpuPerCall[];
  /** For a proxy the client itself starts (the stdio front end): its pid, once connected. */
  pidsFrom?: (client: Client) => Setup['pids'];
  group: string;
  /** The in-run baseline of its group (direct connection). */
  baseline?: boolean;
  /** A reference for comparison (the bare relay), not a product: no target applies to it. */
  reference?: boolean;
  /** Every c=1 latency of every round, for the pooled p50/p99. */
  c1Latencies: number[];
  /** CPU the proxy process used during this setup's c=1 blocks, in ms. */
  c1ProxyCpuMs: number;
  connect(): Promise<Client>;
  client?: Client;
  c1: Stats[];
  c32: Stats[];
}

/** CPU time per call at c=32, in microseconds, of each process taking part. */
interface CpuPerCall {
  clientUs: number;
  gatewayUs?: number;
  serverUs?: number;
}

interface Row {
  cpuPerCallC32: CpuPerCall;
  /** The proxy's CPU time per call at c=1 (the work on each call's critical path), in us. */
  proxyCpuUsPerCallC1?: number;
  /** Every round's figures, for a look at the spread behind the medians. */
  rounds: { c1: Stats; c32: Stats; cpu: CpuPerCall }[];
  setup: string;
  group: string;
  baseline: string;
  /** A reference (the bare relay), not a product. */
  reference?: boolean;
  c1: Stats;
  c32: Stats;
  addedP50Ms?: number;
  addedP99Ms?: number;
  throughputRatioC1?: number;
  throughputRatioC32?: number;
}

function setup(
  name: string,
  group: string,
  connect: () => Promise<Client>,
  opts: { baseline?: boolean; reference?: boolean; pids?: Setup['pids']; pidsFrom?: Setup['pidsFrom'] } = {},
): Setup {
  return {
    name,
    group,
    baseline: opts.baseline,
    reference: opts.reference,
    c1Latencies: [],
    c1ProxyCpuMs: 0,
    pids: opts.pids,
    pidsFrom: opts.pidsFrom,
    connect,
    c1: [],
    c32: [],
    cpu: [],
  };
}

const perCall = (ms: number, calls: number) => Math.round((ms * 1000) / calls);

async function measureAll(setups: Setup[]): Promise<Row[]> {
  for (const s of setups) {
    s.client = await s.connect();
    s.pids ??= s.pidsFrom?.(s.client);
  }
  // c=1 (latency): every round warms each setup up, then runs blocks of BLOCK calls setup after
  // setup, so a burst of outside load lands on all setups alike and the p50s stay comparable.
  // c=32 (throughput): rounds alternate between setups.
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of setups) await runLoad((i) => echo(s.client!, i), WARMUP, 1, 0);
    const lat = new Map(setups.map((s) => [s, [] as number[]]));
    for (let done = 0; done < CALLS_C1; done += BLOCK) {
      for (const s of setups) {
        const cpuBefore = pidCpu(s.pids?.gateway);
        const block = await timeSequential((i) => echo(s.client!, i), Math.min(BLOCK, CALLS_C1 - done), done);
        if (cpuBefore !== undefined) s.c1ProxyCpuMs += pidCpu(s.pids?.gateway)! - cpuBefore;
        lat.get(s)!.push(...block);
      }
    }
    for (const s of setups) {
      const mine = lat.get(s)!;
      s.c1Latencies.push(...mine);
      s.c1.push(
        statsOf(
          Float64Array.from(mine),
          1,
          mine.reduce((a, b) => a + b, 0),
        ),
      );
    }
    for (const s of setups) {
      const client = s.client!;
      const before = {
        client: process.cpuUsage(),
        gateway: pidCpu(s.pids?.gateway),
        server: pidCpu(s.pids?.server),
      };
      s.c32.push(await runLoad((i) => echo(client, i), CALLS_C32, CONCURRENCY, WARMUP));
      const used = process.cpuUsage(before.client);
      // Warm-up calls ran inside the window too: count them.
      const n = CALLS_C32 + WARMUP;
      s.cpu.push({
        clientUs: perCall((used.user + used.system) / 1000, n),
        gatewayUs: s.pids?.gateway ? perCall(pidCpu(s.pids.gateway)! - before.gateway!, n) : undefined,
        serverUs: s.pids?.server ? perCall(pidCpu(s.pids.server)! - before.server!, n) : undefined,
      });
      process.stdout.write('.');
    }
  }
  process.stdout.write('\n');
  await Promise.all(setups.map((s) => closeClient(s.client!)));
  const rows: Row[] = setups.map((s) => ({
    setup: s.name,
    group: s.group,
    baseline: '',
    reference: s.reference,
    // c=1: pooled over every round (interleaved blocks, so pooling is fair); c=32: median of rounds.
    c1: statsOf(
      Float64Array.from(s.c1Latencies),
      1,
      s.c1Latencies.reduce((a, b) => a + b, 0),
    ),
    c32: medianStats(s.c32),
    rounds: s.c1.map((c1, i) => ({ c1, c32: s.c32[i]!, cpu: s.cpu[i]! })),
    proxyCpuUsPerCallC1: s.pids?.gateway ? perCall(s.c1ProxyCpuMs, s.c1Latencies.length) : undefined,
    cpuPerCallC32: {
      clientUs: median(s.cpu.map((c) => c.clientUs)),
      gatewayUs: s.pids?.gateway ? median(s.cpu.map((c) => c.gatewayUs!)) : undefined,
      serverUs: s.pids?.server ? median(s.cpu.map((c) => c.serverUs!)) : undefined,
    },
  }));
  for (const row of rows) {
    const base = rows.find((r) => r.group === row.group && setups.find((s) => s.name === r.setup)?.baseline);
    if (!base) continue;
    row.baseline = base.setup;
    if (base === row) continue;
    row.addedP50Ms = row.c1.p50Ms - base.c1.p50Ms;
    row.addedP99Ms = row.c1.p99Ms - base.c1.p99Ms;
    row.throughputRatioC1 = row.c1.callsPerSec / base.c1.callsPerSec;
    row.throughputRatioC32 = row.c32.callsPerSec / base.c32.callsPerSec;
  }
  return rows;
}

const pidCpu = (pid: number | undefined) => (pid ? cpuMs(pid) : undefined);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function print(title: string, rows: Row[]): void {
  console.log(
    `\n${title}: ${ROUNDS} rounds; c=1: ${CALLS_C1} calls per round in blocks of ${BLOCK} interleaved ` +
      `between setups, pooled; c=${CONCURRENCY}: ${CALLS_C32} calls per round, median of rounds\n`,
  );
  printTable(
    [
      'setup',
      'p50 ms',
      'p99 ms',
      'calls/s c=1',
      `p50 c=${CONCURRENCY}`,
      `calls/s c=${CONCURRENCY}`,
      '+p50 ms',
      'x c=1',
      `x c=${CONCURRENCY}`,
      'cpu us/call',
      'proxy us c=1',
    ],
    rows.map((r) => [
      r.setup,
      fmt(r.c1.p50Ms, 3),
      fmt(r.c1.p99Ms, 3),
      fmt(r.c1.callsPerSec, 0),
      fmt(r.c32.p50Ms, 2),
      fmt(r.c32.callsPerSec, 0),
      r.addedP50Ms === undefined ? '(base)' : fmt(r.addedP50Ms, 3),
      fmt(r.throughputRatioC1, 2),
      fmt(r.throughputRatioC32, 2),
      cpuCell(r.cpuPerCallC32),
      r.proxyCpuUsPerCallC1 === undefined ? '-' : String(r.proxyCpuUsPerCallC1),
    ]),
  );
  console.log(
    'cpu us/call: CPU time per call at c=32 of client / proxy / HTTP upstream (- = not measured); ' +
      'proxy us c=1: the proxy process per call at c=1',
  );
}

function cpuCell(c: CpuPerCall): string {
  return `${c.clientUs} / ${c.gatewayUs ?? '-'} / ${c.serverUs ?? '-'}`;
}

/** The client starts `toolgate stdio` itself, on the gateway's config (the stdio upstream). */
function stdioFrontEnd(name: string, cli: string, configFile: string): Setup {
  return setup(
    name,
    'stdio',
    () => stdioClient(process.execPath, [cli, 'stdio', '--server', 'ev_stdio', '--config', configFile]),
    {
      pidsFrom: (c) => ({ gateway: (c.transport as { pid?: number | null } | undefined)?.pid ?? undefined }),
    },
  );
}

const GATEWAY_SERVERS = (httpUrl?: string) => ({
  ev_stdio: { ...EVERYTHING_STDIO, policy: BENCH_POLICY },
  ...(httpUrl ? { ev_http: { url: httpUrl, policy: BENCH_POLICY } } : {}),
});

export async function overhead(): Promise<void> {
  const machine = describeMachine();
  const upstream = await startEverythingHttp();
  const gw = await startGateway(GATEWAY_SERVERS(upstream.url));
  const relayHttp = await startBareRelay('http', [upstream.url]);
  const relayStdio = await startBareRelay('stdio', [EVERYTHING_STDIO.command, ...EVERYTHING_STDIO.args]);
  const nginx = NGINX ? await startNginx(upstream.url) : undefined;
  const before = COMPARE_JS ? await startGateway(GATEWAY_SERVERS(upstream.url), {}, COMPARE_JS) : undefined;
  if (!nginx)
    console.log('overhead: nginx not installed, its reference row is left out (apt-get install nginx-light)');
  try {
    const setups = [
      setup('direct http', 'http', () => httpClient(upstream.url), {
        baseline: true,
        pids: { server: upstream.child.pid },
      }),
      setup('toolgate http -> http', 'http', () => httpClient(`${gw.url}/mcp/ev_http`), {
        pids: { gateway: gw.pid, server: upstream.child.pid },
      }),
      ...(before
        ? [
            setup('before: toolgate http -> http', 'http', () => httpClient(`${before.url}/mcp/ev_http`), {
              pids: { gateway: before.pid, server: upstream.child.pid },
            }),
          ]
        : []),
      setup('bare relay http -> http', 'http', () => httpClient(relayHttp.url), {
        reference: true,
        pids: { gateway: relayHttp.pid, server: upstream.child.pid },
      }),
      ...(nginx
        ? [
            setup('nginx http -> http', 'http', () => httpClient(nginx.url), {
              reference: true,
              pids: { gateway: nginx.pid, server: upstream.child.pid },
            }),
          ]
        : []),
      setup('direct stdio', 'stdio', () => stdioClient(EVERYTHING_STDIO.command, EVERYTHING_STDIO.args), {
        baseline: true,
      }),
      setup('bare relay http -> stdio', 'stdio', () => httpClient(relayStdio.url), {
        reference: true,
        pids: { gateway: relayStdio.pid },
      }),
      setup('toolgate http -> stdio', 'stdio', () => httpClient(`${gw.url}/mcp/ev_stdio`), {
        pids: { gateway: gw.pid },
      }),
      stdioFrontEnd('toolgate stdio -> stdio', TOOLGATE_JS, gw.configFile),
      ...(before ? [stdioFrontEnd('before: toolgate stdio -> stdio', COMPARE_JS!, before.configFile)] : []),
    ];
    const rows = await measureAll(setups);
    print('overhead (echo, policy with a condition and a limit)', rows);
    summarise(rows, machine, 'overhead');
  } finally {
    await stop(gw.child);
    await stop(relayHttp.child);
    await stop(relayStdio.child);
    await stop(nginx?.child);
    await stop(before?.child);
    await stop(upstream.child);
  }
}

/** mcp-proxy and supergateway in front of the same stdio server, next to toolgate and direct. */
export async function peers(): Promise<void> {
  const bin = (name: string) => join(PEERS_DIR, 'node_modules/.bin', name);
  if (!existsSync(bin('mcp-proxy')) || !existsSync(bin('supergateway'))) {
    console.log(
      'peers: mcp-proxy / supergateway not installed; run\n  npm install --prefix .cache/bench-peers mcp-proxy supergateway --no-save',
    );
    return;
  }
  const machine = describeMachine();
  const gw = await startGateway(GATEWAY_SERVERS());
  const procs: ChildProcess[] = [];
  try {
    // mcp-proxy in its cheapest configuration (no resumability event store), stream endpoint only.
    const mpPort = await freePort();
    const mp = track(
      spawn(
        process.execPath,
        [
          bin('mcp-proxy'),
          '--host',
          '127.0.0.1',
          '--port',
          String(mpPort),
          '--server',
          'stream',
          '--no-eventStore',
          '--',
          process.execPath,
          EVERYTHING_JS,
          'stdio',
        ],
        { stdio: ['ignore', 'ignore', 'ignore'] },
      ),
    );
    procs.push(mp);
    const mpUrl = `http://127.0.0.1:${mpPort}/mcp`;
    await waitForHttp(mpUrl, mp);
    // supergateway stdio -> streamable HTTP, stateful (one child per session, like toolgate).
    const sgPort = await freePort();
    const sg = track(
      spawn(
        process.execPath,
        [
          bin('supergateway'),
          '--stdio',
          `${process.execPath} ${EVERYTHING_JS} stdio`,
          '--outputTransport',
          'streamableHttp',
          '--stateful',
          '--port',
          String(sgPort),
          '--logLevel',
          'none',
        ],
        { stdio: ['ignore', 'ignore', 'ignore'] },
      ),
    );
    procs.push(sg);
    const sgUrl = `http://127.0.0.1:${sgPort}/mcp`;
    await waitForHttp(sgUrl, sg);

    const setups = [
      setup('direct stdio', 'stdio', () => stdioClient(EVERYTHING_STDIO.command, EVERYTHING_STDIO.args), {
        baseline: true,
      }),
      setup('toolgate (policy)', 'stdio', () => httpClient(`${gw.url}/mcp/ev_stdio`), {
        pids: { gateway: gw.pid },
      }),
      setup('mcp-proxy (no policy)', 'stdio', () => httpClient(mpUrl), { pids: { gateway: mp.pid } }),
      setup('supergateway (no policy)', 'stdio', () => httpClient(sgUrl), { pids: { gateway: sg.pid } }),
    ];
    const rows = await measureAll(setups);
    print('peers (stdio server-everything behind streamable HTTP)', rows);
    const tg = rows.find((r) => r.setup.startsWith('toolgate'))!;
    const others = rows.filter((r) => !r.setup.startsWith('toolgate') && r.baseline !== r.setup);
    for (const o of others)
      console.log(
        `toolgate vs ${o.setup}: ${fmt(tg.c32.callsPerSec / o.c32.callsPerSec, 2)}x calls/s at c=${CONCURRENCY}, ` +
          `${fmt(tg.c1.p50Ms - o.c1.p50Ms, 3)} ms p50 at c=1`,
      );
    summarise(rows, machine, 'peers', {
      versions: { 'mcp-proxy': peerVersion('mcp-proxy'), supergateway: peerVersion('supergateway') },
      aboveBothPeersC32: others.every((o) => tg.c32.callsPerSec > o.c32.callsPerSec),
    });
  } finally {
    await stop(gw.child);
    await Promise.all(procs.map((p) => stop(p)));
  }
}

function peerVersion(name: string): string {
  try {
    const pkg = readFileSync(join(PEERS_DIR, 'node_modules', name, 'package.json'), 'utf8');
    return (JSON.parse(pkg) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function summarise(rows: Row[], machine: Machine, name: string, extra: Record<string, unknown> = {}): void {
  const targets: Record<string, unknown> = {};
  if (name === 'overhead') {
    targets.addedP50UnderMs = 0.3;
    targets.throughputC32AtLeast = 0.8;
    console.log('');
    for (const r of rows.filter((x) => x.addedP50Ms !== undefined)) {
      const added = r.addedP50Ms ?? Number.POSITIVE_INFINITY;
      const ratio = r.throughputRatioC32 ?? 0;
      if (r.reference) {
        console.log(
          `${r.setup} (reference, checks nothing): +${fmt(added, 3)} ms p50, ` +
            `${fmt(ratio * 100, 0)}% of direct calls/s at c=${CONCURRENCY}`,
        );
        continue;
      }
      // What the gateway adds beyond the hop itself: over the bare relay on the same path.
      const relay = rows.find((x) => x.reference && x.group === r.group && x.setup.startsWith('bare relay'));
      const overRelay = relay && r.setup.includes('toolgate http') ? r.c1.p50Ms - relay.c1.p50Ms : undefined;
      targets[r.setup] = {
        addedP50Ms: added,
        addedP50Met: added < 0.3,
        throughputC32Ratio: ratio,
        throughputC32Met: ratio >= 0.8,
        ...(overRelay === undefined ? {} : { overBareRelayP50Ms: overRelay }),
      };
      console.log(
        `${r.setup}: +${fmt(added, 3)} ms p50 (target < 0.3 ms: ${added < 0.3 ? 'met' : 'MISSED'})` +
          `${overRelay === undefined ? '' : `, ${overRelay >= 0 ? '+' : ''}${fmt(overRelay, 3)} ms over the bare relay`}, ` +
          `${fmt(ratio * 100, 0)}% of direct calls/s at c=${CONCURRENCY} ` +
          `(target >= 80%: ${ratio >= 0.8 ? 'met' : 'MISSED'})`,
      );
    }
  }
  writeResults(name, machine, {
    method: {
      client: 'SDK v2 Client.callTool echo',
      rounds: ROUNDS,
      warmup: WARMUP,
      callsC1: CALLS_C1,
      callsC32: CALLS_C32,
      concurrency: CONCURRENCY,
      blockC1: BLOCK,
      statistic: 'c=1: pooled over rounds of interleaved blocks; c=32: median over rounds',
      policy: BENCH_POLICY,
      counters: 'memory',
    },
    results: rows,
    targets,
    ...extra,
  });
}
