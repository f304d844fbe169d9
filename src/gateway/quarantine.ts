// Which tools a policy classifies by name, for `new_tools: quarantine`. Read once per compiled
// policy (a reload compiles a new object, so the cache never serves a stale document).
import { type CompiledPolicy, canonicalPolicy } from '../policy/index.js';

const named = new WeakMap<CompiledPolicy, ReadonlySet<string>>();

/** Policy globs are `*` and `?`; a glob key is a rule for tools, not a review of one tool. */
const isGlob = (key: string) => key.includes('*') || key.includes('?');

/** The exact (non-glob) tool names under `tools` and in `hide`. */
export function namedTools(policy: CompiledPolicy): ReadonlySet<string> {
  let names = named.get(policy);
  if (!names) {
    const doc = canonicalPolicy(policy) as { tools?: Record<string, unknown>; hide?: unknown[] };
    names = new Set(
      [...Object.keys(doc.tools ?? {}), ...(doc.hide ?? []).map(String)].filter((k) => !isGlob(k)),
    );
    named.set(policy, names);
  }
  return names;
}

/**
 * Whether the policy holds back `tool` when the gateway has no pin for it: `new_tools:
 * quarantine`, the policy names at least one tool (a policy that names none, like init's starter
 * policy, has said nothing about which tools exist), and it does not name this one.
 */
export function quarantines(policy: CompiledPolicy, tool: string): boolean {
  if (policy.newTools !== 'quarantine') return false;
  const names = namedTools(policy);
  return names.size > 0 && !names.has(tool);
}
