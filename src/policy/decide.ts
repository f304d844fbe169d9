/**
 * The decision ladder. Synchronous and pure: it reads the compiled policy and the call, and
 * allocates only the Decision it returns (plus charges when a limit sums an argument).
 */

import { REGEX_INPUT_LIMIT, RegexInputTooLong } from '../util/regex-safety.js';
import type { RuleCondition } from './conditions.js';
import { NO_LIMITS, type PolicyInternals, type ToolEntry } from './model.js';
import { resolvePath } from './path.js';
import type { CallFacts, CompiledPolicy, Decision, LimitCharge } from './types.js';

function internals(policy: CompiledPolicy): PolicyInternals {
  return policy as PolicyInternals;
}

/** Index of the hide entry that hides `tool`, or -1. Exact names are a map lookup. */
export function hideIndex(p: PolicyInternals, tool: string): number {
  const exact = p.hideExact.get(tool);
  const best = exact ?? -1;
  // A glob written earlier than the exact name is the rule that fired first in the document.
  for (const g of p.hideGlobs) {
    if (best !== -1 && g.value > best) break;
    if (g.re.test(tool)) return g.value;
  }
  return best;
}

export function isHidden(policy: CompiledPolicy, tool: string): boolean {
  return hideIndex(internals(policy), tool) !== -1;
}

/** Exact name first, then the longest matching glob, then the default (undefined: deny). */
export function findEntry(p: PolicyInternals, tool: string): ToolEntry | undefined {
  const exact = p.exact.get(tool);
  if (exact) return exact;
  const globs = p.globs;
  for (let i = 0; i < globs.length; i++) if (globs[i]!.re.test(tool)) return globs[i]!.value;
  return p.fallback;
}

function result(
  p: PolicyInternals,
  outcome: Decision['outcome'],
  rule: string,
  reason: string,
  explanation: string,
  limits: readonly LimitCharge[] = NO_LIMITS,
): Decision {
  return { outcome, reason, rule, explanation, limits, shadow: p.mode === 'shadow' };
}

function firstHolding(list: readonly RuleCondition[], call: CallFacts): RuleCondition | undefined {
  for (let i = 0; i < list.length; i++) if (list[i]!.cond.test(call)) return list[i];
  return undefined;
}

export function decide(policy: CompiledPolicy, call: CallFacts): Decision {
  const p = internals(policy);
  try {
    return ladder(p, call);
  } catch (err) {
    if (!(err instanceof RegexInputTooLong)) throw err;
    // A regex condition met an argument too long to check (regex-safety.ts): whatever the
    // condition would have said, the call is denied. That it holds or not is unknowable here.
    const limit = REGEX_INPUT_LIMIT.toLocaleString('en-US');
    return result(
      p,
      'deny',
      err.rule,
      `"${call.tool}" was refused: ${err.path} is ${err.length.toLocaleString('en-US')} characters long, ` +
        `too long to check against the policy's pattern (at most ${limit}); call again with a shorter ${err.path}`,
      `${err.rule}: ${err.path} is too long to check (${err.length} characters; regex conditions check at most ${REGEX_INPUT_LIMIT}), so the call is denied`,
    );
  }
}

function ladder(p: PolicyInternals, call: CallFacts): Decision {
  const tool = call.tool;

  // 1. hide: a hidden tool does not exist for this grant; nothing else is consulted.
  const hidden = hideIndex(p, tool);
  if (hidden !== -1) {
    return result(
      p,
      'hide',
      `hide[${hidden}]`,
      `tool "${tool}" is not available to this agent`,
      `hide[${hidden}] hides "${tool}"`,
    );
  }

  // 2. which entry governs the tool; none means the default denies.
  const entry = findEntry(p, tool);
  if (!entry) {
    const reason =
      p.defaultDenyReason ??
      `tool "${tool}" is not allowed by policy: it is not listed under tools and the default is deny; ` +
        'do not retry it, or ask an operator to allow it';
    return result(
      p,
      'deny',
      'default',
      reason,
      `"${tool}" matches no entry under tools, and default is deny`,
    );
  }

  // 3. deny: the entry forbids the tool outright.
  if (entry.deny) {
    const reason = entry.deny.reason ?? `tool "${tool}" is denied by policy (${entry.rule}); do not retry it`;
    return result(p, 'deny', `${entry.rule}.deny`, reason, `${entry.rule} has deny: true`);
  }

  // 4. require: every condition must hold; the first that does not denies.
  const req = entry.require;
  for (let i = 0; i < req.length; i++) {
    const r = req[i]!;
    if (r.cond.test(call)) continue;
    const why = r.cond.describe(call);
    const reason =
      r.reason ??
      `"${tool}" was refused: a required condition does not hold (${why}); fix the arguments and call again`;
    return result(p, 'deny', r.rule, reason, `${r.rule} must hold but does not: ${why}`);
  }

  // 5. deny_if: the first condition that holds denies.
  const hit = firstHolding(entry.denyIf, call);
  if (hit) {
    const why = hit.cond.describe(call);
    const reason =
      hit.reason ?? `"${tool}" was refused by policy because ${why}; do not retry with these arguments`;
    return result(p, 'deny', hit.rule, reason, `${hit.rule} holds: ${why}`);
  }

  // 6. limits: the caller consumes them; here we only fix the amounts. A spend cap whose
  //    argument is missing or not a non-negative number cannot be counted, so it denies
  //    (counting 0 would let uncounted spend through; a negative amount would refund the cap).
  let limits = entry.staticCharges;
  if (!limits) {
    const charges: LimitCharge[] = [];
    for (const lim of entry.limits) {
      if (!lim.sum) {
        charges.push(lim.charge);
        continue;
      }
      const amount = resolvePath(call, lim.sum);
      if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
        const shown = typeof amount === 'symbol' ? 'missing' : `${JSON.stringify(amount)}`;
        const reason =
          `"${tool}" was refused: the spend limit "${lim.charge.counter}" counts ${lim.sum.text}, ` +
          `which must be a number of 0 or more but is ${shown}; call again with a numeric ${lim.sum.text}`;
        return result(
          p,
          'deny',
          lim.charge.rule,
          reason,
          `${lim.charge.rule} sums ${lim.sum.text}, which is ${shown}`,
        );
      }
      charges.push({ ...lim.charge, amount });
    }
    limits = charges;
  }

  // 7. approval: always, or when any `if` condition holds; the call waits for a person.
  const ap = entry.approval;
  if (ap) {
    const trigger = ap.conds.length === 0 ? undefined : firstHolding(ap.conds, call);
    if (ap.conds.length === 0 || trigger) {
      const why = trigger ? trigger.cond.describe(call) : 'every call to it needs approval';
      const wait =
        ap.mode === 'hold'
          ? `the call is held until a person approves it (up to ${ap.timeoutText}, then denied)`
          : `a person must approve it within ${ap.timeoutText}; call again once approved`;
      const reason =
        trigger?.reason ?? ap.reason ?? `"${tool}" needs a person's approval because ${why}; ${wait}`;
      const d = result(
        p,
        'approval',
        trigger ? trigger.rule : ap.rule,
        reason,
        `${trigger?.rule ?? ap.rule}: ${why}`,
        limits,
      );
      d.approval = { timeoutSeconds: ap.timeoutSeconds, mode: ap.mode };
      return d;
    }
  }

  // 8. allow.
  return result(p, 'allow', entry.rule, `allowed by ${entry.rule}`, entry.allowExplanation, limits);
}
