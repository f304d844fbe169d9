/**
 * The canonical JSON form: PolicyLayer v1 with the action shorthand expanded, keys in a fixed
 * order and scopes spelled out. Compiling it again gives the same decisions.
 */
import { isObj, type Obj } from './check.js';
import type { PolicyInternals } from './model.js';
import type { CompiledPolicy } from './types.js';

const TOP_ORDER = [
  'version',
  'name',
  'description',
  'mode',
  'default',
  'new_tools',
  'hide',
  'all_tools',
  'tools',
];
const TOOL_ORDER = ['deny', 'reason', 'require', 'deny_if', 'approval', 'limits'];
const COND_ORDER = ['path', 'op', 'value', 'flags', 'all', 'any', 'not', 'reason'];
const LIMIT_ORDER = ['counter', 'window', 'max', 'scope', 'sum'];
const APPROVAL_ORDER = ['if', 'timeout', 'mode', 'reason'];

function ordered(
  obj: Obj,
  order: readonly string[],
  map: (key: string, v: unknown) => unknown = (_k, v) => v,
): Obj {
  const out: Obj = {};
  for (const key of order) if (obj[key] !== undefined) out[key] = map(key, obj[key]);
  return out;
}

function condition(raw: unknown): unknown {
  if (!isObj(raw)) return raw;
  return ordered(raw, COND_ORDER, (k, v) => {
    if (k === 'all' || k === 'any') return (v as unknown[]).map(condition);
    if (k === 'not') return condition(v);
    return v;
  });
}

function limit(raw: unknown, defaults: { scope: string; counter?: string }): Obj {
  const l = raw as Obj;
  return ordered({ counter: defaults.counter, ...l, scope: l.scope ?? defaults.scope }, LIMIT_ORDER);
}

function tool(key: string, raw: Obj): Obj {
  switch (raw.action) {
    case 'allow':
      return {};
    case 'deny':
      return ordered({ deny: true, reason: raw.reason }, TOOL_ORDER);
    case 'require_approval':
      return { approval: {} };
    case 'rate_limit':
      return { limits: [limit(raw.rate_limit, { scope: 'session', counter: key })] };
  }
  return ordered(raw, TOOL_ORDER, (k, v) => {
    if (k === 'require' || k === 'deny_if') return (v as unknown[]).map(condition);
    if (k === 'limits') return (v as unknown[]).map((l) => limit(l, { scope: 'grant' }));
    if (k === 'approval') {
      const a = v as Obj;
      return ordered(a, APPROVAL_ORDER, (ak, av) => (ak === 'if' ? (av as unknown[]).map(condition) : av));
    }
    return v;
  });
}

export function canonicalPolicy(policy: CompiledPolicy): object {
  const doc = (policy as PolicyInternals).doc;
  return ordered({ ...doc, version: '1' }, TOP_ORDER, (k, v) => {
    if (k === 'tools') {
      const tools: Obj = {};
      // defineProperty, so a tool literally named "__proto__" stays a key and not a prototype.
      for (const [key, entry] of Object.entries(v as Obj)) {
        Object.defineProperty(tools, key, {
          value: tool(key, entry as Obj),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return tools;
    }
    if (k === 'all_tools') {
      const at = v as Obj;
      return at.limits ? { limits: (at.limits as unknown[]).map((l) => limit(l, { scope: 'grant' })) } : {};
    }
    return v;
  });
}
