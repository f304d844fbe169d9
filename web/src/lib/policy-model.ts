// The policy document as the visual builder sees it (docs/policy.md), and the pure edits the
// builder makes to it. The server stays the judge: every draft is validated by the API before it
// can be saved; these helpers only keep the forms from producing nonsense in the first place.
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
// The server's own list (src/policy/operator-names.ts has no imports, so it bundles as is).
import { OPERATORS, type Operator } from '../../../src/policy/operator-names';
import type { PolicyFormat } from '../api';

export const OPS = OPERATORS;
export type Op = Operator;

export const SCOPES = ['grant', 'session', 'server', 'global'] as const;
export type Scope = (typeof SCOPES)[number];

export interface SimpleCondition {
  path: string;
  op: Op;
  value?: unknown;
  flags?: string;
  reason?: string;
}

/** A combinator (`all`, `any`, `not`): shown read-only in the builder, edited in the Raw tab. */
export type Condition = SimpleCondition | Record<string, unknown>;

export interface Limit {
  counter: string;
  window: string | number;
  max: number;
  scope?: Scope;
  sum?: string;
}

export interface ApprovalRule {
  if?: Condition[];
  timeout?: string | number;
  mode?: 'hold' | 'retry';
  reason?: string;
}

export interface ToolRule {
  deny?: boolean;
  reason?: string;
  require?: Condition[];
  deny_if?: Condition[];
  approval?: ApprovalRule;
  limits?: Limit[];
  action?: string;
  [k: string]: unknown;
}

export interface PolicyDoc {
  version: string | number;
  name?: string;
  description?: string;
  mode?: 'enforce' | 'shadow';
  default?: 'allow' | 'deny';
  new_tools?: 'quarantine' | 'policy';
  hide?: string[];
  all_tools?: { limits?: Limit[] };
  tools?: Record<string, ToolRule>;
  [k: string]: unknown;
}

export type ToolMode = 'default' | 'allow' | 'deny' | 'hide' | 'approval' | 'custom';

export function isSimple(c: Condition): c is SimpleCondition {
  return typeof (c as SimpleCondition).path === 'string' && typeof (c as SimpleCondition).op === 'string';
}

/** `*` any run, `?` one character, everything else literal; the whole name must match. */
export function globMatch(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(name);
}

const isGlob = (k: string) => /[*?]/.test(k);

/** The tools entry that governs `tool`: exact key first, then the longest matching glob. */
export function governingKey(doc: PolicyDoc, tool: string): string | undefined {
  const tools = doc.tools ?? {};
  if (Object.hasOwn(tools, tool)) return tool;
  let best: string | undefined;
  for (const k of Object.keys(tools))
    if (isGlob(k) && globMatch(k, tool) && (best === undefined || k.length > best.length)) best = k;
  return best;
}

export function hiddenBy(doc: PolicyDoc, tool: string): string | undefined {
  return (doc.hide ?? []).find((h) => h === tool || (isGlob(h) && globMatch(h, tool)));
}

function entryMode(rule: ToolRule): ToolMode {
  const keys = Object.keys(rule);
  if (keys.length === 0) return 'allow';
  if (rule.action === 'allow' && keys.length === 1) return 'allow';
  if (rule.action === 'deny') return 'deny';
  if (rule.action === 'require_approval') return 'approval';
  if (rule.deny === true && keys.every((k) => k === 'deny' || k === 'reason')) return 'deny';
  if (keys.length === 1 && rule.approval && Object.keys(rule.approval).length === 0) return 'approval';
  return 'custom';
}

/** Which of the builder's buttons describes the tool's exact entry (globs count as `default`). */
export function toolMode(doc: PolicyDoc, tool: string): ToolMode {
  if ((doc.hide ?? []).includes(tool)) return 'hide';
  const rule = doc.tools?.[tool];
  if (rule === undefined || !Object.hasOwn(doc.tools ?? {}, tool)) return 'default';
  return entryMode(rule);
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/** Rewrites a PolicyLayer action entry into the canonical fields the forms edit. */
export function canonicalRule(rule: ToolRule, key: string): ToolRule {
  if (!rule.action) return rule;
  const { action, reason, rate_limit } = rule as ToolRule & { rate_limit?: Record<string, unknown> };
  if (action === 'allow') return {};
  if (action === 'deny') return reason ? { deny: true, reason } : { deny: true };
  if (action === 'require_approval') return { approval: {} };
  if (action === 'rate_limit' && rate_limit) {
    const limit: Limit = {
      counter: String(rate_limit.counter ?? key),
      window: rate_limit.window as string | number,
      max: Number(rate_limit.max),
      scope: (rate_limit.scope as Scope) ?? 'session',
    };
    if (typeof rate_limit.sum === 'string') limit.sum = rate_limit.sum;
    return { limits: [limit] };
  }
  return rule;
}

export function setToolMode(doc: PolicyDoc, tool: string, mode: ToolMode): PolicyDoc {
  const next = clone(doc);
  const tools = { ...(next.tools ?? {}) };
  const hide = (next.hide ?? []).filter((h) => h !== tool);
  const current = tools[tool] ? canonicalRule(tools[tool], tool) : undefined;
  switch (mode) {
    case 'default':
      delete tools[tool];
      break;
    case 'allow':
      tools[tool] = {};
      break;
    case 'deny':
      tools[tool] = current?.deny && current.reason ? { deny: true, reason: current.reason } : { deny: true };
      break;
    case 'approval':
      tools[tool] = { approval: {} };
      break;
    case 'hide':
      hide.push(tool);
      break;
    case 'custom': {
      const { deny: _deny, reason: _reason, ...rest } = current ?? {};
      tools[tool] = rest;
      break;
    }
  }
  next.hide = hide;
  if (next.hide.length === 0) delete next.hide;
  next.tools = tools;
  return next;
}

export function setToolRule(doc: PolicyDoc, tool: string, rule: ToolRule): PolicyDoc {
  const next = clone(doc);
  const cleaned: ToolRule = {};
  for (const [k, v] of Object.entries(rule)) {
    if (v === undefined) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    cleaned[k] = v;
  }
  next.tools = { ...(next.tools ?? {}), [tool]: cleaned };
  return next;
}

export function parseDoc(text: string, format: PolicyFormat): { doc?: PolicyDoc; error?: string } {
  try {
    const value = format === 'json' ? JSON.parse(text) : parseYaml(text);
    if (!value || typeof value !== 'object' || Array.isArray(value))
      return { error: 'the policy must be an object with at least `version: "1"`' };
    return { doc: value as PolicyDoc };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export function serializeDoc(doc: PolicyDoc, format: PolicyFormat): string {
  return format === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringifyYaml(doc);
}

// ---- field validation for the forms (mirrors docs/policy.md; the server re-checks) ----

const PATH_RE = /^(args(\.[^.\s]+)+|grant\.name|grant\.claims(\.[^.\s]+)+|session\.id|server|tool)$/;
const COUNTER_RE = /^[A-Za-z0-9_.:*?-]+$/;
const DURATION_RE = /^(\d+[smhd])+$/;
const NAMED_WINDOWS = ['second', 'minute', 'hour', 'day'];

export function pathError(path: string): string | undefined {
  if (!path) return 'a path is required, e.g. args.amount';
  if (!PATH_RE.test(path))
    return 'use args.<field>, grant.name, grant.claims.<claim>, session.id, server or tool';
  return undefined;
}

export function counterError(name: string): string | undefined {
  if (!name) return 'a counter name is required';
  if (!COUNTER_RE.test(name)) return 'letters, digits and _ . : - * ? only';
  return undefined;
}

export function windowError(w: string | number): string | undefined {
  const s = String(w).trim();
  if (!s) return 'a window is required';
  if (NAMED_WINDOWS.includes(s) || DURATION_RE.test(s)) return undefined;
  if (/^\d+$/.test(s) && Number(s) > 0) return undefined;
  return 'second, minute, hour, day, a duration like 15m or 1h30m, or seconds';
}

export function maxError(n: unknown): string | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? undefined : 'a number above 0';
}

export function sumError(path: string | undefined): string | undefined {
  if (path === undefined || path === '') return undefined;
  return /^args(\.[^.\s]+)+$/.test(path) ? undefined : 'a numeric argument path like args.amount';
}

export function durationError(v: string | number | undefined): string | undefined {
  if (v === undefined || v === '') return undefined;
  const s = String(v).trim();
  if (DURATION_RE.test(s) || (/^\d+$/.test(s) && Number(s) > 0)) return undefined;
  return 'a duration like 10m, 1h or a number of seconds';
}

export type ValueKind = 'string' | 'number' | 'boolean' | 'list';

/** The kinds of value an operator accepts, first is the default. */
export function valueKinds(op: Op): ValueKind[] {
  switch (op) {
    case 'exists':
    case 'not_exists':
      return [];
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return ['number', 'string'];
    case 'in':
    case 'not_in':
      return ['list'];
    case 'starts_with':
    case 'ends_with':
    case 'regex':
      return ['string'];
    case 'contains':
      return ['string', 'number', 'boolean'];
    default:
      return ['string', 'number', 'boolean', 'list'];
  }
}

export function kindOf(v: unknown): ValueKind {
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'boolean';
  return 'string';
}

export function conditionError(c: SimpleCondition): string | undefined {
  const p = pathError(c.path);
  if (p) return p;
  const kinds = valueKinds(c.op);
  if (kinds.length === 0) return undefined;
  if (c.value === undefined) return 'a value is required';
  if (!kinds.includes(kindOf(c.value))) return `${c.op} needs a ${kinds.join(' or ')}`;
  if (typeof c.value === 'number' && !Number.isFinite(c.value)) return 'not a number';
  if (c.op === 'regex') {
    try {
      new RegExp(String(c.value), c.flags ?? '');
    } catch (err) {
      return `invalid regular expression: ${(err as Error).message}`;
    }
    if (c.flags && !/^[imsu]*$/.test(c.flags)) return 'flags: any of i m s u';
  }
  return undefined;
}

export function limitErrors(l: Limit): Partial<Record<keyof Limit, string>> {
  const e: Partial<Record<keyof Limit, string>> = {};
  const c = counterError(l.counter);
  if (c) e.counter = c;
  const w = windowError(l.window);
  if (w) e.window = w;
  const m = maxError(l.max);
  if (m) e.max = m;
  const s = sumError(l.sum);
  if (s) e.sum = s;
  return e;
}

/** True when every field the builder can edit in this rule is valid. */
export function ruleValid(rule: ToolRule): boolean {
  const conds = [...(rule.require ?? []), ...(rule.deny_if ?? []), ...(rule.approval?.if ?? [])];
  if (conds.some((c) => isSimple(c) && conditionError(c))) return false;
  if ((rule.limits ?? []).some((l) => Object.keys(limitErrors(l)).length > 0)) return false;
  if (rule.approval && durationError(rule.approval.timeout)) return false;
  return true;
}
