// Tool poisoning: descriptions are read by the model as instructions, so a malicious or
// compromised server can hide orders in them. The scan looks for the shapes seen in published
// attacks (Invariant Labs' <IMPORTANT> sidenote exfiltration, tool shadowing, ASCII smuggling
// with Unicode tags) and reports each with a neutralised excerpt.
import { INVISIBLE, oneLine } from './sanitize.js';
import { schemaProperties } from './signals.js';
import type { PoisonFinding, PoisonKind, ToolDefinition } from './types.js';

/** Longer than any description of the reference servers by a wide margin (their longest is ~460). */
export const LONG_DESCRIPTION = 2000;

interface Pattern {
  kind: PoisonKind;
  message: string;
  re: RegExp;
}

const SECRET_NOUNS =
  '(api[ _-]?keys?|secret keys?|private keys?|passwords?|passphrases?|credentials?|access tokens?|auth tokens?|session cookies?|seed phrases?|mnemonics?)';
const HANDOVER_VERBS =
  '(read|include|send|pass|provide|paste|copy|attach|append|extract|collect|share|upload|forward|cat|output|print|dump)';

const PATTERNS: Pattern[] = [
  // Instructions aimed at the model rather than documentation for it.
  {
    kind: 'hidden-instruction',
    message: 'markup that addresses the model',
    re: /<\s*\/?\s*(important|system|instructions?|secret|hidden|admin|assistant)\b[^>]*>|\[\/?INST\]|<\|im_start\|>/i,
  },
  {
    kind: 'hidden-instruction',
    message: 'tells the model to ignore its instructions',
    re: /\b(ignore|disregard|forget|override)\s+(all\s+|any\s+)?(the\s+)?(previous|prior|above|earlier|other|system|your)\s+(instructions|prompts?|rules|messages|directions)/i,
  },
  {
    kind: 'hidden-instruction',
    message: 'tells the model to keep something from the user',
    re: /\b(do\s+not|don't|never|must\s+not)\s+(tell|inform|mention|reveal|show|notify|alert|disclose)\b[^.]{0,40}\b(user|human|operator)|\bwithout\s+(telling|informing|notifying|alerting)\s+the\s+(user|human)|\b(user|human)\s+(must|should)\s+(not|never)\s+(know|see|be told)/i,
  },
  {
    kind: 'hidden-instruction',
    message: 'demands an action before the tool is used',
    re: /\bbefore\s+(using|calling|invoking|running)\s+this\s+tool\b[^.]{0,30}\b(you\s+must\s+|first\s+|always\s+)?(read|call|run|fetch|send|open|cat|include|pass|use)\b/i,
  },
  {
    kind: 'hidden-instruction',
    message: 'claims special authority',
    re: /\b(this\s+is\s+a\s+system\s+(message|instruction)|new\s+instructions?:|you\s+are\s+now\b|act\s+as\s+(an?\s+)?(admin|root|system)|very\s+very\s+important|otherwise\s+the\s+tool\s+will\s+not\s+work)/i,
  },
  // Secrets the tool has no business asking the model for.
  {
    kind: 'secret-request',
    message: 'names a secret file',
    re: /~\/\.ssh|\.ssh\/|\bid_(rsa|dsa|ecdsa|ed25519)\b|(^|[\s'"`(/])\.env\b|\.aws\/credentials|\.npmrc|\.netrc|\.git-credentials|\/etc\/(passwd|shadow)|\bmcp\.json\b|claude_desktop_config|\.kube\/config|\.docker\/config/i,
  },
  {
    kind: 'secret-request',
    message: 'asks for a secret',
    re: new RegExp(
      `\\b${HANDOVER_VERBS}\\b[^.]{0,60}\\b${SECRET_NOUNS}|\\b${SECRET_NOUNS}\\b[^.]{0,30}\\b(as|in|into)\\s+(the\\s+)?['"\`]?\\w+['"\`]?\\s+(parameter|argument|field)`,
      'i',
    ),
  },
  // Reaching into other tools or the conversation.
  {
    kind: 'cross-tool',
    message: 'refers to other tools',
    re: /\b(other|another|all|any|every|previous)\s+(mcp\s+)?(tools?|servers?)\b[^.]{0,40}\b(results?|outputs?|data|responses?|calls?|behaviou?r|instead|must|should)|\bwhen\s+(the\s+)?[`'"]?[a-z][a-z0-9]*[_-][a-z0-9_-]+[`'"]?\s+tool\s+is\s+(called|used|invoked|available|present)|\b(instead\s+of|rather\s+than)\s+(using\s+)?the\s+[`'"]?[a-z0-9_-]+[`'"]?\s+tool\b/i,
  },
  {
    kind: 'cross-tool',
    message: 'gives orders about another named tool',
    re: /\bthe\s+[`'"]?[a-z][a-z0-9]*[_-][a-z0-9_-]+[`'"]?\s+tool\s+(must|should|shall|will\s+now|needs\s+to|has\s+to)\b|\bside\s+effects?\s+on\s+the\b[^.]{0,40}\btool\b/i,
  },
  {
    kind: 'cross-tool',
    message: 'reaches for the conversation or context',
    re: /\b(conversation|chat)\s+history\b|\bsystem\s+prompt\b|\bprevious\s+messages\b|\bcontext\s+window\b|\ball\s+(prior|previous)\s+(messages|tool\s+results)/i,
  },
  // Sending data somewhere.
  {
    kind: 'exfiltration',
    message: 'sends data to a URL',
    re: /\b(send|post|upload|forward|transmit|exfiltrate|report|submit|curl|beacon|ping)\b[^.]{0,60}https?:\/\//i,
  },
  {
    kind: 'exfiltration',
    message: 'sends data to a fixed address',
    re: /\b(send|forward|bcc|cc|copy|mail|email|text)\b[^.]{0,40}\bto\s+([\w.+-]+@[\w-]+\.[\w.]+|\+?\d[\d -]{7,}\d)/i,
  },
  {
    kind: 'exfiltration',
    message: 'smuggles data through a parameter',
    re: /\b(pass|put|include|add|append|encode|embed)\s+(its|the|their|all|this|that)?\s*(full\s+|entire\s+)?(content|contents|data|file|key|value|result|output|text)s?\s+(as|in|into|inside)\s+(the\s+)?(['"`]\w+['"`]|\w+\s+(parameter|argument|field|variable))/i,
  },
];

function excerptAround(text: string, index: number, length: number): string {
  const start = Math.max(0, index - 20);
  return oneLine(text.slice(start, index + length + 40), 80);
}

/** Findings in one piece of text (a description, a title, a property description). */
export function scanDescription(text: string): PoisonFinding[] {
  const findings: PoisonFinding[] = [];
  const invisible = [...text.matchAll(INVISIBLE)];
  if (invisible.length > 0) {
    const points = [...new Set(invisible.map((m) => `U+${m[0].codePointAt(0)!.toString(16).toUpperCase()}`))];
    findings.push({
      kind: 'invisible-unicode',
      message: `${invisible.length} invisible character(s): ${points.slice(0, 6).join(', ')}`,
      excerpt: excerptAround(text, invisible[0]!.index, 1),
    });
  }
  // Match on the text with invisible characters removed so they cannot split trigger words.
  const visible = text.replace(INVISIBLE, '');
  for (const p of PATTERNS) {
    const m = p.re.exec(visible);
    if (m)
      findings.push({
        kind: p.kind,
        message: p.message,
        excerpt: excerptAround(visible, m.index, m[0].length),
      });
  }
  if (text.length > LONG_DESCRIPTION) {
    findings.push({
      kind: 'long-description',
      message: `${text.length} characters; long descriptions hide instructions`,
      excerpt: oneLine(text.slice(LONG_DESCRIPTION - 40), 80),
    });
  }
  return findings;
}

/** Findings across every text the model reads about a tool, each message naming where. */
export function scanTool(tool: ToolDefinition): PoisonFinding[] {
  const texts: Array<[string, string]> = [
    ['name', tool.name],
    ['title', tool.title ?? ''],
    ['annotations.title', tool.annotations?.title ?? ''],
    ['description', tool.description ?? ''],
  ];
  for (const prop of schemaProperties(tool.inputSchema)) {
    texts.push([`input ${prop.name}`, prop.name], [`input ${prop.name} description`, prop.description]);
  }
  const findings: PoisonFinding[] = [];
  for (const [where, text] of texts) {
    if (!text) continue;
    for (const f of scanDescription(text)) findings.push({ ...f, message: `${where}: ${f.message}` });
  }
  return findings;
}
