/**
 * Condition operators. Each one validates its `value` at load and builds a test closure with
 * everything precomputed (regexes compiled, sets built), so a decision only compares.
 * A test never throws: a value of the wrong type simply does not satisfy the operator.
 */

import { defaultRedactor } from '../redact/index.js';
import { regexHazard } from '../util/regex-safety.js';
import { typeName } from './check.js';
import type { Operator } from './operator-names.js';
import { MISSING, type Resolved } from './path.js';

export { OPERATORS, type Operator } from './operator-names.js';

export type Test = (actual: Resolved) => boolean;

export interface BuiltOperator {
  test: Test;
  /** Phrase for when the test holds, e.g. "greater than 10000". */
  holds: string;
  /** Phrase for when it does not, e.g. "not greater than 10000". */
  fails: string;
  /** For ordering/string operators: the type the actual value must have. */
  needs?: Needs;
}

export type Needs = 'number' | 'string' | 'list' | 'string or list';

export const REGEX_FLAGS = /^[imsu]*$/;

/** Short JSON rendering for explanations; long values are cut so reasons stay readable. */
export function show(v: unknown): string {
  if (v instanceof RegExp) return String(v);
  // Reasons quote arguments and are stored and shown: secrets are masked before the cut, which
  // could otherwise leave a token's first characters too short to recognise.
  const s = defaultRedactor.text(JSON.stringify(v) ?? String(v));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  const bo = b as Record<string, unknown>;
  if (ka.length !== Object.keys(bo).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(bo, k) || !deepEqual((a as Record<string, unknown>)[k], bo[k])) return false;
  }
  return true;
}

function isPrimitive(v: unknown): boolean {
  return v === null || typeof v !== 'object';
}

/** Equality against a fixed value: `===` for primitives, structural for lists and objects. */
function equalsTo(value: unknown): (a: Resolved) => boolean {
  if (isPrimitive(value)) return (a) => a === value;
  return (a) => a !== MISSING && deepEqual(a, value);
}

/** Membership in a fixed list: a Set lookup when the list holds only primitives. */
function memberOf(values: unknown[]): (a: Resolved) => boolean {
  if (values.every(isPrimitive)) {
    const set = new Set(values);
    return (a) => a !== MISSING && set.has(a);
  }
  return (a) => a !== MISSING && values.some((v) => deepEqual(a, v));
}

/**
 * Builds the operator, or returns an error message about `value`. `value` is undefined when
 * the condition has none; `flags` applies to regex only.
 */
export function buildOperator(
  op: Operator,
  value: unknown,
  flags: string | undefined,
): BuiltOperator | string {
  const v = show(value);
  const needsValue = op !== 'exists' && op !== 'not_exists';
  if (needsValue && value === undefined) return `op ${op} needs a value`;
  if (!needsValue && value !== undefined) return `op ${op} takes no value; remove it`;
  switch (op) {
    case 'eq': {
      const eq = equalsTo(value);
      return { test: eq, holds: `equal to ${v}`, fails: `not equal to ${v}` };
    }
    case 'neq': {
      // A missing path is false for neq too: "not equal" is a claim about a value that exists.
      const eq = equalsTo(value);
      return { test: (a) => a !== MISSING && !eq(a), holds: `not equal to ${v}`, fails: `equal to ${v}` };
    }
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return buildOrdering(op, value);
    case 'in':
    case 'not_in': {
      if (!Array.isArray(value)) return `op ${op} needs a list value, not ${typeName(value)}`;
      const has = memberOf(value);
      if (op === 'in') return { test: has, holds: `one of ${v}`, fails: `not one of ${v}` };
      return { test: (a) => a !== MISSING && !has(a), holds: `not one of ${v}`, fails: `one of ${v}` };
    }
    case 'contains': {
      const eq = equalsTo(value);
      const test: Test =
        typeof value === 'string'
          ? (a) => (typeof a === 'string' ? a.includes(value) : Array.isArray(a) && a.some(eq))
          : (a) => Array.isArray(a) && a.some(eq);
      return {
        test,
        holds: `which contains ${v}`,
        fails: `which does not contain ${v}`,
        needs: typeof value === 'string' ? 'string or list' : 'list',
      };
    }
    case 'starts_with':
    case 'ends_with': {
      if (typeof value !== 'string') return `op ${op} needs a string value, not ${typeName(value)}`;
      const word = op === 'starts_with' ? 'starts' : 'ends';
      const test: Test =
        op === 'starts_with'
          ? (a) => typeof a === 'string' && a.startsWith(value)
          : (a) => typeof a === 'string' && a.endsWith(value);
      return {
        test,
        holds: `which ${word} with ${v}`,
        fails: `which does not ${word.slice(0, -1)} with ${v}`,
        needs: 'string',
      };
    }
    case 'regex': {
      if (typeof value !== 'string')
        return `op regex needs a string value (the pattern), not ${typeName(value)}`;
      if (flags !== undefined && !REGEX_FLAGS.test(flags)) {
        return `regex flags may only contain i, m, s, u (not ${JSON.stringify(flags)})`;
      }
      let re: RegExp;
      try {
        re = new RegExp(value, flags);
      } catch (err) {
        return `invalid regex ${JSON.stringify(value)}: ${(err as Error).message}`;
      }
      // Valid is not enough: a pattern that can backtrack catastrophically would let one argument
      // freeze the gateway (regex-safety.ts). The length cap is applied by the condition.
      const hazard = regexHazard(value, flags);
      if (hazard) return hazard;
      return {
        test: (a) => typeof a === 'string' && re.test(a),
        holds: `which matches ${show(re)}`,
        fails: `which does not match ${show(re)}`,
        needs: 'string',
      };
    }
    case 'exists':
      return { test: (a) => a !== MISSING, holds: 'present', fails: 'missing' };
    case 'not_exists':
      return { test: (a) => a === MISSING, holds: 'missing', fails: 'present' };
  }
}

function buildOrdering(op: 'lt' | 'lte' | 'gt' | 'gte', value: unknown): BuiltOperator | string {
  if (typeof value !== 'number' && typeof value !== 'string') {
    return `op ${op} needs a number or string value, not ${typeName(value)}`;
  }
  const v = show(value);
  const kind = typeof value;
  // Compare only like with like: "12000" gt 10000 is false, never coerced.
  const test: Test =
    op === 'lt'
      ? (a) => typeof a === kind && (a as number) < (value as number)
      : op === 'lte'
        ? (a) => typeof a === kind && (a as number) <= (value as number)
        : op === 'gt'
          ? (a) => typeof a === kind && (a as number) > (value as number)
          : (a) => typeof a === kind && (a as number) >= (value as number);
  const phrases = {
    lt: [`less than ${v}`, `not less than ${v}`],
    lte: [`at most ${v}`, `more than ${v}`],
    gt: [`greater than ${v}`, `not greater than ${v}`],
    gte: [`at least ${v}`, `less than ${v}`],
  }[op];
  return { test, holds: phrases[0]!, fails: phrases[1]!, needs: kind as 'number' | 'string' };
}
