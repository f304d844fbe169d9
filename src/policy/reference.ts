/**
 * A stored grant's policy reference: a file path or, from `grants create --policy '{...}'` and the
 * admin API, the JSON document itself. One reading of it for the CLI, the admin API and the gateway.
 */
import { parsePolicy } from './parse.js';
import type { CompiledPolicy } from './types.js';

/** Where inline policies say they came from in errors (`stored-grant-policy:1:30 ...`). */
export const INLINE_POLICY_LABEL = 'stored-grant-policy';

/** Whether a reference is a JSON document rather than a file path. */
export function isInlinePolicy(ref: string): boolean {
  return ref.trimStart().startsWith('{');
}

/** Compiles an inline reference; throws PolicyError with line and column like a file would. */
export function parseInlinePolicy(ref: string): CompiledPolicy {
  return parsePolicy(ref, { file: INLINE_POLICY_LABEL, format: 'json' });
}
