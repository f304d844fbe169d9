/**
 * Conditions: `{path, op, value}` leaves and `all` / `any` / `not` combinators, compiled into
 * closures. `test` is the hot path; `describe` runs only to explain a decision that fired.
 */

import { REGEX_INPUT_LIMIT, RegexInputTooLong } from '../util/regex-safety.js';
import { type Checker, isObj, typeName } from './check.js';
import { buildOperator, type Needs, OPERATORS, type Operator, show, type Test } from './operators.js';
import { type DocPath, type FactPath, formatPath, MISSING, parseFactPath, resolvePath } from './path.js';
import type { CallFacts } from './types.js';

export interface Condition {
  test(call: CallFacts): boolean;
  /** The state of the call that made this condition hold or not, in words. */
  describe(call: CallFacts): string;
  /**
   * What `test` answers for every call to `tool`, whatever its arguments, grant, session or
   * server; undefined when that depends on the call. Exact where it answers (a path on `tool`,
   * `in: []`, and combinators of those), conservative elsewhere: tools/list leaves out only
   * tools this proves denied (unlisted.ts).
   */
  fixed(tool: string): boolean | undefined;
}

/** A top-level entry of require / deny_if / approval.if, with its place and optional reason. */
export interface RuleCondition {
  readonly cond: Condition;
  readonly rule: string;
  readonly reason: string | undefined;
}

export const LEAF_FIELDS = ['path', 'op', 'value', 'flags'];
export const COMBINATORS = ['all', 'any', 'not'] as const;

/**
 * Compiles one condition. `reasonAllowed` is true for top-level entries, whose `reason` is shown
 * to the agent; nested conditions have no reason of their own. `rule` names the top-level entry a
 * nested condition belongs to (a denial for an argument too long to check names it).
 */
export function compileCondition(
  raw: unknown,
  path: DocPath,
  ck: Checker,
  reasonAllowed: boolean,
  rule = formatPath(path),
): { cond: Condition; reason: string | undefined } | undefined {
  if (!isObj(raw)) {
    ck.error(path, `a condition must be an object like {path, op, value}, not ${typeName(raw)}`);
    return undefined;
  }
  let reason: string | undefined;
  if (reasonAllowed && raw.reason !== undefined)
    reason = ck.string(raw.reason, [...path, 'reason'], 'reason');
  const extra = reasonAllowed ? ['reason'] : [];
  const combinators = COMBINATORS.filter((c) => raw[c] !== undefined);
  if (combinators.length > 0) {
    if (combinators.length > 1) {
      ck.error(path, `a condition has one of all, any, not; this one has ${combinators.join(' and ')}`);
      return undefined;
    }
    const kind = combinators[0]!;
    ck.fields(raw, path, [kind, ...extra]);
    const cond = compileCombinator(kind, raw[kind], [...path, kind], ck, rule);
    return cond && { cond, reason };
  }
  ck.fields(raw, path, [...LEAF_FIELDS, ...COMBINATORS, ...extra]);
  const cond = compileLeaf(raw, path, ck, rule);
  return cond && { cond, reason };
}

function compileCombinator(
  kind: (typeof COMBINATORS)[number],
  raw: unknown,
  path: DocPath,
  ck: Checker,
  rule: string,
): Condition | undefined {
  if (kind === 'not') {
    const inner = compileCondition(raw, path, ck, false, rule)?.cond;
    if (!inner) return undefined;
    // The inner description already says why it holds or not, which is why `not` does the opposite.
    return {
      test: (call) => !inner.test(call),
      describe: (call) => inner.describe(call),
      fixed: (tool) => {
        const f = inner.fixed(tool);
        return f === undefined ? undefined : !f;
      },
    };
  }
  const list = ck.list(raw, path, kind);
  if (!list) return undefined;
  if (list.length === 0) {
    ck.error(path, `${kind} needs at least one condition`);
    return undefined;
  }
  const parts: Condition[] = [];
  list.forEach((item, i) => {
    const c = compileCondition(item, [...path, i], ck, false, rule)?.cond;
    if (c) parts.push(c);
  });
  if (parts.length !== list.length) return undefined;
  if (kind === 'all') {
    return {
      test: (call) => {
        for (let i = 0; i < parts.length; i++) if (!parts[i]!.test(call)) return false;
        return true;
      },
      describe: (call) => {
        const failing = parts.find((p) => !p.test(call));
        return failing ? failing.describe(call) : parts.map((p) => p.describe(call)).join(' and ');
      },
      fixed: (tool) => combineFixed(parts, tool, false),
    };
  }
  return {
    test: (call) => {
      for (let i = 0; i < parts.length; i++) if (parts[i]!.test(call)) return true;
      return false;
    },
    describe: (call) => {
      const holding = parts.find((p) => p.test(call));
      return holding ? holding.describe(call) : parts.map((p) => p.describe(call)).join(' and ');
    },
    fixed: (tool) => combineFixed(parts, tool, true),
  };
}

/**
 * Three-valued `all` (decisive = false) or `any` (decisive = true): one part fixed at the
 * decisive value settles it; otherwise it is fixed only when every part is.
 */
function combineFixed(parts: readonly Condition[], tool: string, decisive: boolean): boolean | undefined {
  let open = false;
  for (const p of parts) {
    const f = p.fixed(tool);
    if (f === decisive) return decisive;
    if (f === undefined) open = true;
  }
  return open ? undefined : !decisive;
}

function compileLeaf(
  raw: Record<string, unknown>,
  path: DocPath,
  ck: Checker,
  rule: string,
): Condition | undefined {
  const pathText = ck.string(raw.path, [...path, 'path'], 'path');
  const op = ck.oneOf<Operator>(raw.op, [...path, 'op'], 'op', OPERATORS);
  let flags: string | undefined;
  if (raw.flags !== undefined) {
    if (op !== 'regex') ck.error([...path, 'flags'], 'flags only apply to op regex', true);
    else flags = ck.string(raw.flags, [...path, 'flags'], 'flags');
  }
  let factPath: FactPath | undefined;
  if (pathText !== undefined) {
    const parsed = parseFactPath(pathText);
    if (typeof parsed === 'string') ck.error([...path, 'path'], parsed);
    else factPath = parsed;
  }
  if (op === undefined) return undefined;
  const built = buildOperator(op, raw.value, flags);
  if (typeof built === 'string') {
    ck.error(raw.value === undefined ? path : [...path, 'value'], built);
    return undefined;
  }
  if (!factPath) return undefined;
  const fp = factPath;
  const test = op === 'regex' ? capped(built.test, rule, fp.text) : built.test;
  // `in` an empty list holds for no value at all.
  const never = op === 'in' && Array.isArray(raw.value) && raw.value.length === 0;
  return {
    test: (call) => test(resolvePath(call, fp)),
    fixed: (tool) => {
      if (never) return false;
      if (fp.root !== 'tool') return undefined;
      try {
        return test(tool);
      } catch {
        return undefined; // a name too long for a regex: the call decides (and is denied)
      }
    },
    describe: (call) => {
      const actual = resolvePath(call, fp);
      if (actual === MISSING) return `${fp.text} is missing`;
      if (op === 'exists' || op === 'not_exists') return `${fp.text} is present (${show(actual)})`;
      if (test(actual)) return `${fp.text} is ${show(actual)}, ${built.holds}`;
      if (built.needs && !fitsType(actual, built.needs)) {
        return `${fp.text} is ${show(actual)}, ${typeName(actual)}, so ${op} ${show(raw.value)} does not apply (it needs ${built.needs === 'list' ? 'a list' : `a ${built.needs}`})`;
      }
      return `${fp.text} is ${show(actual)}, ${built.fails}`;
    },
  };
}

/**
 * A regex test that refuses strings longer than REGEX_INPUT_LIMIT: it throws, whatever the
 * condition around it (`not`, `any`, require or deny_if), and decide() denies the call. Failing
 * closed is the only safe answer: a string too long to check could hide anything.
 */
function capped(matches: Test, rule: string, path: string): Test {
  return (a) => {
    if (typeof a === 'string' && a.length > REGEX_INPUT_LIMIT)
      throw new RegexInputTooLong(rule, path, a.length);
    return matches(a);
  };
}

function fitsType(v: unknown, needs: Needs): boolean {
  switch (needs) {
    case 'number':
      return typeof v === 'number';
    case 'string':
      return typeof v === 'string';
    case 'list':
      return Array.isArray(v);
    case 'string or list':
      return typeof v === 'string' || Array.isArray(v);
  }
}
