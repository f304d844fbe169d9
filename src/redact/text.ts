/**
 * Secret VALUE shapes anywhere inside a string: credentials pasted into prose, headers written as
 * text, URLs with a password, provider keys, `name: value` text under a secret name. One
 * left-to-right pass of a regex of plain literals (`tg_`, `eyJ`, `://`, `:`, `=`, ...) finds where a
 * secret could start; a handler per shape checks the shape there (a sticky regex or a short walk),
 * decides how far the secret runs and what replaces it, and the scan resumes after it. A shape
 * counts only where a token starts (the character before it cannot belong to it), and every handler
 * moves forward or looks a bounded distance, so the work stays linear in the length of the string.
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

/** A provider key format, tried (sticky) where its prefix was found; the kind names the mask. */
interface TokenShape {
  kind: string;
  re: RegExp;
  /** The character before the prefix may not be one of these (the token would start earlier). */
  before: (c: number) => boolean;
}

const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
/** Letters, digits, `_` and `-`: what base64url tokens and provider keys are made of. */
const isTokenChar = (c: number) => isAlnum(c) || c === 95 || c === 45;
/** What a `name` in `name: value` text is made of (`db.password`, `X-Api-Key`, `--pass`). */
const isNameChar = (c: number) => isTokenChar(c) || c === 46;
const T = 'A-Za-z0-9_-';
const shape = (kind: string, source: string, before = isTokenChar): TokenShape => ({
  kind,
  re: new RegExp(source, 'y'),
  before,
});

/** By the literal the trigger found. */
const TOKEN_SHAPES: Record<string, readonly TokenShape[]> = {
  tg_: [shape('toolgate-token', `tg_[${T}]{20,}`)],
  'sk-': [shape('anthropic-key', `sk-ant-[${T}]{20,}`), shape('openai-key', `sk-[${T}]{20,}`)],
  sk_: [shape('stripe-key', 'sk_(?:live|test)_[A-Za-z0-9]{10,}')],
  rk_: [shape('stripe-key', 'rk_(?:live|test)_[A-Za-z0-9]{10,}')],
  gh: [shape('github-token', 'gh[pousr]_[A-Za-z0-9]{30,}')],
  github_pat_: [shape('github-token', 'github_pat_[A-Za-z0-9_]{30,}')],
  xox: [shape('slack-token', 'xox[abposr]-[A-Za-z0-9-]{10,}')],
  AKIA: [shape('aws-access-key-id', '(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])', isAlnum)],
  glpat: [shape('gitlab-token', `glpat-[${T}]{20,}`)],
  AIza: [shape('google-api-key', `AIza[${T}]{35}`)],
  npm_: [shape('npm-token', 'npm_[A-Za-z0-9]{36}')],
  // Three base64url parts, the first two JSON objects (`{"` is `eyJ`); the signature may be empty.
  eyJ: [shape('jwt', `eyJ[${T}]{4,}\\.[${T}]{4,}\\.[${T}]*`)],
};

/**
 * Where a secret could start. Order matters where two literals start at one place: `://` before
 * `:`. Literals only, so the engine skips quickly over text that holds none.
 */
const TRIGGER =
  /-----BEGIN |:\/\/|[:=]|tg_|sk[-_]|rk_|gh[pousr]_|github_pat_|xox[abposr]-|AKIA|ASIA|glpat-|AIza|npm_|eyJ|[Bb]earer|BEARER|[Bb]asic|BASIC/g;
const PEM_HEADER = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----/y;

/** How far a handler may look ahead for the end of one secret: bounds the work per candidate. */
const MAX_SECRET = 4096;
/** The longest name of `name: value` text that is looked at. */
const MAX_NAME = 64;
/** Authorization schemes kept visible in front of a masked credential. */
const AUTH_SCHEMES = /^(?:bearer|basic|token|bot|digest|negotiate|apikey|key|dpop|mac)$/i;

const isCredentialChar = (c: number) =>
  isAlnum(c) ||
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
  TRIGGER.lastIndex = 0;
  let m: RegExpExecArray | null = TRIGGER.exec(s);
  while (m !== null) {
    const at = m.index;
    const lit = m[0];
    let resume = at + 1;
    const first = lit.charCodeAt(0);
    if (first === 58 || first === 61) {
      // `:` or `=`; `://` starts a URL.
      if (lit.length === 3) {
        urlUserinfo(s, at + 3, out);
        resume = at + 3;
      } else {
        const name = nameBefore(s, at);
        if (name !== undefined && isSecretKey(name)) resume = keyValue(s, at, out);
      }
    } else if (lit === '-----BEGIN ') {
      PEM_HEADER.lastIndex = at;
      if (PEM_HEADER.test(s)) resume = pem(s, at, PEM_HEADER.lastIndex, out);
    } else if (first === 66 || first === 98) {
      // Bearer / Basic
      let from = at + lit.length;
      while (s.charCodeAt(from) === 32 || s.charCodeAt(from) === 9) from++;
      if (from > at + lit.length && (at === 0 || !isTokenChar(s.charCodeAt(at - 1))))
        resume = schemeCredential(s, from, out);
    } else {
      resume = token(s, at, lit, out);
    }
    TRIGGER.lastIndex = Math.max(resume, at + 1);
    m = TRIGGER.exec(s);
  }
}

/** A provider token or JWT starting at `at`, where the trigger found `lit`. */
function token(s: string, at: number, lit: string, out: MaskRange[]): number {
  const key = lit.startsWith('gh') && lit !== 'github_pat_' ? 'gh' : lit.startsWith('xox') ? 'xox' : lit;
  const shapes = TOKEN_SHAPES[key === 'ASIA' ? 'AKIA' : key === 'glpat-' ? 'glpat' : key];
  if (!shapes) return at + 1;
  for (const sh of shapes) {
    if (at > 0 && sh.before(s.charCodeAt(at - 1))) {
      // Inside a longer token: nothing can start before the token ends, so skip to its end
      // (`eyJeyJeyJ...` costs one step, not one per prefix).
      let end = at;
      while (end < s.length && sh.before(s.charCodeAt(end))) end++;
      return end;
    }
    sh.re.lastIndex = at;
    if (sh.re.test(s)) {
      out.push({ start: at, end: sh.re.lastIndex, mask: label(sh.kind) });
      return sh.re.lastIndex;
    }
  }
  return at + 1;
}

/**
 * The name just before the `:`/`=` at `sep` (`password=`, `"token": `, `\"api_key\":`), or
 * undefined. A bounded walk back: at most a few quote and space characters and MAX_NAME name ones.
 */
function nameBefore(s: string, sep: number): string | undefined {
  let j = sep - 1;
  while (j >= 0 && sep - j <= 8 && (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 9)) j--;
  if (s.charCodeAt(j) === 34 || s.charCodeAt(j) === 39) j--;
  if (s.charCodeAt(j) === 92) j--;
  const end = j + 1;
  while (j >= 0 && end - j <= MAX_NAME && isNameChar(s.charCodeAt(j))) j--;
  if (j >= 0 && isNameChar(s.charCodeAt(j))) return undefined; // longer than MAX_NAME
  return end > j + 1 ? s.slice(j + 1, end) : undefined;
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
  let at = -1;
  let colon = -1;
  for (; end < limit; end++) {
    const c = s.charCodeAt(end);
    if (isAuthorityEnd(c)) break;
    if (c === 64)
      at = end; // the last @ ends the userinfo
    else if (c === 58 && colon < 0) colon = end; // the first : ends the user name
  }
  if (at > 0 && colon >= 0 && colon < at - 1) out.push({ start: colon + 1, end: at, mask: MASK });
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
 * The value after a secret name and its `:`/`=`: a quoted string to its closing quote, an object or
 * list to its closing bracket, else a word; after an authorization scheme word (`Bearer`, `Basic`,
 * ...) the word that follows it.
 */
function keyValue(s: string, sep: number, out: MaskRange[]): number {
  let i = sep + 1;
  while (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9) i++;
  const escaped = s.charCodeAt(i) === 92 && (s.charCodeAt(i + 1) === 34 || s.charCodeAt(i + 1) === 39);
  if (escaped) i++;
  const q = s.charCodeAt(i);
  const limit = Math.min(s.length, i + MAX_SECRET);
  if (!escaped && (q === 123 || q === 91)) {
    // `"credentials": {"user": "u", "key": "k"}`: the whole object or list, to its closing bracket
    // (brackets counted, strings not parsed: a bracket inside a string can only end it early or
    // late, and unclosed within the bound it runs to the bound).
    let depth = 0;
    let end = i;
    for (; end < limit; end++) {
      const c = s.charCodeAt(end);
      if (c === 123 || c === 91) depth++;
      else if ((c === 125 || c === 93) && --depth === 0) break;
    }
    end = Math.min(end + 1, limit);
    out.push({ start: i, end, mask: MASK });
    return end;
  }
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
