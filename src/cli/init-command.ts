/**
 * `toolgate init`: find the MCP servers the user's clients already use, write toolgate.yaml and
 * starter policies, and optionally point the clients at the gateway. Thin: arguments and
 * questions here, the work in src/init. `argv` is what follows `toolgate init`.
 */
import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  formatFound,
  formatResult,
  type InitOptions,
  initReportJson,
  runInit,
  type Scan,
  scan,
  undoReportJson,
  undoRewrite,
} from '../init/index.js';
import { INIT_USAGE } from './usage.js';

export interface InitCommandContext {
  home: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout(s: string): void;
  stderr(s: string): void;
  isTTY: boolean;
  prompt?: (question: string) => Promise<string>;
  /** The catalogue's policy proposal, plugged in by the binary when available. */
  propose?: (server: string) => Promise<string>;
  /** Defaults to process.platform; tests pick macOS or Linux paths. */
  platform?: NodeJS.Platform;
  /** How rewritten entries start this CLI (stdio bridge, Claude Code's headersHelper); defaults
   *  to thisCli(). */
  cli?: InitOptions['cli'];
}

/**
 * This installation's CLI as absolute paths: the node running now and the main.js beside this
 * file (the one the `toolgate` bin links to). A rewritten client entry starts exactly this, never
 * a package fetched by name.
 */
export function thisCli(): NonNullable<InitOptions['cli']> {
  // Built: dist/cli/main.js beside this file. Run from src/ (tsx, tests): the build of it.
  const candidates = ['./main.js', '../../dist/cli/main.js'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  const main = candidates.find((p) => existsSync(p)) ?? realpathSync(process.argv[1] ?? candidates[0] ?? '');
  return { command: process.execPath, args: [main] };
}

class UsageError extends Error {}

interface Flags {
  dir: string;
  only: string[];
  exclude: string[];
  rewrite: boolean;
  undo: boolean;
  force: boolean;
  yes: boolean;
  dryRun: boolean;
  json: boolean;
  port: number;
  auth: 'token' | 'none';
  inlineSecrets: boolean;
  help: boolean;
}

function parse(argv: string[], cwd: string): Flags {
  const { values, tokens } = parseArgs({
    args: argv,
    allowPositionals: true,
    tokens: true,
    options: {
      dir: { type: 'string' },
      only: { type: 'string', multiple: true },
      exclude: { type: 'string', multiple: true },
      rewrite: { type: 'boolean' },
      undo: { type: 'boolean' },
      force: { type: 'boolean' },
      yes: { type: 'boolean', short: 'y' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      port: { type: 'string' },
      auth: { type: 'string' },
      'inline-secrets': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  // `--only a b` and `--only a,b` both work: bare words extend the list flag before them.
  const lists = { only: [] as string[], exclude: [] as string[] };
  let current: 'only' | 'exclude' | undefined;
  for (const t of tokens) {
    if (t.kind === 'option') {
      current = t.name === 'only' || t.name === 'exclude' ? t.name : undefined;
      if (current && t.value) lists[current].push(t.value);
    } else if (t.kind === 'positional') {
      if (!current) throw new UsageError(`unexpected argument "${t.value}"`);
      lists[current].push(t.value);
    }
  }
  const split = (names: string[]) => names.flatMap((n) => n.split(',')).filter(Boolean);
  const port = values.port === undefined ? 8787 : Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`--port must be 1-65535, got "${values.port}"`);
  const auth = values.auth ?? 'token';
  if (auth !== 'token' && auth !== 'none')
    throw new UsageError(`--auth must be "token" or "none", got "${auth}"`);
  if (values.undo && (values.rewrite || values.only || values.exclude)) {
    throw new UsageError('--undo restores client files; it takes no --rewrite, --only or --exclude');
  }
  return {
    dir: resolve(cwd, values.dir ?? '.'),
    only: split(lists.only),
    exclude: split(lists.exclude),
    rewrite: values.rewrite === true,
    undo: values.undo === true,
    force: values.force === true,
    yes: values.yes === true,
    dryRun: values['dry-run'] === true,
    json: values.json === true,
    port,
    auth,
    inlineSecrets: values['inline-secrets'] === true,
    help: values.help === true,
  };
}

export async function runInitCommand(argv: string[], ctx: InitCommandContext): Promise<number> {
  let flags: Flags;
  try {
    flags = parse(argv, ctx.cwd);
  } catch (err) {
    ctx.stderr(`toolgate init: ${(err as Error).message}\n${INIT_USAGE}\n`);
    return 2;
  }
  if (flags.help) {
    ctx.stdout(`${INIT_USAGE}\n`);
    return 0;
  }
  const tilde = (p: string) => (p.startsWith(`${ctx.home}/`) ? `~${p.slice(ctx.home.length)}` : p);
  const out = (json: unknown, text: string) =>
    ctx.stdout(flags.json ? `${JSON.stringify(json, null, 2)}\n` : text);

  if (flags.undo) {
    const r = undoRewrite(flags.dir, { force: flags.force, dryRun: flags.dryRun });
    if (!r.manifest) {
      ctx.stderr(
        `toolgate init: nothing to undo: no ${tilde(resolve(flags.dir, '.toolgate/init-manifest.json'))}\n`,
      );
      if (flags.json) out(undoReportJson(r, flags.dryRun), '');
      return 1;
    }
    const lines = [
      ...r.restored.map((f) => `${flags.dryRun ? 'Would restore' : 'Restored'} ${tilde(f)}`),
      ...r.merged.map(
        (f) =>
          `${flags.dryRun ? 'Would restore' : 'Restored'} the server entries of ${tilde(f)} (edited since; other edits kept)`,
      ),
      ...r.problems.map((p) => `error: ${tilde(p.file)}: ${p.reason}`),
    ];
    out(undoReportJson(r, flags.dryRun), `${lines.join('\n')}\n`);
    return r.problems.length ? 1 : 0;
  }

  const base: InitOptions = {
    home: ctx.home,
    cwd: ctx.cwd,
    dir: flags.dir,
    platform: ctx.platform,
    port: flags.port,
    only: flags.only,
    exclude: flags.exclude,
    rewrite: flags.rewrite,
    force: flags.force,
    dryRun: flags.dryRun,
    inlineSecrets: flags.inlineSecrets,
    auth: flags.auth,
    propose: ctx.propose,
    cli: ctx.cli ?? thisCli(),
  };
  // npx runs from a cache it may clean: an entry pointing there stops working one day.
  const cliPath = base.cli?.args[0] ?? '';
  const cached = /[\\/]_npx[\\/]/.test(cliPath);
  const scanned = scan(base);
  const interactive = ctx.isTTY && !flags.yes && !flags.json && ctx.prompt !== undefined;
  if (!flags.json) ctx.stdout(formatFound(scanned, tilde));
  if (scanned.servers.length === 0) {
    if (flags.json) out(initReportJson(scanned, await runInit(base, scanned), flags.dryRun), '');
    ctx.stderr(
      'toolgate init: no servers to put behind toolgate; write toolgate.yaml by hand (see examples/)\n',
    );
    return 1;
  }

  let opts = base;
  if (interactive && ctx.prompt) {
    const chosen = await askServers(scanned, flags, ctx.prompt, ctx.stderr);
    if (!chosen) {
      ctx.stderr('toolgate init: no servers chosen; nothing written\n');
      return 1;
    }
    opts = { ...opts, only: chosen, exclude: [] };
    if (!flags.rewrite) {
      opts.rewrite = yes(
        await ctx.prompt(
          'Point those clients at the gateway now? Backups are kept; undo with `toolgate init --undo`. [y/N] ',
        ),
      );
    }
  }

  let result = await runInit(opts, scanned);
  if (result.existing.length && interactive && ctx.prompt) {
    const list = result.existing.map((f) => `  ${tilde(f)}`).join('\n');
    if (yes(await ctx.prompt(`These files exist:\n${list}\nOverwrite them? [y/N] `))) {
      result = await runInit({ ...opts, force: true }, scanned);
    }
  }
  // Every rewritten entry but VS Code's starts this CLI (stdio bridge, or Claude Code's headersHelper).
  if (cached && result.rewritten.some((f) => f.client !== 'vscode')) {
    result.warnings.push(
      `rewritten client entries start ${cliPath}, inside npx's cache, which npm may clean; install toolgate (npm i -g) and run init --rewrite --force again`,
    );
  }
  out(initReportJson(scanned, result, flags.dryRun), formatResult(result, flags.dryRun, tilde));
  if (result.unknownNames.length) {
    ctx.stderr(`toolgate init: no server named ${result.unknownNames.map((n) => `"${n}"`).join(', ')}\n`);
    return 2;
  }
  if (result.servers.length === 0) {
    ctx.stderr('toolgate init: every server was excluded; nothing written\n');
    return 1;
  }
  if (result.existing.length) return 1;
  return result.problems.some((p) => p.reason.startsWith('not rewritten')) ? 1 : 0;
}

const yes = (answer: string) => /^\s*y(es)?\s*$/i.test(answer);

/** Asks which servers to include: Enter for all, or numbers / names. Undefined for none. */
async function askServers(
  scanned: Scan,
  flags: Flags,
  prompt: (q: string) => Promise<string>,
  stderr: (s: string) => void,
): Promise<string[] | undefined> {
  const preselected = scanned.servers
    .filter((s) => (!flags.only.length || flags.only.includes(s.name)) && !flags.exclude.includes(s.name))
    .map((s) => s.name);
  for (let attempt = 0; attempt < 3; attempt++) {
    const answer = (
      await prompt(
        `Include which servers? Enter for ${preselected.length === scanned.servers.length ? 'all' : preselected.join(', ')}, or numbers/names (e.g. 1 3), "none": `,
      )
    ).trim();
    if (answer === '') return preselected.length ? preselected : undefined;
    if (answer.toLowerCase() === 'none') return undefined;
    const picked: string[] = [];
    const bad: string[] = [];
    for (const word of answer.split(/[\s,]+/).filter(Boolean)) {
      const byNumber = /^\d+$/.test(word) ? scanned.servers[Number(word) - 1] : undefined;
      const server = byNumber ?? scanned.servers.find((s) => s.name === word);
      if (server) picked.push(server.name);
      else bad.push(word);
    }
    if (!bad.length && picked.length) return [...new Set(picked)];
    stderr(`not a server: ${bad.join(', ') || '(empty)'}; try again\n`);
  }
  return undefined;
}
