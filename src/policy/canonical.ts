/**
 * The canonical JSON form: PolicyLayer v1 with the action shorthand expanded, keys in a fixed
 * order and scopes spelled out. Compiling it again gives the same decisions.
 */
import { isObj, type Obj } from './check.js';
import { TOP_FIELDS } from './compile.js';
import { LIMIT_FIELDS } from './compile-limits.js';
import { APPROVAL_FIELDS, TOOL_FIELDS } from './compile-tool.js';
import { COMBINATORS, LEAF_FIELDS } from './conditions.js';
import type { PolicyInternals } from './model.js';
import type { CompiledPolicy } from './types.js';

// The orders are the field lists the compiler checks, so a field it accepts is never dropped here.
const COND_ORDER = [...LEAF_FIELDS, ...COMBINATORS, 'reason'];

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
  return ordered({ counter: defaults.counter, ...l, scope: l.scope ?? defaults.scope }, LIMIT_FIELDS);
}

function tool(key: string, raw: Obj): Obj {
  switch (raw.action) {
    case 'allow':
      return {};
    case 'deny':
      return ordered({ deny: true, reason: raw.reason }, TOOL_FIELDS);
    case 'require_approval':
      return { approval: {} };
    case 'rate_limit':
      return { limits: [limit(raw.rate_limit, { scope: 'session', counter: key })] };
  }
  return ordered(raw, TOOL_FIELDS, (k, v) => {
    if (k === 'require' || k === 'deny_if') return (v as unknown[]).map(condition);
    if (k === 'limits') return (v as unknown[]).map((l) => limit(l, { scope: 'grant' }));
    if (k === 'approval') {
      const a = v as Obj;
      return ordered(a, APPROVAL_FIELDS, (ak, av) => (ak === 'if' ? (av as unknown[]).map(condition) : av));
    }
    return v;
  });
}

export function canonicalPolicy(policy: CompiledPolicy): object {
  const doc = (policy as PolicyInternals).doc;
  return ordered({ ...doc, version: '1' }, TOP_FIELDS, (k, v) => {
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
