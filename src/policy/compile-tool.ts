/** One entry of `tools`: canonical fields or the PolicyLayer action shorthand, compiled. */
import { type Checker, typeName } from './check.js';
import { type CounterRegistry, compileLimit, describeCharge } from './compile-limits.js';
import { compileCondition, type RuleCondition } from './conditions.js';
import { DURATION_HELP, parseDuration } from './duration.js';
import { type CompiledApproval, type CompiledLimit, NO_LIMITS, type ToolEntry } from './model.js';
import { type DocPath, formatPath } from './path.js';

export const TOOL_FIELDS = ['deny', 'reason', 'require', 'deny_if', 'approval', 'limits'];
export const ACTIONS = ['allow', 'deny', 'require_approval', 'rate_limit'] as const;
export const APPROVAL_FIELDS = ['if', 'timeout', 'mode', 'reason'];
const DEFAULT_TIMEOUT = '10m';

export interface ToolContext {
  readonly ck: Checker;
  readonly allTools: readonly CompiledLimit[];
  readonly counters: CounterRegistry;
}

export function compileTool(
  key: string,
  raw: unknown,
  path: DocPath,
  ctx: ToolContext,
): ToolEntry | undefined {
  const { ck } = ctx;
  const obj = ck.object(raw, path, `tool entry "${key}"`);
  if (!obj) return undefined;
  const before = ck.issues.length;
  const rule = formatPath(path);
  if (obj.action !== undefined) return compileAction(key, obj, path, ctx);
  ck.fields(obj, path, [...TOOL_FIELDS, 'action']);
  let deny: ToolEntry['deny'];
  if (obj.deny !== undefined && typeof obj.deny !== 'boolean') {
    ck.error([...path, 'deny'], `deny must be true or false, not ${typeName(obj.deny)}`);
  }
  const reason = obj.reason === undefined ? undefined : ck.string(obj.reason, [...path, 'reason'], 'reason');
  if (obj.deny === true) deny = { reason };
  else if (obj.reason !== undefined) {
    ck.error(
      [...path, 'reason'],
      'reason applies only with deny: true; put it on a deny_if or require entry',
      true,
    );
  }
  const require = conditionList(obj.require, [...path, 'require'], ck);
  const denyIf = conditionList(obj.deny_if, [...path, 'deny_if'], ck);
  const approval =
    obj.approval === undefined ? undefined : compileApproval(obj.approval, [...path, 'approval'], ck);
  const own: CompiledLimit[] = [];
  if (obj.limits !== undefined) {
    ck.list(obj.limits, [...path, 'limits'], 'limits')?.forEach((item, i) => {
      const p = [...path, 'limits', i];
      const lim = ck.object(item, p, 'a limit');
      const compiled = lim && compileLimit(lim, p, ck, { scope: 'grant' }, ctx.counters);
      if (compiled) own.push(compiled);
    });
  }
  if (ck.issues.length > before) return undefined;
  return makeEntry(key, rule, { deny, require, denyIf, approval, limits: [...ctx.allTools, ...own] });
}

/** `{"action": ...}` from PolicyLayer: the same meaning as the canonical fields it stands for. */
function compileAction(key: string, obj: Record<string, unknown>, path: DocPath, ctx: ToolContext) {
  const { ck } = ctx;
  const rule = formatPath(path);
  const action = ck.oneOf(obj.action, [...path, 'action'], 'action', ACTIONS);
  if (action === undefined) return undefined;
  const before = ck.issues.length;
  const fields = { allow: [], deny: ['reason'], require_approval: [], rate_limit: ['rate_limit'] }[action];
  ck.fields(obj, path, ['action', ...fields], `a tool entry with action ${action}`);
  const base = { deny: undefined, require: [], denyIf: [], approval: undefined, limits: ctx.allTools };
  let entry: ToolEntry | undefined;
  switch (action) {
    case 'allow':
      entry = makeEntry(key, rule, base);
      break;
    case 'deny': {
      const reason =
        obj.reason === undefined ? undefined : ck.string(obj.reason, [...path, 'reason'], 'reason');
      entry = makeEntry(key, rule, { ...base, deny: { reason } });
      break;
    }
    case 'require_approval':
      entry = makeEntry(key, rule, { ...base, approval: compileApproval({}, [...path, 'approval'], ck) });
      break;
    case 'rate_limit': {
      const p = [...path, 'rate_limit'];
      const rl = ck.object(obj.rate_limit, obj.rate_limit === undefined ? path : p, 'rate_limit');
      // Counter named after the tool key and scoped to the session, as PolicyLayer does.
      const lim = rl && compileLimit(rl, p, ck, { counter: key, scope: 'session' }, ctx.counters);
      if (lim) entry = makeEntry(key, rule, { ...base, limits: [...ctx.allTools, lim] });
      break;
    }
  }
  return ck.issues.length > before ? undefined : entry;
}

function conditionList(raw: unknown, path: DocPath, ck: Checker): RuleCondition[] {
  if (raw === undefined) return [];
  const out: RuleCondition[] = [];
  ck.list(raw, path, formatPath(path.slice(-1)))?.forEach((item, i) => {
    const p = [...path, i];
    const c = compileCondition(item, p, ck, true);
    if (c) out.push({ cond: c.cond, reason: c.reason, rule: formatPath(p) });
  });
  return out;
}

export function compileApproval(raw: unknown, path: DocPath, ck: Checker): CompiledApproval | undefined {
  const obj = ck.object(raw, path, 'approval');
  if (!obj) return undefined;
  ck.fields(obj, path, APPROVAL_FIELDS);
  const conds = conditionList(obj.if, [...path, 'if'], ck);
  if (obj.if !== undefined && Array.isArray(obj.if) && obj.if.length === 0) {
    ck.error([...path, 'if'], 'if is empty; remove it to always ask for approval');
  }
  const timeoutText = obj.timeout === undefined ? DEFAULT_TIMEOUT : String(obj.timeout);
  const timeoutSeconds = parseDuration(obj.timeout ?? DEFAULT_TIMEOUT);
  if (timeoutSeconds === undefined) {
    ck.error(
      [...path, 'timeout'],
      `timeout ${JSON.stringify(obj.timeout)} is not a duration; use ${DURATION_HELP}`,
    );
  }
  const mode =
    obj.mode === undefined
      ? 'hold'
      : ck.oneOf(obj.mode, [...path, 'mode'], 'mode', ['hold', 'retry'] as const);
  const reason = obj.reason === undefined ? undefined : ck.string(obj.reason, [...path, 'reason'], 'reason');
  if (timeoutSeconds === undefined || mode === undefined) return undefined;
  return { conds, timeoutSeconds, timeoutText, mode, rule: formatPath(path), reason };
}

type EntryParts = Pick<ToolEntry, 'deny' | 'require' | 'denyIf' | 'approval' | 'limits'>;

/** Precomputes what every allowed call shares, so the hot path only picks it up. */
export function makeEntry(key: string, rule: string, parts: EntryParts): ToolEntry {
  const limits = Object.freeze([...parts.limits]);
  const hasSum = limits.some((l) => l.sum !== undefined);
  const staticCharges =
    limits.length === 0 ? NO_LIMITS : hasSum ? undefined : Object.freeze(limits.map((l) => l.charge));
  const checks: string[] = [];
  if (parts.require.length > 0) checks.push(`its ${parts.require.length} require condition(s) hold`);
  if (parts.denyIf.length > 0) checks.push(`none of its ${parts.denyIf.length} deny_if condition(s) hold`);
  const where =
    rule === 'default' ? 'the tool is not listed under tools and the default is allow' : `${rule} allows it`;
  let allowExplanation = checks.length > 0 ? `${where}: ${checks.join(' and ')}` : where;
  if (limits.length > 0) {
    allowExplanation += `; limits to consume: ${limits.map((l) => describeCharge(l.charge, l.sum)).join('; ')}`;
  }
  return { key, rule, ...parts, limits, staticCharges, allowExplanation };
}
