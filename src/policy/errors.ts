import type { PolicyIssue } from './types.js';

/** Formats one issue the way editors and CI annotate: `file:line:col path: message`. */
export function formatIssue(issue: PolicyIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}:${issue.column}` : issue.file;
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** Thrown by every loader when a policy is invalid; carries every issue found, not just the first. */
export class PolicyError extends Error {
  readonly issues: PolicyIssue[];

  constructor(issues: PolicyIssue[]) {
    const count = issues.length === 1 ? '1 error' : `${issues.length} errors`;
    super(`invalid policy (${count}):\n${issues.map(formatIssue).join('\n')}`);
    this.name = 'PolicyError';
    this.issues = issues;
  }
}
