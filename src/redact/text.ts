/**
 * Secret VALUE shapes anywhere inside a string: credentials pasted into prose, headers written as
 * text, URLs with a password, provider keys. One left-to-right pass of one compiled regex finds
 * candidates; a handler per shape decides how far the secret runs and what replaces it, and the scan
 * resumes after it. Every alternative starts only where a token starts (a lookbehind), and every
 * handler moves forward, so the work stays linear in the length of the string.
 *
 * Masks keep enough shape to read: `[REDACTED:jwt]`, `Bearer [REDACTED]`,
 * `https://user:[REDACTED]@host`, `password=[REDACTED]`. Masking a masked string changes nothing.
 */

export const MASK = '[REDACTED]';
const label = (kind: string) => `[REDACTED:${kind}]`;

/** A stretch of the original string to replace. */
export interface MaskRange {
  start: number;
  end: number;
  mask: string;
}

/** Not preceded by a character that could belong to the same token. */
const B = '(?<![A-Za-z0-9_-])';
const TOKEN = 'A-Za-z0-9_-';

/** Provider key formats: the name in the mask says what it was. */
const PROVIDERS: readonly (readonly [group: string, kind: string, source: string])[] = [
  ['tg', 'toolgate-token', `${B}tg_[${TOKEN}]{20,}`],
  ['anthropic', 'anthropic-key', `${B}sk-ant-[${TOKEN}]{20,}`],
  ['openai', 'openai-key', `${B}sk-[${TOKEN}]{20,}`],
  ['stripe', 'stripe-key', `${B}[rs]k_(?:live|test)_[A-Za-z0-9]{10,}`],
  ['github', 'github-token', `${B}(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})`],
  ['slack', 'slack-token', `${B}xox[abposr]-[A-Za-z0-9-]{10,}`],
  ['aws', 'aws-access-key-id', '(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])'],
  ['gitlab', 'gitlab-token', `${B}glpat-[${TOKEN}]{20,}`],
  ['google', 'google-api-key', `${B}AIza[${TOKEN}]{35}`],
  ['npm', 'npm-token', `${B}npm_[A-Za-z0-9]{36}`],
  // Three base64url parts, the first two JSON objects (`{"` is `eyJ`); the signature may be empty.
  ['jwt', 'jwt', `${B}eyJ[${TOKEN}]{4,}\\.[${TOKEN}]{4,}\\.[${TOKEN}]*`],
];

const SCAN = new RegExp(
  [
    '(?<pem>-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----)',
    '(?<url>(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,31}://)',
    ...PROVIDERS.map(([group, , source]) => `(?<${group}>${source})`),
    `(?<scheme>${B}(?:[Bb]earer|BEARER|[Bb]asic|BASIC)[ \\t]+)`,
    // A name followed by `:` or `=` (`password=..`, `"token": "..."`, `Authorization: ...`); the
    // handler asks whether the name is a secret one.
    '(?<key>(?<![A-Za-z0-9_.-])[A-Za-z_][A-Za-z0-9_.-]{0,63}(?=\\\\?["\']?[ \\t]*[:=]))',
  ].join('|'),
  'g',
);

/** How far a handler may look ahead for the end of one secret: bounds the work per candidate. */
const MAX_SECRET = 4096;
/** Authorization schemes kept visible in front of a masked credential. */
const AUTH_SCHEMES = /^(?:bearer|basic|token|bot|digest|negotiate|apikey|key|dpop|mac)$/i;

const isCredentialChar = (c: number) =>
  (c >= 48 && c <= 57) ||
  (c >= 65 && c <= 90) ||
  (c >= 97 && c <= 122) ||
  c === 45 || // -
  c === 46 || // .
  c === 95 || // _
  c === 126 || // ~
  c === 43 || // +
  c === 47 || // /
  c === 61; // =
const isDigit = (c: number) => c >= 48 && c <= 57;
/** Ends an unquoted value: whitespace, quotes, separators and closing brackets. */
const isValueEnd = (c: number) =>
  c <= 32 ||
  c === 34 || // "
  c === 39 || // '
  c === 38 || // &
  c === 59 || // ;
  c === 44 || // ,
  c === 60 || // <
  c === 62 || // >
  c === 41 || // )
  c === 125 || // }
  c === 92; // backslash (an escaped quote in JSON written as text)
/** Ends a URL's authority part. */
const isAuthorityEnd = (c: number) =>
  c <= 32 || c === 47 || c === 63 || c === 35 || c === 34 || c === 39 || c === 60 || c === 62 || c === 92;

/**
 * The ranges of `s` that hold secrets by shape (and, for `name: value` text, by `isSecretKey`).
 * Appended to `out`, roughly in order; `applyMasks` sorts and merges them.
 */
export function findSecrets(s: string, isSecretKey: (name: string) => boolean, out: MaskRange[]): void {
  SCAN.lastIndex = 0;
  let m: RegExpExecArray | null = SCAN.exec(s);
  while (m !== null) {
    const start = m.index;
    const end = start + m[0].length;
    const g = m.groups as Record<string, string | undefined>;
    let resume = end;
    if (g.pem !== undefined) resume = pem(s, start, end, out);
    else if (g.url !== undefined) urlUserinfo(s, end, out);
    else if (g.scheme !== undefined) resume = schemeCredential(s, end, out);
    else if (g.key !== undefined) resume = isSecretKey(g.key) ? keyValue(s, end, out) : end;
    else {
      const provider = PROVIDERS.find(([group]) => g[group] !== undefined);
      out.push({ start, end, mask: label(provider ? provider[1] : 'secret') });
    }
    SCAN.lastIndex = Math.max(resume, start + 1);
    m = SCAN.exec(s);
  }
}

/** A PEM private key block, to its END line; with no END line, to the end of the string. */
function pem(s: string, start: number, headerEnd: number, out: MaskRange[]): number {
  const endLine = s.indexOf('-----END ', headerEnd);
  const footer = endLine < 0 ? -1 : s.indexOf('PRIVATE KEY-----', endLine);
  const end = footer < 0 || footer - endLine > 60 ? s.length : footer + 'PRIVATE KEY-----'.length;
  out.push({ start, end, mask: label('private-key') });
  return end;
}

/** `scheme://user:password@host`: the password only; the scan goes on inside the authority. */
function urlUserinfo(s: string, from: number, out: MaskRange[]): void {
  const limit = Math.min(s.length, from + 512);
  let end = from;
  while (end < limit && !isAuthorityEnd(s.charCodeAt(end))) end++;
  const at = s.lastIndexOf('@', end - 1);
  if (at < from) return;
  const colon = s.indexOf(':', from);
  if (colon >= 0 && colon < at - 1) out.push({ start: colon + 1, end: at, mask: MASK });
}

/** `Bearer x` / `Basic x` in text: a credential-looking word (a digit in it, or long) is masked. */
function schemeCredential(s: string, from: number, out: MaskRange[]): number {
  const limit = Math.min(s.length, from + MAX_SECRET);
  let end = from;
  let digit = false;
  while (end < limit && isCredentialChar(s.charCodeAt(end))) {
    if (isDigit(s.charCodeAt(end))) digit = true;
    end++;
  }
  const n = end - from;
  if (n >= 8 && (digit || n >= 20)) {
    out.push({ start: from, end, mask: MASK });
    return end;
  }
  return from;
}

/**
 * The value after a secret name and its `:`/`=`: a quoted string to its closing quote, else a word;
 * after an authorization scheme word (`Bearer`, `Basic`, ...) the word that follows it.
 */
function keyValue(s: string, nameEnd: number, out: MaskRange[]): number {
  let i = nameEnd;
  if (s.charCodeAt(i) === 92) i++; // \" of JSON inside a string
  if (s.charCodeAt(i) === 34 || s.charCodeAt(i) === 39) i++;
  while (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9) i++;
  i++; // the : or =
  while (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9) i++;
  const escaped = s.charCodeAt(i) === 92 && (s.charCodeAt(i + 1) === 34 || s.charCodeAt(i + 1) === 39);
  if (escaped) i++;
  const q = s.charCodeAt(i);
  const limit = Math.min(s.length, i + MAX_SECRET);
  if (q === 34 || q === 39) {
    const from = i + 1;
    let end = from;
    while (end < limit) {
      const c = s.charCodeAt(end);
      if (c === 10 || c === 13) break;
      if (c === 92 && !escaped) {
        end += 2; // an escaped character inside the quotes belongs to the value
        continue;
      }
      if (c === q && !(escaped && s.charCodeAt(end - 1) !== 92)) {
        if (escaped) end--; // stop before the backslash of \"
        break;
      }
      end++;
    }
    end = Math.min(end, limit);
    if (end > from) out.push({ start: from, end, mask: MASK });
    return Math.max(end, from);
  }
  let end = i;
  while (end < limit && !isValueEnd(s.charCodeAt(end))) end++;
  if (end === i) return i;
  // `Authorization: Bearer abc`: keep the scheme, mask what follows it.
  if (AUTH_SCHEMES.test(s.slice(i, end))) {
    let j = end;
    while (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9) j++;
    let k = j;
    while (k < limit && !isValueEnd(s.charCodeAt(k))) k++;
    if (j > end && k > j) {
      out.push({ start: j, end: k, mask: MASK });
      return k;
    }
  }
  out.push({ start: i, end, mask: MASK });
  return end;
}

/** `s` with the ranges replaced; overlapping ranges become one, with the first one's mask. */
export function applyMasks(s: string, ranges: MaskRange[]): string {
  if (ranges.length === 0) return s;
  ranges.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let at = 0;
  let i = 0;
  while (i < ranges.length) {
    const first = ranges[i]!;
    let end = first.end;
    i++;
    while (i < ranges.length && ranges[i]!.start < end) {
      end = Math.max(end, ranges[i]!.end);
      i++;
    }
    out += s.slice(at, first.start) + first.mask;
    at = end;
  }
  return out + s.slice(at);
}
