// Backups of the client files `--rewrite` changes. A backup keeps the original file's mode and
// every byte of it except the string literals that hold a secret init moved out (a 0600
// ~/.claude.json must not leave a 0644 copy holding its API key): each such literal becomes a
// placeholder, and its exact text goes to the 0600 backup-secrets file in init's state folder.
// `--undo` puts those texts back and checks the result against the original's hash.
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { findNode, type JsonNode, parseJsonc } from './jsonc.js';
import { sha256 } from './manifest.js';
import { backupSecretsPath, ensureStateDir, writePrivate } from './state-files.js';

interface Cut {
  placeholder: string;
  /** The literal's exact text in the original file, quotes and escapes included. */
  raw: string;
}

interface BackupSecrets {
  version: 1;
  /** By backup path: what was cut out, and the original file's hash. */
  files: Record<string, { sha256: string; cuts: Cut[] }>;
}

function readStore(dir: string): BackupSecrets {
  try {
    const s = JSON.parse(readFileSync(backupSecretsPath(dir), 'utf8')) as BackupSecrets;
    if (s.version === 1 && s.files && typeof s.files === 'object') return s;
  } catch {}
  return { version: 1, files: {} };
}

function writeStore(dir: string, store: BackupSecrets): void {
  if (Object.keys(store.files).length === 0) {
    rmSync(backupSecretsPath(dir), { force: true });
    return;
  }
  ensureStateDir(dir);
  writePrivate(backupSecretsPath(dir), `${JSON.stringify(store, null, 2)}\n`);
}

function strings(node: JsonNode, out: JsonNode[]): void {
  if (node.kind === 'scalar') {
    if (typeof node.value === 'string') out.push(node);
  } else if (node.kind === 'array') for (const item of node.items) strings(item, out);
  else for (const m of node.members) strings(m.value, out);
}

/**
 * The original's text with every string literal inside the given entries that contains one of
 * `secrets` replaced by a placeholder. Only the rewritten entries are searched: the rest of the
 * file stays in the live file too, under the same mode.
 */
export function redact(
  bytes: Buffer,
  entryPaths: string[][],
  secrets: string[],
): { bytes: Buffer; cuts: Cut[] } {
  const text = bytes.toString('utf8');
  const wanted = secrets.filter((s) => s.length > 0);
  // Not UTF-8 (or nothing to hide): a byte-exact copy; such a file could not have been parsed.
  if (!wanted.length || !Buffer.from(text, 'utf8').equals(bytes)) return { bytes, cuts: [] };
  const root = parseJsonc(text);
  const hits: JsonNode[] = [];
  for (const path of entryPaths) {
    const entry = findNode(root, path);
    if (!entry) continue;
    const found: JsonNode[] = [];
    strings(entry, found);
    hits.push(
      ...found.filter((n) => wanted.some((s) => String((n as { value: unknown }).value).includes(s))),
    );
  }
  // A nonce no file holds already, so restoring replaces exactly what was cut.
  let nonce = randomBytes(4).toString('hex');
  while (text.includes(nonce)) nonce = randomBytes(4).toString('hex');
  const cuts: Cut[] = [];
  let out = text;
  for (const n of [...hits].sort((a, b) => b.start - a.start)) {
    const placeholder = `"toolgate-moved-secret-${nonce}-${cuts.length + 1}"`;
    cuts.push({ placeholder, raw: text.slice(n.start, n.end) });
    out = out.slice(0, n.start) + placeholder + out.slice(n.end);
  }
  return { bytes: Buffer.from(out, 'utf8'), cuts };
}

/** Writes `backup` once (an existing one holds the version from before toolgate first touched
 *  the file), with the original's mode, and records what was cut out of it. */
export function writeBackup(
  dir: string,
  file: string,
  backup: string,
  bytes: Buffer,
  entryPaths: string[][],
  secrets: string[],
): void {
  if (existsSync(backup)) return;
  const mode = statSync(file).mode & 0o7777;
  const { bytes: safe, cuts } = redact(bytes, entryPaths, secrets);
  if (cuts.length) {
    const store = readStore(dir);
    store.files[backup] = { sha256: sha256(bytes), cuts };
    writeStore(dir, store);
  }
  // Created with the original's mode (the umask can only remove bits), then set exactly.
  const fd = openSync(backup, 'wx', mode);
  try {
    writeSync(fd, safe);
  } finally {
    closeSync(fd);
  }
  chmodSync(backup, mode);
}

/** The original's bytes: the backup with what was cut put back. Throws when they do not match
 *  the original's hash (the backup or the secrets file was edited). */
export function readBackup(dir: string, backup: string): Buffer {
  const bytes = readFileSync(backup);
  const record = readStore(dir).files[backup];
  if (!record) return bytes;
  let text = bytes.toString('utf8');
  for (const cut of record.cuts) {
    const at = text.indexOf(cut.placeholder);
    if (at < 0) throw new Error(`${backup} lacks the placeholder ${cut.placeholder}`);
    text = text.slice(0, at) + cut.raw + text.slice(at + cut.placeholder.length);
  }
  const restored = Buffer.from(text, 'utf8');
  if (sha256(restored) !== record.sha256) {
    throw new Error(`${backup} with its secrets put back does not match the original file`);
  }
  return restored;
}

/** After a restore: the backup and what was cut out of it are no longer needed. */
export function dropBackup(dir: string, backup: string): void {
  rmSync(backup, { force: true });
  const store = readStore(dir);
  if (store.files[backup]) {
    delete store.files[backup];
    writeStore(dir, store);
  }
}
