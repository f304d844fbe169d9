import { parseArgs } from 'node:util';
import { ConfigError, isStdioServer, loadConfigFile, validateConfigSemantics } from '../config/index.js';
import type { buildCore } from '../gateway/index.js';
import { PolicyError } from '../policy/errors.js';
import { discardPrestarted, prestartStdioServer } from '../upstream/stdio-channel.js';
import { configPath, requireConfigFile, UsageError } from './args.js';
import type { CliContext } from './context.js';

/**
 * `toolgate stdio --server NAME`: the gateway for clients that can only launch a command. The
 * caller is the local user who launched it; `--grant` picks whose policy applies (default `local`,
 * which gets each server's own policy).
 */
export async function runStdioCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      server: { type: 'string', short: 's' },
      grant: { type: 'string' },
    },
    strict: true,
  });
  const file = requireConfigFile(configPath(values.config, ctx.env));
  let core: Awaited<ReturnType<typeof buildCore>>;
  try {
    const loaded = loadConfigFile(file, ctx.env);
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
    core = await buildCore(loaded, { env: ctx.env });
  } catch (err) {
    discardPrestarted();
    if (err instanceof ConfigError || err instanceof PolicyError) {
      ctx.stderr(`toolgate: invalid configuration:\n${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const all = core.servers;
  let servers = all;
  if (values.server) {
    const cfg = all.get(values.server);
    if (!cfg)
      throw new UsageError(`unknown server "${values.server}"; configured: ${[...all.keys()].join(', ')}`);
    servers = new Map([[values.server, cfg]]);
  }
  const grant = values.grant ?? 'local';
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
  await serveStdio(session, process.stdin, process.stdout);
  for (const off of unsubscribe) off();
  await session.close();
  await core.close();
  discardPrestarted(); // a server no session took (the client left before initialize)
  return 0;
}
