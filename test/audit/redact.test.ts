import { describe, expect, it } from 'vitest';
import { REDACTED, redactArgs } from '../../src/audit/redact.js';
import { canonicalJson } from '../../src/util/canonical-json.js';

describe('redactArgs', () => {
  it.each([
    'password',
    'userPassword',
    'access_token',
    'refreshToken',
    'client_secret',
    'Authorization',
    'api_key',
    'api-key',
    'X-API-KEY',
    'apikey',
    'Set-Cookie',
  ])('redacts the key %s at any depth', (key) => {
    const out = redactArgs({ a: { b: [{ [key]: 'v', safe: 1 }] } });
    expect(out).toEqual({ a: { b: [{ [key]: REDACTED, safe: 1 }] } });
  });

  it('redacts whole subtrees under a secret key, whatever the value type', () => {
    expect(redactArgs({ secrets: { a: 1 }, token: 12345 })).toEqual({ secrets: REDACTED, token: REDACTED });
  });

  it('redacts configured dotted paths, with or without args., with * segments', () => {
    const args = {
      card: { number: '4111', exp: '12/30' },
      rows: [{ ssn: '1' }, { ssn: '2', name: 'x' }],
      id: 7,
    };
    expect(redactArgs(args, ['args.card.number', 'rows.*.ssn', 'id', 'missing.path'])).toEqual({
      card: { number: REDACTED, exp: '12/30' },
      rows: [{ ssn: REDACTED }, { ssn: REDACTED, name: 'x' }],
      id: REDACTED,
    });
  });

  it('redacts credential-looking values under innocent keys', () => {
    const token = `tg_${'x'.repeat(43)}`;
    expect(redactArgs({ note: token, h: 'Bearer abcdefghijkl', text: 'a bearer of news' })).toEqual({
      note: REDACTED,
      h: REDACTED,
      text: 'a bearer of news',
    });
  });

  it('never mutates its input and copes with cycles and primitives', () => {
    const args: Record<string, unknown> = { password: 'p', keep: { x: 1 } };
    args.self = args;
    const out = redactArgs(args) as Record<string, unknown>;
    expect(args.password).toBe('p');
    expect(out.self).toBe('[Circular]');
    expect(redactArgs('plain')).toBe('plain');
    expect(redactArgs(undefined)).toBeUndefined();
    expect(redactArgs(null, ['a.b'])).toBeNull();
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
