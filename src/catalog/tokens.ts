// Splits tool names and prose into lower-case word tokens. Tool names arrive in every casing
// convention (track_event, createRefund, delete-repo, HTTPRequest, slack.post_message), and the
// lexicon only knows base forms, so tokens are also reduced to a crude stem.

/** `createRefundV2` -> [create, refund, v2]; `get_file_contents` -> [get, file, contents]. */
export function splitName(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .map((t) => t.toLowerCase())
    .filter((t) => t.length > 0);
}

/** Words of free text, lower-cased, without punctuation. */
export function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 0);
}

/**
 * Candidate base forms of a word, most literal first: `deletes` -> [deletes, delete, delet],
 * `entities` -> [entities, entity], `running` -> [running, runn, run]. The caller takes the first
 * candidate its dictionary knows, so over-eager stripping is harmless.
 */
export function stems(word: string): string[] {
  const out = [word];
  const add = (s: string) => {
    if (s.length >= 2 && !out.includes(s)) out.push(s);
  };
  if (word.endsWith('ies')) add(`${word.slice(0, -3)}y`);
  if (word.endsWith('es')) add(word.slice(0, -1));
  if (word.endsWith('es')) add(word.slice(0, -2));
  if (word.endsWith('s') && !word.endsWith('ss')) add(word.slice(0, -1));
  if (word.endsWith('ing')) {
    const base = word.slice(0, -3);
    add(base);
    add(`${base}e`);
    if (base.length > 2 && base.at(-1) === base.at(-2)) add(base.slice(0, -1));
  }
  if (word.endsWith('ed')) {
    add(word.slice(0, -1));
    add(word.slice(0, -2));
  }
  return out;
}

/** Looks a word up in a dictionary through its stems. */
export function lookup<T>(
  dict: ReadonlyMap<string, T>,
  word: string,
): { base: string; value: T } | undefined {
  for (const s of stems(word)) {
    const value = dict.get(s);
    if (value !== undefined) return { base: s, value };
  }
  return undefined;
}
