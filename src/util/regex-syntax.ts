/**
 * Just enough of the JavaScript regex grammar to reason about backtracking (regex-safety.ts): a
 * pattern becomes a tree of character sets, sequences, alternations, groups and quantifiers, each
 * with its place in the source for error messages. The pattern has already compiled with
 * `new RegExp`, so this parser never has to reject anything; where it approximates (Unicode
 * properties, case folding outside ASCII) it errs towards larger sets, which only makes the
 * safety check stricter.
 */

/** Sorted, non-overlapping, non-adjacent code point ranges. */
export type CharSet = readonly (readonly [number, number])[];

const MAX_CP = 0x10ffff;
export const NO_CHARS: CharSet = [];
const ALL_CHARS: CharSet = [[0, MAX_CP]];

export function union(a: CharSet, b: CharSet): CharSet {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const all = [...a, ...b].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [lo, hi] of all) {
    const last = out.at(-1);
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complement(a: CharSet): CharSet {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of a) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

/** One code point both sets contain, or undefined when they are disjoint. */
export function commonChar(a: CharSet, b: CharSet): number | undefined {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [alo, ahi] = a[i]!;
    const [blo, bhi] = b[j]!;
    if (ahi < blo) i++;
    else if (bhi < alo) j++;
    else return Math.max(alo, blo);
  }
  return undefined;
}

const chars = (...cps: number[]): CharSet =>
  union(
    [],
    cps.map((c) => [c, c] as const),
  );
const DIGIT: CharSet = [[0x30, 0x39]];
const WORD: CharSet = union(union(DIGIT, [[0x41, 0x5a]]), union([[0x5f, 0x5f]], [[0x61, 0x7a]]));
const SPACE: CharSet = union(
  chars(0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff),
  [[0x2000, 0x200a]],
);
const LINE_TERMINATORS = chars(0x0a, 0x0d, 0x2028, 0x2029);

/** ASCII case folding (the `i` flag); other scripts are left as written. */
function foldCase(set: CharSet): CharSet {
  let out = set;
  for (const [lo, hi] of set) {
    for (const [from, to] of [
      [0x41, 0x5a],
      [0x61, 0x7a],
    ] as const) {
      const a = Math.max(lo, from);
      const b = Math.min(hi, to);
      const shift = from === 0x41 ? 0x20 : -0x20;
      if (a <= b) out = union(out, [[a + shift, b + shift]]);
    }
  }
  return out;
}

interface Span {
  /** Offsets into the pattern source, for messages. */
  readonly start: number;
  readonly end: number;
}

export type RegexNode =
  | (Span & { readonly kind: 'chars'; readonly set: CharSet })
  | (Span & { readonly kind: 'seq'; readonly items: readonly RegexNode[] })
  | (Span & { readonly kind: 'alt'; readonly branches: readonly RegexNode[] })
  /** `look` groups (lookahead, lookbehind) match nothing themselves. */
  | (Span & { readonly kind: 'group'; readonly body: RegexNode; readonly look: boolean })
  | (Span & { readonly kind: 'repeat'; readonly body: RegexNode; readonly min: number; readonly max: number })
  /** `^`, `$`, `\b`, `\B`. */
  | (Span & { readonly kind: 'assert' })
  | (Span & { readonly kind: 'backref' });

/** Parses a pattern that `new RegExp(source, flags)` accepted. */
export function parseRegex(source: string, flags: string): RegexNode {
  return new Parser(source, flags).parse();
}

const QUANTIFIER = /^\{(\d+)(,(\d*))?\}/;

class Parser {
  private i = 0;
  private readonly unicode: boolean;
  private readonly ignoreCase: boolean;
  private readonly dotAll: boolean;

  constructor(
    private readonly src: string,
    flags: string,
  ) {
    this.unicode = flags.includes('u') || flags.includes('v');
    this.ignoreCase = flags.includes('i');
    this.dotAll = flags.includes('s');
  }

  parse(): RegexNode {
    return this.alternation();
  }

  private alternation(): RegexNode {
    const start = this.i;
    const branches = [this.sequence()];
    while (this.src[this.i] === '|') {
      this.i++;
      branches.push(this.sequence());
    }
    return branches.length === 1 ? branches[0]! : { kind: 'alt', branches, start, end: this.i };
  }

  private sequence(): RegexNode {
    const start = this.i;
    const items: RegexNode[] = [];
    while (this.i < this.src.length && this.src[this.i] !== '|' && this.src[this.i] !== ')') {
      items.push(this.quantified(this.atom()));
    }
    return { kind: 'seq', items, start, end: this.i };
  }

  private quantified(atom: RegexNode): RegexNode {
    const c = this.src[this.i];
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = QUANTIFIER.exec(this.src.slice(this.i));
      if (!m) return atom; // a literal `{` (allowed without the u flag)
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.i += m[0].length - 1;
    } else return atom;
    this.i++;
    if (this.src[this.i] === '?') this.i++; // lazy: the same backtracking, in another order
    return { kind: 'repeat', body: atom, min, max, start: atom.start, end: this.i };
  }

  private atom(): RegexNode {
    const start = this.i;
    const c = this.src[this.i]!;
    const set = (s: CharSet): RegexNode => ({ kind: 'chars', set: this.fold(s), start, end: this.i });
    switch (c) {
      case '^':
      case '$':
        this.i++;
        return { kind: 'assert', start, end: this.i };
      case '.':
        this.i++;
        return set(this.dotAll ? ALL_CHARS : complement(LINE_TERMINATORS));
      case '(':
        return this.group();
      case '[':
        return set(this.charClass());
      case '\\': {
        this.i++;
        const e = this.src[this.i]!;
        if (e === 'b' || e === 'B') {
          this.i++;
          return { kind: 'assert', start, end: this.i };
        }
        if ((e >= '1' && e <= '9') || (e === 'k' && this.src[this.i + 1] === '<')) {
          this.i =
            e === 'k'
              ? this.src.indexOf('>', this.i) + 1
              : this.i + /^\d+/.exec(this.src.slice(this.i))![0].length;
          return { kind: 'backref', start, end: this.i };
        }
        return set(this.escape());
      }
      default: {
        const cp = this.codePoint();
        return set([[cp, cp]]);
      }
    }
  }

  private group(): RegexNode {
    const start = this.i;
    let look = false;
    if (this.src.startsWith('(?:', this.i)) this.i += 3;
    else if (this.src.startsWith('(?=', this.i) || this.src.startsWith('(?!', this.i)) {
      look = true;
      this.i += 3;
    } else if (this.src.startsWith('(?<=', this.i) || this.src.startsWith('(?<!', this.i)) {
      look = true;
      this.i += 4;
    } else if (this.src.startsWith('(?<', this.i)) this.i = this.src.indexOf('>', this.i) + 1;
    else this.i += 1;
    const body = this.alternation();
    this.i++; // `)`
    return { kind: 'group', body, look, start, end: this.i };
  }

  /** `[...]`, with the opening bracket at the cursor; returns the set it matches. */
  private charClass(): CharSet {
    this.i++;
    const negated = this.src[this.i] === '^';
    if (negated) this.i++;
    let out: CharSet = NO_CHARS;
    while (this.i < this.src.length && this.src[this.i] !== ']') {
      const lo = this.classAtom();
      if (this.src[this.i] === '-' && this.src[this.i + 1] !== ']' && this.i + 1 < this.src.length) {
        this.i++;
        const hi = this.classAtom();
        const a = single(lo);
        const b = single(hi);
        // `[\d-x]` is a literal dash between a set and a character (Annex B): take all three.
        out =
          a !== undefined && b !== undefined
            ? union(out, [[a, b]])
            : union(union(out, lo), union(hi, [[0x2d, 0x2d]]));
      } else out = union(out, lo);
    }
    this.i++; // `]`
    return negated ? complement(out) : out;
  }

  private classAtom(): CharSet {
    if (this.src[this.i] !== '\\') {
      const cp = this.codePoint();
      return [[cp, cp]];
    }
    this.i++;
    if (this.src[this.i] === 'b') {
      this.i++;
      return [[8, 8]]; // backspace inside a class
    }
    return this.escape();
  }

  /** The escape after a backslash (the cursor is past the backslash). */
  private escape(): CharSet {
    const e = this.src[this.i]!;
    this.i++;
    switch (e) {
      case 'd':
        return DIGIT;
      case 'D':
        return complement(DIGIT);
      case 'w':
        return WORD;
      case 'W':
        return complement(WORD);
      case 's':
        return SPACE;
      case 'S':
        return complement(SPACE);
      case 't':
        return [[9, 9]];
      case 'n':
        return [[10, 10]];
      case 'v':
        return [[11, 11]];
      case 'f':
        return [[12, 12]];
      case 'r':
        return [[13, 13]];
      case '0':
        return [[0, 0]];
      case 'c': {
        const letter = this.src.charCodeAt(this.i);
        if (/[A-Za-z]/.test(this.src[this.i] ?? '')) {
          this.i++;
          return [[letter % 32, letter % 32]];
        }
        return [[0x5c, 0x5c]]; // `\c` alone is a backslash and a c (Annex B)
      }
      case 'x': {
        const m = /^[0-9a-fA-F]{2}/.exec(this.src.slice(this.i));
        if (!m) return [[0x78, 0x78]];
        this.i += 2;
        const cp = Number.parseInt(m[0], 16);
        return [[cp, cp]];
      }
      case 'u': {
        const m = /^(?:[0-9a-fA-F]{4}|\{[0-9a-fA-F]+\})/.exec(this.src.slice(this.i));
        if (!m) return [[0x75, 0x75]];
        this.i += m[0].length;
        const cp = Number.parseInt(m[0].replace(/[{}]/g, ''), 16);
        return [[cp, cp]];
      }
      case 'p':
      case 'P':
        if (this.unicode && this.src[this.i] === '{') {
          // A Unicode property: which code points it holds is not worth modelling; say "any".
          this.i = this.src.indexOf('}', this.i) + 1;
          return ALL_CHARS;
        }
        return [[e.charCodeAt(0), e.charCodeAt(0)]];
      default: {
        this.i--;
        const cp = this.codePoint();
        return [[cp, cp]];
      }
    }
  }

  private codePoint(): number {
    const cp = this.unicode ? this.src.codePointAt(this.i)! : this.src.charCodeAt(this.i);
    this.i += cp > 0xffff ? 2 : 1;
    return cp;
  }

  private fold(set: CharSet): CharSet {
    return this.ignoreCase ? foldCase(set) : set;
  }
}

function single(set: CharSet): number | undefined {
  return set.length === 1 && set[0]![0] === set[0]![1] ? set[0]![0] : undefined;
}
