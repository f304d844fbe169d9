/**
 * Parity harness: the same SDK v2 `Client` code talks to a real MCP server directly and through
 * toolgate, so a test can compare what both see. A `Setup` is one way of reaching a server (direct,
 * the gateway's HTTP front end, the `toolgate stdio` front end); `describeMatrix` runs one suite
 * in several setups.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, type ClientCapabilities, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { describe } from 'vitest';
import { stringify } from 'yaml';
import { ALLOW_ALL, startTestGateway, type TestGateway } from './gateway.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pkg = (name: string) => join(ROOT, 'node_modules/@modelcontextprotocol', name, 'dist/index.js');

/** An upstream as toolgate.yaml names it: a command (stdio) or a URL (streamable HTTP). */
export type ServerSpec =
  | { command: string; args: string[]; env?: Record<string, string>; shared?: boolean }
  | { url: string; shared?: boolean };

export const EVERYTHING_STDIO: ServerSpec = {
  command: process.execPath,
  args: [pkg('server-everything'), 'stdio'],
};

/** server-memory keeps its graph in a JSONL file; give every instance its own. */
export function memoryServer(file: string): ServerSpec {
  return { command: process.execPath, args: [pkg('server-memory')], env: { MEMORY_FILE_PATH: file } };
}

export function filesystemServer(...dirs: string[]): ServerSpec {
  return { command: process.execPath, args: [pkg('server-filesystem'), ...dirs] };
}

/** Everything a test may observe on one client: the notifications and server requests it got. */
export interface Probe {
  client: Client;
  transport: StdioClientTransport | StreamableHTTPClientTransport;
  logs: { level: string; data: unknown }[];
  updated: string[];
  toolsChanged: number;
  sampling: unknown[];
  elicitations: unknown[];
  received: Record<string, unknown>[];
  close(): Promise<void>;
}

export interface ConnectOptions {
  capabilities?: ClientCapabilities;
  /** The answer to `sampling/createMessage`; may wait (a test cancels while it waits). */
  onSampling?: (params: unknown) => Promise<Record<string, unknown>>;
  onElicitation?: (params: unknown) => Promise<Record<string, unknown>>;
  /** What the client answers to `roots/list` (declare `roots` in capabilities). */
  roots?: { uri: string; name?: string }[];
  /** Extra HTTP headers (Authorization) for HTTP setups. */
  headers?: Record<string, string>;
}

export const FULL_CAPABILITIES: ClientCapabilities = {
  sampling: {},
  elicitation: { form: {} },
  roots: { listChanged: true },
};

export const SAMPLING_ANSWER = {
  model: 'parity-model',
  role: 'assistant',
  content: { type: 'text', text: 'a sampled answer from the test client' },
};

/** A client wired to record everything; `transport` is made by the setup. */
export async function connectProbe(
  transport: StdioClientTransport | StreamableHTTPClientTransport,
  opts: ConnectOptions = {},
): Promise<Probe> {
  const capabilities = opts.capabilities ?? FULL_CAPABILITIES;
  const client = new Client({ name: 'toolgate-parity', version: '1.0.0' }, { capabilities });
  const probe: Probe = {
    client,
    transport,
    logs: [],
    updated: [],
    toolsChanged: 0,
    sampling: [],
    elicitations: [],
    received: [],
    close: async () => {
      await client.close().catch(() => undefined);
    },
  };
  if (capabilities.roots) client.setRequestHandler('roots/list', async () => ({ roots: opts.roots ?? [] }));
  if (capabilities.sampling) {
    client.setRequestHandler('sampling/createMessage', async (req) => {
      probe.sampling.push(req.params);
      return (opts.onSampling ? await opts.onSampling(req.params) : SAMPLING_ANSWER) as never;
    });
  }
  if (capabilities.elicitation) {
    client.setRequestHandler('elicitation/create', async (req) => {
      probe.elicitations.push(req.params);
      return (
        opts.onElicitation
          ? await opts.onElicitation(req.params)
          : { action: 'accept', content: { name: 'Ada Lovelace', check: true } }
      ) as never;
    });
  }
  client.setNotificationHandler('notifications/message', (n) => {
    probe.logs.push({ level: n.params.level, data: n.params.data });
  });
  client.setNotificationHandler('notifications/resources/updated', (n) => {
    probe.updated.push(n.params.uri);
  });
  client.setNotificationHandler('notifications/tools/list_changed', () => {
    probe.toolsChanged++;
  });
  await client.connect(transport);
  // Below the SDK: every message the client received, in order. (The SDK may drop a progress
  // notification that arrives together with its response; the wire still carried it.)
  const tapped = transport as { onmessage?: (message: unknown, extra?: unknown) => void };
  const inner = tapped.onmessage;
  tapped.onmessage = (message, extra) => {
    probe.received.push(message as Record<string, unknown>);
    inner?.call(transport, message, extra);
  };
  return probe;
}

/** The params of every `notifications/progress` the client received, in order. */
export function progressOf(probe: Probe): Record<string, unknown>[] {
  return probe.received
    .filter((m) => m.method === 'notifications/progress')
    .map((m) => m.params as Record<string, unknown>);
}

/** A running way of reaching named servers; `connect` opens a fresh client session. */
export interface Harness {
  connect(server: string, opts?: ConnectOptions): Promise<Probe>;
  close(): Promise<void>;
}

export interface Setup {
  name: string;
  start(servers: Record<string, ServerSpec>): Promise<Harness>;
}

function stdioTransport(command: string, args: string[], env?: Record<string, string>) {
  return new StdioClientTransport({
    command,
    args,
    env: env ? { ...(process.env as Record<string, string>), ...env } : undefined,
    stderr: 'pipe',
  });
}

/** Straight to the server: the baseline every other setup is compared with. */
export const DIRECT: Setup = {
  name: 'direct',
  async start(servers) {
    const open: Probe[] = [];
    return {
      async connect(server, opts) {
        const spec = servers[server];
        if (!spec) throw new Error(`unknown server ${server}`);
        const transport =
          'url' in spec
            ? new StreamableHTTPClientTransport(new URL(spec.url))
            : stdioTransport(spec.command, spec.args, spec.env);
        const probe = await connectProbe(transport, opts);
        open.push(probe);
        return probe;
      },
      async close() {
        await Promise.all(open.map((p) => p.close()));
      },
    };
  },
};

/** toolgate.yaml `servers:` for these specs, every server allow-all. */
export function serversConfig(servers: Record<string, ServerSpec>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(servers).map(([name, spec]) => [name, { ...spec, policy: ALLOW_ALL }]),
  );
}

/** The gateway in-process, HTTP front end, `/mcp/<server>`; `auth: none`. */
export const GATEWAY_HTTP: Setup = {
  name: 'gateway HTTP front end',
  async start(servers) {
    const gw = await startTestGateway({ auth: { mode: 'none' }, servers: serversConfig(servers) });
    return gatewayHarness(gw);
  },
};

export function gatewayHarness(gw: TestGateway, path = (server: string) => `/mcp/${server}`): Harness {
  const open: Probe[] = [];
  return {
    async connect(server, opts) {
      const transport = new StreamableHTTPClientTransport(new URL(`${gw.url}${path(server)}`), {
        requestInit: opts?.headers ? { headers: opts.headers } : undefined,
      });
      const probe = await connectProbe(transport, opts);
      open.push(probe);
      return probe;
    },
    async close() {
      await Promise.all(open.map((p) => p.close()));
      await gw.close();
    },
  };
}

export const CLI = join(ROOT, 'dist/cli/main.js');

/**
 * The test command builds dist first (`npm run build && vitest run`); a local run without dist
 * builds it here, once.
 */
export function ensureBuilt(): void {
  if (existsSync(CLI)) return;
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
}

/** `toolgate stdio --server <name> --config <file>` as a child process, one per client. */
export const STDIO_FRONTEND: Setup = {
  name: 'toolgate stdio front end',
  async start(servers) {
    ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-stdio-'));
    const file = join(dir, 'toolgate.yaml');
    writeFileSync(
      file,
      stringify({
        listen: { host: '127.0.0.1', port: 0 },
        storage: { sqlite: join(dir, 'toolgate.db') },
        counters: { backend: 'memory' },
        auth: { mode: 'none' },
        log: { level: 'warn' },
        servers: serversConfig(servers),
      }),
    );
    const open: Probe[] = [];
    return {
      async connect(server, opts) {
        const transport = stdioTransport(process.execPath, [
          CLI,
          'stdio',
          '--server',
          server,
          '--config',
          file,
        ]);
        const probe = await connectProbe(transport, opts);
        open.push(probe);
        return probe;
      },
      async close() {
        await Promise.all(open.map((p) => p.close()));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** One suite, several setups: `describe('<title> [<setup>]')` for each. */
export function describeMatrix(title: string, setups: Setup[], suite: (setup: Setup) => void): void {
  for (const setup of setups) describe(`${title} [${setup.name}]`, () => suite(setup));
}

/** Poll until `check` returns a truthy value, or fail with `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * server-everything registers its capability-dependent tools (sampling, elicitation, roots) only
 * after the handshake, and announces them with tools/list_changed: wait for the full list.
 */
export async function settledTools(probe: Probe, mustInclude: string[]) {
  return until(`tools/list to include ${mustInclude.join(', ')}`, async () => {
    const { tools } = await probe.client.listTools();
    const names = new Set(tools.map((t) => t.name));
    return mustInclude.every((n) => names.has(n)) ? tools : undefined;
  });
}

/** Pids of this process's children whose command line contains `needle`. */
export function childPids(needle: string, parent = process.pid): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['--ppid', String(parent), '-o', 'pid=,args='], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there are no children
  }
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.includes(needle))
    .map((l) => Number(l.split(/\s+/)[0]));
}

export { isAlive } from './processes.js';
