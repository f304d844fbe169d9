// classifyTool: category, then risk, then what the annotations and the poisoning scan add.
// Every step appends its reason so the catalogue can show exactly why a tool got its level.
import { type AdviceOptions, explainWhy, recommendRule } from './advice.js';
import { chooseCategory } from './category.js';
import { assessRisk } from './risk.js';
import { oneLine } from './sanitize.js';
import { scanTool } from './scan.js';
import { gatherSignals, type Signals } from './signals.js';
import {
  type Category,
  type Classification,
  maxRisk,
  type PoisonFinding,
  type Risk,
  type ToolDefinition,
} from './types.js';

const EFFECTFUL: ReadonlySet<Category> = new Set([
  'Delete',
  'Execute',
  'Financial',
  'Admin',
  'Communication',
]);

/** Annotations only ever add risk: a hint that claims safety is checked against the name. */
function applyAnnotations(
  tool: ToolDefinition,
  s: Signals,
  category: Category,
  risk: Risk,
  reasons: string[],
) {
  const a = tool.annotations ?? {};
  const verb = s.verb ? `'${s.verb.word}'` : 'the name';
  if (a.readOnlyHint === true && category !== 'Read') {
    reasons.push(`annotation readOnlyHint=true contradicts ${verb} (${category}); hint ignored`);
    if (EFFECTFUL.has(category)) {
      const raised = maxRisk(risk, 'High');
      if (raised !== risk) reasons.push(`a false read-only claim on a ${category} tool -> ${raised}`);
      risk = raised;
    }
  }
  if (a.destructiveHint === false && category === 'Delete') {
    reasons.push(`annotation destructiveHint=false contradicts ${verb}; hint ignored`);
  }
  if (a.readOnlyHint === true && a.destructiveHint === true) {
    reasons.push('annotations claim both read-only and destructive; neither is trusted');
  }
  if (category === 'Read' && (a.readOnlyHint === false || a.destructiveHint === true)) {
    // The server admits side effects the name does not show; believe the more dangerous claim.
    const admitted = a.destructiveHint === true ? 'destructiveHint=true' : 'readOnlyHint=false';
    category = 'Write';
    const raised = maxRisk(risk, a.destructiveHint === true ? 'High' : 'Medium');
    reasons.push(`annotation ${admitted}: the server says it changes state -> Write, ${raised}`);
    risk = raised;
  } else if (a.destructiveHint === true && category === 'Write') {
    const raised = maxRisk(risk, 'High');
    reasons.push(
      `annotation destructiveHint=true: may destroy data it overwrites${raised !== risk ? ` -> ${raised}` : ''}`,
    );
    risk = raised;
  }
  if (a.openWorldHint === true && category === 'Read' && risk === 'Low') {
    risk = 'Medium';
    reasons.push(
      'annotation openWorldHint=true: reads from the open internet (prompt injection, SSRF) -> Medium',
    );
  } else if (a.openWorldHint === true) {
    reasons.push('annotation openWorldHint=true: reaches systems outside this server');
  }
  return { category, risk };
}

/** The words of the name other than the verb, as a phrase: `delete_repository` -> "repository". */
function subjectOf(s: Signals, tool: ToolDefinition): string {
  const rest = s.tokens.filter((t) => !(s.verb?.source === 'name' && t === s.verb.word));
  return rest.length ? oneLine(rest.join(' '), 60) : `what ${oneLine(tool.name, 60)} acts on`;
}

/** A long description alone is suspicious, not hostile; every other finding is an attack shape. */
export function isPoisoning(finding: PoisonFinding): boolean {
  return finding.kind !== 'long-description';
}

export function classifyTool(tool: ToolDefinition, opts: AdviceOptions = {}): Classification {
  const s = gatherSignals(tool);
  // 1. Category from the name, description and schema.
  let { category, reasons } = chooseCategory(s);
  // A tool with no verb anywhere that says it is read-only is taken at its word, but not at Low.
  const unverifiedRead =
    !s.verb && tool.annotations?.readOnlyHint === true && tool.annotations.destructiveHint !== true;
  if (unverifiedRead) {
    category = 'Read';
    reasons = ["no known verb; only the server's readOnlyHint says it reads -> Read"];
  }
  // 2. Risk for that category.
  const assessed = assessRisk(category, s);
  let risk = unverifiedRead ? maxRisk(assessed.risk, 'Medium') : assessed.risk;
  reasons.push(...assessed.reasons);
  if (unverifiedRead) reasons.push('read-only claim unverified -> at least Medium');
  // 3. Annotations, which may only raise.
  ({ category, risk } = applyAnnotations(tool, s, category, risk, reasons));
  // 4. Poisoning: any finding means the definition itself is hostile or compromised.
  const findings = scanTool(tool);
  for (const f of findings) reasons.push(`poisoning (${f.kind}): ${f.message}`);
  if (findings.length > 0 && maxRisk(risk, 'High') !== risk) {
    risk = 'High';
    reasons.push('poisoning findings -> at least High');
  }
  const poisoned = findings.some(isPoisoning);
  const recommended = recommendRule(tool.name, category, risk, { ...opts, poisoned });
  return {
    category,
    risk,
    reasons,
    findings,
    recommended,
    why: explainWhy(subjectOf(s, tool), category, recommended),
  };
}
