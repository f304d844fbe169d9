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
  cues: Set<
    | 'irreversible'
    | 'overwrite'
    | 'sql'
    | 'arbitrary-code'
    | 'secrets'
    | 'production'
    | 'bulk'
    | 'download-links'
    | 'sends'
    | 'consent'
  >;
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
  // "Bulk partial update catalog items (up to 1000)": the name may not say it, the description does.
  ['bulk', /\b(bulk|batch|in batches)\b|\bup to \d{3,}\b/i],
  // The tool says it delivers (3rd person: "a campaign that sends to lists"), not that it could.
  ['sends', /\b(sends|delivers|broadcasts)\b/i],
  // Subscription as consent to messages (subscription groups, opt-outs), not a billing plan.
  [
    'consent',
    /\bunsubscrib|\bsubscription groups?\b|\bopt[- ]?(in|out)\b|\b(mailing|email|sms|push) lists?\b/i,
  ],
];

/** Cues read from the first sentence only: what the tool returns, not what it mentions. */
const FIRST_SENTENCE_CUES: Array<[Signals['cues'] extends Set<infer C> ? C : never, RegExp]> = [
  // Download URLs of an export are bearer links: whoever holds one gets the whole file.
  ['download-links', /\bdownload (urls?|links?)\b|\b(pre-?signed|signed) (urls?|links?)\b/i],
];

/** Input names that tie a subscription to messaging consent (list ids, channel ids, message types). */
const CONSENT_PROP = /subscriptiongroup|listids?$|channelids?$|messagetype/i;

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

/**
 * A participle describes rather than acts: "a campaign that is currently running" does not run
 * anything, and `deactivate_triggered_campaign` triggers nothing. Only a verb's own form (or its
 * third person, "Deletes a file") is read as what the tool does.
 */
function verbHit(word: string) {
  const hit = lookup(VERBS, word);
  if (hit && hit.base !== word && /(ing|ed)$/.test(word)) return undefined;
  return hit;
}

/** Verbs that copy data out in bulk: starting one (`start_export_job`) is that export. */
const EXPORT_VERBS = new Set(['export', 'dump', 'download']);

/** The first verb of the name; failing that, of the description's first sentence. */
function findVerb(tokens: string[], description: string): Verb | undefined {
  for (const [i, word] of tokens.entries()) {
    const hit = verbHit(word);
    if (hit && i > 0 && hit.value === 'record' && RECORD_NOUNS.has(hit.base)) continue;
    if (!hit) continue;
    if (hit.value === 'weak-execute') {
      const started = tokens.slice(i + 1).find((t) => EXPORT_VERBS.has(verbHit(t)?.base ?? ''));
      if (started) return { word: started, base: verbHit(started)!.base, cls: 'read', source: 'name' };
    }
    return { word, base: hit.base, cls: hit.value, source: 'name' };
  }
  const firstSentence = description.split(/[.!?\n]/, 1)[0] ?? '';
  for (const word of words(firstSentence).slice(0, 8)) {
    const hit = verbHit(word);
    if (hit) return { word, base: hit.base, cls: hit.value, source: 'description' };
  }
  return undefined;
}

/**
 * Nouns that describe the shape of data rather than hold it: `get_email_template`,
 * `get_message_types` and `get_user_fields` read no one's email, messages or profile.
 */
const SHAPE_NOUNS = new Set([
  'template',
  'type',
  'field',
  'schema',
  'definition',
  'format',
  'mapping',
  'count',
  'size',
  'stat',
  'stats',
  'metric',
]);
/**
 * Words after a noun that leave it the head of the name: `delete_repo_by_name`,
 * `drop_table_if_exists`, `delete_project_v2`. Any other word after a container noun is what
 * the tool acts on inside that container.
 */
const TRAILERS = new Set([
  'by',
  'for',
  'from',
  'in',
  'of',
  'on',
  'to',
  'with',
  'at',
  'if',
  'exists',
  'id',
  'name',
]);
function isTrailer(word: string): boolean {
  if (TRAILERS.has(word) || /^v?\d+$/.test(word)) return true;
  const hit = lookup(NOUNS, word);
  return hit?.value.some((d) => d === 'container' || d === 'bulk' || d === 'infra') === true;
}

/** `settings` of a thing is access only when the thing is about access or a whole container. */
const SETTING_NOUNS = new Set(['setting', 'config', 'configuration']);

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
    if (!hit) continue;
    const next = rest[i + 1];
    const nextStems = next === undefined ? [] : stems(next);
    const prev = i > 0 ? lookup(NOUNS, rest[i - 1]!)?.value : undefined;
    for (const d of hit.value) {
      // `email` in `email_template` modifies the head noun: the tool reads a template.
      if (d === 'personal' && nextStems.some((w) => SHAPE_NOUNS.has(w))) continue;
      // `catalog` in `delete_catalog_item` says where the item is; the item is what goes.
      if (d === 'container' && next !== undefined && !isTrailer(next)) continue;
      // `experiment_settings` configure an experiment; `repo_settings`, `sso_config` are access.
      if (
        d === 'access' &&
        SETTING_NOUNS.has(hit.base) &&
        i > 0 &&
        !prev?.some((p) => p === 'access' || p === 'container')
      )
        continue;
      add(nouns, d, hit.base);
    }
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
  const firstSentence = (tool.description ?? '').split(/[.!?\n]/, 1)[0] ?? '';
  for (const [cue, re] of FIRST_SENTENCE_CUES) if (re.test(firstSentence)) cues.add(cue);
  if (schemaProperties(tool.inputSchema).some((p) => CONSENT_PROP.test(p.name.replace(/[_.-]/g, ''))))
    cues.add('consent');
  const verb = findVerb(tokens, tool.description ?? description);
  return { tokens, verb, nouns: findNouns(tokens, verb), props: findProps(tool.inputSchema, cues), cues };
}
