// Reads every client config file that exists and lists the server entries in it. A file that
// cannot be read or parsed is reported (path + reason) and skipped: one broken editor config
// must not stop a user from setting up the others.
import { readFileSync } from 'node:fs';
import { clientFiles, isGatewayEntry, type Locations } from './clients.js';
import { findNode, JsoncError, parseJsonc, toValue } from './jsonc.js';
import { entryToSpec } from './spec.js';
import type { Discovery } from './types.js';

export interface DiscoverOptions extends Partial<Pick<Locations, 'platform'>> {
  home: string;
  cwd: string;
  /** The gateway port: entries already pointing at it are left out. */
  port?: number;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function discover(opts: DiscoverOptions): Discovery {
  const port = opts.port ?? 8787;
  const out: Discovery = { files: [], entries: [], gatewayEntries: [], problems: [] };
  for (const file of clientFiles({
    home: opts.home,
    cwd: opts.cwd,
    platform: opts.platform ?? process.platform,
  })) {
    let text: string;
    try {
      text = readFileSync(file.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        out.problems.push({ file: file.path, reason: `cannot read: ${code}` });
      continue;
    }
    if (!text.trim()) continue; // an empty file is a client that was never configured
    let root: ReturnType<typeof parseJsonc>;
    try {
      root = parseJsonc(text);
    } catch (err) {
      out.problems.push({
        file: file.path,
        reason: err instanceof JsoncError ? `not valid JSON: ${err.message}` : String(err),
      });
      continue;
    }
    const names: string[] = [];
    for (const container of file.containers) {
      const node = findNode(root, container.path);
      if (!node) continue;
      const servers = toValue(node);
      if (!isObject(servers)) {
        out.problems.push({ file: file.path, reason: `${container.path.join('.')} is not an object` });
        continue;
      }
      for (const [entry, raw] of Object.entries(servers)) {
        if (!isObject(raw)) {
          out.problems.push({ file: file.path, reason: `server "${entry}" is not an object` });
          continue;
        }
        names.push(entry);
        if (isGatewayEntry(raw, port)) {
          out.gatewayEntries.push({ file: file.path, entry });
          continue;
        }
        const result = entryToSpec(raw, { client: file.client, home: opts.home, cwd: opts.cwd });
        if ('error' in result) {
          out.problems.push({ file: file.path, reason: `server "${entry}" ${result.error}` });
          continue;
        }
        out.entries.push({
          client: file.client,
          scope: container.scope,
          file: file.path,
          path: [...container.path, entry],
          entry,
          spec: result.spec,
          disabled: raw.disabled === true,
          notes: result.notes,
        });
      }
    }
    out.files.push({ client: file.client, scope: file.scope, path: file.path, entries: names });
  }
  return out;
}
