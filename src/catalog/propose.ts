// A starting policy for one server, from the catalogue: default deny, Read allowed, Write
// rate-limited, Communication rate-limited (approval when it reaches outsiders), Delete / Execute
// / Financial / Admin behind approval, Critical denied, poisoned definitions hidden, new tools
// quarantined. It relies on `hide_denied` (on by default): tools denied whatever their arguments
// (unlisted ones, Critical ones) are left out of tools/list, so it needs no hide list for them.
// The YAML form carries a comment on every tool saying why it got its rule.
import { Document, isMap, isScalar, isSeq, type Scalar } from 'yaml';
import type { AdviceOptions } from './advice.js';
import { classifyTool, isPoisoning } from './classify.js';
import { oneLine } from './sanitize.js';
import { CATEGORIES, type Classification, type ToolDefinition } from './types.js';

export interface ProposeOptions extends AdviceOptions {
  /**
   * Put tools with a poisoned definition in `hide` (default true), which keeps their description
   * away from the model in every mode. When false they get `deny: true` like Critical tools,
   * which `hide_denied` leaves out of tools/list only while the policy enforces (not in shadow
   * mode, nor with `hide_denied: false`).
   */
  hidePoisoned?: boolean;
}

export interface Proposal {
  document: Record<string, unknown>;
  yaml: string;
  /** The classification behind each proposed rule, by tool name. */
  classifications: Record<string, Classification>;
}

/** Glob characters in a tool name would turn its policy key into a pattern matching other tools. */
const GLOB = /[*?[\]{}]/;

function ruleInWords(rule: Record<string, unknown>): string {
  if (rule.deny) return 'denied, so left out of tools/list (hide_denied)';
  const limits = rule.limits as Array<{ max: number; window: string }> | undefined;
  const cap = limits?.[0] ? `${limits[0].max} calls a ${limits[0].window} per grant` : '';
  if (rule.approval) return cap ? `needs approval, ${cap}` : 'needs approval';
  return cap ? `allowed, ${cap}` : 'allowed';
}

/** The decisive reasons first (those that moved the category or risk), then findings. */
function topReasons(c: Classification, max = 3): string[] {
  const decisive = c.reasons.filter(
    (r) => r.includes('->') || r.startsWith('poisoning') || r.includes('contradicts'),
  );
  return [...new Set(decisive)].slice(0, max);
}

function commentFor(tool: ToolDefinition, c: Classification, hidden: boolean): string {
  const lines = [
    ` ${oneLine(tool.name, 60)}: ${c.category}, ${c.risk} risk; ${hidden ? 'hidden' : ruleInWords(c.recommended)}`,
    ...topReasons(c).map((r) => `   - ${oneLine(r, 110)}`),
  ];
  if (tool.description) lines.push(`   description: ${oneLine(tool.description, 100)}`);
  if (c.findings.length > 0)
    lines.push(`   WARNING: ${c.findings.length} poisoning finding(s); read the definition first`);
  return lines.join('\n');
}

export function proposePolicy(server: string, tools: ToolDefinition[], opts: ProposeOptions = {}): Proposal {
  const hidePoisoned = opts.hidePoisoned ?? true;
  const classifications: Record<string, Classification> = {};
  const unusable: string[] = [];
  const seen = new Set<string>();
  const entries: Array<{ tool: ToolDefinition; c: Classification }> = [];
  for (const tool of tools) {
    if (seen.has(tool.name)) continue; // a server listing a name twice gets its first definition
    seen.add(tool.name);
    const c = classifyTool(tool, opts);
    classifications[tool.name] = c;
    if (GLOB.test(tool.name) || tool.name.length === 0) unusable.push(tool.name);
    else entries.push({ tool, c });
  }
  // Group by category in a fixed order so a reader meets the harmless tools first.
  entries.sort((a, b) => CATEGORIES.indexOf(a.c.category) - CATEGORIES.indexOf(b.c.category));

  // Poisoned definitions are hidden: their description is the attack, and `hide` keeps it from
  // the model whatever the mode. Critical tools are denied with a reason under tools, which
  // hide_denied leaves out of tools/list while a call still tells the agent why.
  const hides = (c: Classification) => hidePoisoned && c.findings.some(isPoisoning);
  const hidden = entries.filter((e) => hides(e.c));
  const listed = entries.filter((e) => !hides(e.c));
  const document: Record<string, unknown> = {
    version: '1',
    default: 'deny',
    ...(hidden.length > 0 ? { hide: hidden.map((e) => e.tool.name) } : {}),
    new_tools: 'quarantine',
    tools: Object.fromEntries(listed.map((e) => [e.tool.name, e.c.recommended])),
  };

  const doc = new Document(document);
  doc.commentBefore = [
    ` Proposed toolgate policy for server ${oneLine(server, 60)}, generated from ${tools.length} tool definition(s).`,
    ' Review before use: classifications come from names, descriptions and schemas the server supplied.',
    ' default: deny: unlisted tools are refused, and (with denied ones) left out of tools/list by',
    ' hide_denied (on by default); new_tools: quarantine (tools added later stay hidden).',
    ...(unusable.length
      ? [
          ` Not named (glob characters in the name), so default deny applies: ${oneLine(unusable.join(', '), 100)}`,
        ]
      : []),
  ].join('\n');
  const root = doc.contents;
  if (isMap(root)) {
    const hideNode = root.get('hide', true);
    if (isSeq(hideNode)) {
      hideNode.items.forEach((item, i) => {
        const e = hidden[i]!;
        if (isScalar(item)) item.commentBefore = commentFor(e.tool, e.c, true);
      });
      if (hidden.length > 0) {
        hideNode.commentBefore =
          ' Poisoned definition: hidden from agents (in every mode) until a person decides otherwise.';
      }
    }
    const toolsNode = root.get('tools', true);
    if (isMap(toolsNode)) {
      toolsNode.items.forEach((pair, i) => {
        const e = listed[i]!;
        if (isScalar(pair.key)) (pair.key as Scalar).commentBefore = commentFor(e.tool, e.c, false);
      });
    }
  }
  return { document, yaml: doc.toString({ lineWidth: 0 }), classifications };
}
