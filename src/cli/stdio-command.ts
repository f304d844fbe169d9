import { parseArgs } from 'node:util';
import { ConfigError, isStdioServer, validateConfigSemantics } from '../config/index.js';
import type { buildCore } from '../gateway/index.js';
import { PolicyError } from '../policy/errors.js';
import { discardPrestarted, prestartStdioServer } from '../upstream/stdio-channel.js';
import { configPath, requireConfigFile, UsageError } from './args.js';
import type { CliContext } from './context.js';
import {
  configGrantOf,
  loadStdioConfig,
  readTokenFile,
  withEnvFile,
  withoutUnsetTokenGrants,
} from './stdio-config.js';

/**
 * `toolgate stdio --server NAME`: the gateway for clients that can only launch a command. The
 * caller is the local user who launched it. With tokens on (auth.mode tokens), it acts as the
 * grant whose token `--token-file` holds (a 0600 file, which is how `init --rewrite` entries
 * start), or as the toolgate.yaml grant `--grant` names; with neither it refuses. With
 * `auth: none` it acts as `--grant` (default `local`). `--env-file` adds the 0600 file of
 * secrets `init` moved out of client files. Only the chosen server's variables must be set.
 */
/** The variables a config error is only about, if that is all it is about. */
function missingVariables(err: ConfigError): string[] | undefined {
  const names = err.issues.map((i) => /^environment variable (\S+) is not set/.exec(i.message)?.[1]);
  return names.every((n) => n !== undefined) ? [...new Set(names as string[])] : undefined;
}

export async function runStdioCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      server: { type: 'string', short: 's' },
      grant: { type: 'string' },
      'token-file': { type: 'string' },
      'env-file': { type: 'string' },
    },
    strict: true,
  });
  const file = requireConfigFile(configPath(values.config, ctx.env));
  const fail = (message: string) => {
    ctx.stderr(`toolgate stdio: ${message}\n`);
    return 1;
  };
  let core: Awaited<ReturnType<typeof buildCore>>;
  let token: string | undefined;
  let tokensOn = false;
  /** The longest message taken from the client: `listen.max_body`, as over HTTP. */
  let maxMessage: number | undefined;
  /** The servers of the toolgate.yaml grant --grant names (tokens on, no token). */
  let named: string[] | undefined;
  try {
    const env = values['env-file'] ? withEnvFile(ctx.env, values['env-file']) : ctx.env;
    if (values['token-file']) token = readTokenFile(values['token-file']);
    const loaded = loadStdioConfig(file, env, values.server);
    tokensOn = loaded.config.auth.mode === 'tokens';
    maxMessage = loaded.config.listen.max_body;
    if (tokensOn && !token && !values.grant) {
      return fail(
        'tokens are on (auth.mode: tokens) and no grant was chosen: pass --token-file FILE (a file holding a grant token, mode 0600) or --grant NAME (a grant of toolgate.yaml)',
      );
    }
    if (tokensOn && !token && values.grant && !loaded.config.grants.some((g) => g.name === values.grant)) {
      return fail(
        `--grant ${values.grant}: no such grant in ${file}; for a grant made with \`toolgate grants create\`, pass its token with --token-file`,
      );
    }
    named = loaded.config.grants.find((g) => g.name === values.grant)?.servers;
    // A token of a toolgate.yaml grant is checked before anything starts (the core checks it
    // again below, with stored grants).
    const owner = token && tokensOn ? configGrantOf(token, loaded.config.grants, env) : undefined;
    if (owner && values.grant && values.grant !== owner.name) {
      return fail(
        `--grant ${values.grant} does not match the token in ${values['token-file']} (grant "${owner.name}")`,
      );
    }
    if (owner && values.server && !owner.servers.includes('*') && !owner.servers.includes(values.server)) {
      return fail(`grant "${owner.name}" has no access to server "${values.server}"`);
    }
    validateConfigSemantics(loaded);
    // Start the server now, then load and build the gateway while it starts: its start overlaps
    // ours instead of following it (issue 15). A session takes it over at the client's initialize.
    for (const [name, cfg] of Object.entries(loaded.config.servers)) {
      if ((values.server ?? name) === name && isStdioServer(cfg)) prestartStdioServer(name, cfg);
    }
    // Whatever way the command ends, a server no session took does not outlive it.
    process.once('exit', discardPrestarted);
    const { buildCore } = await import('../gateway/index.js');
    // The session gets the configured separator (core.sessionDeps), as `serve`'s /mcp does.
    core = await buildCore(withoutUnsetTokenGrants(loaded, env), { env, metrics: false });
  } catch (err) {
    discardPrestarted();
    const unset = err instanceof ConfigError ? missingVariables(err) : undefined;
    if (unset) {
      const where = values.server ? `server "${values.server}"` : 'toolgate.yaml';
      return fail(
        `${where} needs ${unset.map((v) => `$${v}`).join(', ')}, not set; set ${unset.length > 1 ? 'them' : 'it'} where the client starts toolgate, or name a 0600 file holding ${unset.length > 1 ? 'them' : 'it'} with --env-file (${(err as ConfigError).issues[0]?.file})`,
      );
    }
    if (err instanceof ConfigError || err instanceof PolicyError) {
      ctx.stderr(`toolgate stdio: invalid configuration:\n${err.message}\n`);
      return 1;
    }
    if (err instanceof UsageError) throw err;
    // One line, no stack: the client shows this to a person who did not write this program.
    return fail((err as Error).message.split('\n')[0] ?? String(err));
  }
  // Who is calling: the token's grant (checked as an HTTP request's would be), or --grant.
  let grant = values.grant ?? 'local';
  let allowed: '*' | ReadonlySet<string> = '*';
  if (tokensOn && !token && named && !named.includes('*')) allowed = new Set(named);
  if (token && tokensOn) {
    const result = await core.auth.authenticate(`Bearer ${token}`, 'stdio');
    if (!result.ok) {
      await core.close();
      return fail(`the token in ${values['token-file']} is not accepted: ${result.message}`);
    }
    if (values.grant && values.grant !== result.grant.name) {
      await core.close();
      return fail(
        `--grant ${values.grant} does not match the token in ${values['token-file']} (grant "${result.grant.name}")`,
      );
    }
    grant = result.grant.name;
    allowed = result.grant.servers;
  }
  const all = core.servers;
  let servers = all;
  if (values.server) {
    const cfg = all.get(values.server);
    if (!cfg)
      throw new UsageError(`unknown server "${values.server}"; configured: ${[...all.keys()].join(', ')}`);
    servers = new Map([[values.server, cfg]]);
  }
  if (allowed !== '*') {
    const ok = allowed;
    servers = new Map([...servers].filter(([name]) => ok.has(name)));
    if (servers.size === 0) {
      await core.close();
      return fail(
        `grant "${grant}" has no access to ${values.server ? `server "${values.server}"` : 'any configured server'}`,
      );
    }
  }
  const [{ openSession }, { serveStdio }] = await Promise.all([
    import('../sessions/open-session.js'),
    import('../proxy/stdio-frontend.js'),
  ]);
  // The same session as an HTTP client's (src/sessions): admission, era adapters for a 2026
  // upstream, the configured separator, unknown-tool answers, health.
  const session = await openSession(core.sessionDeps, {
    id: `stdio-${process.pid}`,
    caller: { grant },
    endpoint: values.server ?? '*',
    servers,
    era: '2025',
  });
  // A policy edit or an accepted tool can show or hide tools: tell the client to list them again
  // (what `serve` does for its HTTP sessions).
  const listChanged = () =>
    session.notifyClient({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
  const unsubscribe = [core.policies.onChange(listChanged), core.pins.onChange(listChanged)];
  await serveStdio(session, process.stdin, process.stdout, maxMessage);
  for (const off of unsubscribe) off();
  await session.close();
  await core.close();
  discardPrestarted(); // a server no session took (the client left before initialize)
  return 0;
}
