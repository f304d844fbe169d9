/**
 * Helpers for end-to-end tests through the real gateway: SDK v2 clients on the HTTP front end,
 * gateway and redis-server child processes, polling with deadlines.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { CLI, EVERYTHING_STDIO, ROOT } from './parity.js';
import { killProcess, stopProcess, waitForLine } from './processes.js';

export {
  eventually,
  freePort,
  killProcess,
  startRedisServer,
  stopProcess,
  waitForLine,
} from './processes.js';
export { CLI, EVERYTHING_STDIO, ROOT };

/**
 * Fixed windows are aligned to UTC: a test that counts to a limit must not straddle a window
 * boundary. Waits for the next window when less than `needMs` of the current one is left.
 */
export async function awayFromWindowEnd(windowSeconds: number, needMs: number): Promise<void> {
  const w = windowSeconds * 1000;
  const left = w - (Date.now() % w);
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 50));
}

/** An MCP session through the gateway's HTTP front end, with what it was told. */
export interface Session {
  client: Client;
  transport: StreamableHTTPClientTransport;
  /** How many `notifications/tools/list_changed` arrived. */
  toolsChanged: number;
  call(name: string, args?: Record<string, unknown>): Promise<CallOutcome>;
  close(): Promise<void>;
}

export interface CallOutcome {
  text: string;
  isError: boolean;
  meta?: Record<string, unknown>;
}

export async function connect(url: string, opts: { token?: string } = {}): Promise<Session> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: opts.token ? { headers: { authorization: `Bearer ${opts.token}` } } : undefined,
  });
  const client = new Client({ name: 'toolgate-e2e', version: '1.0.0' }, { capabilities: {} });
  const session: Session = {
    client,
    transport,
    toolsChanged: 0,
    async call(name, args = {}) {
      const r = (await client.callTool({ name, arguments: args }, { timeout: 30_000 })) as {
        content?: { type: string; text?: string }[];
        isError?: boolean;
        _meta?: Record<string, unknown>;
      };
      const text = (r.content ?? []).map((c) => c.text ?? '').join('\n');
      return { text, isError: r.isError === true, meta: r._meta };
    },
    async close() {
      await client.close().catch(() => undefined);
    },
  };
  client.setNotificationHandler('notifications/tools/list_changed', () => {
    session.toolsChanged++;
  });
  await client.connect(transport);
  return session;
}

/** server-everything's `echo` answers `Echo: <message>`: the call reached the upstream. */
export const isEcho = (o: CallOutcome, message?: string) =>
  !o.isError && (message === undefined ? o.text.startsWith('Echo: ') : o.text === `Echo: ${message}`);

export const RATE_LIMITED = /^\[RATE LIMITED\] (\S+): (\d+) per (\S+) reached; retry in (\d+)s$/;

/** Newest mtime of any .ts file under `dir`. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * The CLI runs from dist. The test command builds before vitest; a local run with a missing or
 * stale dist (a source file newer than the last build) builds it here. A lock keeps two test files
 * from building at once (and from spawning the CLI while the other is writing it).
 */
export async function ensureFreshBuild(): Promise<void> {
  const lock = join(
    tmpdir(),
    `toolgate-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`,
  );
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than the longest build is left over from a killed run.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 240_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${lock}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    buildIfStale();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function buildIfStale(): void {
  let built = 0;
  try {
    built = statSync(CLI).mtimeMs;
  } catch {}
  if (built >= newestSource(join(ROOT, 'src'))) return;
  const started = Date.now();
  try {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
        stdio: 'pipe',
        timeout: 180_000,
      },
    );
  } catch (err) {
    // tsc still emits on type errors (those are the `check` step's to report); only a build that
    // wrote nothing is fatal here.
    let emitted = 0;
    try {
      emitted = statSync(CLI).mtimeMs;
    } catch {}
    if (emitted < started - 1000) throw err;
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? '';
    console.warn(`tsc reported errors but emitted dist:\n${out.slice(0, 2000)}`);
  }
}

/** A `toolgate serve` child process; `url` is the gateway's base URL. */
export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  stderr(): string;
  stop(): Promise<void>;
}

export async function spawnGateway(
  configFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--config', configFile, '--port', '0', '--json'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-20_000);
  });
  try {
    const line = await waitForLine(child, 'stdout', (l) => l.startsWith('{'), 60_000);
    const { url } = JSON.parse(line) as { url: string };
    child.stdout!.resume();
    return { child, url, stderr: () => err, stop: () => stopProcess(child) };
  } catch (e) {
    await killProcess(child);
    throw e;
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `toolgate <args>` from dist with a deadline. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`toolgate ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
