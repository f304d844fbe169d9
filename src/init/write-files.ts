// Writes the files init produces, all or nothing with respect to overwriting: if any target
// already exists and --force was not given, nothing is written (a half-replaced setup is worse
// than none), and the caller reports which files were in the way.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface FileToWrite {
  path: string;
  text: string;
  kind: 'config' | 'policy';
}

export interface WriteOutcome {
  written: FileToWrite[];
  /** Files that exist and would have been overwritten (nothing was written). */
  existing: string[];
}

export function writeFiles(files: FileToWrite[], opts: { force: boolean; dryRun: boolean }): WriteOutcome {
  const existing = files.filter((f) => existsSync(f.path)).map((f) => f.path);
  if (existing.length && !opts.force) return { written: [], existing };
  if (!opts.dryRun) {
    for (const f of files) {
      mkdirSync(dirname(f.path), { recursive: true });
      writeFileSync(f.path, f.text);
    }
  }
  return { written: files, existing };
}
