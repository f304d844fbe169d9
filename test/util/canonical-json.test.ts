// The two canonical-JSON implementations that existed before src/util/canonical-json.ts, frozen
// here verbatim. Pin hashes (catalog) and audit hash chains (audit, approvals) stored in users'
// databases were computed with them, so the shared function must write exactly what each wrote, for
// every value that one accepted. Do not "fix" these copies.
import { describe, expect, it } from 'vitest';
import { canonicalJson as pinCanonicalJson } from '../../src/catalog/pin.js';
import { canonicalJson, PIN_HASH } from '../../src/util/canonical-json.js';

/** Frozen: src/catalog/pin.ts `canonicalJson` as of da68565. */
function oldPin(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : oldPin(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${oldPin(v)}`).join(',')}}`;
}

/** Frozen: src/audit/canonical-json.ts as of da68565. */
function oldAudit(value: unknown): string {
  return auditWrite(value, new Set());
}
function auditWrite(value: unknown, seen: Set<object>): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'bigint') return JSON.stringify(value.toString());
    return JSON.stringify(value) ?? 'null';
  }
  if (seen.has(value)) throw new TypeError('canonicalJson: value contains a cycle');
  const toJson = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof toJson === 'function') return auditWrite(toJson.call(value), seen);
  seen.add(value);
  try {
    if (Array.isArray(value)) return '[' + value.map((v) => auditWrite(v, seen)).join(',') + ']';
    const parts: string[] = [];
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      parts.push(JSON.stringify(key) + ':' + auditWrite(v, seen));
    }
    return '{' + parts.join(',') + '}';
  } finally {
    seen.delete(value);
  }
}

type Outcome = { ok: true; text: string } | { ok: false };
function run(f: (v: unknown) => string, v: unknown): Outcome {
  try {
    return { ok: true, text: f(v) };
  } catch {
    return { ok: false };
  }
}

const shared = { a: 1 };
// biome-ignore lint/suspicious/noSparseArray: a hole is one of the edge cases
const sparse = [1, , 3];
const nullProto = Object.assign(Object.create(null), { z: 1, a: [true] });
const withGetter = Object.defineProperty({ b: 2 }, 'a', { get: () => 'got', enumerable: true });
const hiddenKey = Object.defineProperty({ b: 2 }, 'hidden', { value: 1, enumerable: false });
const symbolKey = { [Symbol('s')]: 1, a: 2 };
const cycle: Record<string, unknown> = { a: 1 };
cycle.self = cycle;

/** Values and why each is here. */
const EDGE_CASES: Array<[string, unknown]> = [
  ['null', null],
  ['undefined at the top', undefined],
  ['true', true],
  ['false', false],
  ['zero', 0],
  ['negative zero', -0],
  ['negative zero nested', { a: -0, b: [-0] }],
  ['NaN and infinities', [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]],
  ['large and tiny numbers', [1e21, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER + 2, 0.1 + 0.2]],
  ['empty string', ''],
  ['escapes', 'q"uote\\back\nnl\ttab\u0000\u001f\u007f'],
  ['line and paragraph separators', 'a\u2028b\u2029c'],
  ['lone surrogates', '\ud800x\udfff'],
  ['astral characters', '😀𝄞'],
  ['empty object and array', { o: {}, a: [] }],
  ['key order', { b: 1, a: 2, c: { z: 1, y: 2 } }],
  ['integer-like keys', { 10: 'a', 2: 'b', 1: 'c', '01': 'd', '-1': 'e', b: 'f' }],
  ['unicode keys by code unit', { é: 1, e: 2, E: 3, '😀': 4, '\uffff': 5, ß: 6, z: 7, '': 8 }],
  ['keys needing escapes', { 'a"b': 1, 'a\nb': 2, '\u2028': 3 }],
  ['undefined members dropped', { a: undefined, b: 1, c: { d: undefined } }],
  ['undefined in arrays', [undefined, 1, [undefined]]],
  ['sparse array', sparse],
  ['array with extra property', Object.assign([1, 2], { extra: 3 })],
  ['functions and symbols in arrays', [() => 1, Symbol('s')]],
  ['function at the top', () => 1],
  ['symbol at the top', Symbol('s')],
  ['function member', { f: () => 1, a: 1 }],
  ['symbol member', { s: Symbol('s'), a: 1 }],
  ['toJSON (Date)', { when: new Date(0) }],
  ['toJSON at the top', new Date(86_400_000)],
  ['own toJSON function', { toJSON: () => ({ replaced: true }), x: 1 }],
  ['toJSON member that is not a function (from JSON)', { toJSON: 'text', a: 1 }],
  ['bigint at the top', 10n],
  ['bigint nested', { n: [1n, -2n] }],
  ['repeated (not cyclic) reference', { x: shared, y: [shared, shared] }],
  ['cycle', cycle],
  ['null prototype', nullProto],
  ['enumerable getter', withGetter],
  ['non-enumerable key', hiddenKey],
  ['symbol key', symbolKey],
  ['boxed primitives', [new String('ab'), new Number(1), new Boolean(false)]],
  ['Map and Set', { m: new Map([['a', 1]]), s: new Set([1]) }],
  ['RegExp and Error', [/x/g, new Error('boom')]],
  ['typed array', new Uint8Array([1, 2])],
  ['deep nesting', JSON.parse(`${'['.repeat(200)}1${']'.repeat(200)}`)],
  [
    'a realistic tool definition',
    {
      name: 'send_email',
      inputSchema: {
        type: 'object',
        required: ['to'],
        properties: { to: { type: 'string', 'x-mcp-header': 'To' }, body: { type: 'string' } },
      },
      annotations: { readOnlyHint: false },
    },
  ],
  ['realistic audit arguments', { path: '/tmp/ä', flags: ['-r', null], depth: 3, nested: { ok: true } }],
];

/** Seeded generator of JSON values (what both callers see in practice: parsed JSON-RPC). */
function randomJson(seed: number, count: number): unknown[] {
  let s = seed;
  const rnd = () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const chars = ['a', 'b', 'Z', '0', '9', '_', '-', 'é', 'ß', '😀', '"', '\\', '\n', '\u2028', ' '];
  const str = () =>
    Array.from({ length: Math.floor(rnd() * 6) }, () => chars[Math.floor(rnd() * chars.length)]).join('');
  const value = (depth: number): unknown => {
    const r = rnd();
    if (depth > 3 || r < 0.35) {
      const p = Math.floor(rnd() * 6);
      return [
        null,
        rnd() < 0.5,
        (rnd() - 0.5) * 10 ** Math.floor(rnd() * 30),
        str(),
        Math.floor(rnd() * 100),
        -0,
      ][p];
    }
    if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(rnd() * 5); i > 0; i--) o[str()] = value(depth + 1);
    return o;
  };
  return Array.from({ length: count }, () => value(0));
}

describe('one canonical JSON, byte-identical to both old implementations', () => {
  it.each(EDGE_CASES)('%s', (_label, value) => {
    const pin = run(oldPin, value);
    const audit = run(oldAudit, value);
    // Everything either old implementation wrote is written again, byte for byte.
    if (pin.ok) {
      expect(canonicalJson(value, PIN_HASH)).toBe(pin.text);
      expect(pinCanonicalJson(value)).toBe(pin.text);
    }
    if (audit.ok) expect(canonicalJson(value)).toBe(audit.text);
    // A value neither accepted (a cycle) is still refused.
    if (!pin.ok && !audit.ok) expect(() => canonicalJson(value)).toThrow(TypeError);
  });

  it('agrees with both on 2,000 random JSON values', () => {
    for (const value of randomJson(20_260_728, 2_000)) {
      const expected = oldAudit(value);
      expect(oldPin(value)).toBe(expected); // on JSON the two old ones agreed
      expect(canonicalJson(value)).toBe(expected);
      expect(canonicalJson(value, PIN_HASH)).toBe(expected);
    }
  });

  it('the old implementations differed only on non-JSON values, which is what PIN_HASH keeps', () => {
    const differing = EDGE_CASES.filter(([, v]) => {
      const pin = run(oldPin, v);
      const audit = run(oldAudit, v);
      return pin.ok && audit.ok && pin.text !== audit.text;
    }).map(([label]) => label);
    expect(differing).toEqual([
      'function member',
      'symbol member',
      'toJSON (Date)',
      'toJSON at the top',
      'own toJSON function',
    ]);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"z":1}]},"b":1}',
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe(canonicalJson({ a: 2, b: 1 }));
  });

  it('matches JSON.stringify for primitives and edge values', () => {
    for (const v of ['x"y', 1.5, -0, 1e21, true, null, 'é\u2028'])
      expect(canonicalJson(v)).toBe(JSON.stringify(v));
    expect(canonicalJson([undefined, Number.NaN])).toBe('[null,null]');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson(10n)).toBe('"10"');
    expect(canonicalJson(new Date(0))).toBe('"1970-01-01T00:00:00.000Z"');
  });

  it('rejects cycles', () => {
    const a: unknown[] = [];
    a.push(a);
    expect(() => canonicalJson(a)).toThrow(/cycle/);
  });
});
