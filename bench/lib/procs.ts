import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const EVERYTHING_JS = join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
/** BENCH_TOOLGATE_JS: another build's CLI (a copy of dist/ inside the project), for before/after runs. */
export const TOOLGATE_JS = process.env.BENCH_TOOLGATE_JS
  ? resolve(ROOT, process.env.BENCH_TOOLGATE_JS)
  : join(ROOT, 'dist/cli/main.js');
/**
 * BENCH_COMPARE_JS: a second build's CLI run next to this one in the same run (its rows are
 * prefixed "before:"), so a change is measured against the code before it under the same load.
 */
export const COMPARE_JS = process.env.BENCH_COMPARE_JS
  ? resolve(ROOT, process.env.BENCH_COMPARE_JS)
  : undefined;
export const PEERS_DIR = join(ROOT, '.cache/bench-peers');

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** Every process a benchmark starts goes through here, so the end of the run stops them all. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => stop(c)));
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    for (const c of children) c.kill('SIGKILL');
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    process.exit(130);
  });
}
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'toolgate-bench-'));
  tempDirs.add(d);
  return d;
}

/** An ephemeral loopback port for tools that cannot be told `--port 0`. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Poll until something answers HTTP on the URL (any status). */
export async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`process for ${url} exited with ${child.exitCode}`);
    try {
      const res = await fetch(url, { method: 'GET', signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`nothing answered on ${url} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** server-everything over streamable HTTP on its own port; its per-POST log lines are discarded. */
export async function startEverythingHttp(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = track(
    spawn(process.execPath, [EVERYTHING_JS, 'streamableHttp'], {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  child.stderr?.resume();
  const url = `http://127.0.0.1:${port}/mcp`;
  await waitForHttp(url, child);
  return { url, child };
}

export const EVERYTHING_STDIO = { command: process.execPath, args: [EVERYTHING_JS, 'stdio'] };

/** The policy every gateway benchmark uses: a condition and a (never reached) limit on echo. */
export const BENCH_POLICY = {
  version: '1',
  default: 'allow',
  tools: {
    echo: {
      require: [{ path: 'args.message', op: 'exists' }],
      limits: [{ counter: 'echo', window: 'minute', max: 1_000_000_000 }],
    },
  },
};

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  configFile: string;
  pid: number;
  /** The last few KB the gateway wrote to stderr. */
  stderr(): string;
}

/**
 * toolgate as its own process (`serve --port 0 --json`), so the client's CPU is not the
 * gateway's. BENCH_CPU_PROF=<dir> starts it under `--cpu-prof`.
 */
export async function startGateway(
  servers: Record<string, Record<string, unknown>>,
  extra: Record<string, unknown> = {},
  cli = TOOLGATE_JS,
): Promise<GatewayProcess> {
  const dir = tempDir();
  const config = {
    listen: { host: '127.0.0.1', port: 0 },
    auth: { mode: 'none' },
    storage: { sqlite: join(dir, 'toolgate.db') },
    counters: { backend: 'memory' },
    log: { level: 'warn' },
    servers,
    ...extra,
  };
  const configFile = join(dir, 'toolgate.yaml');
  writeFileSync(configFile, stringify(config));
  const prof = process.env.BENCH_CPU_PROF;
  const nodeArgs = prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : [];
  const child = track(
    spawn(process.execPath, [...nodeArgs, cli, 'serve', '--config', configFile, '--port', '0', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: dir,
    }),
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const url = await announcedUrl(child, 'toolgate', () => stderr);
  return { url, child, configFile, pid: child.pid!, stderr: () => stderr };
}

/** The `{"url": ...}` line a process prints on stdout once it listens. */
function announcedUrl(child: ChildProcess, what: string, stderr: () => string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.stdout?.off('data', onData);
      child.stdout?.resume();
      try {
        resolve((JSON.parse(out.slice(0, nl)) as { url: string }).url);
      } catch (err) {
        reject(new Error(`${what} printed no JSON line: ${out.slice(0, 200)} (${(err as Error).message})`));
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}: ${stderr()}`)));
  });
}

/**
 * The bare relay (bench/lib/bare-relay.ts) in its own process: HTTP in front of an HTTP upstream
 * (`http`, the upstream URL) or of a stdio child (`stdio`, the command).
 */
export async function startBareRelay(
  mode: 'http' | 'stdio',
  target: string[],
): Promise<{ url: string; child: ChildProcess; pid: number }> {
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/lib/bare-relay.ts'), mode, ...target], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: ROOT,
    }),
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const url = await announcedUrl(child, 'bare relay', () => stderr);
  return { url, child, pid: child.pid! };
}

/** Debian's nginx (`apt-get install nginx-light`), or BENCH_NGINX; undefined when neither is there. */
export const NGINX = [process.env.BENCH_NGINX, '/usr/sbin/nginx'].find((p) => p && existsSync(p));

/**
 * nginx as a plain reverse proxy in front of an HTTP upstream: a second, compiled reference for
 * the cost of the hop (one worker, upstream keep-alive, no buffering so SSE streams through).
 */
export async function startNginx(
  upstream: string,
): Promise<{ url: string; child: ChildProcess; pid: number }> {
  if (!NGINX) throw new Error('nginx is not installed (apt-get install nginx-light)');
  const dir = tempDir();
  const port = await freePort();
  const target = new URL(upstream);
  const temp = (name: string) => `${name}_temp_path ${join(dir, name)};`;
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} error;
events { worker_connections 1024; }
http {
  access_log off;
  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}
  upstream mcp { server ${target.host}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://mcp;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
`,
  );
  const child = track(spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' }));
  const url = `http://127.0.0.1:${port}${target.pathname}`;
  await waitForHttp(url, child);
  return { url, child, pid: child.pid! };
}

/** Resident set size of a process in MB, from /proc/<pid>/status (Linux). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** The stdio children a process started (the gateway's upstream servers). */
export function childCount(pid: number): number {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
      .length;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 (1-based) of the whole line: 12 and 13 after the name.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
const CLOCK_TICKS = 100;
