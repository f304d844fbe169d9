// Entries found in several clients -> one list of toolgate servers. The same server configured
// in Cursor and Claude Code becomes one upstream (both clients get rewritten to it); two
// different servers that share a name keep both, the later one with a numeric suffix.
import { DEFAULT_AGGREGATE_SEPARATOR, suggestServerName } from '../config/index.js';
import { specKey } from './spec.js';
import type { FoundEntry, ServerSpec } from './types.js';

export interface MergedServer {
  name: string;
  spec: ServerSpec;
  sources: FoundEntry[];
}

/**
 * toolgate server names allow letters, digits, underscore and dash (they go in URLs), and never
 * the aggregate separator (`my__db` would be refused by the config loader).
 */
export function safeName(entry: string): string {
  const name = entry
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return suggestServerName(name || 'server', DEFAULT_AGGREGATE_SEPARATOR, new Set());
}

export function mergeEntries(entries: FoundEntry[]): MergedServer[] {
  const byKey = new Map<string, MergedServer>();
  const taken = new Set<string>();
  for (const found of entries) {
    const key = specKey(found.spec);
    const existing = byKey.get(key);
    if (existing) {
      existing.sources.push(found);
      continue;
    }
    const base = safeName(found.entry);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
    taken.add(name);
    byKey.set(key, { name, spec: found.spec, sources: [found] });
  }
  return [...byKey.values()];
}

export interface Selection {
  only?: string[];
  exclude?: string[];
}

/** The servers a name on the command line means: the one with that toolgate name, else those
 *  whose entry key in a client file is that name ("internal api" for `internal-api`). */
function resolveName(servers: MergedServer[], n: string): MergedServer[] {
  const exact = servers.filter((s) => s.name === n);
  return exact.length ? exact : servers.filter((s) => s.sources.some((src) => src.entry === n));
}

export function selectServers(
  servers: MergedServer[],
  sel: Selection,
): { included: MergedServer[]; excluded: MergedServer[]; unknown: string[] } {
  const pick = (names: string[] = []) => new Set(names.flatMap((n) => resolveName(servers, n)));
  const unknown = [...(sel.only ?? []), ...(sel.exclude ?? [])].filter(
    (n) => !resolveName(servers, n).length,
  );
  const only = pick(sel.only);
  const exclude = pick(sel.exclude);
  const included = servers.filter((s) => (!sel.only?.length || only.has(s)) && !exclude.has(s));
  return { included, excluded: servers.filter((s) => !included.includes(s)), unknown };
}
