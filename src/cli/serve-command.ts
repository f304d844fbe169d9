import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, type LoadedConfig, loadConfigFile } from '../config/index.js';
import { type Gateway, startGateway } from '../gateway/index.js';
import { PolicyError } from '../policy/index.js';
import { configPath, requireConfigFile } from './args.js';
import { clientSnippets, renderSnippets, type SnippetContext } from './client-snippets.js';
import type { CliContext } from './context.js';
import { installLastResort } from './last-resort.js';
import { StdioStartError, withEnvFile } from './stdio-config.js';

/** `toolgate serve`: start the gateway and print where clients connect. */
export async function runServeCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      json: { type: 'boolean' },
      // NAME='value' lines (init's .toolgate/secrets.env), 0600, as `toolgate stdio --env-file`.
      'env-file': { type: 'string' },
    },
    strict: true,
  });
  const file = requireConfigFile(configPath(values.config, ctx.env));
  let env = ctx.env;
  try {
    if (values['env-file']) env = withEnvFile(ctx.env, values['env-file']);
  } catch (err) {
    if (!(err instanceof StdioStartError)) throw err;
    ctx.stderr(`toolgate serve: ${err.message}\n`);
    return 1;
  }
  let gateway: Awaited<ReturnType<typeof startGateway>>;
  let loaded: LoadedConfig;
  try {
    loaded = loadConfigFile(file, env);
    gateway = await startGateway(loaded, {
      env,
      port: values.port ? Number(values.port) : undefined,
    });
  } catch (err) {
    if (err instanceof ConfigError || err instanceof PolicyError) {
      ctx.stderr(`toolgate: invalid configuration:\n${err.message}\n`);
      return 1;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      ctx.stderr(`toolgate: the port is already in use (${e.message}); set listen.port or pass --port\n`);
      return 1;
    }
    ctx.stderr(`toolgate: could not start: ${e.message}\n`);
    return 1;
  }
  const removeLastResort = installLastResort(gateway.log);
  await gateway.probed;
  const endpoints = [...gateway.states].map(([name, st]) => ({
    server: name,
    url: `${gateway.url}/mcp/${name}`,
    status: st.status,
    tools: st.tools,
    reason: st.reason,
  }));
  const signIn = dashboardSignIn(gateway.admin, gateway.url, file);
  const clients: SnippetContext = {
    url: gateway.url,
    servers: endpoints.map((e) => e.server),
    tokens: loaded.config.auth.mode === 'tokens',
    grants: loaded.config.grants,
    node: process.execPath,
    // This installation's CLI (main.js beside this file), so the entry runs what is installed here.
    cli: fileURLToPath(new URL('./main.js', import.meta.url)),
    config: resolve(file),
  };
  if (values.json) {
    ctx.stdout(
      `${JSON.stringify({
        url: gateway.url,
        aggregate: `${gateway.url}/mcp`,
        servers: endpoints,
        ...(signIn.link ? { login: signIn.link } : {}),
        clients: Object.fromEntries(clientSnippets(clients).map((c) => [c.client, c.config])),
      })}\n`,
    );
  } else {
    const lines = [`toolgate listening on ${gateway.url}`, ''];
    for (const e of endpoints) {
      if (e.status === 'up') {
        lines.push(`  ${e.server.padEnd(16)} ${e.url}  (up, ${e.tools ?? '?'} tools)`);
        continue;
      }
      // The reason may run to several lines (the server's last stderr lines): indent them under it.
      const [first, ...rest] = String(e.reason ?? 'unknown').split('\n');
      lines.push(
        `  ${e.server.padEnd(16)} ${e.url}  (DOWN)`,
        `      ${first}`,
        ...rest.map((l) => `      ${l}`),
      );
    }
    lines.push(`  ${'(all servers)'.padEnd(16)} ${gateway.url}/mcp`, '');
    lines.push(...signIn.lines, `Metrics: ${gateway.url}/metrics (Authorization: Bearer <admin token>)`, '');
    lines.push(...renderSnippets(clients), 'Press Ctrl+C to stop.', '');
    ctx.stdout(lines.join('\n'));
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  ctx.stderr('toolgate: shutting down\n');
  await gateway.close();
  removeLastResort();
  return 0;
}

/**
 * How to sign in to the dashboard, for the start-up text. With a generated token: a one-time
 * link (single use, 15 minutes: harmless in scrollback or a log) and where the token is. The token
 * itself is never printed here; `toolgate admin token` shows it.
 */
function dashboardSignIn(
  admin: Gateway['admin'],
  url: string,
  configFile: string,
): { lines: string[]; link?: string } {
  const source = admin.source;
  if (source.kind === 'env') {
    return { lines: [`Dashboard: ${url}/  (sign in with the admin token in $${source.name})`] };
  }
  if (source.kind === 'sha256') {
    return {
      lines: [`Dashboard: ${url}/  (sign in with the admin token whose SHA-256 is admin.token_sha256)`],
    };
  }
  const link = admin.loginLink();
  return {
    link,
    lines: [
      `Dashboard: ${link}`,
      '  (this link signs in once, within 15 minutes; after that sign in with the admin token:',
      `   toolgate admin token --config ${configFile})`,
      source.created
        ? `  A new admin token was written to ${source.file} (readable by you only).`
        : `  Admin token: ${source.file}`,
    ],
  };
}
