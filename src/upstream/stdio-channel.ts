import { type ChildProcess, spawn } from 'node:child_process';
import type { Logger } from 'pino';
import type { StdioServerConfig } from '../config/index.js';
import type { JsonRpcMessage } from '../mcp/jsonrpc.js';
import type { Channel } from './channel.js';
import { UpstreamError } from './errors.js';
import { inheritedEnvironment } from './inherited-env.js';
import { LineSplitter } from './line-splitter.js';
import { StderrTail } from './stderr-tail.js';

/** Pids of the stdio servers running now (for /metrics: their count and memory). */
const running = new Set<number>();

export function runningStdioPids(): ReadonlySet<number> {
  return running;
}

/** After the child exits, how long its stderr may take to deliver its last lines (often the why). */
const STDERR_DRAIN_MS = 250;
/**
 * The longest stdout line (one JSON-RPC message) kept from a server, in characters. A large
 * resource or tool result fits; a server that streams without newlines cannot grow memory
 * without bound.
 */
const MAX_STDOUT_LINE = 64 * 1024 * 1024;

/**
 * A stdio MCP server as a child process: newline-delimited JSON on stdin/stdout, stderr to our
 * log (bounded: stderr-tail.ts) and its last lines into the error when it exits. Written on
 * node:child_process directly (not the SDK transport) because the gateway needs the exit code and
 * stderr for its error messages and must never schema-parse messages it only relays.
 */
export class StdioChannel implements Channel {
  onmessage?: (message: JsonRpcMessage) => void;
  onclose?: (reason: UpstreamError) => void;
  private child?: ChildProcess;
  private closing = false;
  private ended = false;

  constructor(
    private readonly name: string,
    private readonly cfg: StdioServerConfig,
    private readonly log: Logger,
  ) {}

  start(): Promise<void> {
    const { command } = this.cfg;
    return new Promise((resolve, reject) => {
      // A server started ahead (prestartStdioServer) is taken over as if spawned now.
      const ahead = takePrestarted(this.name, this.cfg);
      const child = ahead ?? spawnServer(this.cfg);
      this.child = child;
      const stdout = new LineSplitter(
        (line) => this.onLine(line),
        MAX_STDOUT_LINE,
        (chars) =>
          this.log.warn(
            { upstream: this.name, chars },
            'upstream wrote a stdout line over the limit; dropped (a request it answered times out)',
          ),
      );
      child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
      const stderr = new StderrTail({
        line: (line) => this.log.info({ upstream: this.name, stderr: line }, 'upstream stderr'),
        skipped: (lines, chars) =>
          this.log.warn(
            { upstream: this.name, lines, chars },
            'upstream stderr: lines not logged (the server writes faster than the log takes)',
          ),
      });
      child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.stderr!.once('end', () => stderr.end());
      child.stdin!.on('error', () => {}); // EPIPE after exit is reported through 'exit'
      const spawned = () => {
        if (child.pid !== undefined) running.add(child.pid);
        resolve();
      };
      if (ahead) spawned();
      else child.once('spawn', spawned);
      child.once('error', (err: NodeJS.ErrnoException) => {
        const why =
          err.code === 'ENOENT'
            ? `command not found: ${command} (is it installed and on PATH?)`
            : err.message;
        const e = new UpstreamError('UPSTREAM_SPAWN_FAILED', `could not start server "${this.name}": ${why}`);
        if (!this.ended) reject(e);
        this.end(e);
      });
      child.once('exit', (code, signal) => {
        if (child.pid !== undefined) running.delete(child.pid);
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        // Its last words (an npm 404, a stack trace) may still be in the pipe: wait for the pipe to
        // close, briefly (a grandchild may hold it open; end() kills the group then).
        const exited = () => {
          clearTimeout(drain);
          const error = new UpstreamError('UPSTREAM_EXITED', `server "${this.name}" ${how}`);
          error.stderr = stderr.lines();
          this.end(error);
        };
        const drain = setTimeout(exited, STDERR_DRAIN_MS);
        child.once('close', exited);
      });
    });
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      // Servers that print banners on stdout break the protocol; log it rather than die.
      this.log.warn(
        { upstream: this.name, line: line.slice(0, 200) },
        'upstream wrote a non-JSON line on stdout',
      );
      return;
    }
    this.onmessage?.(msg as JsonRpcMessage);
  }

  send(message: JsonRpcMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || this.ended) {
      return Promise.reject(new UpstreamError('UPSTREAM_CLOSED', `server "${this.name}" is not running`));
    }
    let line: string;
    try {
      line = JSON.stringify(message);
    } catch (err) {
      // Nested past the stack (or a cycle): the sender's fault; the server never saw it.
      const why = `the message cannot be encoded as JSON: ${(err as Error).message}`;
      return Promise.reject(new UpstreamError('MESSAGE_UNSENDABLE', why));
    }
    stdin.write(`${line}\n`);
    return Promise.resolve();
  }

  setProtocolVersion(): void {}

  async close(): Promise<void> {
    if (this.ended || !this.child) return;
    this.closing = true;
    const child = this.child;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    // Spec shutdown order for stdio: close stdin, then SIGTERM, then SIGKILL.
    child.stdin?.end();
    const term = setTimeout(() => this.signal('SIGTERM'), 500);
    const kill = setTimeout(() => this.signal('SIGKILL'), 2500);
    await exited;
    clearTimeout(term);
    clearTimeout(kill);
  }

  private signal(sig: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (!pid) return;
    try {
      process.kill(process.platform === 'win32' ? pid : -pid, sig);
    } catch {
      /* already gone */
    }
  }

  private end(reason: UpstreamError): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.closing) {
      this.signal('SIGKILL'); // reap any grandchildren left in the group
      this.onclose?.(reason);
    }
  }
}

function spawnServer(cfg: StdioServerConfig): ChildProcess {
  return spawn(cfg.command, cfg.args, {
    env: { ...inheritedEnvironment(), ...cfg.env },
    cwd: cfg.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    // Own process group, so a restart kills the whole tree (npx -> node) and nothing leaks.
    detached: process.platform !== 'win32',
    windowsHide: true,
  });
}

/**
 * Servers started ahead of their session: `toolgate stdio` starts its server while it still loads
 * and builds the gateway, so the server's own start (often the longest part, `npx` most of all)
 * overlaps ours and the client's `initialize` is answered sooner (issue 15). The first channel
 * for the same server and config takes the process over, exactly as if it had spawned it; until
 * then its output waits in the pipes. One that failed to start, or exited, is dropped, and the
 * channel spawns anew (and reports the failure the usual way).
 */
const prestarted = new Map<string, ChildProcess>();

function prestartKey(name: string, cfg: StdioServerConfig): string {
  return JSON.stringify([name, cfg.command, cfg.args, cfg.env, cfg.cwd ?? null]);
}

export function prestartStdioServer(name: string, cfg: StdioServerConfig): void {
  const key = prestartKey(name, cfg);
  if (prestarted.has(key)) return;
  const child = spawnServer(cfg);
  const drop = () => {
    if (prestarted.get(key) === child) prestarted.delete(key);
  };
  child.once('error', drop);
  child.once('exit', drop);
  child.stdin!.on('error', () => {});
  prestarted.set(key, child);
}

function takePrestarted(name: string, cfg: StdioServerConfig): ChildProcess | undefined {
  const key = prestartKey(name, cfg);
  const child = prestarted.get(key);
  prestarted.delete(key);
  // Not yet spawned (no pid), or already gone: start a fresh one instead.
  if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    child?.kill();
    return undefined;
  }
  return child;
}

/** Stops the servers started ahead that no session took (the command ends, or failed first). */
export function discardPrestarted(): void {
  for (const child of prestarted.values()) {
    child.stdin?.end();
    if (child.pid !== undefined) {
      try {
        process.kill(process.platform === 'win32' ? child.pid : -child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
  }
  prestarted.clear();
}
