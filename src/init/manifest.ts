// The record of what `--rewrite` changed, kept beside toolgate.yaml so `--undo` knows which
// client files to restore and can tell whether someone edited them since.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ClientId } from './types.js';

export interface ManifestFile {
  file: string;
  backup: string;
  client: ClientId;
  /** Entries rewritten in this file (key, place in the document) and the server each points at. */
  entries: { entry: string; server: string; path: string[] }[];
  /** sha256 of the file as toolgate wrote it. */
  sha256: string;
}

export interface Manifest {
  version: 1;
  config: string;
  files: ManifestFile[];
}

export const BACKUP_SUFFIX = '.toolgate-backup';

export function manifestPath(dir: string): string {
  return join(dir, '.toolgate', 'init-manifest.json');
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function readManifest(dir: string): Manifest | undefined {
  try {
    const m = JSON.parse(readFileSync(manifestPath(dir), 'utf8')) as Manifest;
    return m.version === 1 && Array.isArray(m.files) ? m : undefined;
  } catch {
    return undefined;
  }
}

export function writeManifest(dir: string, manifest: Manifest): void {
  const path = manifestPath(dir);
  if (manifest.files.length === 0) {
    rmSync(path, { force: true });
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(tmp, path);
}
