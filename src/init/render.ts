// Writes toolgate.yaml (DESIGN section 5) for the servers init found, with comments saying where
// each one came from and which variables must be set before `toolgate serve`.
import { Document, isMap, type YAMLMap } from 'yaml';
import { CLIENT_LABELS } from './clients.js';
import type { PlannedServer } from './types.js';

export interface RenderOptions {
  port: number;
  /** The SHA-256 of the local grant's token; undefined writes `auth: {mode: none}`. */
  tokenSha256?: string;
  /** Where the token itself is (0600), for the comment. */
  tokenFile?: string;
  /** Where the secrets moved out of client files are (0600), for the comment. */
  secretsFile?: string;
  /** Shorten paths under the home folder to ~ in comments. */
  home: string;
}

export function policyPath(server: string): string {
  return `./policies/${server}.yaml`;
}

function serverEntry(s: PlannedServer): Record<string, unknown> {
  const spec = s.spec;
  if (spec.kind === 'stdio') {
    return {
      command: spec.command,
      ...(spec.args.length ? { args: spec.args } : {}),
      ...(Object.keys(spec.env).length ? { env: spec.env } : {}),
      ...(spec.cwd ? { cwd: spec.cwd } : {}),
      policy: policyPath(s.name),
    };
  }
  return {
    url: spec.url,
    ...(Object.keys(spec.headers).length ? { headers: spec.headers } : {}),
    ...(spec.transport === 'sse' ? { transport: 'sse' } : {}),
    policy: policyPath(s.name),
  };
}

export function renderConfig(servers: PlannedServer[], opts: RenderOptions): string {
  const tilde = (p: string) => (p.startsWith(`${opts.home}/`) ? `~${p.slice(opts.home.length)}` : p);
  const data: Record<string, unknown> = {
    listen: { host: '127.0.0.1', port: opts.port },
    storage: { sqlite: './toolgate.db' },
    counters: { backend: 'sqlite' },
    ...(opts.tokenSha256 ? {} : { auth: { mode: 'none' } }),
    servers: Object.fromEntries(servers.map((s) => [s.name, serverEntry(s)])),
    ...(opts.tokenSha256
      ? { grants: [{ name: 'local', servers: ['*'], token_sha256: opts.tokenSha256 }] }
      : {}),
  };
  const doc = new Document(data);
  // Secrets come from the 0600 file (`serve --env-file`); the others the user sets.
  const vars = [
    ...new Set(servers.flatMap((s) => s.env.filter((e) => e.origin !== 'secret').map((e) => e.name))),
  ];
  doc.commentBefore = [
    ' Written by `toolgate init`. Check it with `toolgate serve --config <this file>`.',
    opts.tokenSha256
      ? ` Clients authenticate as grant "local" with the token in ${tilde(opts.tokenFile ?? '.toolgate/local.token')} (only its hash is here).`
      : ' auth mode "none": no tokens, loopback only (one user on this machine).',
    ...(opts.secretsFile
      ? [
          ` The values init moved out of client files are in ${tilde(opts.secretsFile)} (0600), read by:`,
          `   toolgate serve --config <this file> --env-file ${opts.secretsFile}`,
        ]
      : []),
    ...(vars.length
      ? [' Set these environment variables before serving:', ...vars.map((v) => `   ${v}`)]
      : []),
  ].join('\n');
  for (const key of ['listen', 'storage', 'counters', 'auth']) {
    const node = doc.get(key, true);
    if (isMap(node)) node.flow = true;
  }
  const serversNode = doc.get('servers', true) as YAMLMap;
  for (const s of servers) {
    const pair = serversNode.items.find((p) => (p.key as { value?: unknown })?.value === s.name);
    const from = s.sources.map((src) => `${CLIENT_LABELS[src.client]} ${tilde(src.file)} "${src.entry}"`);
    const notes = s.sources.flatMap((src) => src.notes);
    if (pair?.key && typeof pair.key === 'object') {
      (pair.key as { commentBefore?: string }).commentBefore = [
        ...from.map((f) => ` from ${f}`),
        ...notes.map((n) => ` note: ${n}`),
      ].join('\n');
    }
  }
  return doc.toString({ lineWidth: 0 });
}
