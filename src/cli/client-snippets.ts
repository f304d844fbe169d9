// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} and ${env:VAR} are the clients' own placeholders
// The "paste into your client" part of `toolgate serve`'s start-up text: one entry per client, in
// the shape that client reads. Pure: the caller passes what it knows (URL, servers, grants, paths).
//
// The token itself is never printed. Each HTTP entry names where the client finds it: Claude Code
// expands `${VAR}` in .mcp.json headers, Cursor expands `${env:VAR}` in mcp.json, and VS Code asks
// for an `inputs` entry once and keeps it in its secret storage. Claude Desktop only launches
// commands, so its entry runs this installation's CLI (`toolgate stdio`) by absolute path: never a
// package name through `npx`, which would fetch whatever is published under that name.
import type { GrantConfig } from '../config/index.js';

/** The env var clients read a grant's token from when the grant names none (also what init uses). */
export const DEFAULT_TOKEN_ENV = 'TOOLGATE_TOKEN';

export interface SnippetContext {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8787`. */
  url: string;
  servers: string[];
  /** `auth.mode: tokens`: every HTTP request needs `Authorization: Bearer <grant token>`. */
  tokens: boolean;
  /** The config's grants (grants made with `toolgate grants create` live in the store, not here). */
  grants: readonly Pick<GrantConfig, 'name' | 'servers' | 'token_env'>[];
  /** Absolute paths: the Node binary, this installation's `dist/cli/main.js`, the config file. */
  node: string;
  cli: string;
  config: string;
}

export interface ClientSnippet {
  client: 'claude-code' | 'cursor' | 'vscode' | 'claude-desktop';
  /** The heading line: the client and the file the entry goes in. */
  title: string;
  config: Record<string, unknown>;
}

/** Where a server's token is expected, for the snippets and the note under them. */
export interface TokenSource {
  /** The first config grant that may use the server, if any. */
  grant?: string;
  env: string;
}

export function tokenSource(ctx: SnippetContext, server: string): TokenSource {
  const g = ctx.grants.find((x) => x.servers.includes(server) || x.servers.includes('*'));
  return { grant: g?.name, env: g?.token_env ?? DEFAULT_TOKEN_ENV };
}

/** VS Code's `inputs` id for the token held in env var `env` (one prompt per distinct token). */
function inputId(env: string): string {
  return env.toLowerCase().replace(/_/g, '-');
}

export function clientSnippets(ctx: SnippetContext): ClientSnippet[] {
  const entry = (server: string) => `${ctx.url}/mcp/${server}`;
  const map = <T>(f: (server: string) => T) => Object.fromEntries(ctx.servers.map((s) => [s, f(s)]));
  const bearer = (ref: string) => ({ headers: { Authorization: `Bearer ${ref}` } });
  const auth = (server: string, ref: (env: string) => string) =>
    ctx.tokens ? bearer(ref(tokenSource(ctx, server).env)) : {};

  const envs = [...new Set(ctx.servers.map((s) => tokenSource(ctx, s).env))];
  const inputs = envs.map((env) => ({
    type: 'promptString',
    id: inputId(env),
    description: `toolgate grant token (the value you would put in ${env})`,
    password: true,
  }));

  const stdioArgs = (server: string) => {
    const grant = ctx.tokens ? (tokenSource(ctx, server).grant ?? '<grant>') : undefined;
    return [
      ctx.cli,
      'stdio',
      '--config',
      ctx.config,
      '--server',
      server,
      ...(grant ? ['--grant', grant] : []),
    ];
  };

  return [
    {
      client: 'claude-code',
      title: 'Claude Code (.mcp.json in your project):',
      config: {
        mcpServers: map((s) => ({ type: 'http', url: entry(s), ...auth(s, (env) => `\${${env}}`) })),
      },
    },
    {
      client: 'cursor',
      title: 'Cursor (~/.cursor/mcp.json or .cursor/mcp.json):',
      config: { mcpServers: map((s) => ({ url: entry(s), ...auth(s, (env) => `\${env:${env}}`) })) },
    },
    {
      client: 'vscode',
      title: 'VS Code (.vscode/mcp.json):',
      config: {
        ...(ctx.tokens ? { inputs } : {}),
        servers: map((s) => ({
          type: 'http',
          url: entry(s),
          ...auth(s, (env) => `\${input:${inputId(env)}}`),
        })),
      },
    },
    {
      client: 'claude-desktop',
      title: 'Claude Desktop (claude_desktop_config.json), through `toolgate stdio`:',
      config: { mcpServers: map((s) => ({ command: ctx.node, args: stdioArgs(s) })) },
    },
  ];
}

/** The start-up lines: each client's entry, then where the token comes from. */
export function renderSnippets(ctx: SnippetContext): string[] {
  const lines = ['Paste into your MCP client config:', ''];
  for (const s of clientSnippets(ctx)) lines.push(s.title, ...pasteable(s.config), '');
  if (ctx.tokens) {
    const envs = [...new Set(ctx.servers.map((s) => tokenSource(ctx, s).env))].map((e) => `$${e}`);
    lines.push(
      'Tokens are on, so each HTTP entry sends "Authorization: Bearer <grant token>". The token is not',
      `printed here: Claude Code and Cursor read it from ${envs.join(', ')} in their environment (set it`,
      'before you start them: the token `toolgate grants create` printed, or the value of the',
      "grant's token_env); VS Code asks for it once and keeps it in its secret storage.",
    );
    if (ctx.servers.some((s) => !tokenSource(ctx, s).grant))
      lines.push('For Claude Desktop, replace <grant> with the name of your grant.');
    lines.push('');
  }
  return lines;
}

/**
 * JSON a person can read in a terminal and paste as is: the outer two levels one key a line, each
 * server's entry (and each VS Code input) on one line.
 */
export function pasteable(config: Record<string, unknown>): string[] {
  const inline = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(inline).join(', ')}]`;
    if (v && typeof v === 'object')
      return `{ ${Object.entries(v)
        .map(([k, x]) => `${JSON.stringify(k)}: ${inline(x)}`)
        .join(', ')} }`;
    return JSON.stringify(v);
  };
  const block = (
    entries: [string, unknown][],
    indent: string,
    open: string,
    close: string,
    keyed: boolean,
  ) => [
    open,
    ...entries.map(
      ([k, v], i) =>
        `${indent}${keyed ? `${JSON.stringify(k)}: ` : ''}${v}${i < entries.length - 1 ? ',' : ''}`,
    ),
    close,
  ];
  const lines = ['{'];
  const top = Object.entries(config);
  top.forEach(([key, value], i) => {
    const comma = i < top.length - 1 ? ',' : '';
    const keyed = !Array.isArray(value);
    const entries: [string, unknown][] = Object.entries(value as object).map(([k, v]) => [k, inline(v)]);
    const inner = block(
      entries,
      '    ',
      `  ${JSON.stringify(key)}: ${keyed ? '{' : '['}`,
      `  ${keyed ? '}' : ']'}${comma}`,
      keyed,
    );
    lines.push(...inner);
  });
  lines.push('}');
  return lines;
}
