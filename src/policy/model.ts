/** The compiled form behind CompiledPolicy. Internal: only compile.ts builds it, decide.ts reads it. */
import type { RuleCondition } from './conditions.js';
import type { FactPath } from './path.js';
import type { CompiledPolicy, LimitCharge } from './types.js';

export interface CompiledLimit {
  /** The charge with amount 1; shared by every decision when the limit has no `sum`. */
  readonly charge: LimitCharge;
  /** For spend caps: where the amount is read from. */
  readonly sum: FactPath | undefined;
}

export interface CompiledApproval {
  /** Empty: every call needs approval. Otherwise any entry that holds asks for it. */
  readonly conds: readonly RuleCondition[];
  readonly timeoutSeconds: number;
  readonly timeoutText: string;
  readonly mode: 'hold' | 'retry';
  readonly rule: string;
  readonly reason: string | undefined;
}

/** One entry of `tools` (or the default, when it allows), with every check precompiled. */
export interface ToolEntry {
  /** The key as written, possibly a glob; '' for the default. */
  readonly key: string;
  /** 'tools.create_refund' or 'default'. */
  readonly rule: string;
  readonly deny: { readonly reason: string | undefined } | undefined;
  readonly require: readonly RuleCondition[];
  readonly denyIf: readonly RuleCondition[];
  /** all_tools.limits first, then the entry's own. */
  readonly limits: readonly CompiledLimit[];
  /** The charges when no limit has `sum`: the common case costs no allocation. */
  readonly staticCharges: readonly LimitCharge[] | undefined;
  readonly approval: CompiledApproval | undefined;
  readonly allowExplanation: string;
}

export interface GlobEntry<T> {
  readonly pattern: string;
  readonly re: RegExp;
  readonly value: T;
}

export interface PolicyInternals extends CompiledPolicy {
  readonly hideExact: ReadonlyMap<string, number>;
  readonly hideGlobs: readonly GlobEntry<number>[];
  readonly exact: ReadonlyMap<string, ToolEntry>;
  /** Longest pattern first, so the first match is the most specific. */
  readonly globs: readonly GlobEntry<ToolEntry>[];
  /** The entry for unlisted tools when `default: allow`; undefined when the default denies. */
  readonly fallback: ToolEntry | undefined;
  /** Overrides the default-deny reason (DENY_ALL says no policy is configured at all). */
  readonly defaultDenyReason: string | undefined;
  /** The validated document, kept for canonicalPolicy. */
  readonly doc: Readonly<Record<string, unknown>>;
}

export const NO_LIMITS: readonly LimitCharge[] = Object.freeze([]);
