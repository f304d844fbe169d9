import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config/index.js';
import { type Gateway, loggerOptions, startGateway } from '../../src/gateway/index.js';

export const EVERYTHING = {
  command: process.execPath,
  args: [join(process.cwd(), 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'],
};

export interface TestGateway extends Gateway {
  dir: string;
  logs: string[];
  /** Write a file into the gateway's temp folder (policies). */
  write(name: string, text: string): string;
  /**
   * The admin token, as an operator finds it: the file the gateway made beside its database, or
   * the `admin.token_env` variable. The admin API is never open, loopback included.
   */
  adminToken(): string;
  /** fetch() with `Authorization: Bearer <admin token>` (and a JSON content type). */
  adminFetch(path: string, init?: RequestInit): Promise<Response>;
}

/**
 * Start a real gateway in-process on an ephemeral port, from a config object (written as YAML,
 * loaded through the same loader as `toolgate serve`). Logs are captured for assertions.
 */
export async function startTestGateway(
  config: Record<string, unknown>,
  opts: { env?: NodeJS.ProcessEnv; files?: Record<string, string>; probe?: boolean } = {},
): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-test-'));
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  for (const [name, text] of Object.entries(opts.files ?? {})) write(name, text);
  const full = {
    listen: { host: '127.0.0.1', port: 0 },
    storage: { sqlite: join(dir, 'toolgate.db') },
    counters: { backend: 'memory' },
    ...config,
  };
  const file = write('toolgate.yaml', stringify(full));
  const logs: string[] = [];
  // The gateway's own logger options (its redaction included), writing into `logs`.
  const log = pino(loggerOptions('debug'), { write: (s: string) => logs.push(s) });
  const loaded = parseConfig(stringify(full), file, opts.env ?? process.env);
  const gw = await startGateway(loaded, { log, env: opts.env, probe: opts.probe ?? false });
  const closeGateway = gw.close.bind(gw);
  const adminToken = () => {
    const source = gw.admin.source;
    if (source.kind === 'file') return readFileSync(source.file, 'utf8').trim();
    if (source.kind === 'env') return (opts.env ?? process.env)[source.name] ?? '';
    throw new Error('admin.token_sha256 is configured: the test knows its own token');
  };
  return Object.assign(gw, {
    dir,
    logs,
    write,
    adminToken,
    adminFetch: (path: string, init: RequestInit = {}) =>
      fetch(`${gw.url}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${adminToken()}`,
          'content-type': 'application/json',
          ...(init.headers as Record<string, string> | undefined),
        },
      }),
    close: async () => {
      await closeGateway();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

export const ALLOW_ALL = { version: '1', default: 'allow' };
