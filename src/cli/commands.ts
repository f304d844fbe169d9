/**
 * The `toolgate` commands, each loaded only when it runs: `toolgate stdio` answers its client's
 * `initialize` sooner when it does not first load the HTTP server, the dashboard, the catalogue
 * and the store commands (issue 15). The usage texts (usage.ts) need no loading at all: a
 * command's `--help` reads no config and loads none of its modules.
 */
import type { CliContext } from './context.js';
import {
  ADMIN_USAGE,
  APPROVALS_USAGE,
  AUDIT_USAGE,
  CATALOG_USAGE,
  GRANTS_USAGE,
  INIT_USAGE,
  POLICY_USAGE,
  SERVE_USAGE,
  STDIO_USAGE,
  TOKEN_HEADER_USAGE,
} from './usage.js';

export type Command = (argv: string[], ctx: CliContext) => Promise<number>;

export interface LoadedCommand {
  run: Command;
}

export interface CommandSpec {
  usage: string;
  /**
   * The sub-commands, when the command has them: a missing or unknown one is a usage error before
   * any config is read, so `toolgate grants` alone shows its usage anywhere.
   */
  subcommands?: readonly string[];
  load(): Promise<LoadedCommand>;
}

export const COMMANDS: Record<string, CommandSpec> = {
  serve: {
    usage: SERVE_USAGE,
    load: async () => {
      const m = await import('./serve-command.js');
      return { run: m.runServeCommand };
    },
  },
  stdio: {
    usage: STDIO_USAGE,
    load: async () => {
      const m = await import('./stdio-command.js');
      return { run: m.runStdioCommand };
    },
  },
  init: {
    usage: INIT_USAGE,
    load: async () => {
      const [{ homedir }, { createInterface }, m, { initProposer }] = await Promise.all([
        import('node:os'),
        import('node:readline/promises'),
        import('./init-command.js'),
        import('./init-propose.js'),
      ]);
      const run: Command = (argv, ctx) =>
        m.runInitCommand(argv, {
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
        });
      return { run };
    },
  },
  catalog: {
    usage: CATALOG_USAGE,
    load: async () => {
      const [m, { withStore }] = await Promise.all([
        import('./catalog-command.js'),
        import('./with-store.js'),
      ]);
      const run: Command = (argv, ctx) =>
        withStore(argv, ctx, (rest, store, config) =>
          m.runCatalogCommand(rest, {
            ...ctx,
            store,
            config,
            // NO_COLOR (no-color.org): any non-empty value turns colour off.
            color: Boolean(process.stdout.isTTY) && !ctx.env.NO_COLOR,
          }),
        );
      return { run };
    },
  },
  policy: {
    usage: POLICY_USAGE,
    subcommands: ['validate', 'test', 'explain'],
    load: async () => {
      const m = await import('./policy-command.js');
      return { run: (argv, ctx) => m.runPolicyCommand(argv, ctx) };
    },
  },
  grants: {
    usage: GRANTS_USAGE,
    subcommands: ['create', 'list', 'revoke'],
    load: async () => {
      const [m, { withStore }] = await Promise.all([
        import('./grants-command.js'),
        import('./with-store.js'),
      ]);
      const run: Command = (argv, ctx) =>
        withStore(argv, ctx, (rest, store, config) =>
          m.runGrantsCommand(rest, {
            ...ctx,
            store,
            knownServers: Object.keys(config.servers),
            configGrants: config.grants.map((g) => g.name),
            jwtGrants: config.jwt?.grants.map((g) => g.name) ?? [],
            gatewayUrl: `http://${config.listen.host}:${config.listen.port}`,
            now: Date.now,
          }),
        );
      return { run };
    },
  },
  audit: {
    usage: AUDIT_USAGE,
    subcommands: ['tail', 'verify', 'export'],
    load: async () => {
      const [m, { withStore }] = await Promise.all([import('./audit-command.js'), import('./with-store.js')]);
      const run: Command = (argv, ctx) =>
        withStore(argv, ctx, (rest, store) => m.runAuditCommand(rest, { ...ctx, store }));
      return { run };
    },
  },
  approvals: {
    usage: APPROVALS_USAGE,
    subcommands: ['list', 'approve', 'deny'],
    load: async () => {
      const [m, { withStore }, { AuditLog }, { Redactor }] = await Promise.all([
        import('./approvals-command.js'),
        import('./with-store.js'),
        import('../audit/index.js'),
        import('../redact/index.js'),
      ]);
      const run: Command = (argv, ctx) =>
        withStore(argv, ctx, async (rest, store, config) => {
          // The decision is audited from here: the CLI may run where no gateway is.
          const audit = new AuditLog(store.audit, { redactor: new Redactor(config.audit.redact) });
          try {
            return await m.runApprovalsCommand(rest, { ...ctx, store, audit, now: Date.now });
          } finally {
            await audit.close();
          }
        });
      return { run };
    },
  },
  admin: {
    usage: ADMIN_USAGE,
    subcommands: ['token'],
    load: async () => {
      const m = await import('./admin-command.js');
      return { run: m.runAdminCommand };
    },
  },
  'token-header': {
    usage: TOKEN_HEADER_USAGE,
    load: async () => {
      const m = await import('./token-header-command.js');
      return { run: m.runTokenHeaderCommand };
    },
  },
};
