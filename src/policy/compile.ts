/** Validates a whole document and compiles it into the form decide() reads. */
import { Checker, type RawIssue, typeName } from './check.js';
import { type CounterRegistry, compileLimit } from './compile-limits.js';
import { compileTool, makeEntry } from './compile-tool.js';
import { PolicyError } from './errors.js';
import { compileGlob, isGlob } from './glob.js';
import type { CompiledLimit, GlobEntry, PolicyInternals, ToolEntry } from './model.js';
import { formatPath } from './path.js';
import type { CompiledPolicy, NewToolsMode } from './types.js';

export const TOP_FIELDS = [
  'version',
  'name',
  'description',
  'mode',
  'default',
  'new_tools',
  'hide',
  'hide_denied',
  'all_tools',
  'tools',
];

export interface CompileResult {
  policy: PolicyInternals | undefined;
  issues: RawIssue[];
}

/** Never throws: returns every issue so the caller can attach positions. */
export function compileDocument(doc: unknown, source: string): CompileResult {
  const ck = new Checker();
  const top = ck.object(doc, [], 'a policy document');
  if (!top) return { policy: undefined, issues: ck.issues };
  ck.fields(top, [], TOP_FIELDS);
  if (top.version === undefined) ck.error([], 'version is missing; add "version": "1"');
  // YAML users naturally write `version: 1`; it means the same document, so accept the number.
  else if (top.version !== '1' && top.version !== 1) {
    ck.error(
      ['version'],
      `version must be "1" (the only version so far), not ${JSON.stringify(top.version)}`,
    );
  }
  const name = top.name === undefined ? undefined : ck.string(top.name, ['name'], 'name');
  const description =
    top.description === undefined ? undefined : ck.string(top.description, ['description'], 'description');
  const mode =
    top.mode === undefined ? 'enforce' : ck.oneOf(top.mode, ['mode'], 'mode', ['enforce', 'shadow'] as const);
  const dflt =
    top.default === undefined
      ? 'deny'
      : ck.oneOf(top.default, ['default'], 'default', ['allow', 'deny'] as const);
  const newTools =
    top.new_tools === undefined
      ? undefined
      : ck.oneOf<NewToolsMode>(top.new_tools, ['new_tools'], 'new_tools', ['quarantine', 'policy']);

  let hideDenied = true;
  if (top.hide_denied !== undefined) {
    if (typeof top.hide_denied === 'boolean') hideDenied = top.hide_denied;
    else ck.error(['hide_denied'], `hide_denied must be true or false, not ${typeName(top.hide_denied)}`);
  }

  const hideExact = new Map<string, number>();
  const hideGlobs: GlobEntry<number>[] = [];
  if (top.hide !== undefined) {
    ck.list(top.hide, ['hide'], 'hide')?.forEach((item, i) => {
      const pattern = ck.string(item, ['hide', i], 'a hide entry');
      if (pattern === undefined) return;
      if (!isGlob(pattern)) {
        if (!hideExact.has(pattern)) hideExact.set(pattern, i);
      } else hideGlobs.push({ pattern, re: compileGlob(pattern), value: i });
    });
  }

  const counters: CounterRegistry = new Map();
  const allTools: CompiledLimit[] = [];
  if (top.all_tools !== undefined) {
    const at = ck.object(top.all_tools, ['all_tools'], 'all_tools');
    if (at) {
      ck.fields(at, ['all_tools'], ['limits']);
      if (at.limits !== undefined) {
        ck.list(at.limits, ['all_tools', 'limits'], 'limits')?.forEach((item, i) => {
          const p = ['all_tools', 'limits', i];
          const lim = ck.object(item, p, 'a limit');
          const compiled = lim && compileLimit(lim, p, ck, { scope: 'grant' }, counters);
          if (compiled) allTools.push(compiled);
        });
      }
    }
  }

  const exact = new Map<string, ToolEntry>();
  const globs: GlobEntry<ToolEntry>[] = [];
  if (top.tools !== undefined) {
    const tools = ck.object(top.tools, ['tools'], 'tools');
    for (const [key, raw] of Object.entries(tools ?? {})) {
      if (key === '') {
        ck.error(['tools', key], 'a tool name must not be empty', true);
        continue;
      }
      const entry = compileTool(key, raw, ['tools', key], { ck, allTools, counters });
      if (!entry) continue;
      if (isGlob(key)) globs.push({ pattern: key, re: compileGlob(key), value: entry });
      else exact.set(key, entry);
    }
  }
  // Longest glob first: the more a pattern spells out, the more specific it is. Ties keep
  // document order (sort is stable).
  globs.sort((a, b) => b.pattern.length - a.pattern.length);
  hideGlobs.sort((a, b) => a.value - b.value);

  if (ck.issues.length > 0 || mode === undefined || dflt === undefined)
    return { policy: undefined, issues: ck.issues };
  const policy: PolicyInternals = {
    source,
    mode,
    name,
    description,
    newTools,
    hideDenied,
    hideExact,
    hideGlobs,
    exact,
    globs,
    fallback: dflt === 'allow' ? makeEntry('', 'default', noChecks(allTools)) : undefined,
    defaultDenyReason: undefined,
    doc: top,
  };
  return { policy, issues: [] };
}

function noChecks(limits: readonly CompiledLimit[]) {
  return { deny: undefined, require: [], denyIf: [], approval: undefined, limits };
}

/** For documents that did not come from text (inline in toolgate.yaml): issues carry line 0. */
export function compilePolicy(doc: unknown, source = 'inline'): CompiledPolicy {
  const { policy, issues } = compileDocument(structuredClone(doc), source);
  if (!policy) {
    throw new PolicyError(
      issues.map((i) => ({ file: source, line: 0, column: 0, path: formatIssuePath(i), message: i.message })),
    );
  }
  return policy;
}

export function formatIssuePath(issue: RawIssue): string {
  return formatPath(issue.path);
}

/** A policy that denies every call with `reason` (no policy at all, or one that cannot be loaded). */
export function denyAllBecause(reason: string, source = '(no policy)'): CompiledPolicy {
  return Object.freeze({
    ...(compileDocument({ version: '1', name: 'deny-all', default: 'deny' }, source)
      .policy as PolicyInternals),
    defaultDenyReason: reason,
  });
}

/** Used when a grant has no policy anywhere: every call is denied, and the reason says why. */
export const DENY_ALL: CompiledPolicy = denyAllBecause(
  'no policy is configured for this grant or its server, so every call is denied; ' +
    'an operator must set `policy:` for the server or the grant in toolgate.yaml',
);
