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
]);

export interface GatewayTarget {
  /** The toolgate server name. */
  server: string;
  port: number;
  /** Absolute path of toolgate.yaml (for clients that launch `toolgate stdio`). */
  configPath: string;
  /** The env var holding the grant token, when the gateway requires one (HTTP clients). */
  tokenEnv?: string;
  /** This installation's CLI as absolute paths: `command` (node) and `args` (its main.js). Never
   *  a package name through npx: an unpublished name fails, and whoever registers it later would
   *  run code on every machine that ran the rewrite. */
  cli: { command: string; args: string[] };
  /** The 0600 file holding grant "local"'s token, for `toolgate stdio --token-file`. */
  tokenFile?: string;
  /** The 0600 file holding the secrets this server needs, for `toolgate stdio --env-file`. */
  envFile?: string;
}

/** How a client writes "the value of environment variable NAME" inside its config. */
export function clientEnvRef(client: ClientId, name: string): string {
  return client === 'claude-code' ? `\${${name}}` : `\${env:${name}}`;
}

/** The entry that sends this client through the gateway instead of to the server. */
export function gatewayEntry(
  client: ClientId,
  target: GatewayTarget,
  original: Record<string, unknown>,
): Record<string, unknown> {
  const url = `http://127.0.0.1:${target.port}/mcp/${target.server}`;
  const headers = target.tokenEnv
    ? { Authorization: `Bearer ${clientEnvRef(client, target.tokenEnv)}` }
    : undefined;
  let transport: Record<string, unknown>;
  switch (client) {
    case 'claude-desktop':
      // Claude Desktop only launches commands from its config file: go through the stdio bridge,
      // with everything it needs to start named by path (no variable the client must supply).
      transport = {
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
      break;
    case 'claude-code':
    case 'vscode':
      transport = { type: 'http', url, ...(headers ? { headers } : {}) };
      break;
    case 'cursor':
      transport = { url, ...(headers ? { headers } : {}) };
      break;
    case 'windsurf':
      transport = { serverUrl: url, ...(headers ? { headers } : {}) };
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
