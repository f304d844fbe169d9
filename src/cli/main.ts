#!/usr/bin/env node
import { homedir } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { AuditLog } from '../audit/index.js';
import { Redactor } from '../redact/index.js';
import { runAdminCommand } from './admin-command.js';
import { runApprovalsCommand } from './approvals-command.js';
import { UsageError } from './args.js';
import { runAuditCommand } from './audit-command.js';
import { runCatalogCommand } from './catalog-command.js';
import type { CliContext } from './context.js';
import { runGrantsCommand } from './grants-command.js';
import { runInitCommand } from './init-command.js';
import { initProposer } from './init-propose.js';
import { runPolicyCommand } from './policy-command.js';
import { runServeCommand } from './serve-command.js';
import { runStdioCommand } from './stdio-command.js';
import { runTokenHeaderCommand } from './token-header-command.js';
import { withStore } from './with-store.js';

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
  help                                          this text

Every command reads --config FILE (default ./toolgate.yaml, or $TOOLGATE_CONFIG).
Exit codes: 0 ok, 1 failure you must act on, 2 usage.
`;

type Command = (argv: string[], ctx: CliContext) => Promise<number>;

const commands: Record<string, Command> = {
  serve: runServeCommand,
  stdio: runStdioCommand,
  policy: (argv, ctx) => runPolicyCommand(argv, ctx),
  grants: (argv, ctx) =>
    withStore(argv, ctx, (rest, store, config) =>
      runGrantsCommand(rest, {
        ...ctx,
        store,
        knownServers: Object.keys(config.servers),
        configGrants: config.grants.map((g) => g.name),
        jwtGrants: config.jwt?.grants.map((g) => g.name) ?? [],
        gatewayUrl: `http://${config.listen.host}:${config.listen.port}`,
        now: Date.now,
      }),
    ),
  approvals: (argv, ctx) =>
    withStore(argv, ctx, async (rest, store, config) => {
      // The decision is audited from here: the CLI may run where no gateway is.
      const audit = new AuditLog(store.audit, { redactor: new Redactor(config.audit.redact) });
      try {
        return await runApprovalsCommand(rest, { ...ctx, store, audit, now: Date.now });
      } finally {
        await audit.close();
      }
    }),
  admin: runAdminCommand,
  'token-header': runTokenHeaderCommand,
  audit: (argv, ctx) => withStore(argv, ctx, (rest, store) => runAuditCommand(rest, { ...ctx, store })),
  catalog: (argv, ctx) =>
    withStore(argv, ctx, (rest, store, config) =>
      runCatalogCommand(rest, {
        ...ctx,
        store,
        config,
        // NO_COLOR (no-color.org): any non-empty value turns colour off.
        color: Boolean(process.stdout.isTTY) && !ctx.env.NO_COLOR,
      }),
    ),
  init: (argv, ctx) =>
    runInitCommand(argv, {
      ...ctx,
      home: ctx.env.HOME ?? homedir(),
      isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
      propose: initProposer({ home: ctx.env.HOME ?? homedir(), cwd: ctx.cwd, env: ctx.env }),
      prompt: async (question) => {
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        try {
          return await rl.question(question);
        } finally {
          rl.close();
        }
      },
    }),
};

async function main(argv: string[]): Promise<number> {
  const ctx: CliContext = {
    env: process.env,
    cwd: process.cwd(),
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  };
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    ctx.stdout(USAGE);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    ctx.stdout('toolgate 0.1.0\n');
    return 0;
  }
  const command = commands[name];
  if (!command) {
    ctx.stderr(`toolgate: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command(rest, ctx);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      ctx.stderr(`toolgate ${name}: ${(err as Error).message}\n`);
      return 2;
    }
    ctx.stderr(`toolgate ${name}: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
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
