import { parseArgs } from 'node:util';
import { ConfigError, loadConfigFile } from '../config/index.js';
import { buildCore } from '../gateway/index.js';
import { PolicyError } from '../policy/index.js';
import { serveStdio } from '../proxy/stdio-frontend.js';
import { openSession } from '../sessions/open-session.js';
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
    // The session gets the configured separator (core.sessionDeps), as `serve`'s /mcp does.
    core = await buildCore(loadConfigFile(file, ctx.env), { env: ctx.env });
  } catch (err) {
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
  return 0;
}
