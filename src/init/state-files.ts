// The private files `toolgate init` keeps in <dir>/.toolgate: the grant token a rewritten client
// entry starts with, and the secrets init moved out of client files. Both only for their owner
// (0600 in a 0700 folder, made with that mode so they are never readable by others, even for a
// moment), and a .gitignore so a project folder does not commit them.
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

export function stateDir(dir: string): string {
  return join(dir, '.toolgate');
}

/** The token of grant "local", read by `toolgate stdio --token-file`, by `toolgate token-header`
 *  (Claude Code's headersHelper) and by the user pasting it into VS Code's prompt. */
export function tokenFilePath(dir: string): string {
  return join(stateDir(dir), 'local.token');
}

/** NAME='value' lines: the secrets init moved out of client files, for `serve` and `stdio --env-file`. */
export function secretsFilePath(dir: string): string {
  return join(stateDir(dir), 'secrets.env');
}

/** The exact text init cut out of each backup (so `--undo` can put every byte back). */
export function backupSecretsPath(dir: string): string {
  return join(stateDir(dir), 'backup-secrets.json');
}

export function ensureStateDir(dir: string): void {
  const state = stateDir(dir);
  mkdirSync(state, { recursive: true, mode: 0o700 });
  // Made by an older init (for the manifest) with the default mode: close it now it holds secrets.
  if (process.platform !== 'win32') chmodSync(state, 0o700);
  const ignore = join(state, '.gitignore');
  try {
    statSync(ignore);
  } catch {
    writePrivate(ignore, '# written by toolgate init: tokens and secrets live here\n*\n');
  }
}

/** Written beside, then renamed over: a reader sees the old or the new file, whole, and always 0600. */
export function writePrivate(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, 0o600); // an existing stale tmp keeps its old mode through open()
  renameSync(tmp, file);
}

/** Group or others may read or write it. Windows has no such bits. */
export function openToOthers(file: string): boolean {
  return process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0;
}

// The shape of src/auth/tokens.ts (tg_ + 43 base64url characters); init sits on auth's floor.
const TOKEN = /^tg_[A-Za-z0-9_-]{43}$/;

export function newToken(): string {
  return `tg_${randomBytes(32).toString('base64url')}`;
}

export function tokenSha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The token in the file if it holds one (re-running init keeps rewritten clients working). */
export function existingToken(file: string): string | undefined {
  try {
    const token = readFileSync(file, 'utf8').trim();
    return TOKEN.test(token) ? token : undefined;
  } catch {
    return undefined;
  }
}

/** `'...'` for sh: single quotes, each inner quote as '\''. */
function shQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

export function formatEnvFile(vars: Map<string, string>, header: string[]): string {
  const lines = header.map((h) => `# ${h}`);
  for (const [name, value] of vars) lines.push(`${name}=${shQuote(value)}`);
  return `${lines.join('\n')}\n`;
}

export class EnvFileError extends Error {}

/**
 * Reads what formatEnvFile writes (and plain NAME=value lines): comments and blank lines skipped,
 * a value is single-quoted segments joined by \' or bare text. Throws EnvFileError naming the line.
 */
export function parseEnvFile(text: string, file: string): Map<string, string> {
  const vars = new Map<string, string>();
  // A quoted value may span lines, so read the text as a whole rather than line by line.
  let i = 0;
  let line = 1;
  const fail = (why: string): never => {
    throw new EnvFileError(`${file}:${line}: ${why}`);
  };
  while (i < text.length) {
    const eol = text.indexOf('\n', i);
    const rest = text.slice(i, eol < 0 ? text.length : eol);
    if (/^\s*(#.*)?\r?$/.test(rest)) {
      i = eol < 0 ? text.length : eol + 1;
      line++;
      continue;
    }
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=/.exec(rest);
    if (!m?.[1]) fail('expected NAME=value');
    const name = m?.[1] ?? '';
    i += m?.[0].length ?? 0;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === "'") {
        const close = text.indexOf("'", i + 1);
        if (close < 0) fail(`unterminated quote in the value of ${name}`);
        const part = text.slice(i + 1, close);
        line += part.split('\n').length - 1;
        value += part;
        i = close + 1;
      } else if (c === '\\' && text[i + 1] === "'") {
        value += "'";
        i += 2;
      } else if (c === undefined || c === '\n' || c === '\r') break;
      else {
        const bare = /^[^'\\\r\n]*/.exec(text.slice(i))?.[0] ?? '';
        if (!bare) fail(`unexpected "${c}" in the value of ${name}`);
        value += bare.trimEnd();
        i += bare.length;
      }
    }
    vars.set(name, value);
  }
  return vars;
}
