import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  AdminTokenFileError,
  adminTokenFile,
  ensureAdminTokenFile,
  rotateAdminTokenFile,
} from '../auth/admin-token.js';
import { loadConfigFile } from '../config/index.js';
import { configPath, requireConfigFile, UsageError } from './args.js';
import type { CliContext } from './context.js';
import { parseFlags, runSubcommand } from './subcommands.js';
import { ADMIN_USAGE } from './usage.js';
import { takeConfigFlag } from './with-store.js';

/** `toolgate admin ...`. argv is what follows `admin`. Exit codes: 0 ok, 1 act on it, 2 usage. */
export function runAdminCommand(argv: string[], ctx: CliContext): Promise<number> {
  return runSubcommand('admin', ADMIN_USAGE, { token }, argv, ctx);
}

async function token(argv: string[], ctx: CliContext): Promise<number> {
  const { config: flag, rest } = takeConfigFlag(argv);
  const { values, positionals } = parseFlags(
    rest,
    { rotate: { type: 'boolean' }, json: { type: 'boolean' } },
    true,
  );
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const file = requireConfigFile(configPath(flag, ctx.env));
  const loaded = loadConfigFile(file, ctx.env);
  const { admin, listen } = loaded.config;
  if (admin.token_env || admin.token_sha256) {
    const where = admin.token_env
      ? `the value of $${admin.token_env} (admin.token_env)`
      : 'the token whose SHA-256 is admin.token_sha256';
    ctx.stderr(
      `error: the admin token of ${file} is ${where}; toolgate keeps no copy of it. ` +
        (values.rotate
          ? 'To change it, set a new value there and restart the gateway.\n'
          : 'Read it where you set it.\n'),
    );
    return 1;
  }
  const tokenFile = adminTokenFile(loaded.config, loaded.dir);
  let value: string;
  let note: string;
  try {
    mkdirSync(dirname(tokenFile), { recursive: true });
    if (values.rotate) {
      value = rotateAdminTokenFile(tokenFile);
      note =
        `New admin token written to ${tokenFile} (readable by you only). A running gateway uses it from ` +
        'its next admin request; the old token and every dashboard session signed in with it stop working.';
    } else {
      const { token: t, created } = ensureAdminTokenFile(tokenFile);
      value = t;
      note = created
        ? `No admin token yet: made one in ${tokenFile} (readable by you only); the gateway will use it.`
        : `The admin token, from ${tokenFile}.`;
    }
  } catch (err) {
    if (err instanceof AdminTokenFileError) {
      ctx.stderr(`error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (values.json) {
    ctx.stdout(`${JSON.stringify({ token: value, file: tokenFile, rotated: Boolean(values.rotate) })}\n`);
    return 0;
  }
  const host = listen.host === '0.0.0.0' || listen.host === '::' ? '127.0.0.1' : listen.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}/`;
  ctx.stdout(`${value}\n`);
  ctx.stderr(
    `${note}\nKeep it secret. Paste it into the dashboard at ${url}, or send it as ` +
      '`Authorization: Bearer <token>` to /api and /metrics.\n',
  );
  return 0;
}
