#!/usr/bin/env node
// Only what every command needs is imported here: each command loads its own modules when it runs
// (src/cli/commands.ts), so `toolgate stdio` starts its server sooner.
import { ConfigError } from '../config/errors.js';
import { PolicyError } from '../policy/errors.js';
import { subcommandOf, UsageError, wantsHelp } from './args.js';
import { COMMANDS } from './commands.js';
import type { CliContext } from './context.js';
import { onClosedPipe } from './quiet-pipe.js';

const USAGE = `Usage: toolgate <command> [options]

Commands:
  serve     [--config FILE] [--port N]          start the gateway (HTTP)
  stdio     --server NAME --token-file F ...    serve one server over stdio (for clients that launch commands)
  init      [--rewrite | --undo] [--yes] ...    find your MCP servers (Claude, Cursor, VS Code, Windsurf) and set toolgate up
  catalog   [SERVER] [--json] [--propose] ...   classified tools, pins, proposed policies; catalog accept SERVER TOOL
  policy    validate|test|explain ...           check policies offline
  grants    create|list|revoke ...              bearer tokens for agents (stored hashed)
  audit     tail [-f]|verify|export ...         the hash-chained decision log
  approvals list|approve ID|deny ID [--note]    calls waiting for a person
  admin     token [--rotate]                    show or replace the dashboard / admin API token
  token-header --token-file F                   print a token file as an Authorization header (Claude Code headersHelper)
  help      [COMMAND]                           this text, or a command's (also: toolgate COMMAND --help)

Every command reads --config FILE (default ./toolgate.yaml, or $TOOLGATE_CONFIG).
Exit codes: 0 ok, 1 failure you must act on, 2 usage.
`;

/** Commands that keep running after their output: a closed stdout must not stop them. */
const LONG_RUNNING = new Set(['serve', 'stdio']);

async function main(argv: string[], ctx: CliContext): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic !== undefined) {
      const spec = Object.hasOwn(COMMANDS, topic) ? COMMANDS[topic] : undefined;
      if (!spec) {
        ctx.stderr(`toolgate: no command "${topic}"\n\n${USAGE}`);
        return 2;
      }
      ctx.stdout(`${spec.usage}\n`);
      return 0;
    }
    // Bare `toolgate` is a usage error (exit 2) that still shows what to type.
    (name ? ctx.stdout : ctx.stderr)(USAGE);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    ctx.stdout('toolgate 0.1.0\n');
    return 0;
  }
  const spec = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!spec) {
    const what = name.startsWith('-') ? `unknown option "${name}"` : `unknown command "${name}"`;
    ctx.stderr(`toolgate: ${what}\n\n${USAGE}`);
    return 2;
  }
  const usageError = (message: string, showUsage = true) => {
    ctx.stderr(`toolgate ${name}: ${message}\n${showUsage ? `\n${spec.usage}\n` : ''}`);
    return 2;
  };
  // Help and the sub-command are checked before the command is loaded or reads any config.
  if (wantsHelp(rest)) {
    ctx.stdout(`${spec.usage}\n`);
    return 0;
  }
  if (spec.subcommands) {
    const sub = subcommandOf(rest);
    if (sub === undefined) return usageError(`missing ${name} command (${spec.subcommands.join(', ')})`);
    if (!spec.subcommands.includes(sub)) return usageError(`unknown ${name} command "${sub}"`);
  }
  try {
    return await (await spec.load()).run(rest, ctx);
  } catch (err) {
    if (err instanceof UsageError) return usageError(err.message, err.showUsage);
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
      return usageError((err as Error).message);
    // A file to fix, not a bug: its problems, each at file:line:col, without a stack.
    if (err instanceof ConfigError || err instanceof PolicyError) {
      ctx.stderr(`toolgate ${name}: invalid configuration:\n${err.message}\n`);
      return 1;
    }
    ctx.stderr(`toolgate ${name}: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

const argv = process.argv.slice(2);
// `toolgate audit export | head -1`: the reader went away; stop quietly, not with an EPIPE stack.
// The gateway (serve, stdio) keeps serving: its clients do not read this stdout (stdio's client
// does, and it ends our stdin when it goes, which ends the command).
for (const stream of [process.stdout, process.stderr]) {
  onClosedPipe(stream, LONG_RUNNING.has(argv[0] ?? '') ? () => {} : () => process.exit(0));
}
main(argv, {
  env: process.env,
  cwd: process.cwd(),
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
}).then(
  (code) => {
    process.exitCode = code;
    // A lingering handle (a closing child process) must not keep a finished command alive.
    setTimeout(() => process.exit(code), 100).unref();
  },
  (err) => {
    process.stderr.write(`toolgate: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
