// Gathers what a tool definition says about itself into plain facts the classifier ranks.
// Nothing here decides a category; it only reads the name, description and schema.
import {
  NOUNS,
  type NounDomain,
  PROP_EXACT,
  PROP_WORD,
  type PropDomain,
  VERBS,
  type VerbClass,
} from './lexicon.js';
import { lookup, splitName, stems, words } from './tokens.js';
import type { ToolDefinition } from './types.js';

export interface Verb {
  word: string;
  base: string;
  cls: VerbClass;
  source: 'name' | 'description';
}

export interface Signals {
  tokens: string[];
  verb?: Verb;
  /** Domain -> the name words (or word pairs) that point there. */
  nouns: Map<NounDomain, string[]>;
  /** Domain -> the input property names that point there. */
  props: Map<PropDomain, string[]>;
  /** Phrases in the description that change the risk. */
  cues: Set<'irreversible' | 'overwrite' | 'sql' | 'arbitrary-code' | 'secrets' | 'production'>;
}

const CUES: Array<[Signals['cues'] extends Set<infer C> ? C : never, RegExp]> = [
  [
    'irreversible',
    /\bpermanent(ly)?\b|irreversib|cannot be (undone|recovered)|can't be undone|no way to recover/i,
  ],
  ['overwrite', /\boverwrit/i],
  ['sql', /\bsql\b|\bddl\b|\bdml\b|\bpostgres|\bmysql\b|\bsqlite\b|\bselect\b.*\bfrom\b/i],
  [
    'arbitrary-code',
    /\b(arbitrary|any)\s+(sql|code|commands?|shell|scripts?|queries|query|javascript|python)\b/i,
  ],
  [
    'secrets',
    /environment variables|\bapi[ _-]?keys?\b|\bpasswords?\b|\bcredentials?\b|\bsecrets?\b|private keys?|access tokens?/i,
  ],
  ['production', /\bproduction\b|\bprod\b|\blive mode\b/i],
];

function add<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key) ?? [];
  if (!list.includes(value)) list.push(value);
  map.set(key, list);
}

/**
 * Record verbs that are also the thing recorded. After another word they are that thing, not an
 * action: `git_log` shows logs and `kubectl_logs` reads them, while `log_event` writes one.
 */
const RECORD_NOUNS = new Set(['log', 'report', 'note', 'record']);

/** The first verb of the name; failing that, of the description's first sentence. */
function findVerb(tokens: string[], description: string): Verb | undefined {
  for (const [i, word] of tokens.entries()) {
    const hit = lookup(VERBS, word);
    if (hit && i > 0 && hit.value === 'record' && RECORD_NOUNS.has(hit.base)) continue;
    if (hit) return { word, base: hit.base, cls: hit.value, source: 'name' };
  }
  const firstSentence = description.split(/[.!?\n]/, 1)[0] ?? '';
  for (const word of words(firstSentence).slice(0, 8)) {
    const hit = lookup(VERBS, word);
    if (hit) return { word, base: hit.base, cls: hit.value, source: 'description' };
  }
  return undefined;
}

/** Nouns of the name; word pairs (`api_key`, `payment_link`) win over their halves. */
function findNouns(tokens: string[], verb: Verb | undefined): Map<NounDomain, string[]> {
  const nouns = new Map<NounDomain, string[]>();
  const rest = tokens.filter((t) => !(verb?.source === 'name' && t === verb.word));
  for (let i = 0; i < rest.length; i++) {
    const pair = i + 1 < rest.length ? [`${rest[i]}_${rest[i + 1]}`, `${rest[i]}${rest[i + 1]}`] : [];
    const pairHit = pair.map((p) => ({ p, hit: lookup(NOUNS, p) })).find((x) => x.hit);
    if (pairHit?.hit) {
      for (const d of pairHit.hit.value) add(nouns, d, pairHit.p);
      i++;
      continue;
    }
    const hit = lookup(NOUNS, rest[i]!);
    if (hit) for (const d of hit.value) add(nouns, d, hit.base);
  }
  return nouns;
}

interface PropertyInfo {
  name: string;
  description: string;
}

/** Property names and descriptions of an object schema, two levels deep (arrays included). */
export function schemaProperties(schema: unknown, depth = 0, prefix = ''): PropertyInfo[] {
  if (!schema || typeof schema !== 'object' || depth > 2) return [];
  const out: PropertyInfo[] = [];
  const node = schema as { properties?: unknown; items?: unknown };
  if (node.properties && typeof node.properties === 'object') {
    for (const [name, sub] of Object.entries(node.properties as Record<string, unknown>)) {
      const description =
        sub && typeof sub === 'object' && typeof (sub as { description?: unknown }).description === 'string'
          ? (sub as { description: string }).description
          : '';
      out.push({ name: prefix + name, description });
      out.push(...schemaProperties(sub, depth + 1, `${prefix}${name}.`));
    }
  }
  if (node.items) out.push(...schemaProperties(node.items, depth + 1, prefix));
  return out;
}

function findProps(schema: unknown, cues: Signals['cues']): Map<PropDomain, string[]> {
  const props = new Map<PropDomain, string[]>();
  for (const { name } of schemaProperties(schema)) {
    const leaf = name.split('.').at(-1)!;
    const parts = splitName(leaf);
    const exact = PROP_EXACT.get(parts.join(''));
    // `to` or `channel` inside a nested object (a relation's target) is not who receives a message.
    const nested = name.includes('.');
    if (exact && nested && (exact === 'recipient' || exact === 'channel')) continue;
    if (exact) {
      add(props, exact, name);
      continue;
    }
    // `query` is a search box in most tools; it is code only when the tool talks about SQL.
    if (parts.join('') === 'query' && cues.has('sql')) {
      add(props, 'code', name);
      continue;
    }
    for (const part of parts) {
      const hit = stems(part)
        .map((s) => PROP_WORD.get(s))
        .find((d) => d !== undefined);
      if (hit) {
        add(props, hit, name);
        break;
      }
    }
  }
  return props;
}

export function gatherSignals(tool: ToolDefinition): Signals {
  const tokens = splitName(tool.name);
  const description = [tool.title, tool.annotations?.title, tool.description].filter(Boolean).join('. ');
  const cues: Signals['cues'] = new Set();
  for (const [cue, re] of CUES) if (re.test(tool.description ?? '')) cues.add(cue);
  const verb = findVerb(tokens, tool.description ?? description);
  return { tokens, verb, nouns: findNouns(tokens, verb), props: findProps(tool.inputSchema, cues), cues };
}
