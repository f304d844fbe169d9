import { type DocPath, formatPath } from './path.js';

/** An issue found while validating, located by document path; parse.ts turns paths into line:col. */
export interface RawIssue {
  path: DocPath;
  message: string;
  /** Point at the key rather than the value (unknown fields). */
  atKey: boolean;
}

export type Obj = Record<string, unknown>;

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Collects every issue instead of stopping at the first, so one run shows the user all of them. */
export class Checker {
  readonly issues: RawIssue[] = [];

  error(path: DocPath, message: string, atKey = false): void {
    this.issues.push({ path, message, atKey });
  }

  object(v: unknown, path: DocPath, what: string): Obj | undefined {
    if (isObj(v)) return v;
    this.error(path, `${what} must be an object, not ${typeName(v)}`);
    return undefined;
  }

  list(v: unknown, path: DocPath, what: string): unknown[] | undefined {
    if (Array.isArray(v)) return v;
    this.error(path, `${what} must be a list, not ${typeName(v)}`);
    return undefined;
  }

  string(v: unknown, path: DocPath, what: string): string | undefined {
    if (typeof v === 'string' && v !== '') return v;
    this.error(path, `${what} must be a non-empty string, not ${v === '' ? 'empty' : typeName(v)}`);
    return undefined;
  }

  oneOf<T extends string>(v: unknown, path: DocPath, what: string, allowed: readonly T[]): T | undefined {
    if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
    const shown = typeof v === 'string' ? JSON.stringify(v) : typeName(v);
    this.error(path, `${what} must be one of ${allowed.join(', ')}, not ${shown}${suggest(v, allowed)}`);
    return undefined;
  }

  /** Reports every field not in `allowed`, at the key, with a did-you-mean when one is close. */
  fields(obj: Obj, path: DocPath, allowed: readonly string[], where?: string): void {
    for (const key of Object.keys(obj)) {
      if (allowed.includes(key)) continue;
      const place = where ?? (formatPath(path) || 'the top level');
      this.error(
        [...path, key],
        `unknown field "${key}" in ${place}${suggest(key, allowed)} (allowed: ${allowed.join(', ')})`,
        true,
      );
    }
  }
}

/** A did-you-mean hint for typos such as `deny_iff` or `regexp`. */
export function suggest(v: unknown, allowed: readonly string[]): string {
  if (typeof v !== 'string') return '';
  const alias = Object.hasOwn(ALIASES, v.toLowerCase()) ? ALIASES[v.toLowerCase()] : undefined;
  if (alias && allowed.includes(alias)) return `; did you mean "${alias}"?`;
  let best = '';
  let bestDist = 3;
  for (const cand of allowed) {
    const d = distance(v.toLowerCase(), cand);
    if (d < bestDist) {
      best = cand;
      bestDist = d;
    }
  }
  return best ? `; did you mean "${best}"?` : '';
}

/** Spellings people carry over from other policy languages. */
const ALIASES: Record<string, string> = {
  '==': 'eq',
  '=': 'eq',
  equals: 'eq',
  '!=': 'neq',
  ne: 'neq',
  not_equals: 'neq',
  '<': 'lt',
  '<=': 'lte',
  '>': 'gt',
  '>=': 'gte',
  less_than: 'lt',
  greater: 'gt',
  greater_than: 'gt',
  matches: 'regex',
  regexp: 'regex',
  match: 'regex',
  startswith: 'starts_with',
  endswith: 'ends_with',
  exist: 'exists',
  missing: 'not_exists',
  nin: 'not_in',
};

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
