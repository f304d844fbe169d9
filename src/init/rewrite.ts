// `--rewrite` and `--undo`. A rewrite replaces only the text of the server entries it redirects
// (everything else in the file, comments and formatting included, keeps its bytes), after saving
// the exact original bytes beside the file. Undo puts those bytes back.
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dropBackup, readBackup, writeBackup } from './backup.js';
import { type GatewayTarget, gatewayEntry, VSCODE_TOKEN_INPUT, vscodeTokenInput } from './clients.js';
import { detectIndent, findNode, type JsonNode, lineIndentAt, parseJsonc, toValue } from './jsonc.js';
import { BACKUP_SUFFIX, type ManifestFile, readManifest, sha256, writeManifest } from './manifest.js';
import type { ClientId, Problem } from './types.js';

export interface RewriteRequest {
  file: string;
  client: ClientId;
  edits: { path: string[]; entry: string; server: string }[];
}

export interface RewriteOptions {
  /** Where toolgate.yaml lives (the manifest goes in its .toolgate folder). */
  dir: string;
  configPath: string;
  port: number;
  /** Where the clients run (how a command line in a client file is quoted). */
  platform: NodeJS.Platform;
  /** How a client that can only launch a command starts `toolgate stdio` (absolute paths). */
  cli: GatewayTarget['cli'];
  /** The 0600 file with grant "local"'s token (token mode; absent: no tokens). */
  tokenFile?: string;
  /** The 0600 file with the secrets init moved out, and the servers that need it. */
  envFile?: { path: string; servers: ReadonlySet<string> };
  /** Secret values found in the rewritten entries: kept out of the backups. */
  secretValues: string[];
  dryRun: boolean;
}

export interface RewriteResult {
  rewritten: ManifestFile[];
  problems: Problem[];
}

function serialise(value: unknown, text: string, at: number): string {
  const unit = detectIndent(text);
  if (!unit) return JSON.stringify(value);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  return JSON.stringify(value, null, unit)
    .split('\n')
    .join(eol + lineIndentAt(text, at));
}

/** The file's new text, or a reason it cannot be rewritten. */
export function rewriteText(
  text: string,
  req: RewriteRequest,
  opts: RewriteOptions,
): string | { error: string } {
  const root = parseJsonc(text);
  const replacements: { start: number; end: number; text: string }[] = [];
  for (const edit of req.edits) {
    const node = findNode(root, edit.path);
    if (node?.kind !== 'object') return { error: `server "${edit.entry}" is no longer in the file` };
    const original = toValue(node) as Record<string, unknown>;
    const entry = gatewayEntry(
      req.client,
      {
        server: edit.server,
        port: opts.port,
        configPath: opts.configPath,
        platform: opts.platform,
        cli: opts.cli,
        tokenFile: opts.tokenFile,
        envFile: opts.envFile?.servers.has(edit.server) ? opts.envFile.path : undefined,
      },
      original,
    );
    replacements.push({ start: node.start, end: node.end, text: serialise(entry, text, node.start) });
  }
  if (req.client === 'vscode' && opts.tokenFile && req.edits.length) {
    const input = addTokenInput(text, root, opts.tokenFile);
    if (input && 'error' in input) return input;
    if (input) replacements.push(input);
  }
  // Apply from the end so earlier offsets stay valid.
  replacements.sort((a, b) => b.start - a.start);
  let out = text;
  for (const r of replacements) out = out.slice(0, r.start) + r.text + out.slice(r.end);
  return out;
}

/**
 * The edit that adds VS Code's token prompt to the file's `inputs` (made when missing), or
 * undefined when an input of that id is already there (a second rewrite, or the user's own).
 */
function addTokenInput(
  text: string,
  root: JsonNode,
  tokenFile: string,
): { start: number; end: number; text: string } | { error: string } | undefined {
  if (root.kind !== 'object') return { error: 'the file is not a JSON object' };
  const input = vscodeTokenInput(tokenFile);
  const inputs = findNode(root, ['inputs']);
  if (inputs === undefined) {
    // A new first member, on its own line before the one that was first (VS Code's own order).
    const first = root.members[0];
    if (!first) return { error: 'the file has no servers' };
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    const indent = lineIndentAt(text, first.keyStart);
    const member = `"inputs": ${serialise([input], text, first.keyStart)},`;
    const sep = text.slice(root.start + 1, first.keyStart).includes('\n') ? `${eol}${indent}` : ' ';
    return { start: first.keyStart, end: first.keyStart, text: `${member}${sep}` };
  }
  if (inputs.kind !== 'array') return { error: '"inputs" is not a list' };
  const has = inputs.items.some(
    (i) => i.kind === 'object' && (toValue(i) as { id?: unknown }).id === VSCODE_TOKEN_INPUT,
  );
  if (has) return undefined;
  const last = inputs.items.at(-1);
  if (!last) return { start: inputs.start, end: inputs.end, text: serialise([input], text, inputs.start) };
  // After the last item; a trailing comma the file had then follows the new one.
  const indent = lineIndentAt(text, last.start);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const sameLine = !text.slice(inputs.start, last.start).includes('\n');
  return {
    start: last.end,
    end: last.end,
    text: `,${sameLine ? ' ' : eol + indent}${serialise(input, text, last.start)}`,
  };
}

export function rewriteClients(requests: RewriteRequest[], opts: RewriteOptions): RewriteResult {
  const result: RewriteResult = { rewritten: [], problems: [] };
  const manifest = readManifest(opts.dir) ?? { version: 1 as const, config: opts.configPath, files: [] };
  for (const req of requests) {
    const backup = req.file + BACKUP_SUFFIX;
    let bytes: Buffer;
    let next: string | { error: string };
    try {
      bytes = readFileSync(req.file);
      next = rewriteText(bytes.toString('utf8'), req, opts);
    } catch (err) {
      result.problems.push({ file: req.file, reason: `not rewritten: ${(err as Error).message}` });
      continue;
    }
    if (typeof next !== 'string') {
      result.problems.push({ file: req.file, reason: `not rewritten: ${next.error}` });
      continue;
    }
    const record: ManifestFile = {
      file: req.file,
      backup,
      client: req.client,
      entries: req.edits.map((e) => ({ entry: e.entry, server: e.server, path: e.path })),
      sha256: sha256(next),
    };
    result.rewritten.push(record);
    if (opts.dryRun) continue;
    // An existing backup is the file from before toolgate first touched it: writeBackup keeps it,
    // so undo always returns to the user's own version.
    try {
      writeBackup(
        opts.dir,
        req.file,
        backup,
        bytes,
        req.edits.map((e) => e.path),
        opts.secretValues,
      );
    } catch (err) {
      result.rewritten.pop();
      result.problems.push({
        file: req.file,
        reason: `not rewritten: no backup (${(err as Error).message})`,
      });
      continue;
    }
    writeFileSync(req.file, next);
    const previous = manifest.files.find((f) => f.file === req.file);
    if (previous) {
      previous.entries.push(
        ...record.entries.filter((e) => !previous.entries.some((p) => p.entry === e.entry)),
      );
      previous.sha256 = record.sha256;
    } else manifest.files.push(record);
  }
  if (!opts.dryRun && result.rewritten.length)
    writeManifest(opts.dir, { ...manifest, config: opts.configPath });
  return result;
}

export interface UndoResult {
  manifest: boolean;
  /** Files put back byte for byte. */
  restored: string[];
  /** Files edited since the rewrite (clients rewrite their own files): only the server entries
   *  toolgate changed were put back, the other edits kept. */
  merged: string[];
  problems: Problem[];
}

/** Puts the original text of each rewritten entry back into `current`, leaving the rest. */
function restoreEntries(current: string, backup: string, f: ManifestFile): string | { error: string } {
  const now = parseJsonc(current);
  const then = parseJsonc(backup);
  const replacements: { start: number; end: number; text: string }[] = [];
  for (const e of f.entries) {
    const was = findNode(then, e.path);
    const is = findNode(now, e.path);
    if (!was || !is) return { error: `server "${e.entry}" is gone from one of the versions` };
    replacements.push({ start: is.start, end: is.end, text: backup.slice(was.start, was.end) });
  }
  replacements.sort((a, b) => b.start - a.start);
  let out = current;
  for (const r of replacements) out = out.slice(0, r.start) + r.text + out.slice(r.end);
  return out;
}

/** Restores every file the manifest lists and removes the backups. An unchanged file gets its
 *  original bytes back; a file edited since (Claude Code rewrites ~/.claude.json all the time)
 *  gets only its server entries back, unless `force` asks for the whole old file. */
export function undoRewrite(dir: string, opts: { force: boolean; dryRun: boolean }): UndoResult {
  const manifest = readManifest(dir);
  if (!manifest) return { manifest: false, restored: [], merged: [], problems: [] };
  const result: UndoResult = { manifest: true, restored: [], merged: [], problems: [] };
  const remaining: ManifestFile[] = [];
  for (const f of manifest.files) {
    if (!existsSync(f.backup)) {
      result.problems.push({
        file: f.file,
        reason: `backup ${f.backup} is missing; restore the file by hand`,
      });
      remaining.push(f);
      continue;
    }
    let original: Buffer;
    try {
      original = readBackup(dir, f.backup);
    } catch (err) {
      result.problems.push({ file: f.file, reason: `${(err as Error).message}; restore it by hand` });
      remaining.push(f);
      continue;
    }
    const current = existsSync(f.file) ? readFileSync(f.file) : undefined;
    let next: Buffer | string = original;
    if (current && sha256(current) !== f.sha256 && !opts.force) {
      let merged: string | { error: string };
      try {
        merged = restoreEntries(current.toString('utf8'), original.toString('utf8'), f);
      } catch (err) {
        merged = { error: (err as Error).message };
      }
      if (typeof merged !== 'string') {
        result.problems.push({
          file: f.file,
          reason: `changed since toolgate rewrote it and ${merged.error}; not restored (pass --force to restore ${f.backup} as a whole)`,
        });
        remaining.push(f);
        continue;
      }
      next = merged;
      result.merged.push(f.file);
    } else result.restored.push(f.file);
    if (!opts.dryRun) {
      // A file deleted since is made anew with the original's mode (the backup's).
      const mode = statSync(f.backup).mode & 0o7777;
      const existed = existsSync(f.file);
      writeFileSync(f.file, next, { mode });
      if (!existed) chmodSync(f.file, mode);
      dropBackup(dir, f.backup);
    }
  }
  if (!opts.dryRun) writeManifest(dir, { ...manifest, files: remaining });
  return result;
}
