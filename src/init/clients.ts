// What each MCP client calls its config files, where they live (Linux and macOS), and how it
// spells a server entry. Paths are built from the `home` and `cwd` given, never from the
// process, so tests run against a temporary HOME.
import { join } from 'node:path';
import type { ClientFile, ClientId } from './types.js';

export const CLIENT_LABELS: Record<ClientId, string> = {
  'claude-desktop': 'Claude Desktop',
  'claude-code': 'Claude Code',
  cursor: 'Cursor',
  vscode: 'VS Code',
  windsurf: 'Windsurf',
};

export interface Locations {
  home: string;
  cwd: string;
  platform: NodeJS.Platform;
}

export function clientFiles({ home, cwd, platform }: Locations): ClientFile[] {
  const mac = platform === 'darwin';
  const appSupport = (app: string) =>
    mac ? join(home, 'Library', 'Application Support', app) : join(home, '.config', app);
  const mcpServers = [{ path: ['mcpServers'], scope: 'user' as const }];
  const projectServers = [{ path: ['mcpServers'], scope: 'project' as const }];
  const files: ClientFile[] = [
    {
      client: 'claude-desktop',
      scope: 'user',
      path: join(appSupport('Claude'), 'claude_desktop_config.json'),
      containers: mcpServers,
    },
    { client: 'claude-code', scope: 'project', path: join(cwd, '.mcp.json'), containers: projectServers },
    {
      client: 'claude-code',
      scope: 'user',
      path: join(home, '.claude.json'),
      // Top-level servers are "user" scope; `projects[<abs path>]` holds "local" servers that
      // only apply when Claude Code runs in that folder, so only the current folder's count.
      containers: [...mcpServers, { path: ['projects', cwd, 'mcpServers'], scope: 'local' }],
    },
    { client: 'cursor', scope: 'user', path: join(home, '.cursor', 'mcp.json'), containers: mcpServers },
    {
      client: 'cursor',
      scope: 'project',
      path: join(cwd, '.cursor', 'mcp.json'),
      containers: projectServers,
    },
    {
      client: 'vscode',
      scope: 'project',
      path: join(cwd, '.vscode', 'mcp.json'),
      containers: [{ path: ['servers'], scope: 'project' }],
    },
    {
      client: 'vscode',
      scope: 'user',
      path: join(appSupport('Code'), 'User', 'mcp.json'),
      containers: [{ path: ['servers'], scope: 'user' }],
    },
    {
      client: 'windsurf',
      scope: 'user',
      path: join(home, '.codeium', 'windsurf', 'mcp_config.json'),
      containers: mcpServers,
    },
  ];
  // When cwd is home, project and user files can coincide; read each file once.
  const seen = new Set<string>();
  return files.filter((f) => (seen.has(`${f.client}:${f.path}`) ? false : seen.add(`${f.client}:${f.path}`)));
}

/** Keys that say how to reach a server; everything else in an entry (disabled, autoApprove,
 *  alwaysAllow...) is the client's own business and survives a rewrite. */
export const TRANSPORT_KEYS = new Set([
  'type',
  'transport',
  'command',
  'args',
  'env',
  'envFile',
  'cwd',
  'url',
  'serverUrl',
  'headers',
  'headersHelper',
]);

export interface GatewayTarget {
  /** The toolgate server name. */
  server: string;
  port: number;
  /** Absolute path of toolgate.yaml (for clients that launch `toolgate stdio`). */
  configPath: string;
  /** This installation's CLI as absolute paths: `command` (node) and `args` (its main.js). Never
   *  a package name through npx: an unpublished name fails, and whoever registers it later would
   *  run code on every machine that ran the rewrite. */
  cli: { command: string; args: string[] };
  /** The 0600 file holding grant "local"'s token; absent with `--auth none` (no tokens). */
  tokenFile?: string;
  /** The 0600 file holding the secrets this server needs, for `toolgate stdio --env-file`. */
  envFile?: string;
  /** Where the client runs: how Claude Code's headersHelper command line is quoted. */
  platform: NodeJS.Platform;
}

/** The VS Code input rewritten entries take the token from: VS Code asks once (a password box)
 *  and keeps the answer in its secret storage, so the token is never in the file. */
export const VSCODE_TOKEN_INPUT = 'toolgate-token';

export function vscodeTokenInput(tokenFile: string): Record<string, unknown> {
  return {
    type: 'promptString',
    id: VSCODE_TOKEN_INPUT,
    description: `toolgate token: paste the contents of ${tokenFile}`,
    password: true,
  };
}

/** One command line for a shell (Claude Code runs headersHelper through one): POSIX quoting,
 *  or cmd.exe's double quotes on Windows (its paths cannot hold a `"`). */
export function shellCommand(argv: string[], platform: NodeJS.Platform): string {
  if (platform === 'win32') return argv.map((a) => (/^[\w.:\\/-]+$/.test(a) ? a : `"${a}"`)).join(' ');
  return argv.map((a) => (/^[\w./:=@%+-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');
}

/** `toolgate stdio` for this server, as a client that launches commands starts it. */
function stdioBridge(target: GatewayTarget): { command: string; args: string[] } {
  return {
    command: target.cli.command,
    args: [
      ...target.cli.args,
      'stdio',
      '--server',
      target.server,
      '--config',
      target.configPath,
      ...(target.tokenFile ? ['--token-file', target.tokenFile] : []),
      ...(target.envFile ? ['--env-file', target.envFile] : []),
    ],
  };
}

/**
 * The entry that sends this client through the gateway instead of to the server. It starts with
 * nothing from the client's environment, each client in the way it supports:
 * - Claude Code: the HTTP endpoint, with a `headersHelper` (a command Claude Code runs at each
 *   connection, whose stdout is a JSON object of headers) that reads the 0600 token file;
 * - VS Code: the HTTP endpoint, with the token from an `inputs` password prompt (asked once,
 *   kept in VS Code's secret storage; the rewrite adds the input to the file);
 * - Claude Desktop, and with tokens on Cursor and Windsurf (their files can only name a
 *   variable for a header, never a command or a file): the stdio bridge, `toolgate stdio
 *   --token-file`, by absolute paths.
 */
export function gatewayEntry(
  client: ClientId,
  target: GatewayTarget,
  original: Record<string, unknown>,
): Record<string, unknown> {
  const url = `http://127.0.0.1:${target.port}/mcp/${target.server}`;
  const tokens = target.tokenFile !== undefined;
  let transport: Record<string, unknown>;
  switch (client) {
    case 'claude-desktop':
      transport = stdioBridge(target);
      break;
    case 'claude-code':
      transport = {
        type: 'http',
        url,
        ...(target.tokenFile
          ? {
              headersHelper: shellCommand(
                [target.cli.command, ...target.cli.args, 'token-header', '--token-file', target.tokenFile],
                target.platform,
              ),
            }
          : {}),
      };
      break;
    case 'vscode':
      transport = {
        type: 'http',
        url,
        ...(tokens ? { headers: { Authorization: `Bearer \${input:${VSCODE_TOKEN_INPUT}}` } } : {}),
      };
      break;
    case 'cursor':
      transport = tokens ? stdioBridge(target) : { url };
      break;
    case 'windsurf':
      transport = tokens ? stdioBridge(target) : { serverUrl: url };
      break;
  }
  const kept = Object.entries(original).filter(([k]) => !TRANSPORT_KEYS.has(k));
  return { ...transport, ...Object.fromEntries(kept) };
}

/** True when an entry already points at a toolgate gateway (so it is not imported again). */
export function isGatewayEntry(entry: Record<string, unknown>, port: number): boolean {
  const url =
    typeof entry.url === 'string' ? entry.url : typeof entry.serverUrl === 'string' ? entry.serverUrl : '';
  if (url) {
    try {
      const u = new URL(url);
      const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
      return loopback && u.port === String(port) && u.pathname.startsWith('/mcp/');
    } catch {
      return false;
    }
  }
  const args = Array.isArray(entry.args) ? entry.args.map(String) : [];
  const cmd = typeof entry.command === 'string' ? entry.command : '';
  // `toolgate stdio --server X`, `npx -y toolgate stdio ...` (older rewrites), or this
  // installation's `node /abs/.../cli/main.js stdio --server X --config ...`.
  const toolgate =
    /(^|[\\/])toolgate$/.test(cmd) ||
    args.includes('toolgate') ||
    (args.includes('--config') && /[\\/]cli[\\/]main\.js$/.test(args[0] ?? ''));
  return toolgate && args.includes('stdio') && args.includes('--server');
}
