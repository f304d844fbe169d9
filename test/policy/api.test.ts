import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CallFacts,
  canonicalPolicy,
  compilePolicy,
  DENY_ALL,
  decide,
  isHidden,
  loadPolicyFile,
  PolicyError,
  parsePolicy,
} from '../../src/policy/index.js';

const call = (tool: string, args: Record<string, unknown> = {}): CallFacts => ({
  server: 's',
  tool,
  args,
  grant: { name: 'g' },
  session: { id: 'x' },
});

function errorOf(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
  throw new Error('expected a PolicyError');
}

describe('compilePolicy (inline documents)', () => {
  it('reports the document path with line 0 and the given source', () => {
    const e = errorOf(() =>
      compilePolicy(
        { version: '1', tools: { a: { deny_if: [{ path: 'args.x', op: 'gtt', value: 1 }] } } },
        'toolgate.yaml servers.demo.policy',
      ),
    );
    expect(e.issues).toEqual([
      {
        file: 'toolgate.yaml servers.demo.policy',
        line: 0,
        column: 0,
        path: 'tools.a.deny_if[0].op',
        message: expect.stringContaining('did you mean "gt"?'),
      },
    ]);
    expect(e.message).toContain('toolgate.yaml servers.demo.policy tools.a.deny_if[0].op: op must be one of');
  });

  it('does not keep references to the caller document', () => {
    const doc = { version: '1', tools: { a: { deny: true } } };
    const p = compilePolicy(doc);
    doc.tools.a.deny = false;
    expect(decide(p, call('a')).outcome).toBe('deny');
    expect(canonicalPolicy(p)).toEqual({ version: '1', tools: { a: { deny: true } } });
  });

  it('exposes name, description, mode and new_tools', () => {
    const p = compilePolicy({
      version: 1,
      name: 'n',
      description: 'd',
      mode: 'shadow',
      new_tools: 'quarantine',
    });
    expect({
      source: p.source,
      name: p.name,
      description: p.description,
      mode: p.mode,
      newTools: p.newTools,
    }).toEqual({ source: 'inline', name: 'n', description: 'd', mode: 'shadow', newTools: 'quarantine' });
    expect(compilePolicy({ version: '1' }).newTools).toBeUndefined();
    expect(compilePolicy({ version: '1', new_tools: 'policy' }).newTools).toBe('policy');
  });

  it('quotes awkward keys in paths', () => {
    const e = errorOf(() => compilePolicy({ version: '1', tools: { 'my.tool': { deny: 'x' } } }));
    expect(e.issues[0]!.path).toBe('tools["my.tool"].deny');
  });
});

describe('parsePolicy format detection', () => {
  const json = '{"version":"1","tools":{"a":{}}}';
  it('sniffs JSON and YAML without a file name', () => {
    expect(decide(parsePolicy(json), call('a')).outcome).toBe('allow');
    expect(decide(parsePolicy('version: "1"\ntools: {a: {}}\n'), call('a')).outcome).toBe('allow');
  });

  it('keeps .json strict: comments are an error there but fine in YAML', () => {
    const text = '{"version":"1", # c\n"tools":{}}';
    expect(errorOf(() => parsePolicy(text, { file: 'p.json' })).issues[0]).toMatchObject({
      line: 1,
      column: 17,
    });
    expect(parsePolicy(text, { file: 'p.yaml' }).mode).toBe('enforce');
  });

  it('ignores a byte order mark', () => {
    expect(decide(parsePolicy(`\uFEFF${json}`, { file: 'p.json' }), call('a')).outcome).toBe('allow');
  });

  it('uses <input> as the file name when none is given', () => {
    expect(errorOf(() => parsePolicy('version: 2\n')).message).toContain('<input>:1:10 version:');
  });
});

describe('loadPolicyFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-policy-'));
  it('reads and compiles a file, with the path as source', () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, 'version: "1"\nhide: [x]\n');
    const p = loadPolicyFile(file);
    expect(p.source).toBe(file);
    expect(isHidden(p, 'x')).toBe(true);
  });

  it('names the file in errors', () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{"version":"1","tools":{"a":{"deny":1}}}');
    expect(errorOf(() => loadPolicyFile(file)).message).toContain(`${file}:1:37 tools.a.deny:`);
  });

  it('a missing file is a PolicyError that says so', () => {
    const e = errorOf(() => loadPolicyFile(join(dir, 'nope.yaml')));
    expect(e.issues[0]).toMatchObject({ line: 0, message: 'cannot read policy: no such file' });
  });
});

describe('DENY_ALL', () => {
  it('denies every call and says that no policy is configured', () => {
    for (const tool of ['a', 'delete_everything', '']) {
      const d = decide(DENY_ALL, call(tool));
      expect(d).toMatchObject({ outcome: 'deny', rule: 'default', limits: [], shadow: false });
      expect(d.reason).toContain('no policy is configured');
    }
    expect(isHidden(DENY_ALL, 'a')).toBe(false);
    expect(DENY_ALL.mode).toBe('enforce');
  });
});

describe('decide', () => {
  const p = compilePolicy({
    version: '1',
    tools: {
      t: {
        deny_if: [{ path: 'args.a.b', op: 'gt', value: 1 }],
        require: [{ path: 'grant.claims.x', op: 'not_exists' }],
      },
    },
  });

  it('never throws on odd call shapes', () => {
    const odd = [
      { ...call('t'), args: null as unknown as Record<string, unknown> },
      { ...call('t'), args: { a: Object.create(null) } },
      { ...call('t'), grant: { name: 'g', claims: undefined } },
      { ...call('t'), args: { a: { b: Number.NaN } } },
    ];
    for (const c of odd) expect(decide(p, c).outcome).toBe('allow');
  });

  it('does not mutate the call and returns fresh decisions', () => {
    const c = call('t', { a: { b: 0 } });
    const frozen = structuredClone(c);
    const d1 = decide(p, c);
    const d2 = decide(p, c);
    expect(c).toEqual(frozen);
    expect(d1).not.toBe(d2);
    expect(d1).toEqual(d2);
  });

  it('shares frozen limit charges so callers cannot corrupt the policy', () => {
    const q = compilePolicy({
      version: '1',
      tools: { t: { limits: [{ counter: 'c', window: 'minute', max: 1 }] } },
    });
    const d = decide(q, call('t'));
    expect(Object.isFrozen(d.limits)).toBe(true);
    expect(Object.isFrozen(d.limits[0])).toBe(true);
  });
});

describe('canonicalPolicy', () => {
  it('orders keys, spells out scopes, expands shorthand and normalises version', () => {
    const p = parsePolicy(
      [
        'tools:',
        '  b: {action: rate_limit, rate_limit: {window: 60, max: 10}}',
        '  a:',
        '    limits: [{max: 3, window: minute, counter: c}]',
        '    deny_if: [{reason: r, value: 1, op: eq, path: args.x}]',
        'default: allow',
        'version: 1',
      ].join('\n'),
      { file: 'p.yaml' },
    );
    expect(JSON.stringify(canonicalPolicy(p))).toBe(
      '{"version":"1","default":"allow","tools":{"b":{"limits":[{"counter":"b","window":60,"max":10,"scope":"session"}]},' +
        '"a":{"deny_if":[{"path":"args.x","op":"eq","value":1,"reason":"r"}],"limits":[{"counter":"c","window":"minute","max":3,"scope":"grant"}]}}}',
    );
  });
});
