/**
 * The fixture file format for test/fixtures/policy/*.yaml, checked strictly: a key the harness
 * does not know fails the run, so a typo can never turn a row into a silent no-op.
 */
import type { CallFacts, LimitCharge, Outcome } from '../../src/policy/index.js';

export interface FixtureRow {
  name: string;
  call: CallFacts;
  outcome: Outcome;
  rule: string;
  reason?: string;
  explanation?: string;
  limits: Partial<LimitCharge>[];
  approval?: { timeoutSeconds: number; mode: 'hold' | 'retry' };
  shadow: boolean;
}

export interface Fixture {
  description: string;
  /** A document (compiled with compilePolicy) or the exact text (parsed with parsePolicy). */
  policy?: unknown;
  policyText?: string;
  format?: 'json' | 'yaml';
  hidden: string[];
  visible: string[];
  canonical?: unknown;
  rows: FixtureRow[];
}

const TOP = [
  'description',
  'policy',
  'policy_text',
  'format',
  'call_defaults',
  'hidden',
  'visible',
  'canonical',
  'cases',
];
const CASE = ['name', 'call', 'expect'];
const CALL = ['tool', 'args', 'server', 'grant', 'session'];
const EXPECT = ['outcome', 'rule', 'reason', 'explanation', 'limits', 'approval', 'shadow'];
const LIMIT = ['counter', 'window', 'windowSeconds', 'max', 'scope', 'amount', 'rule'];
const OUTCOMES = ['allow', 'deny', 'hide', 'approval'];

type Obj = Record<string, unknown>;

function obj(v: unknown, where: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new Error(`${where}: expected an object`);
  return v as Obj;
}

function onlyKeys(o: Obj, allowed: string[], where: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k))
      throw new Error(`${where}: unknown key "${k}" (the harness knows ${allowed.join(', ')})`);
  }
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string' || v === '') throw new Error(`${where}: expected a non-empty string`);
  return v;
}

function strList(v: unknown, where: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw new Error(`${where}: expected a list of names`);
  return v as string[];
}

export function readFixture(raw: unknown, file: string): Fixture {
  const top = obj(raw, file);
  onlyKeys(top, TOP, file);
  if ((top.policy === undefined) === (top.policy_text === undefined)) {
    throw new Error(`${file}: give exactly one of policy, policy_text`);
  }
  if (top.format !== undefined && top.format !== 'json' && top.format !== 'yaml') {
    throw new Error(`${file}: format must be json or yaml`);
  }
  const defaults = top.call_defaults === undefined ? {} : obj(top.call_defaults, `${file} call_defaults`);
  onlyKeys(
    defaults,
    CALL.filter((k) => k !== 'tool'),
    `${file} call_defaults`,
  );
  if (!Array.isArray(top.cases) || top.cases.length === 0)
    throw new Error(`${file}: cases must be a non-empty list`);
  const rows = top.cases.map((c, i) => readRow(c, defaults, `${file} cases[${i}]`));
  const names = new Set(rows.map((r) => r.name));
  if (names.size !== rows.length) throw new Error(`${file}: case names must be unique`);
  return {
    description: str(top.description, `${file} description`),
    policy: top.policy,
    policyText: top.policy_text === undefined ? undefined : str(top.policy_text, `${file} policy_text`),
    format: top.format as Fixture['format'],
    hidden: strList(top.hidden, `${file} hidden`),
    visible: strList(top.visible, `${file} visible`),
    canonical: top.canonical,
    rows,
  };
}

function readRow(raw: unknown, defaults: Obj, where: string): FixtureRow {
  const row = obj(raw, where);
  onlyKeys(row, CASE, where);
  const call = { ...defaults, ...obj(row.call, `${where}.call`) };
  onlyKeys(call, CALL, `${where}.call`);
  const expect = obj(row.expect, `${where}.expect`);
  onlyKeys(expect, EXPECT, `${where}.expect`);
  const outcome = str(expect.outcome, `${where}.expect.outcome`);
  if (!OUTCOMES.includes(outcome)) throw new Error(`${where}.expect.outcome: ${outcome} is not an outcome`);
  const limits = expect.limits === undefined ? [] : expect.limits;
  if (!Array.isArray(limits)) throw new Error(`${where}.expect.limits: expected a list`);
  limits.forEach((l, i) => {
    const lo = obj(l, `${where}.expect.limits[${i}]`);
    onlyKeys(lo, LIMIT, `${where}.expect.limits[${i}]`);
    if (lo.counter === undefined || lo.amount === undefined) {
      throw new Error(`${where}.expect.limits[${i}]: counter and amount are required`);
    }
  });
  if (expect.shadow !== undefined && typeof expect.shadow !== 'boolean')
    throw new Error(`${where}.expect.shadow: boolean`);
  return {
    name: str(row.name, `${where}.name`),
    call: {
      server: (call.server as string) ?? 'demo',
      tool: str(call.tool, `${where}.call.tool`),
      args: (call.args as Obj) ?? {},
      grant: (call.grant as CallFacts['grant']) ?? { name: 'test-grant' },
      session: (call.session as CallFacts['session']) ?? { id: 'session-1' },
    },
    outcome: outcome as Outcome,
    rule: str(expect.rule, `${where}.expect.rule`),
    reason: expect.reason === undefined ? undefined : str(expect.reason, `${where}.expect.reason`),
    explanation:
      expect.explanation === undefined ? undefined : str(expect.explanation, `${where}.expect.explanation`),
    limits: limits as Partial<LimitCharge>[],
    approval: expect.approval as FixtureRow['approval'],
    shadow: (expect.shadow as boolean | undefined) ?? false,
  };
}
