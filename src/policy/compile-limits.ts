/** Limits: counter, window, max, scope, sum; checked once at load, charged by the caller. */
import { type Checker, typeName } from './check.js';
import { DURATION_HELP, parseDuration } from './duration.js';
import type { CompiledLimit } from './model.js';
import { type DocPath, type FactPath, formatPath, parseFactPath } from './path.js';
import type { LimitCharge, Scope } from './types.js';

export const SCOPES: readonly Scope[] = ['grant', 'session', 'server', 'global'];
export const LIMIT_FIELDS = ['counter', 'window', 'max', 'scope', 'sum'];
const COUNTER_NAME = /^[A-Za-z0-9_.:*?-]+$/;

/** Remembers how each counter was first declared, so every limit sharing it agrees. */
export type CounterRegistry = Map<string, { window: number; scope: Scope; sum: boolean; where: string }>;

export function compileLimit(
  raw: Record<string, unknown>,
  path: DocPath,
  ck: Checker,
  defaults: { counter?: string; scope: Scope },
  counters: CounterRegistry,
): CompiledLimit | undefined {
  ck.fields(raw, path, LIMIT_FIELDS);
  const before = ck.issues.length;
  let counter = defaults.counter;
  if (raw.counter !== undefined || counter === undefined) {
    counter = ck.string(raw.counter, [...path, 'counter'], 'counter');
    if (counter !== undefined && !COUNTER_NAME.test(counter)) {
      ck.error([...path, 'counter'], `counter "${counter}" may use only letters, digits and _ . : - * ?`);
    }
  }
  const windowSeconds = parseDuration(raw.window);
  if (windowSeconds === undefined) {
    const shown = raw.window === undefined ? 'missing' : `${JSON.stringify(raw.window)}`;
    ck.error(
      raw.window === undefined ? path : [...path, 'window'],
      `window is ${shown}; use ${DURATION_HELP}`,
    );
  }
  const max = raw.max;
  if (typeof max !== 'number' || !Number.isFinite(max) || max <= 0) {
    const shown = max === undefined ? 'missing' : typeof max === 'number' ? String(max) : typeName(max);
    ck.error(
      max === undefined ? path : [...path, 'max'],
      `max must be a number greater than 0, not ${shown}`,
    );
  }
  let scope = defaults.scope;
  if (raw.scope !== undefined) scope = ck.oneOf(raw.scope, [...path, 'scope'], 'scope', SCOPES) ?? scope;
  let sum: FactPath | undefined;
  if (raw.sum !== undefined) {
    const text = ck.string(raw.sum, [...path, 'sum'], 'sum');
    if (text !== undefined) {
      const parsed = parseFactPath(text);
      if (typeof parsed === 'string') ck.error([...path, 'sum'], parsed);
      else if (parsed.root === 'server' || parsed.root === 'tool') {
        ck.error([...path, 'sum'], `sum must name a numeric field such as args.amount, not ${text}`);
      } else sum = parsed;
    }
  }
  if (ck.issues.length > before || counter === undefined || windowSeconds === undefined) return undefined;
  const where = formatPath(path);
  const seen = counters.get(counter);
  if (seen && (seen.window !== windowSeconds || seen.scope !== scope || seen.sum !== (sum !== undefined))) {
    ck.error(
      path,
      `counter "${counter}" is also declared at ${seen.where} with a different window, scope or sum; ` +
        'limits that share a counter must agree on all three (or use another counter name)',
    );
    return undefined;
  }
  if (!seen) counters.set(counter, { window: windowSeconds, scope, sum: sum !== undefined, where });
  const charge: LimitCharge = Object.freeze({
    counter,
    window: String(raw.window),
    windowSeconds,
    max: max as number,
    scope,
    amount: 1,
    rule: where,
  });
  return { charge, sum };
}

/** "track_event_rate: 30 per minute per grant" for explanations. */
export function describeCharge(c: LimitCharge, sum: FactPath | undefined): string {
  const per = /^\d+$/.test(c.window) ? `${c.window}s` : c.window;
  const what = sum ? `${sum.text} summed up to ${c.max}` : `${c.max} calls`;
  return `${c.counter}: ${what} per ${per} per ${c.scope}`;
}
