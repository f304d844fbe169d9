import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/index.js';
import { generateToken } from './tokens.js';

/**
 * The admin token toolgate makes for itself when `admin.token_env` / `admin.token_sha256` are not
 * set: one line in a file only its owner may read, beside the database. The gateway reads it at
 * start (creating it on first start) and again whenever the file changes
 * (`toolgate admin token --rotate`); it keeps only the token's hash in memory.
 */
export const ADMIN_TOKEN_FILE_NAME = 'admin-token';

/** What a token in the file must look like (a generated one is `tg_` + 43 characters). */
const TOKEN_SHAPE = /^\S{16,512}$/;

export class AdminTokenFileError extends Error {
  readonly code = 'ADMIN_TOKEN_FILE';
}

/**
 * Where the generated token lives: beside the SQLite database, or for PostgreSQL storage (no
 * local database file) beside toolgate.yaml.
 */
export function adminTokenFile(config: Pick<Config, 'storage'>, configDir: string): string {
  const s = config.storage;
  return join('sqlite' in s ? dirname(s.sqlite) : configDir, ADMIN_TOKEN_FILE_NAME);
}

/** Group or others may read or write it: the token may have leaked. Windows has no such bits. */
function tooOpen(mode: number): boolean {
  return process.platform !== 'win32' && (mode & 0o077) !== 0;
}

/** The token in `file`; throws AdminTokenFileError (with what to do) when it is missing, open to others or malformed. */
export function readAdminTokenFile(file: string): string {
  let text: string;
  try {
    const st = statSync(file);
    if (tooOpen(st.mode)) {
      throw new AdminTokenFileError(
        `the admin token file ${file} may be read by other users (mode ${(st.mode & 0o777).toString(8)}); ` +
          `run \`chmod 600 ${file}\`, and \`toolgate admin token --rotate\` if someone may have read it`,
      );
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof AdminTokenFileError) throw err;
    throw new AdminTokenFileError(`cannot read the admin token file ${file}: ${(err as Error).message}`);
  }
  const token = text.trim();
  if (!TOKEN_SHAPE.test(token)) {
    throw new AdminTokenFileError(
      `the admin token file ${file} does not hold a token (one line, 16 to 512 characters, no spaces); ` +
        'run `toolgate admin token --rotate` to write a new one',
    );
  }
  return token;
}

/**
 * Create the file with a fresh token unless it exists (`wx`: two processes starting together
 * cannot both write it); then read it. `created` says whether this call made it.
 */
export function ensureAdminTokenFile(file: string): { token: string; created: boolean } {
  let created = false;
  try {
    writeTokenFile(file, generateToken(), 'wx');
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new AdminTokenFileError(`cannot create the admin token file ${file}: ${(err as Error).message}`);
    }
  }
  return { token: readAdminTokenFile(file), created };
}

/** Replace the token (a new file renamed over the old one: readers see the old or the new, whole). */
export function rotateAdminTokenFile(file: string): string {
  const token = generateToken();
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    rmSync(tmp, { force: true }); // a stale one from a crash: made anew, so with mode 0600
    writeTokenFile(tmp, token, 'wx');
    renameSync(tmp, file);
  } catch (err) {
    throw new AdminTokenFileError(`cannot write the admin token file ${file}: ${(err as Error).message}`);
  }
  return token;
}

function writeTokenFile(file: string, token: string, flag: 'wx'): void {
  // The mode is given at creation, so the token is never readable by others, even for a moment.
  const fd = openSync(file, flag, 0o600);
  try {
    writeSync(fd, `${token}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Identifies one version of the file without reading it. */
export function fileVersion(file: string): string | undefined {
  try {
    const st = statSync(file);
    return `${st.ino}:${st.mtimeMs}:${st.size}:${st.mode}`;
  } catch {
    return undefined;
  }
}
