/**
 * The policy language: parse and validate PolicyLayer v1 documents (JSON or YAML), compile them
 * once, and decide calls synchronously. Pure: the only I/O is loadPolicyFile's read.
 */
export { canonicalPolicy } from './canonical.js';
export { compilePolicy, DENY_ALL, denyAllBecause } from './compile.js';
export { decide, isHidden } from './decide.js';
export { decisionJson } from './decision-json.js';
export { parseDuration } from './duration.js';
export { formatIssue, PolicyError } from './errors.js';
export { loadPolicyFile, parsePolicy } from './parse.js';
export { INLINE_POLICY_LABEL, isInlinePolicy, parseInlinePolicy } from './reference.js';
export type {
  CallFacts,
  CompiledPolicy,
  Decision,
  LimitCharge,
  NewToolsMode,
  Outcome,
  PolicyIssue,
  Scope,
} from './types.js';
export { deniedWhateverArgs, isUnlisted } from './unlisted.js';
