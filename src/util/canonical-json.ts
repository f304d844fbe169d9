/**
 * Deterministic JSON: object keys sorted by UTF-16 code unit at every depth, no whitespace, arrays
 * in order (their order can carry meaning), `undefined` members dropped. Hashes are computed over
 * this text (audit chains, approval argument digests, tool pins), so two processes holding the same
 * value always produce the same digest, whatever order the keys arrived in.
 *
 * The text is stored indirectly in users' databases (as hashes), so it must never change for a
 * value that was hashed before. The pin hash and the audit hash were once two implementations that
 * agreed on every JSON value but not on a few non-JSON ones; `PIN_HASH` keeps the pin hash's answers.
 */
export interface CanonicalJsonOptions {
  /** Call an object's `toJSON()` as JSON.stringify does (a Date becomes its ISO string). Default true. */
  readonly toJSON?: boolean;
  /** An object member whose value is a function or symbol: dropped like JSON.stringify, or `null`. */
  readonly unserializableMembers?: 'drop' | 'null';
}

/**
 * How the pin hash has always written non-JSON values: `toJSON` ignored (a Date is `{}`) and a
 * function or symbol member written as `null`. Tool definitions arrive as JSON, so this only
 * matters for hand-built values, but a pin must not move for any of them.
 */
export const PIN_HASH: CanonicalJsonOptions = Object.freeze({ toJSON: false, unserializableMembers: 'null' });

/** Throws a TypeError on a cycle. A bigint is written as its decimal string. */
export function canonicalJson(value: unknown, options: CanonicalJsonOptions = {}): string {
  const useToJson = options.toJSON ?? true;
  const dropMember = (options.unserializableMembers ?? 'drop') === 'drop';
  const seen = new Set<object>();

  const write = (v: unknown): string => {
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'bigint') return JSON.stringify(v.toString());
      // JSON.stringify maps undefined, functions and symbols to undefined; here they become null
      // (which is also what JSON.stringify writes for them inside arrays).
      return JSON.stringify(v) ?? 'null';
    }
    if (seen.has(v)) throw new TypeError('canonicalJson: value contains a cycle');
    const toJson = (v as { toJSON?: () => unknown }).toJSON;
    if (useToJson && typeof toJson === 'function') return write(toJson.call(v));
    seen.add(v);
    try {
      // `map` skips holes and `join` writes them as nothing: both old implementations did that.
      if (Array.isArray(v)) return `[${v.map(write).join(',')}]`;
      const parts: string[] = [];
      for (const key of Object.keys(v).sort()) {
        const member = (v as Record<string, unknown>)[key];
        if (member === undefined) continue;
        if (dropMember && (typeof member === 'function' || typeof member === 'symbol')) continue;
        parts.push(`${JSON.stringify(key)}:${write(member)}`);
      }
      return `{${parts.join(',')}}`;
    } finally {
      seen.delete(v);
    }
  };
  return write(value);
}
