/**
 * The redacted copy is faithful: every own member survives (`__proto__`, `constructor` and
 * `prototype` included), so what is shown serialises to what was forwarded except for the masks;
 * the input is never changed; the work stays linear on hostile strings.
 */
import { describe, expect, it } from 'vitest';
import { MASK, Redactor, redactUrl } from '../../src/redact/index.js';
import { canonicalJson } from '../../src/util/canonical-json.js';

const r = new Redactor();

describe('faithful copies', () => {
  const HOSTILE_JSON = [
    '{"amount":1,"__proto__":{"to":"attacker-account"}}',
    '{"constructor":{"prototype":{"polluted":true}},"prototype":1}',
    '{"a":[{"__proto__":{"__proto__":{"deep":"x"}}}],"toString":"s","hasOwnProperty":"h"}',
    '{"__proto__":null,"valueOf":2}',
    '[{"__proto__":[]},"text",3,null,true]',
  ];

  it.each(HOSTILE_JSON)('keeps every member of %s, in serialised form byte for byte', (json) => {
    const parsed = JSON.parse(json);
    const shown = r.value(parsed);
    expect(JSON.stringify(shown)).toBe(json);
    expect(canonicalJson(shown)).toBe(canonicalJson(parsed));
    // What a store round trip does to it (JSON.parse of the canonical text) keeps it too.
    expect(JSON.stringify(JSON.parse(canonicalJson(shown)))).toBe(canonicalJson(parsed));
    // No prototype was touched on the way.
    expect(({} as Record<string, unknown>).to).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('masks a secret under __proto__ and keeps the member', () => {
    const shown = r.value(JSON.parse('{"__proto__":{"password":"hunter2","to":"x"}}'));
    expect(JSON.stringify(shown)).toBe('{"__proto__":{"password":"[REDACTED]","to":"x"}}');
  });

  it('never changes its input', () => {
    const input = JSON.parse('{"password":"p","note":"Bearer abcdef123456","__proto__":{"token":"t"}}');
    const before = JSON.stringify(input);
    r.args(input);
    new Redactor({ paths: ['note'] }).args(input);
    expect(JSON.stringify(input)).toBe(before);
  });

  it('copes with cycles, shared references, primitives and non-JSON values', () => {
    const shared = { x: 1 };
    const args: Record<string, unknown> = { a: shared, b: shared, keep: { y: 2 } };
    args.self = args;
    const out = r.value(args) as Record<string, unknown>;
    expect(out.self).toBe('[Circular]');
    expect(out.a).toEqual({ x: 1 });
    expect(out.b).toEqual({ x: 1 }); // seen twice, but not a cycle
    expect(r.value('plain')).toBe('plain');
    expect(r.value(undefined)).toBeUndefined();
    expect(r.value(null)).toBeNull();
    expect(r.value(10n)).toBe(10n);
    expect(r.value({ d: new Date(0) })).toEqual({ d: '1970-01-01T00:00:00.000Z' });
  });

  it('shows an Error as type, message and stack, its text redacted', () => {
    const e = new Error('connect to https://u:pw-123@db failed');
    const out = r.value(e) as Record<string, unknown>;
    expect(out.type).toBe('Error');
    expect(out.message).toBe('connect to https://u:[REDACTED]@db failed');
    expect(String(out.stack)).not.toContain('pw-123');
  });

  it('masks configured argument paths (audit.redact.paths and the older list form), keeping shape', () => {
    const args = {
      card: { number: '4111', exp: '12/30' },
      rows: [{ ssn: '1' }, { ssn: '2', name: 'x' }],
      id: 7,
      obj: { a: 'b' },
    };
    const c = new Redactor({ paths: ['args.card.number', 'rows.*.ssn', 'id', 'obj', 'missing.path'] });
    expect(c.args(args)).toEqual({
      card: { number: MASK, exp: '12/30' },
      rows: [{ ssn: MASK }, { ssn: MASK, name: 'x' }],
      id: MASK,
      obj: { a: MASK },
    });
    expect(c.args(null)).toBeNull();
  });
});

describe('linear time on hostile strings', () => {
  // Each of these makes a naive pattern set quadratic or worse (a quadratic scan of 1 MB takes
  // minutes); linear, 1 MB takes well under a second, with room here for a busy shared machine.
  const MB = 1 << 20;
  const HOSTILE: [string, string][] = [
    ['repeated eyJ', 'eyJ'.repeat(MB / 3)],
    ['eyJ runs without dots', `${'eyJ'}${'a'.repeat(200)}.`.repeat(MB / 205)],
    ['secret names with no end', 'password='.repeat(MB / 9)],
    ['secret names with values', 'token=abc '.repeat(MB / 10)],
    ['names without values', 'a:'.repeat(MB / 2)],
    ['PEM headers without END', '-----BEGIN PRIVATE KEY-----'.repeat(MB / 27)],
    ['URL schemes', 'a://'.repeat(MB / 4)],
    ['URL authorities with @', `https://${'u:p@'.repeat(100)}`.repeat(MB / 408)],
    ['Bearer words', 'Bearer '.repeat(MB / 7)],
    ['token characters', 'A'.repeat(MB)],
    ['JSON-ish text', '{"key": "value", "n": 1} '.repeat(MB / 25)],
  ];
  it.each(HOSTILE)('%s: 1 MB in seconds, not minutes', (_what, s) => {
    const t0 = performance.now();
    r.text(s);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('a configured pattern runs in windows, so a polynomial one stays bounded', () => {
    const c = new Redactor({ patterns: ['a.*x'] });
    const t0 = performance.now();
    c.text('a'.repeat(50_000)); // over the whole string at once: about 40 s
    expect(performance.now() - t0).toBeLessThan(5000);
  });
});

describe('redactUrl', () => {
  it.each([
    ['postgres://app:s3cret@db:5432/x', {}, 'postgres://app:[REDACTED]@db:5432/x'],
    ['https://h/p?api_key=k1&page=2', {}, 'https://h/p?api_key=[REDACTED]&page=2'],
    ['https://u:p@h/p?token=x', { query: 'drop' as const }, 'https://u:[REDACTED]@h/p'],
    ['https://h:4318/v1/traces', { query: 'drop' as const }, 'https://h:4318/v1/traces'],
    ['not a url', {}, '<invalid url>'],
  ])('%s -> %s', (url, options, expected) => {
    expect(redactUrl(url, options)).toBe(expected);
  });
});
