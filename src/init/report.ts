// What init tells the user: the stable JSON shape (`--json`, documented in docs/init.md) and the
// text a person reads. Secret values never appear in either, only where they live.
import { CLIENT_LABELS } from './clients.js';
import type { MergedServer } from './merge.js';
import type { UndoResult } from './rewrite.js';
import type { InitResult, Scan } from './run.js';
import { protectSecrets } from './secrets.js';
import type { ServerSpec } from './types.js';

export interface InitReportJson {
  version: 1;
  mode: 'init';
  dryRun: boolean;
  config: string;
  found: {
    files: { client: string; scope: string; path: string; servers: string[] }[];
    problems: { file: string; reason: string }[];
    alreadyRewritten: { file: string; entry: string }[];
  };
  servers: {
    name: string;
    transport: 'stdio' | 'http';
    included: boolean;
    sources: { client: string; scope: string; file: string; entry: string }[];
  }[];
  env: { name: string; server: string; origin: string; from: string }[];
  written: { path: string; kind: string }[];
  blockedBy: string[];
  rewritten: { file: string; client: string; backup: string; entries: { entry: string; server: string }[] }[];
  warnings: string[];
  /** The 0600 file with grant "local"'s token (absent with `--auth none`). */
  tokenFile?: string;
  /** The 0600 file with the secrets moved out of client files, when there were any. */
  secretsFile?: string;
  /** The command that starts this gateway: `toolgate serve --config ... [--env-file ...]`. */
  serve: string;
}

export function initReportJson(scanned: Scan, r: InitResult, dryRun: boolean): InitReportJson {
  const included = new Set(r.servers.map((s) => s.name));
  return {
    version: 1,
    mode: 'init',
    dryRun,
    config: r.configPath,
    found: {
      files: scanned.discovery.files.map((f) => ({
        client: f.client,
        scope: f.scope,
        path: f.path,
        servers: f.entries,
      })),
      problems: r.problems,
      alreadyRewritten: scanned.discovery.gatewayEntries,
    },
    servers: scanned.servers.map((s) => ({
      name: s.name,
      transport: s.spec.kind,
      included: included.has(s.name),
      sources: s.sources.map((x) => ({ client: x.client, scope: x.scope, file: x.file, entry: x.entry })),
    })),
    env: r.env.map((e) => ({ name: e.name, server: e.server, origin: e.origin, from: e.from })),
    written: r.existing.length ? [] : r.files.map((f) => ({ path: f.path, kind: f.kind })),
    blockedBy: r.existing,
    rewritten: r.rewritten.map((f) => ({
      file: f.file,
      client: f.client,
      backup: f.backup,
      entries: f.entries.map((e) => ({ entry: e.entry, server: e.server })),
    })),
    warnings: r.warnings,
    ...(r.tokenFile ? { tokenFile: r.tokenFile } : {}),
    ...(r.secretsFile ? { secretsFile: r.secretsFile } : {}),
    serve: serveCommand(r),
  };
}

export function undoReportJson(r: UndoResult, dryRun: boolean) {
  return {
    version: 1 as const,
    mode: 'undo' as const,
    dryRun,
    restored: r.restored,
    merged: r.merged,
    problems: r.problems,
  };
}

const describe = (spec: ServerSpec) =>
  spec.kind === 'stdio' ? `stdio  ${[spec.command, ...spec.args].join(' ')}` : `http   ${spec.url}`;

/** The numbered list a person chooses from (numbers are 1-based positions in `servers`). */
export function formatFound(scanned: Scan, tilde: (p: string) => string): string {
  const { discovery, servers } = scanned;
  const lines: string[] = [];
  const width = Math.max(8, ...servers.map((s) => s.name.length));
  lines.push(
    servers.length
      ? `Found ${servers.length} MCP server${servers.length === 1 ? '' : 's'} in ${discovery.files.length} client file${discovery.files.length === 1 ? '' : 's'}:`
      : 'Found no MCP servers in Claude Desktop, Claude Code, Cursor, VS Code or Windsurf configs.',
  );
  servers.forEach((s: MergedServer, i) => {
    // Shown with secrets already replaced: a terminal scrollback is no place for an API key.
    const shown = protectSecrets(s, { inline: false, used: new Set() }).spec;
    lines.push(`  ${String(i + 1).padStart(2)}. ${s.name.padEnd(width)}  ${describe(shown).slice(0, 100)}`);
    for (const src of s.sources) {
      const extra = src.entry !== s.name ? ` (as "${src.entry}")` : '';
      lines.push(`        ${CLIENT_LABELS[src.client]}, ${src.scope}: ${tilde(src.file)}${extra}`);
    }
  });
  if (discovery.gatewayEntries.length) {
    lines.push('Already going through toolgate (left alone):');
    for (const g of discovery.gatewayEntries) lines.push(`  ${g.entry}  ${tilde(g.file)}`);
  }
  if (discovery.problems.length) {
    lines.push('Skipped (fix these files to include their servers):');
    for (const p of discovery.problems) lines.push(`  ${tilde(p.file)}: ${p.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The command that starts the gateway this run configured (absolute paths: run it anywhere). */
export function serveCommand(r: Pick<InitResult, 'configPath' | 'secretsFile'>): string {
  const q = (p: string) => (/^[\w./:@%+-]+$/.test(p) ? p : `'${p.replaceAll("'", "'\\''")}'`);
  return `toolgate serve --config ${q(r.configPath)}${r.secretsFile ? ` --env-file ${q(r.secretsFile)}` : ''}`;
}

export function formatResult(r: InitResult, dryRun: boolean, tilde: (p: string) => string): string {
  const lines: string[] = [];
  const verb = dryRun ? 'Would write' : 'Wrote';
  if (r.existing.length) {
    lines.push('Nothing written: these files already exist (pass --force to overwrite them):');
    for (const f of r.existing) lines.push(`  ${tilde(f)}`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`${verb}:`);
  for (const f of r.files) lines.push(`  ${tilde(f.path)}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  if (r.secretsFile) {
    lines.push(
      `The secrets moved out of client files are in ${tilde(r.secretsFile)} (only you may read it; no client file or backup holds them any more).`,
    );
  }
  // Secrets come from that file (`serve --env-file`); these the user sets.
  const serveEnv = r.env.filter((e) => e.origin !== 'secret');
  if (serveEnv.length) {
    const width = Math.max(...serveEnv.map((e) => e.name.length));
    lines.push('Set these environment variables where `toolgate serve` runs:');
    for (const e of serveEnv) {
      const what =
        e.origin === 'input' ? `what VS Code prompted for: ${e.from}` : `already referenced by ${e.from}`;
      lines.push(`  ${e.name.padEnd(width)}  ${what}`);
    }
  }
  if (r.tokenFile) {
    lines.push(
      `The token of grant "local" is in ${tilde(r.tokenFile)} (only you may read it; toolgate.yaml holds its hash).`,
    );
    if (r.rewritten.length) {
      lines.push(
        '  Rewritten entries need no environment variable: Claude Desktop, Cursor and Windsurf start',
        '  `toolgate stdio --token-file`, Claude Code runs `toolgate token-header` (headersHelper), and',
        '  VS Code asks once for the token (paste the contents of that file) and keeps it in its secret storage.',
      );
    }
  }
  if (r.rewritten.length) {
    lines.push(
      `${dryRun ? 'Would point' : 'Pointed'} these client files at the gateway (undo: toolgate init --undo):`,
    );
    for (const f of r.rewritten) {
      lines.push(
        `  ${tilde(f.file)}: ${f.entries.map((e) => e.entry).join(', ')}  (backup ${tilde(f.backup)})`,
      );
    }
  }
  const unreported = r.problems.filter((p) => p.reason.startsWith('not rewritten'));
  for (const p of unreported) lines.push(`error: ${tilde(p.file)}: ${p.reason}`);
  lines.push(
    `Next: ${serveCommand(r)}`,
    '  then: toolgate catalog   (classified tools and a proposed policy)',
  );
  return `${lines.join('\n')}\n`;
}
