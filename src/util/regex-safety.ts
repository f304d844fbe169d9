/**
 * The ReDoS guard of policy `regex` conditions and of `audit.redact.patterns` (a ground-floor helper
 * because both the policy language and the config loader use it). JavaScript regexes backtrack, and the event loop that
 * runs them is the whole gateway's: an operator's pattern like `^(a+)+$` and an agent's argument
 * of thirty `a`s and a `!` freeze every session. Two guards:
 *
 * 1. At load, `regexHazard` rejects patterns whose matching time can explode: a quantified part
 *    inside a repetition that can also match what follows it (`(a+)+`, `(\w+\s?)*`), alternatives
 *    under a repetition that can start alike (`(a|ab)*`), two unbounded quantifiers that can share
 *    a run with nothing required between them (`\d+\.?\d*`), and backreferences. It is static and
 *    conservative: it looks at which characters each part can start with or repeat, never at what
 *    the rest of the pattern would make impossible, so it may refuse a harmless pattern (with a
 *    rewrite) but lets none of those shapes through.
 * 2. At decision time, a string longer than REGEX_INPUT_LIMIT is never handed to a regex: the
 *    call is denied (conditions.ts throws RegexInputTooLong, decide.ts turns it into a denial).
 *    That bounds what the check cannot see, such as an unanchored `.*x` (quadratic in the length).
 */
import { type CharSet, commonChar, NO_CHARS, parseRegex, type RegexNode, union } from './regex-syntax.js';

/**
 * The longest string (in UTF-16 code units, JavaScript's `length`) a regex condition tests: 16 Ki.
 * What the static check accepts can still be quadratic: unanchored `\s+$` or `a.*b`, even the usual
 * `^[^\s@]+@[^\s@]+\.[^\s@]+$` on a crafted argument. Measured on a 2-core machine, such a test
 * takes about 10 ms at 4 Ki characters, 150 to 200 ms at 16 Ki, and 2.5 to 3 s at 64 Ki (the
 * event loop stands still meanwhile); 16 Ki keeps the worst case well under a second while
 * leaving room for any argument a pattern is normally written for (paths, commands, queries).
 */
export const REGEX_INPUT_LIMIT = 16_384;

/** A regex condition met a string longer than REGEX_INPUT_LIMIT: the call fails closed. */
export class RegexInputTooLong extends Error {
  constructor(
    /** The top-level condition, e.g. `tools.search.deny_if[0]`. */
    readonly rule: string,
    /** The fact path of the argument, e.g. `args.query`. */
    readonly path: string,
    readonly length: number,
  ) {
    super(`${path} is ${length} characters long; regex conditions check at most ${REGEX_INPUT_LIMIT}`);
    this.name = 'RegexInputTooLong';
  }
}

/**
 * Why `source` (a pattern `new RegExp(source, flags)` accepts) could backtrack catastrophically,
 * with a rewrite; undefined when the check finds nothing.
 */
export function regexHazard(source: string, flags = ''): string | undefined {
  const found: Hazard[] = [];
  walk(parseRegex(source, flags), NOTHING_FOLLOWS, undefined, found);
  if (found.length === 0) return undefined;
  // Several findings: name the first in the pattern, which is where a reader starts fixing.
  const first = found.reduce((a, b) => (b.at < a.at ? b : a));
  // Patterns and their parts are shown as written (no JSON escaping), parts between backticks.
  const q = (n: RegexNode) => `\`${source.slice(n.start, n.end)}\``;
  const head = `regex /${source}/`;
  switch (first.kind) {
    case 'backreference':
      return (
        `${head} is not accepted: ${q(first.node)} is a backreference, and the time a pattern with ` +
        'backreferences takes cannot be bounded; match the alternatives explicitly instead ' +
        `(e.g. \`'[^']*'|"[^"]*"\` rather than \`(['"]).*?\\1\`)`
      );
    case 'nested':
      return (
        `${head} can backtrack catastrophically: ${q(first.node)} inside the repeated ${q(first.loop)} ` +
        `can match ${showChar(first.char)}, and so can what follows it inside the repetition, so on a ` +
        'long argument that almost matches, the engine tries every way of splitting it between them ' +
        `(exponential time); make each round of ${q(first.loop)} unambiguous: drop the inner ` +
        `quantifier, or begin or end every round with a character ${q(first.node)} cannot match ` +
        '(e.g. `(\\.[a-z]+)+` rather than `([a-z.]+)+`, `\\w+(\\s\\w+)*` rather than `(\\w+\\s?)*`)'
      );
    case 'alternatives':
      return (
        `${head} can backtrack catastrophically: the alternatives ${q(first.node)} and ${q(first.other)} ` +
        `can both start with ${showChar(first.char)}, and ${q(first.loop)} repeats them, so on a long ` +
        'argument that almost matches, the engine tries every combination of the two (exponential ' +
        'time); make the alternatives start differently: factor out what they share ' +
        '(`a(?:b|c)` rather than `ab|ac`) or use a character class (`[ab]` rather than `a|b`)'
      );
    case 'adjacent':
      return (
        `${head} can backtrack catastrophically: ${q(first.node)} and ${q(first.other)} both repeat ` +
        `without bound, can both match ${showChar(first.char)}, and nothing required stands between ` +
        `them, so on a long run of ${showChar(first.char)} that ends in a mismatch, the engine tries ` +
        'every way of splitting the run between them (time grows with a power of the length); merge ' +
        'them into one quantifier or make the part between them required ' +
        '(e.g. `\\d+(?:\\.\\d*)?` rather than `\\d+\\.?\\d*`)'
      );
  }
}

type Hazard =
  | { kind: 'backreference'; at: number; node: RegexNode }
  | { kind: 'nested'; at: number; node: RegexNode; loop: RegexNode; char: number }
  | { kind: 'alternatives'; at: number; node: RegexNode; other: RegexNode; loop: RegexNode; char: number }
  | { kind: 'adjacent'; at: number; node: RegexNode; other: RegexNode; char: number };

/** An unbounded quantifier that can absorb a run of any of `chars`. */
interface Run {
  readonly chars: CharSet;
  readonly node: RegexNode;
}

/** What may come right after a part of the pattern. */
interface Follow {
  /**
   * Characters that can come next while still inside an enclosing repetition (including its next
   * round). What comes after the outermost repetition does not count: ambiguity there is paid once,
   * not once per round.
   */
  readonly loop: CharSet;
  /** Unbounded quantifiers that can come next, reached through optional parts only. */
  readonly runs: readonly Run[];
}

const NOTHING_FOLLOWS: Follow = { loop: NO_CHARS, runs: [] };

/**
 * Checks every quantifier and alternation against what can follow it. `loop` is the innermost
 * enclosing quantifier that repeats (max above 1), if any.
 */
function walk(node: RegexNode, follow: Follow, loop: RegexNode | undefined, found: Hazard[]): void {
  switch (node.kind) {
    case 'chars':
    case 'assert':
      return;
    case 'backref':
      found.push({ kind: 'backreference', at: node.start, node });
      return;
    case 'group':
      // A lookaround is matched on its own at one position: what follows it is not its business.
      if (node.look) walk(node.body, NOTHING_FOLLOWS, undefined, found);
      else walk(node.body, follow, loop, found);
      return;
    case 'seq': {
      let after = follow;
      for (let i = node.items.length - 1; i >= 0; i--) {
        const item = node.items[i]!;
        walk(item, after, loop, found);
        const optional = nullable(item);
        after = {
          loop: union(loop ? first(item) : NO_CHARS, optional ? after.loop : NO_CHARS),
          runs: optional ? [...unboundedStart(item), ...after.runs] : unboundedStart(item),
        };
      }
      return;
    }
    case 'alt': {
      if (loop) {
        const starts = node.branches.map(first);
        for (let a = 0; a < starts.length; a++) {
          for (let b = a + 1; b < starts.length; b++) {
            const char = commonChar(starts[a]!, starts[b]!);
            if (char === undefined) continue;
            const [x, y] = [node.branches[a]!, node.branches[b]!];
            found.push({ kind: 'alternatives', at: x.start, node: x, other: y, loop, char });
          }
        }
      }
      for (const branch of node.branches) walk(branch, follow, loop, found);
      return;
    }
    case 'repeat': {
      if (node.max > node.min) {
        const char = loop ? commonChar(first(node.body), follow.loop) : undefined;
        if (loop && char !== undefined) found.push({ kind: 'nested', at: node.start, node, loop, char });
        if (node.max === Infinity) {
          const mine = runChars(node.body);
          for (const run of follow.runs) {
            const char = commonChar(mine, run.chars);
            if (char !== undefined) {
              found.push({ kind: 'adjacent', at: node.start, node, other: run.node, char });
              break;
            }
          }
        }
      }
      if (node.max > 1) {
        // Inside a repetition, the next round follows every round.
        const again: Follow = {
          loop: union(first(node.body), follow.loop),
          runs: [...unboundedStart(node.body), ...follow.runs],
        };
        walk(node.body, again, node, found);
      } else walk(node.body, follow, loop, found);
      return;
    }
  }
}

const nullables = new WeakMap<RegexNode, boolean>();
/** Whether the part can match the empty string. */
function nullable(node: RegexNode): boolean {
  let v = nullables.get(node);
  if (v === undefined) {
    switch (node.kind) {
      case 'chars':
        v = false;
        break;
      case 'seq':
        v = node.items.every(nullable);
        break;
      case 'alt':
        v = node.branches.some(nullable);
        break;
      case 'group':
        v = node.look || nullable(node.body);
        break;
      case 'repeat':
        v = node.min === 0 || nullable(node.body);
        break;
      default:
        v = true; // assertions; a backreference may match the empty string
    }
    nullables.set(node, v);
  }
  return v;
}

const firsts = new WeakMap<RegexNode, CharSet>();
/** The characters a non-empty match of the part can start with. */
function first(node: RegexNode): CharSet {
  let v = firsts.get(node);
  if (v === undefined) {
    switch (node.kind) {
      case 'chars':
        v = node.set;
        break;
      case 'seq': {
        v = NO_CHARS;
        for (const item of node.items) {
          v = union(v, first(item));
          if (!nullable(item)) break;
        }
        break;
      }
      case 'alt':
        v = node.branches.map(first).reduce(union, NO_CHARS);
        break;
      case 'group':
        v = node.look ? NO_CHARS : first(node.body);
        break;
      case 'repeat':
        v = node.max === 0 ? NO_CHARS : first(node.body);
        break;
      default:
        v = NO_CHARS;
    }
    firsts.set(node, v);
  }
  return v;
}

/**
 * The characters the part can match as a one-character string: a quantifier over the part can
 * absorb any run of them. `[\w.-]+` absorbs runs of word characters; `([\w.-]+/)*` absorbs none,
 * since every round needs a `/` besides.
 */
function runChars(node: RegexNode): CharSet {
  switch (node.kind) {
    case 'chars':
      return node.set;
    case 'seq': {
      const required = node.items.filter((i) => !nullable(i));
      if (required.length > 1) return NO_CHARS;
      return (required.length === 1 ? required : node.items).map(runChars).reduce(union, NO_CHARS);
    }
    case 'alt':
      return node.branches.map(runChars).reduce(union, NO_CHARS);
    case 'group':
      return node.look ? NO_CHARS : runChars(node.body);
    case 'repeat':
      return node.max === 0 ? NO_CHARS : runChars(node.body);
    default:
      return NO_CHARS;
  }
}

/** The unbounded quantifiers a match of the part can begin in (through optional parts). */
function unboundedStart(node: RegexNode): Run[] {
  switch (node.kind) {
    case 'seq': {
      const out: Run[] = [];
      for (const item of node.items) {
        out.push(...unboundedStart(item));
        if (!nullable(item)) break;
      }
      return out;
    }
    case 'alt':
      return node.branches.flatMap(unboundedStart);
    case 'group':
      return node.look ? [] : unboundedStart(node.body);
    case 'repeat': {
      if (node.max === 0) return [];
      const inner = unboundedStart(node.body);
      if (node.max !== Infinity || node.max === node.min) return inner;
      const chars = runChars(node.body);
      return chars.length > 0 ? [{ chars, node }, ...inner] : inner;
    }
    default:
      return [];
  }
}

function showChar(cp: number): string {
  if (cp === 0x20) return '" " (a space)';
  if (cp > 0x20 && cp < 0x7f) return JSON.stringify(String.fromCodePoint(cp));
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}
