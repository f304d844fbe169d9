// A client's server entry -> a transport-neutral ServerSpec, with the client's variable syntax
// translated to toolgate's `${VAR}` so a reference stays a reference and never becomes a value.
import type { ClientId, ServerSpec } from './types.js';

export interface SpecContext {
  client: ClientId;
  home: string;
  cwd: string;
}

/** Cursor, VS Code and Windsurf write `${env:NAME}`, `${userHome}`, `${workspaceFolder}`; Claude
 *  Code writes `${NAME}` / `${NAME:-default}` (toolgate's own form); Claude Desktop has none.
 *  `${input:ID}` (VS Code prompts) is left for the secrets step, which knows the server name. */
export function translateVars(value: string, ctx: SpecContext): string {
  if (!value.includes('${') || ctx.client === 'claude-desktop' || ctx.client === 'claude-code') return value;
  return value.replace(/\$\{([A-Za-z]+)(?::([^}]*))?\}/g, (all, kind: string, arg: string | undefined) => {
    if (kind === 'env' && arg) return `\${${arg}}`;
    if (kind === 'userHome') return ctx.home;
    if (kind === 'workspaceFolder') return ctx.cwd;
    if (kind === 'workspaceFolderBasename') return ctx.cwd.split('/').filter(Boolean).at(-1) ?? '';
    if (kind === 'pathSeparator' || kind === '/') return '/';
    return all;
  });
}

const strings = (v: unknown, ctx: SpecContext): Record<string, string> => {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, translateVars(String(x), ctx)]));
};

export type SpecResult = { spec: ServerSpec; notes: string[] } | { error: string };

export function entryToSpec(entry: Record<string, unknown>, ctx: SpecContext): SpecResult {
  const notes: string[] = [];
  if (typeof entry.envFile === 'string') {
    notes.push(`envFile ${entry.envFile} is not copied: put its variables in the gateway's environment`);
  }
  // Claude Code makes these headers by running a command at each connection; the gateway does
  // not run client commands. The command is not quoted here: it may hold a credential.
  if (typeof entry.headersHelper === 'string') {
    notes.push(
      "Claude Code's headersHelper is not copied: add the headers it makes to this server's headers",
    );
  }
  if (typeof entry.command === 'string' && entry.command.trim()) {
    const args = Array.isArray(entry.args) ? entry.args.map((a) => translateVars(String(a), ctx)) : [];
    const spec: ServerSpec = {
      kind: 'stdio',
      command: translateVars(entry.command, ctx),
      args,
      env: strings(entry.env, ctx),
    };
    if (typeof entry.cwd === 'string') spec.cwd = translateVars(entry.cwd, ctx);
    return { spec, notes };
  }
  const rawUrl =
    typeof entry.url === 'string' ? entry.url : typeof entry.serverUrl === 'string' ? entry.serverUrl : '';
  if (rawUrl) {
    const url = translateVars(rawUrl, ctx);
    if (!url.includes('${')) {
      try {
        new URL(url);
      } catch {
        return { error: `url "${url}" is not a valid URL` };
      }
    }
    const type =
      typeof entry.type === 'string'
        ? entry.type
        : typeof entry.transport === 'string'
          ? entry.transport
          : '';
    // Clients without a `type` field guess the transport; a path ending in /sse is the old SSE one.
    const sse = type === 'sse' || (!type && /\/sse\/?$/.test(new URL(url, 'http://x').pathname));
    return {
      spec: {
        kind: 'http',
        url,
        headers: strings(entry.headers, ctx),
        transport: sse ? 'sse' : 'streamable-http',
      },
      notes,
    };
  }
  return { error: 'has neither `command` (stdio) nor `url` (HTTP)' };
}

/** A stable identity: two entries with the same key are the same server. */
export function specKey(spec: ServerSpec): string {
  const sorted = (o: Record<string, string>) =>
    Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  return spec.kind === 'stdio'
    ? JSON.stringify(['stdio', spec.command, spec.args, sorted(spec.env), spec.cwd ?? null])
    : JSON.stringify(['http', spec.url, sorted(spec.headers), spec.transport]);
}
