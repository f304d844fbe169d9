import { isSecretKeyName, keyMatcher } from './key-names.js';
import { applyMasks, findSecrets, MASK, type MaskRange } from './text.js';

/** An extra pattern from `audit.redact.patterns`: a regex source, optionally with flags (i, m, s, u). */
export interface RedactPattern {
  regex: string;
  flags?: string;
}

export interface RedactorOptions {
  /** More secret member names (`audit.redact.keys`), matched ignoring case, `-` and `_`. */
  keys?: readonly string[];
  /** More secret value shapes (`audit.redact.patterns`); each match is replaced by `[REDACTED]`. */
  patterns?: readonly (string | RedactPattern)[];
  /** Dotted paths into tool arguments (`card.number`, `items.*.ssn`), for `args()` only. */
  paths?: readonly string[];
}

/**
 * A configured pattern is run over windows of this many characters (overlapping by half), never over
 * a whole long string: the regex-safety check at load rules out exponential patterns, and the window
 * bounds the polynomial ones (an unanchored `a.*x` is quadratic: about 10 ms per 4 Ki window, where
 * a policy regex condition may take 200 ms on its 16 Ki limit). A match longer than half a window
 * can be missed; secrets are shorter than that.
 */
const PATTERN_WINDOW = 4096;
const PATTERN_FLAGS = /^[imsu]*$/;
const KEY_CACHE_SIZE = 4096;

/**
 * Why a configured pattern cannot be used (it does not compile, or it matches the empty string, which
 * would mask nothing), or undefined. The config loader adds the backtracking check.
 */
export function patternProblem(p: string | RedactPattern): string | undefined {
  const { regex, flags = '' } = typeof p === 'string' ? { regex: p } : p;
  if (!PATTERN_FLAGS.test(flags) || new Set(flags).size !== flags.length)
    return `flags may only contain i, m, s, u, each once (not ${JSON.stringify(flags)})`;
  let re: RegExp;
  try {
    re = new RegExp(regex, flags);
  } catch (err) {
    return `invalid regex ${JSON.stringify(regex)}: ${(err as Error).message}`;
  }
  if (re.test('')) return `regex /${regex}/ matches the empty string; it must match the secret itself`;
  return undefined;
}

/**
 * The one redactor: everything the gateway shows or stores outside the call path (audit records,
 * approvals, webhooks, the admin API and its live stream, exports, logs) goes through it.
 *
 * `value()` returns a copy that keeps EVERY own enumerable member of the original, `__proto__`,
 * `constructor` and `prototype` included (members are defined, never assigned, so no setter runs),
 * with secrets masked: what is shown serialises to what was forwarded except for the masks. The
 * input is never changed. Compiled once; calls do no regex compilation.
 */
export class Redactor {
  private readonly extraKey: (name: string) => boolean;
  private readonly patterns: RegExp[];
  private readonly paths: string[][];
  private readonly ranges: MaskRange[] = [];
  private readonly keyCache = new Map<string, boolean>();

  constructor(options: RedactorOptions = {}) {
    this.extraKey = keyMatcher(options.keys ?? []);
    this.patterns = (options.patterns ?? []).map((p) => {
      const problem = patternProblem(p);
      if (problem) throw new Error(`audit.redact.patterns: ${problem}`);
      const { regex, flags = '' } = typeof p === 'string' ? { regex: p } : p;
      return new RegExp(regex, `${flags}g`);
    });
    this.paths = (options.paths ?? [])
      .map((path) =>
        path
          .replace(/^args\./, '')
          .split('.')
          .filter(Boolean),
      )
      .filter((segments) => segments.length > 0);
  }

  /** True when a member of this name holds a secret (built-in names or `keys`). */
  readonly isSecretKey = (name: string): boolean => {
    // Records repeat the same few member names: remember the answers (bounded).
    let known = this.keyCache.get(name);
    if (known === undefined) {
      known = isSecretKeyName(name) || this.extraKey(name);
      if (name.length <= 64) {
        if (this.keyCache.size >= KEY_CACHE_SIZE) this.keyCache.clear();
        this.keyCache.set(name, known);
      }
    }
    return known;
  };

  /** The string with every secret shape in it masked. */
  text(s: string): string {
    // Nothing this short holds a secret worth the scan (`pwd=x` is the shortest shape: 5).
    if (s.length < 5) return s;
    const ranges = this.ranges;
    ranges.length = 0;
    findSecrets(s, this.isSecretKey, ranges);
    for (const re of this.patterns) this.matchPattern(re, s, ranges);
    const out = applyMasks(s, ranges);
    ranges.length = 0;
    return out;
  }

  /** A faithful copy of `v` with secrets masked (see the class comment). */
  value(v: unknown): unknown {
    return this.copy(v, false, new Set());
  }

  /** `value()`, plus the configured dotted `paths` into tool arguments masked. */
  args(v: unknown): unknown {
    const out = this.value(v);
    for (const segments of this.paths) this.maskPath(out, segments, 0);
    return out;
  }

  private copy(v: unknown, secret: boolean, stack: Set<object>): unknown {
    switch (typeof v) {
      case 'string':
        return secret ? MASK : this.text(v);
      case 'number':
      case 'boolean':
      case 'bigint':
        return secret ? MASK : v;
      case 'object':
        break;
      default:
        return v; // undefined, functions and symbols: dropped by JSON as they would have been
    }
    if (v === null) return null;
    if (stack.has(v)) return '[Circular]';
    stack.add(v);
    try {
      if (Array.isArray(v)) {
        const out: unknown[] = new Array(v.length);
        for (let i = 0; i < v.length; i++) if (i in v) out[i] = this.copy(v[i], secret, stack);
        return out;
      }
      if (v instanceof Error) return this.copyError(v, secret, stack);
      const toJson = (v as { toJSON?: () => unknown }).toJSON;
      if (typeof toJson === 'function') return this.copy(toJson.call(v), secret, stack);
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v)) {
        const child = this.copy((v as Record<string, unknown>)[key], secret || this.isSecretKey(key), stack);
        define(out, this.keyName(key, out), child);
      }
      return out;
    } finally {
      stack.delete(v);
    }
  }

  /** An Error as loggers show it (name, message, stack, own members), its text redacted. */
  private copyError(e: Error, secret: boolean, stack: Set<object>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    define(out, 'type', e.name);
    define(out, 'message', this.copy(e.message, secret, stack));
    if (e.stack !== undefined) define(out, 'stack', this.copy(e.stack, secret, stack));
    for (const key of Object.keys(e)) {
      const child = this.copy(
        (e as unknown as Record<string, unknown>)[key],
        secret || this.isSecretKey(key),
        stack,
      );
      define(out, this.keyName(key, out), child);
    }
    return out;
  }

  /** A member name with secret shapes masked; a masked name that collides gets `#2`, `#3`, ... */
  private keyName(key: string, out: Record<string, unknown>): string {
    const shown = this.text(key);
    if (shown === key) return key;
    let name = shown;
    for (let n = 2; Object.hasOwn(out, name); n++) name = `${shown}#${n}`;
    return name;
  }

  private matchPattern(re: RegExp, s: string, out: MaskRange[]): void {
    for (let offset = 0; ; offset += PATTERN_WINDOW / 2) {
      const window =
        offset === 0 && s.length <= PATTERN_WINDOW ? s : s.slice(offset, offset + PATTERN_WINDOW);
      re.lastIndex = 0;
      let m = re.exec(window);
      while (m !== null) {
        if (m[0].length === 0) re.lastIndex++;
        else out.push({ start: offset + m.index, end: offset + m.index + m[0].length, mask: MASK });
        m = re.exec(window);
      }
      if (offset + PATTERN_WINDOW >= s.length) return;
    }
  }

  private maskPath(node: unknown, segments: string[], depth: number): void {
    if (node === null || typeof node !== 'object') return;
    const head = segments[depth]!;
    const container = node as Record<string, unknown>;
    const keys = head === '*' ? Object.keys(container) : Object.hasOwn(container, head) ? [head] : [];
    for (const key of keys) {
      if (depth === segments.length - 1) define(container, key, this.copy(container[key], true, new Set()));
      else this.maskPath(container[key], segments, depth + 1);
    }
  }
}

/**
 * Sets a member as an own data member. `__proto__` is the one name whose assignment runs a setter
 * (Object.prototype's, which changes the prototype instead): it is defined. Every other name is
 * assigned, which is the same on a plain object and several times faster.
 */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
