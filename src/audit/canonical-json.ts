/**
 * Deterministic JSON: object keys sorted by code unit, no whitespace, `undefined` members dropped
 * (as JSON.stringify does). Hashes are computed over this text, so two processes that hold the same
 * value always produce the same digest, whatever order the keys arrived in.
 */
export function canonicalJson(value: unknown): string {
  return write(value, new Set());
}

function write(value: unknown, seen: Set<object>): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return JSON.stringify(value.toString());
    // JSON.stringify maps undefined, functions and symbols to undefined; inside arrays they become null.
    return JSON.stringify(value) ?? 'null';
  }
  if (seen.has(value)) throw new TypeError('canonicalJson: value contains a cycle');
  const toJson = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJson === 'function') return write(toJson.call(value), seen);
  seen.add(value);
  try {
    if (Array.isArray(value)) return '[' + value.map((v) => write(v, seen)).join(',') + ']';
    const parts: string[] = [];
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      parts.push(JSON.stringify(key) + ':' + write(v, seen));
    }
    return '{' + parts.join(',') + '}';
  } finally {
    seen.delete(value);
  }
}
