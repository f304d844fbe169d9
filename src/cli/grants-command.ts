import { resolve } from 'node:path';
import { generateToken, hashToken } from '../auth/tokens.js';
import { grantNameTaken } from '../config/index.js';
import {
  formatIssue,
  isInlinePolicy,
  loadPolicyFile,
  PolicyError,
  parseInlinePolicy,
} from '../policy/index.js';
import { isStoreError, type Store } from '../store/index.js';
import type { GrantRecord } from '../store/types.js';
import { UsageError } from './args.js';
import { durationMs, parseFlags, runSubcommand } from './subcommands.js';
import { GRANTS_USAGE } from './usage.js';

export interface GrantsCommandContext {
  store: Store;
  knownServers: string[];
  stdout(s: string): void;
  stderr(s: string): void;
  now(): number;
  /** Names of grants in toolgate.yaml: a stored grant may not shadow one. */
  configGrants?: string[];
  /** Names of `jwt.grants` in toolgate.yaml: taken too. */
  jwtGrants?: string[];
  /** Base URL printed in the "how to use it" lines; default http://127.0.0.1:8787. */
  gatewayUrl?: string;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `toolgate grants ...`. argv is what follows `grants`. Exit codes: 0 ok, 1 act on it, 2 usage. */
export function runGrantsCommand(argv: string[], ctx: GrantsCommandContext): Promise<number> {
  return runSubcommand('grants', GRANTS_USAGE, { create, list, revoke }, argv, ctx);
}

async function create(argv: string[], ctx: GrantsCommandContext): Promise<number> {
  const { values } = parseFlags(argv, {
    name: { type: 'string' },
    server: { type: 'string', multiple: true },
    policy: { type: 'string' },
    expires: { type: 'string' },
    json: { type: 'boolean' },
  });
  const name = values.name as string | undefined;
  const servers = [...new Set((values.server as string[] | undefined) ?? [])];
  if (!name) throw new UsageError('--name is required');
  if (!NAME_PATTERN.test(name)) {
    throw new UsageError(
      `--name "${name}" must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  if (servers.length === 0) throw new UsageError('at least one --server is required');
  const unknown = servers.filter((s) => !ctx.knownServers.includes(s));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown server ${unknown.map((s) => `"${s}"`).join(', ')}; servers in the config: ${ctx.knownServers.join(', ') || '(none)'}`,
    );
  }
  const holder = ctx.configGrants?.includes(name)
    ? 'config'
    : ctx.jwtGrants?.includes(name)
      ? 'jwt'
      : undefined;
  if (holder) {
    ctx.stderr(`error: ${grantNameTaken(name, holder)}\n`);
    return 1;
  }
  const now = ctx.now();
  const expiresAt =
    values.expires === undefined ? undefined : now + parseDuration(String(values.expires), '--expires');
  const checked = values.policy === undefined ? undefined : policyRef(String(values.policy));
  if (checked && 'error' in checked) {
    ctx.stderr(`error: ${checked.error}\n`);
    return 1;
  }
  const policy = checked?.ref;

  const token = generateToken();
  const grant = await ctx.store.grants
    .create({ name, tokenSha256: hashToken(token), servers, policy, expiresAt, createdAt: now })
    .catch((err: unknown) => {
      if (isStoreError(err, 'GRANT_EXISTS')) {
        throw Object.assign(err, {
          message: grantNameTaken(name, 'stored'),
        });
      }
      throw err;
    });

  if (values.json) {
    ctx.stdout(`${JSON.stringify({ ...grantJson(grant, now), token })}\n`);
    return 0;
  }
  const base = (ctx.gatewayUrl ?? 'http://127.0.0.1:8787').replace(/\/+$/, '');
  const url = servers.length === 1 ? `${base}/mcp/${servers[0]}` : `${base}/mcp`;
  ctx.stdout(
    [
      `Created grant "${name}" for ${servers.join(', ')}` +
        (expiresAt ? `, expires ${new Date(expiresAt).toISOString()}` : ', no expiry') +
        (policy ? `, policy ${policy}` : ''),
      '',
      'Token (shown only this once; toolgate keeps only its SHA-256, so store it now):',
      '',
      `  ${token}`,
      '',
      "Put the gateway in the agent's MCP config in place of the server:",
      `  url:     ${url}`,
      '  headers: Authorization: Bearer <the token above>',
      servers.length > 1 ? `  (or one server at a time: ${base}/mcp/<server>)` : '',
      `Revoke it with: toolgate grants revoke ${name}`,
      '',
    ]
      .filter((line, i, all) => line !== '' || all[i - 1] !== '')
      .join('\n'),
  );
  return 0;
}

async function list(argv: string[], ctx: GrantsCommandContext): Promise<number> {
  const { values } = parseFlags(argv, { json: { type: 'boolean' } });
  const now = ctx.now();
  const grants = await ctx.store.grants.list();
  if (values.json) {
    ctx.stdout(`${JSON.stringify(grants.map((g) => grantJson(g, now)))}\n`);
    return 0;
  }
  if (grants.length === 0) {
    ctx.stdout('No grants in the store. Create one: toolgate grants create --name NAME --server SERVER\n');
    return 0;
  }
  const rows = grants.map((g) => [
    g.name,
    status(g, now),
    g.servers.join(','),
    day(g.createdAt),
    g.expiresAt ? day(g.expiresAt) : '-',
    g.policy ?? '(server policy)',
  ]);
  ctx.stdout(table([['NAME', 'STATUS', 'SERVERS', 'CREATED', 'EXPIRES', 'POLICY'], ...rows]));
  return 0;
}

async function revoke(argv: string[], ctx: GrantsCommandContext): Promise<number> {
  const { positionals } = parseFlags(argv, {}, true);
  if (positionals.length !== 1) throw new UsageError('grants revoke takes exactly one grant name');
  const name = positionals[0]!;
  const existing = await ctx.store.grants.get(name);
  if (!existing) {
    ctx.stderr(
      `error: no grant named "${name}" in the store (toolgate grants list shows them; grants in toolgate.yaml are removed by editing the file)\n`,
    );
    return 1;
  }
  if (existing.revokedAt !== undefined) {
    ctx.stdout(`Grant "${name}" was already revoked at ${new Date(existing.revokedAt).toISOString()}.\n`);
    return 0;
  }
  await ctx.store.grants.revoke(name, ctx.now());
  ctx.stdout(
    `Revoked grant "${name}". Every gateway sharing this store refuses its token within a second.\n`,
  );
  return 0;
}

/** The documented `--json` shape of a grant: never the token hash; times as ISO strings or null. */
export function grantJson(g: GrantRecord, now: number) {
  return {
    name: g.name,
    servers: g.servers,
    policy: g.policy ?? null,
    status: status(g, now),
    createdAt: new Date(g.createdAt).toISOString(),
    expiresAt: g.expiresAt === undefined ? null : new Date(g.expiresAt).toISOString(),
    revokedAt: g.revokedAt === undefined ? null : new Date(g.revokedAt).toISOString(),
  };
}

function status(g: GrantRecord, now: number): 'active' | 'revoked' | 'expired' {
  if (g.revokedAt !== undefined) return 'revoked';
  if (g.expiresAt !== undefined && g.expiresAt <= now) return 'expired';
  return 'active';
}

/**
 * Inline JSON is kept as text; a file path is made absolute so the gateway finds it from any cwd.
 * Either must load now: a grant whose policy cannot be loaded would have every call denied.
 */
function policyRef(value: string): { ref: string } | { error: string } {
  const ref = isInlinePolicy(value) ? value : resolve(value);
  try {
    if (isInlinePolicy(ref)) parseInlinePolicy(ref);
    else loadPolicyFile(ref);
    return { ref };
  } catch (err) {
    const detail =
      err instanceof PolicyError ? err.issues.map(formatIssue).join('\n') : (err as Error).message;
    return {
      error: `--policy cannot be loaded, so no grant was created; fix it (toolgate policy validate FILE) and retry:\n${detail}`,
    };
  }
}

function parseDuration(text: string, flag: string): number {
  const ms = durationMs(text);
  if (!ms) throw new UsageError(`${flag} "${text}" must be a duration like 90m, 12h, 30d or 2w`);
  return ms;
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => cell.padEnd(widths[c]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
