/**
 * `toolgate catalog`: connect to the configured servers, classify every tool, show pin state and
 * what the policy does with it; `--propose` prints (or `--write`s) a starting policy per server;
 * `catalog accept SERVER TOOL` accepts a tool's current definition. Thin: src/catalog classifies,
 * src/gateway/catalog-view.ts builds each entry, the store holds the pins.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import {
  CATEGORIES,
  diffDefinitions,
  oneLine,
  pinHash,
  pinnedView,
  proposePolicy,
  type ToolDefinition,
} from '../catalog/index.js';
import type { Config, PinChangeMode, ServerConfig } from '../config/index.js';
import { type CatalogTool, catalogTool } from '../gateway/catalog-view.js';
import { type CompiledPolicy, compilePolicy, DENY_ALL, loadPolicyFile } from '../policy/index.js';
import type { Store, ToolPin } from '../store/index.js';
import { probeServer, type ServerState } from '../upstream/probe.js';
import { UsageError } from './args.js';
import type { CliContext } from './context.js';
import { CATALOG_USAGE } from './usage.js';

export interface CatalogContext extends CliContext {
  store: Store;
  config: Config;
  /** Colour the text output (stdout is a terminal and NO_COLOR is not set). */
  color: boolean;
  now?: () => number;
  /** Replaceable in tests; connects, lists every tool, disconnects. */
  probe?: (name: string, cfg: ServerConfig) => Promise<ServerState>;
}

const silent = pino({ level: 'silent' });

export async function runCatalogCommand(argv: string[], ctx: CatalogContext): Promise<number> {
  if (argv[0] === 'accept') return accept(argv.slice(1), ctx);
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      propose: { type: 'boolean' },
      write: { type: 'string' },
      force: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    ctx.stdout(`${CATALOG_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError('one SERVER at most');
  if (values.write !== undefined && !values.propose) throw new UsageError('--write needs --propose');
  const names = positionals.length ? positionals : Object.keys(ctx.config.servers);
  for (const n of names) serverOrUsage(ctx.config, n);

  const probe = ctx.probe ?? ((name, cfg) => probeServer(name, cfg, silent));
  const results = await Promise.all(
    names.map(async (name) => {
      const cfg = ctx.config.servers[name]!;
      const [state, pins] = await Promise.all([probe(name, cfg), ctx.store.pins.list(name)]);
      return { name, cfg, state, pins: new Map(pins.map((p) => [p.tool, p])) };
    }),
  );
  const views = results.map((r) => serverView(r.name, r.cfg, r.state, r.pins, ctx.config.pins.on_change));
  const down = views.filter((v) => v.status !== 'up');

  if (values.propose) {
    const proposals = results
      .filter((r) => r.state.status === 'up')
      .map((r) => ({
        name: r.name,
        ...proposePolicy(r.name, (r.state.toolList ?? []) as unknown as ToolDefinition[]),
      }));
    const written: string[] = [];
    if (values.write !== undefined) {
      const dir = resolve(ctx.cwd, values.write);
      const targets = proposals.map((p) => ({ path: join(dir, `${p.name}.yaml`), text: p.yaml }));
      const existing = targets.filter((t) => existsSync(t.path)).map((t) => t.path);
      if (existing.length && !values.force) {
        ctx.stderr(
          `toolgate catalog: not overwriting ${existing.join(', ')} (pass --force); nothing written\n`,
        );
        return 1;
      }
      mkdirSync(dir, { recursive: true });
      for (const t of targets) {
        writeFileSync(t.path, t.text);
        written.push(t.path);
      }
    }
    if (values.json) {
      const byName = new Map(proposals.map((p, i) => [p.name, { p, path: written[i] }]));
      const servers = views.map((v) => {
        const found = byName.get(v.name);
        return found
          ? {
              ...v,
              proposal: {
                document: found.p.document,
                yaml: found.p.yaml,
                ...(found.path ? { path: found.path } : {}),
              },
            }
          : v;
      });
      ctx.stdout(`${JSON.stringify({ servers }, null, 2)}\n`);
    } else if (values.write !== undefined) {
      ctx.stdout(`${written.map((p) => `wrote ${p}`).join('\n')}\n`);
      ctx.stdout(
        'Check them with `toolgate policy validate FILE`, then point servers.<name>.policy at them.\n',
      );
    } else {
      for (const p of proposals) ctx.stdout(`# ---- ${p.name} ----\n${p.yaml}\n`);
    }
  } else if (values.json) {
    ctx.stdout(`${JSON.stringify({ servers: views }, null, 2)}\n`);
  } else {
    ctx.stdout(formatText(views, ctx.color));
  }
  for (const v of down) ctx.stderr(`toolgate catalog: ${v.name} is down: ${v.reason ?? 'no answer'}\n`);
  return down.length ? 1 : 0;
}

function serverOrUsage(config: Config, name: string): ServerConfig {
  const cfg = config.servers[name];
  if (!cfg)
    throw new UsageError(
      `no server named "${name}" in the config (servers: ${Object.keys(config.servers).join(', ') || 'none'})`,
    );
  return cfg;
}

/** The server's own policy as the gateway compiles it (grant policies are not shown). */
export function serverPolicy(cfg: ServerConfig, name: string): { policy: CompiledPolicy; source: string } {
  if (cfg.policy === undefined) return { policy: DENY_ALL, source: 'none' };
  if (typeof cfg.policy === 'string') return { policy: loadPolicyFile(cfg.policy), source: cfg.policy };
  return { policy: compilePolicy(cfg.policy, `toolgate.yaml servers.${name}.policy`), source: 'inline' };
}

export interface ServerView {
  name: string;
  status: ServerState['status'];
  reason?: string;
  serverInfo?: { name?: string; version?: string };
  policy: { source: string; newTools: 'quarantine' | 'policy' };
  tools: CatalogTool[];
}

function serverView(
  name: string,
  cfg: ServerConfig,
  state: ServerState,
  pins: ReadonlyMap<string, ToolPin>,
  onChange: PinChangeMode,
): ServerView {
  const { policy, source } = serverPolicy(cfg, name);
  const tools = ((state.toolList ?? []) as unknown as ToolDefinition[])
    .filter((t) => typeof t?.name === 'string')
    .map((t) => catalogTool(name, t, policy, pins.get(t.name), 'local', onChange))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    name,
    status: state.status,
    ...(state.reason ? { reason: state.reason } : {}),
    ...(state.serverInfo ? { serverInfo: state.serverInfo } : {}),
    policy: { source, newTools: policy.newTools ?? 'policy' },
    tools,
  };
}

const SGR = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  magenta: '\x1b[35m',
  cyan: '\x1b[36m',
};
type Paint = (text: string, ...codes: (keyof typeof SGR)[]) => string;

const RISK_COLOUR: Record<string, (keyof typeof SGR)[]> = {
  Low: ['green'],
  Medium: ['yellow'],
  High: ['red'],
  Critical: ['bold', 'magenta'],
};

/** Server text must not move the cursor or recolour the terminal: control characters go. */
const clean = (s: string) => oneLine(s, 200);

export function formatText(views: ServerView[], color: boolean): string {
  const paint: Paint = (text, ...codes) =>
    color ? `${codes.map((c) => SGR[c]).join('')}${text}${SGR.reset}` : text;
  const out: string[] = [];
  for (const v of views) {
    const head = `${paint(v.name, 'bold')}  ${v.status}${v.reason ? ` (${clean(v.reason)})` : ''}, ${v.tools.length} tools, policy ${v.policy.source}, new_tools: ${v.policy.newTools}`;
    out.push(head);
    const width = Math.min(40, Math.max(8, ...v.tools.map((t) => t.name.length)));
    for (const category of CATEGORIES) {
      const tools = v.tools.filter((t) => t.category === category);
      if (tools.length === 0) continue;
      out.push(`  ${paint(category, 'cyan')}`);
      for (const t of tools) {
        const pin =
          t.pin.state === 'changed'
            ? paint('CHANGED', 'bold', 'red')
            : t.pin.state === 'new'
              ? paint(t.quarantined ? 'new (quarantined)' : 'new', 'yellow')
              : 'pinned';
        const risk = paint(t.risk.padEnd(8), ...(RISK_COLOUR[t.risk] ?? []));
        const outcome = t.decision.outcome.padEnd(8);
        const shown = t.decision.outcome === 'allow' ? paint(outcome, 'green') : outcome;
        out.push(`    ${clean(t.name).padEnd(width)}  ${risk}  ${shown}  ${pin}`);
        for (const r of t.topReasons) out.push(paint(`      - ${clean(r)}`, 'dim'));
        for (const f of t.findings)
          out.push(paint(`      ! ${f.kind}: ${clean(f.message)} (${clean(f.excerpt)})`, 'red'));
        for (const c of t.pin.changes ?? []) out.push(paint(`      ~ ${clean(c)}`, 'red'));
      }
    }
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

async function accept(argv: string[], ctx: CatalogContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { hash: { type: 'string' }, json: { type: 'boolean' } },
  });
  const [server, tool, ...extra] = positionals;
  if (!server || !tool || extra.length) throw new UsageError('catalog accept needs SERVER and TOOL');
  const cfg = serverOrUsage(ctx.config, server);
  const state = await (ctx.probe ?? ((n, c) => probeServer(n, c, silent)))(server, cfg);
  if (state.status !== 'up') {
    ctx.stderr(`toolgate catalog accept: ${server} is down: ${state.reason ?? 'no answer'}\n`);
    return 1;
  }
  const def = ((state.toolList ?? []) as unknown as ToolDefinition[]).find((t) => t.name === tool);
  if (!def) {
    ctx.stderr(`toolgate catalog accept: ${server} does not list a tool named "${tool}"\n`);
    return 1;
  }
  const hash = pinHash(def);
  if (values.hash !== undefined && values.hash !== hash) {
    ctx.stderr(
      `toolgate catalog accept: the current definition of ${tool} has hash ${hash}, not ${values.hash}; review it again (toolgate catalog ${server})\n`,
    );
    return 1;
  }
  const before = await ctx.store.pins.get(server, tool);
  const pin = await ctx.store.pins.accept(server, tool, hash, pinnedView(def), (ctx.now ?? Date.now)());
  const changes = before ? diffDefinitions(before.definition as unknown as ToolDefinition, def) : [];
  const was = !before ? 'new' : before.hash === hash ? 'already pinned' : 'changed';
  if (values.json) {
    ctx.stdout(
      `${JSON.stringify({ server, tool, hash, acceptedAt: pin.acceptedAt, previous: was, changes }, null, 2)}\n`,
    );
  } else {
    ctx.stdout(`accepted ${server}/${tool} (${was}; hash ${hash.slice(0, 12)})\n`);
    for (const c of changes) ctx.stdout(`  ~ ${clean(c)}\n`);
    ctx.stdout(
      'Running gateways pick it up on the next call to the tool, and in tools/list within seconds.\n',
    );
  }
  return 0;
}
