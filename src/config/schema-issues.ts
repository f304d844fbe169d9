/**
 * zod's issues, said in the words of a config file (pure: load.ts places each on its line).
 *
 * zod reports a typo such as `comand:` under a server as a failed union ("Invalid input"): neither
 * a stdio nor an HTTP server matched. Here a failed union is explained by the branch the value
 * came closest to, so the user reads "unknown field `comand` (did you mean `command`?)"; unknown
 * keys get the closest valid name of their own map, wherever it is in the file; a missing field,
 * a wrong type or a value outside a list is named with what was expected and what was found.
 */
import type { z } from 'zod';
import { closestName, didYouMean } from './suggest.js';

type Issue = z.core.$ZodIssue;
type Path = (string | number)[];

export interface SchemaProblem {
  /** Where in the document: for an unknown or missing field, the field's own path. */
  path: Path;
  /**
   * What to point at: the key itself (an unknown field), the map that lacks a field (missing), or
   * the value.
   */
  at: 'key' | 'parent' | 'value';
  message: string;
  /** A missing field, or the valid name an unknown field was taken for (to drop the pair's echo). */
  missing?: string;
  suggested?: string;
}

/** Every issue of a failed parse of `data` by `schema`, explained. */
export function explainIssues(issues: readonly Issue[], schema: z.ZodType, data: unknown): SchemaProblem[] {
  return dedupe(issues.flatMap((i) => explain(i, [], schema, data)));
}

function explain(issue: Issue, base: Path, schema: Schema | undefined, data: unknown): SchemaProblem[] {
  const rel = issue.path as Path;
  const path = [...base, ...rel];
  const value = valueAt(data, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = objectKeys(schemaAt(schema, rel), value);
      return issue.keys.map((key) => {
        const suggested = closestName(key, known);
        return {
          path: [...path, key],
          at: 'key' as const,
          message: `unknown field \`${key}\`${suggested ? ` (did you mean \`${suggested}\`?)` : ''}`,
          ...(suggested ? { suggested } : {}),
        };
      });
    }
    case 'invalid_type': {
      const last = path.at(-1);
      if (value === undefined && typeof last === 'string') {
        return [{ path, at: 'parent', message: `missing field \`${last}\``, missing: last }];
      }
      if (value === undefined && path.length === 0) {
        return [{ path, at: 'value', message: 'the file is empty; it needs at least `servers:`' }];
      }
      return [{ path, at: 'value', message: `expected ${kindName(issue.expected)}, found ${kindOf(value)}` }];
    }
    case 'invalid_value': {
      const options = issue.values.map(String);
      const shown = options.map((o) => `\`${o}\``).join(', ');
      const hint = typeof value === 'string' ? didYouMean(value, options) : '';
      const what = options.length === 1 ? `must be ${shown}` : `must be one of ${shown}`;
      return [{ path, at: 'value', message: `${JSON.stringify(value)} ${what}${hint}` }];
    }
    case 'invalid_union':
      return explainUnion(issue, path, schemaAt(schema, rel), data);
    case 'invalid_key': {
      // A map key refused by its record (a server name with a space): point at the key.
      const why = issue.issues[0]?.message ?? issue.message;
      return [
        { path, at: 'key', message: `${JSON.stringify(String(path.at(-1)))} is not a valid name: ${why}` },
      ];
    }
    case 'too_small':
    case 'too_big':
      return [{ path, at: 'value', message: sizeMessage(issue) }];
    case 'invalid_format':
      // Our regexes carry their own message; zod's default ones do not say what was expected.
      if (issue.format === 'url')
        return [{ path, at: 'value', message: `${JSON.stringify(value)} is not a URL` }];
      return [{ path, at: 'value', message: issue.message }];
    default:
      return [{ path, at: 'value', message: issue.message }];
  }
}

/**
 * A value that matched no branch of a union. Each branch's problems are counted; one where the
 * value is not even the right kind (a string where a map was expected) counts as far off. When
 * every branch refuses the same field's value (`backend: mongo`), that field is the problem: the
 * values of all branches are listed. Otherwise the closest branch is explained; a tie between
 * branches that all half-match keeps the union's own message (a server with both `command` and
 * `url`).
 */
function explainUnion(
  issue: z.core.$ZodIssueInvalidUnion,
  path: Path,
  schema: Schema | undefined,
  data: unknown,
): SchemaProblem[] {
  const options = (schema?._zod.def as { options?: Schema[] } | undefined)?.options ?? [];
  const value = valueAt(data, path);
  // 1. The same field refused by every branch: a discriminator such as `backend`.
  const firstValueIssue = issue.errors[0]?.find((e) => e.code === 'invalid_value' && e.path.length > 0);
  if (
    firstValueIssue &&
    issue.errors.every((errs) =>
      errs.some((e) => e.code === 'invalid_value' && samePath(e.path as Path, firstValueIssue.path as Path)),
    )
  ) {
    const values = issue.errors.flatMap((errs) =>
      errs.flatMap((e) =>
        e.code === 'invalid_value' && samePath(e.path as Path, firstValueIssue.path as Path) ? e.values : [],
      ),
    );
    return explain({ ...firstValueIssue, values: [...new Set(values)] } as Issue, path, undefined, data);
  }
  // 2. Each branch's problems, the closest branch first.
  const branches = issue.errors.map((errs, i) => {
    const problems = dedupe(errs.flatMap((e) => explain(e, path, options[i], data)));
    const wrongKind = errs.some((e) => e.code === 'invalid_type' && e.path.length === 0);
    return { problems, score: problems.length + (wrongKind ? 100 : 0), wrongKind, errs };
  });
  const best = Math.min(...branches.map((b) => b.score));
  const closest = branches.filter((b) => b.score === best);
  if (closest.length === 1) return closest[0]!.problems;
  // 3. No branch is closer than another.
  if (closest.every((b) => b.wrongKind)) {
    const expected = [
      ...new Set(
        closest.flatMap((b) =>
          b.errs.flatMap((e) =>
            e.code === 'invalid_type' && e.path.length === 0 ? [kindName(e.expected)] : [],
          ),
        ),
      ),
    ];
    return [{ path, at: 'value', message: `expected ${expected.join(' or ')}, found ${kindOf(value)}` }];
  }
  if (issue.message && issue.message !== 'Invalid input')
    return [{ path, at: 'value', message: issue.message }];
  return closest[0]!.problems;
}

/**
 * "unknown field `comand` (did you mean `command`?)" already says that `command` is missing, and
 * "`tokenEnv` (did you mean `token_env`?)" what a rule of its map that names `token_env` would say.
 */
function dedupe(problems: SchemaProblem[]): SchemaProblem[] {
  const at = (p: Path) => JSON.stringify(p);
  const meant = problems
    .filter((p) => p.suggested)
    .map((p) => ({ map: at(p.path.slice(0, -1)), name: p.suggested! }));
  return problems.filter(
    (p) =>
      !meant.some(
        (m) =>
          (p.missing === m.name && at(p.path.slice(0, -1)) === m.map) ||
          (!p.suggested && at(p.path) === m.map && p.message.includes(`\`${m.name}\``)),
      ),
  );
}

function sizeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const n = Number(
    small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum,
  );
  const exclusive = issue.inclusive === false;
  switch (issue.origin) {
    case 'string':
      if (small && n === 1) return 'must not be empty';
      return `must be ${small ? 'at least' : 'at most'} ${n} characters long`;
    case 'array':
    case 'set':
      if (small && n === 1) return 'needs at least one item';
      return `must have ${small ? 'at least' : 'at most'} ${n} items`;
    default:
      return `must be ${small ? (exclusive ? 'greater than' : 'at least') : exclusive ? 'less than' : 'at most'} ${n}`;
  }
}

// ---- the schema and the data, by path ----

type Schema = z.core.$ZodType;

interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  shape?: Record<string, Schema>;
  valueType?: Schema;
  element?: Schema;
  options?: Schema[];
}

/** Through defaults, optionals and transforms to the schema that checks the value. */
function unwrap(schema: Schema | undefined): Schema | undefined {
  let s = schema;
  for (let i = 0; s && i < 20; i++) {
    const def = s._zod.def as unknown as Def;
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) return s;
    s = inner;
  }
  return s;
}

function schemaAt(schema: Schema | undefined, path: Path): Schema | undefined {
  let s = unwrap(schema);
  for (const key of path) {
    if (!s) return undefined;
    const def = s._zod.def as unknown as Def;
    if (def.type === 'object') s = def.shape?.[String(key)];
    else if (def.type === 'record') s = def.valueType;
    else if (def.type === 'array') s = def.element;
    else return undefined; // a union's branch is only known from its issues
    s = unwrap(s);
  }
  return s;
}

/**
 * The fields of the map `value` is checked against. zod names a union's path for an unknown key of
 * the branch that matched best: its fields are those of the branch sharing most keys with `value`.
 */
function objectKeys(schema: Schema | undefined, value: unknown): string[] {
  const def = schema?._zod.def as unknown as Def | undefined;
  if (def?.type === 'object' && def.shape) return Object.keys(def.shape);
  if (def?.type !== 'union' || !def.options) return [];
  const written = value !== null && typeof value === 'object' ? Object.keys(value) : [];
  let best: string[] = [];
  let shared = -1;
  for (const option of def.options) {
    const keys = objectKeys(unwrap(option), undefined);
    if (keys.length === 0) continue;
    const n = keys.filter((k) => written.includes(k)).length;
    if (n > shared) {
      best = keys;
      shared = n;
    }
  }
  return best;
}

function valueAt(data: unknown, path: Path): unknown {
  let v = data;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

function samePath(a: Path, b: Path): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

const KIND_NAMES: Record<string, string> = {
  object: 'a map (key: value)',
  record: 'a map (key: value)',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

function kindName(expected: string): string {
  return KIND_NAMES[expected] ?? expected;
}

/** What was written, in YAML's terms. */
function kindOf(value: unknown): string {
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  if (typeof value === 'boolean') return String(value);
  return typeof value;
}
