import { describe, expect, it } from 'vitest';
import { PolicyError, type PolicyIssue, parsePolicy } from '../../src/policy/index.js';

/** Parses text that must fail and returns its issues as `line:col path: message` lines. */
function issues(text: string, file = 'p.yaml'): PolicyIssue[] {
  try {
    parsePolicy(text, { file });
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return (err as PolicyError).issues;
  }
  throw new Error('expected the policy to be rejected');
}

function one(text: string, file = 'p.yaml'): PolicyIssue {
  const found = issues(text, file);
  expect(found).toHaveLength(1);
  return found[0]!;
}

const y = (lines: string[]) => `${lines.join('\n')}\n`;

describe('YAML load errors carry file:line:column and the document path', () => {
  it('unknown top-level field, at the key, with a suggestion', () => {
    const i = one(y(['version: "1"', 'defualt: deny']));
    expect(i).toMatchObject({ file: 'p.yaml', line: 2, column: 1, path: 'defualt' });
    expect(i.message).toContain('did you mean "default"?');
  });

  it('unknown operator, at the value', () => {
    const i = one(
      y([
        'version: "1"',
        'tools:',
        '  create_refund:',
        '    deny_if:',
        '      - path: args.amount',
        '        op: greater',
        '        value: 1',
      ]),
    );
    expect(i).toMatchObject({ line: 6, column: 13, path: 'tools.create_refund.deny_if[0].op' });
    expect(i.message).toContain('did you mean "gt"?');
  });

  it('unknown field inside a condition', () => {
    const i = one(
      y(['version: "1"', 'tools:', '  t:', '    require:', '      - {path: args.a, op: exists, vlaue: 1}']),
    );
    expect(i).toMatchObject({ line: 5, column: 36, path: 'tools.t.require[0].vlaue' });
  });

  it('bad regex', () => {
    const i = one(
      y([
        'version: "1"',
        'tools:',
        '  t:',
        '    deny_if:',
        '      - {path: args.q, op: regex, value: "a(b"}',
      ]),
    );
    expect(i).toMatchObject({ line: 5, column: 42, path: 'tools.t.deny_if[0].value' });
    expect(i.message).toContain('invalid regex "a(b"');
  });

  it('regex that can backtrack catastrophically (regex-safety.ts)', () => {
    const i = one(
      y([
        'version: "1"',
        'tools:',
        '  t:',
        '    deny_if:',
        "      - {path: args.q, op: regex, value: '(\\w+\\s?)*$'}",
      ]),
    );
    expect(i).toMatchObject({ line: 5, column: 42, path: 'tools.t.deny_if[0].value' });
    expect(i.message).toMatch(/^regex \/\(\\w\+\\s\?\)\*\$\/ can backtrack catastrophically: /);
  });

  it('bad regex flags', () => {
    const i = one(
      y([
        'version: "1"',
        'tools:',
        '  t:',
        '    deny_if:',
        '      - {path: args.q, op: regex, value: a, flags: g}',
      ]),
    );
    expect(i).toMatchObject({ line: 5, path: 'tools.t.deny_if[0].value' });
    expect(i.message).toContain('flags may only contain');
  });

  it('wrong types: deny, max, value for in, list instead of object', () => {
    const found = issues(
      y([
        'version: "1"',
        'tools:',
        '  a: {deny: "yes"}',
        '  b: {limits: [{counter: c, window: minute, max: "10"}]}',
        '  c: {deny_if: [{path: args.x, op: in, value: x}]}',
        '  d: [allow]',
      ]),
    );
    expect(found.map((i) => `${i.line}:${i.column} ${i.path}`)).toEqual([
      '3:13 tools.a.deny',
      '4:50 tools.b.limits[0].max',
      '5:47 tools.c.deny_if[0].value',
      '6:6 tools.d',
    ]);
  });

  it('bad window and bad scope', () => {
    const found = issues(
      y([
        'version: "1"',
        'tools:',
        '  a:',
        '    limits:',
        '      - {counter: c, window: fortnight, max: 1, scope: user}',
      ]),
    );
    expect(found.map((i) => `${i.line}:${i.column} ${i.path}`)).toEqual([
      '5:30 tools.a.limits[0].window',
      '5:56 tools.a.limits[0].scope',
    ]);
    expect(found[1]!.message).toContain('must be one of grant, session, server, global');
  });

  it('missing required pieces point at the parent', () => {
    const found = issues(
      y([
        'version: "1"',
        'tools:',
        '  a:',
        '    limits:',
        '      - {counter: c}',
        '    require:',
        '      - {op: gt}',
      ]),
    );
    expect(found.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`)).toEqual([
      '5:9 tools.a.limits[0]: window is missing; use second, minute, hour, day, a duration like "15m" or "1h30m", or a whole number of seconds',
      '5:9 tools.a.limits[0]: max must be a number greater than 0, not missing',
      '7:9 tools.a.require[0].path: path must be a non-empty string, not undefined',
      '7:9 tools.a.require[0]: op gt needs a value',
    ]);
  });

  it('bad paths', () => {
    const found = issues(
      y([
        'version: "1"',
        'tools:',
        '  a:',
        '    require:',
        '      - {path: arguments.x, op: exists}',
        '      - {path: args, op: exists}',
        '      - {path: args..x, op: exists}',
      ]),
    );
    expect(found.map((i) => `${i.line}:${i.column} ${i.path}`)).toEqual([
      '5:16 tools.a.require[0].path',
      '6:16 tools.a.require[1].path',
      '7:16 tools.a.require[2].path',
    ]);
    expect(found[0]!.message).toContain('must start with args., grant., session.');
  });

  it('combinator mistakes', () => {
    const found = issues(
      y([
        'version: "1"',
        'tools:',
        '  a:',
        '    deny_if:',
        '      - {all: [], reason: r}',
        '      - {any: [{path: args.x, op: exists}], not: {path: args.y, op: exists}}',
        '      - {not: {path: args.x, op: exists, reason: nested}}',
      ]),
    );
    expect(found.map((i) => `${i.line}:${i.column} ${i.path}`)).toEqual([
      '5:15 tools.a.deny_if[0].all',
      '6:9 tools.a.deny_if[1]',
      '7:42 tools.a.deny_if[2].not.reason',
    ]);
  });

  it('an exists with a value, and reason without deny', () => {
    const found = issues(
      y([
        'version: "1"',
        'tools:',
        '  a:',
        '    reason: nope',
        '    require: [{path: args.x, op: exists, value: 1}]',
      ]),
    );
    expect(found.map((i) => `${i.line}:${i.column} ${i.path}`)).toEqual([
      '4:5 tools.a.reason',
      '5:49 tools.a.require[0].value',
    ]);
  });

  it('action shorthand mistakes', () => {
    const found = issues(
      y([
        'version: "1"',
        'tools:',
        '  a: {action: block}',
        '  b: {action: allow, deny: true}',
        '  c: {action: rate_limit, rate_limit: {max: 10}}',
        '  d: {action: rate_limit}',
      ]),
    );
    expect(found.map((i) => `${i.line}:${i.column} ${i.path}`)).toEqual([
      '3:15 tools.a.action',
      '4:22 tools.b.deny',
      '5:39 tools.c.rate_limit',
      '6:6 tools.d',
    ]);
  });

  it('counters that disagree', () => {
    const i = one(
      y([
        'version: "1"',
        'tools:',
        '  a: {limits: [{counter: x, window: minute, max: 1}]}',
        '  b: {limits: [{counter: x, window: hour, max: 1}]}',
      ]),
    );
    expect(i).toMatchObject({ line: 4, column: 16, path: 'tools.b.limits[0]' });
    expect(i.message).toContain('also declared at tools.a.limits[0]');
  });

  it('bad top-level values', () => {
    const found = issues(
      y(['version: "2"', 'mode: dry-run', 'default: maybe', 'new_tools: allow', 'hide: delete_*']),
    );
    expect(found.map((i) => `${i.line}:${i.column} ${i.path}`)).toEqual([
      '1:10 version',
      '2:7 mode',
      '3:10 default',
      '4:12 new_tools',
      '5:7 hide',
    ]);
  });

  it('missing version, and a document that is not a mapping', () => {
    expect(one('tools: {}\n')).toMatchObject({
      line: 1,
      column: 1,
      path: '',
      message: expect.stringContaining('version is missing'),
    });
    expect(one('- a\n- b\n')).toMatchObject({
      line: 1,
      column: 1,
      path: '',
      message: expect.stringContaining('must be an object, not a list'),
    });
  });

  it('YAML syntax errors and duplicate keys', () => {
    expect(one('version: "1"\ntools: [a\n')).toMatchObject({
      line: 3,
      path: '',
      message: expect.stringContaining('invalid YAML'),
    });
    const dup = one(y(['version: "1"', 'tools:', '  a: {}', '  a: {deny: true}']));
    expect(dup).toMatchObject({ line: 4, column: 3, message: expect.stringContaining('duplicate key') });
  });
});

describe('JSON load errors carry file:line:column', () => {
  it('syntax error', () => {
    const i = one('{\n  "version": "1",\n  "tools": {,}\n}\n', 'p.json');
    expect(i).toMatchObject({ file: 'p.json', line: 3, column: 13, path: '' });
    expect(i.message).toContain('invalid JSON');
  });

  it('an unexpected token is placed where it is (Node 20 names no position for it)', () => {
    const i = one('{"version":"1",\n  "tools": {"a": }\n}\n', 'p.json');
    expect(i).toMatchObject({ line: 2, column: 18, path: '' });
    expect(i.message).not.toContain('\n');
    expect(one('{"version": "1", "tools": {"a": tru}}', 'p.json')).toMatchObject({ line: 1, column: 36 });
  });

  it('trailing comma is JSON-invalid even though YAML would accept it', () => {
    expect(one('{"version": "1",}', 'p.json')).toMatchObject({ line: 1, column: 17 });
  });

  it('validation error in a tab-indented JSON document', () => {
    const i = one(
      '{\n\t"version": "1",\n\t"tools": {\n\t\t"a": {"deny_if": [{"path": "args.x", "op": "gt", "value": [1]}]}\n\t}\n}\n',
      'p.json',
    );
    expect(i).toMatchObject({ line: 4, column: 61, path: 'tools.a.deny_if[0].value' });
    expect(i.message).toContain('op gt needs a number or string value, not a list');
  });

  it('duplicate keys', () => {
    expect(one('{"version":"1","tools":{"a":{},"a":{}}}', 'p.json')).toMatchObject({ line: 1, column: 32 });
  });
});

describe('PolicyError', () => {
  it('lists every issue as file:line:col path: message', () => {
    try {
      parsePolicy('version: "1"\nmode: x\ndefault: y\n', { file: 'dir/p.yaml' });
      expect.unreachable();
    } catch (err) {
      const e = err as PolicyError;
      expect(e.name).toBe('PolicyError');
      expect(e.message.split('\n')).toEqual([
        'invalid policy (2 errors):',
        'dir/p.yaml:2:7 mode: mode must be one of enforce, shadow, not "x"',
        'dir/p.yaml:3:10 default: default must be one of allow, deny, not "y"',
      ]);
    }
  });
});
