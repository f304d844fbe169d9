/**
 * `hide_denied`: which tools tools/list leaves out because no call to them can ever be allowed.
 * Read off the compiled policy alone, so it holds for every grant, session, server and argument
 * the policy is used with. Conservative: a tool is left out only when the ladder in decide.ts is
 * proven to end in deny; anything that might let some call through keeps it listed.
 */
import type { RuleCondition } from './conditions.js';
import { findEntry, hideIndex } from './decide.js';
import type { PolicyInternals, ToolEntry } from './model.js';
import type { FactPath } from './path.js';
import type { CompiledPolicy } from './types.js';

/**
 * Answers per compiled policy and tool name. A reload compiles a new object, so an entry is
 * never stale; the names per policy are capped because a client can name any tool it likes.
 */
const cache = new WeakMap<CompiledPolicy, Map<string, boolean>>();
const CACHE_MAX = 4096;

/**
 * True when decide() answers deny for every call to `tool`, whatever its arguments (and grant,
 * session or server): `default: deny` with no entry for it, an entry with `deny: true`, a
 * `require` entry that can never hold, a `deny_if` entry that always holds, or a spend limit
 * that sums a value that is never a number. False for hidden tools (their outcome is hide),
 * for tools needing approval or rate-limited, and whenever some call could be allowed.
 */
export function deniedWhateverArgs(policy: CompiledPolicy, tool: string): boolean {
  let answers = cache.get(policy);
  if (!answers) {
    answers = new Map();
    cache.set(policy, answers);
  }
  let denied = answers.get(tool);
  if (denied === undefined) {
    denied = analyse(policy as PolicyInternals, tool);
    if (answers.size >= CACHE_MAX) answers.clear();
    answers.set(tool, denied);
  }
  return denied;
}

/**
 * Whether tools/list leaves `tool` out for this policy: `hide`, or `hide_denied` (default on)
 * and denied whatever its arguments. A shadow policy hides only what `hide` names: it lets
 * denied calls through, so they stay listed.
 */
export function isUnlisted(policy: CompiledPolicy, tool: string): boolean {
  const p = policy as PolicyInternals;
  if (hideIndex(p, tool) !== -1) return true;
  return p.hideDenied && p.mode === 'enforce' && deniedWhateverArgs(p, tool);
}

/** The steps of the ladder that can deny, each asked whether it denies every call. */
function analyse(p: PolicyInternals, tool: string): boolean {
  // 1. hide decides first, and its outcome is hide, not deny.
  if (hideIndex(p, tool) !== -1) return false;
  // 2. no entry and default deny.
  const entry = findEntry(p, tool);
  if (!entry) return true;
  // 3. deny: true.
  if (entry.deny) return true;
  // 4-6. Any one of these that always denies settles it: each comes before approval and allow,
  // and every step before it ends in deny or goes on.
  return (
    entry.require.some((r) => fixedOf(r, tool) === false) ||
    entry.denyIf.some((r) => fixedOf(r, tool) === true) ||
    neverCountable(entry)
  );
}

function fixedOf(r: RuleCondition, tool: string): boolean | undefined {
  return r.cond.fixed(tool);
}

/** A spend limit denies a call whose `sum` value is not a number; these paths are always strings. */
function neverCountable(entry: ToolEntry): boolean {
  return entry.limits.some((l) => l.sum !== undefined && alwaysString(l.sum));
}

function alwaysString(path: FactPath): boolean {
  switch (path.root) {
    case 'tool':
    case 'server':
      return true;
    case 'grant':
      return path.segments.length === 1 && path.segments[0] === 'name';
    case 'session':
      return path.segments.length === 1 && path.segments[0] === 'id';
    default:
      return false;
  }
}
