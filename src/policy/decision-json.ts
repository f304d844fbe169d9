import type { Decision } from './types.js';

/**
 * The stable JSON shape of a decision, documented in docs/policy.md: `policy test --json`, the
 * admin API's explain, and the dashboard all print this same value.
 */
export function decisionJson(d: Decision) {
  return {
    decision: d.outcome,
    reason: d.reason,
    rule: d.rule,
    explanation: d.explanation,
    limits: d.limits,
    approval: d.approval ?? null,
    shadow: d.shadow,
  };
}
