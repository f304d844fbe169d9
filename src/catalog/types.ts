// Public types of the catalogue. A ToolDefinition is what an upstream server says about a tool in
// tools/list; every field is untrusted input from that server.

export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface ToolDefinition {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: object;
  outputSchema?: object;
  annotations?: ToolAnnotations;
}

export const CATEGORIES = [
  'Read',
  'Write',
  'Delete',
  'Execute',
  'Financial',
  'Admin',
  'Communication',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const RISKS = ['Low', 'Medium', 'High', 'Critical'] as const;
export type Risk = (typeof RISKS)[number];

export type PoisonKind =
  | 'hidden-instruction'
  | 'invisible-unicode'
  | 'secret-request'
  | 'cross-tool'
  | 'exfiltration'
  | 'long-description';

export interface PoisonFinding {
  kind: PoisonKind;
  message: string;
  /** A short, neutralised piece of the text around the match (safe to print anywhere). */
  excerpt: string;
}

export interface Classification {
  category: Category;
  risk: Risk;
  /** Every signal that moved the category or the risk, in the order it was applied. */
  reasons: string[];
  findings: PoisonFinding[];
  /** The recommended rule for this tool as PolicyLayer v1 tool JSON. */
  recommended: Record<string, unknown>;
  /** What an agent stuck in a loop or steered by a poisoned prompt could do with the tool. */
  why: string;
}

/** Orders risks so rules can say "at least High" without string comparisons. */
export function riskRank(risk: Risk): number {
  return RISKS.indexOf(risk);
}

export function maxRisk(a: Risk, b: Risk): Risk {
  return riskRank(a) >= riskRank(b) ? a : b;
}

export function raiseRisk(risk: Risk, steps = 1): Risk {
  return RISKS[Math.min(RISKS.length - 1, riskRank(risk) + steps)]!;
}
