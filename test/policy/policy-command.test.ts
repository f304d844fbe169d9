import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPolicyCommand } from '../../src/cli/policy-command.js';

const dir = mkdtempSync(join(tmpdir(), 'toolgate-policy-cli-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runPolicyCommand(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const good = file(
  'refunds.json',
  '{"version":"1","tools":{"create_refund":{"deny_if":[{"path":"args.amount","op":"gt","value":10000,' +
    '"reason":"refunds over 100.00 need a person"}],"limits":[{"counter":"refund_total","window":"day","max":50000,"sum":"args.amount"}]},' +
    '"search":{"action":"rate_limit","rate_limit":{"max":10,"window":60}}}}',
);
const bad = file(
  'bad.yaml',
  'version: "1"\ntools:\n  a:\n    deny_if: [{path: args.x, op: greater, value: 1}]\n',
);
const shadow = file('shadow.yaml', 'version: "1"\nmode: shadow\n');

describe('policy validate', () => {
  it('accepts valid files', async () => {
    expect(await run('validate', good, shadow)).toEqual({
      code: 0,
      stdout: `ok ${good}\nok ${shadow} (shadow mode)\n`,
      stderr: '',
    });
  });

  it('exits 1 with file:line:col errors', async () => {
    const r = await run('validate', good, bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`ok ${good}\n`);
    expect(r.stderr).toContain(`${bad}:4:34 tools.a.deny_if[0].op: op must be one of`);
  });

  it('reports a regex that can backtrack catastrophically, at the pattern', async () => {
    const redos = file(
      'redos.yaml',
      "version: '1'\ntools:\n  search:\n    deny_if: [{path: args.q, op: regex, value: '^(a|aa)+$'}]\n",
    );
    const r = await run('validate', good, redos);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`ok ${good}\n`);
    expect(r.stderr).toContain(
      `${redos}:4:48 tools.search.deny_if[0].value: regex /^(a|aa)+$/ can backtrack catastrophically: ` +
        'the alternatives `a` and `aa` can both start with "a"',
    );
  });

  it('--canonical prints the expanded form', async () => {
    const r = await run('validate', '--canonical', good);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).tools.search).toEqual({
      limits: [{ counter: 'search', window: 60, max: 10, scope: 'session' }],
    });
  });

  it('usage errors exit 2', async () => {
    expect((await run('validate')).code).toBe(2);
    expect((await run('validate', '--bogus', good)).code).toBe(2);
    expect((await run('frobnicate')).code).toBe(2);
    expect((await run()).code).toBe(2);
  });
});

describe('policy test and explain', () => {
  it('--json has the stable shape', async () => {
    const r = await run('test', good, '--tool', 'create_refund', '--args', '{"amount":12000}', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      decision: 'deny',
      reason: 'refunds over 100.00 need a person',
      rule: 'tools.create_refund.deny_if[0]',
      explanation: 'tools.create_refund.deny_if[0] holds: args.amount is 12000, greater than 10000',
      limits: [],
      approval: null,
      shadow: false,
    });
  });

  it('prints the decision with limits to consume', async () => {
    const r = await run(
      'test',
      good,
      '--tool',
      'create_refund',
      '--args',
      '{"amount":25}',
      '--grant',
      'support',
    );
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      'allow tools.create_refund\nreason: allowed by tools.create_refund\n' +
        'limits: refund_total +25 (max 50000 per day, per grant; tools.create_refund.limits[0])\n',
    );
  });

  it('explain says which rule fired and why', async () => {
    const r = await run(
      'explain',
      good,
      '--tool',
      'create_refund',
      '--args',
      '{"amount":12000}',
      '--server',
      'billing',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'create_refund (server billing, grant cli): DENIED',
        'rule that fired: tools.create_refund.deny_if[0]',
        'why: tools.create_refund.deny_if[0] holds: args.amount is 12000, greater than 10000',
        'the agent is told: refunds over 100.00 need a person',
        'limits to consume: none (a refused call consumes nothing)',
        // Denied with these arguments only: the model is still shown the tool.
        'tools/list: listed',
        '',
      ].join('\n'),
    );
  });

  it('explain says whether tools/list shows the tool (hide, hide_denied)', async () => {
    const line = async (policy: string, tool: string) =>
      (await run('explain', policy, '--tool', tool)).stdout
        .split('\n')
        .find((l) => l.startsWith('tools/list:'));
    const deny = file(
      'deny.yaml',
      'version: "1"\ndefault: deny\nhide: [secret]\ntools:\n  track_event: {}\n',
    );
    expect(await line(deny, 'track_event')).toBe('tools/list: listed');
    expect(await line(deny, 'delete_user')).toBe(
      'tools/list: left out (hide_denied: every call to it is denied whatever its arguments); a call gets the reason above',
    );
    expect(await line(deny, 'secret')).toBe('tools/list: left out (hide); a call answers as an unknown tool');
    const off = file('off.yaml', 'version: "1"\ndefault: deny\nhide_denied: false\n');
    expect(await line(off, 'delete_user')).toBe(
      'tools/list: listed (denied whatever its arguments, but the policy sets hide_denied: false)',
    );
    const shadowDeny = file('shadow-deny.yaml', 'version: "1"\nmode: shadow\ndefault: deny\n');
    expect(await line(shadowDeny, 'delete_user')).toContain('a shadow policy lets calls through');
  });

  it('explain reads grant claims and notes shadow mode', async () => {
    const claims = file(
      'claims.yaml',
      'version: "1"\nmode: shadow\ntools:\n  t: {require: [{path: grant.claims.role, op: eq, value: admin}]}\n',
    );
    const r = await run('explain', claims, '--tool', 't', '--claims', '{"role":"intern"}');
    expect(r.stdout).toContain(
      'why: tools.t.require[0] must hold but does not: grant.claims.role is "intern", not equal to "admin"',
    );
    expect(r.stdout).toContain('shadow mode: the gateway records this decision but lets the call through');
    const json = JSON.parse(
      (await run('test', claims, '--tool', 't', '--claims', '{"role":"admin"}', '--json')).stdout,
    );
    expect(json).toMatchObject({ decision: 'allow', shadow: true });
  });

  it('an invalid policy exits 1', async () => {
    const r = await run('test', bad, '--tool', 'a');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:4:34 tools.a.deny_if[0].op`);
  });

  it('bad arguments exit 2', async () => {
    expect((await run('test', good)).code).toBe(2);
    expect((await run('test', good, '--tool', 'a', '--args', '{nope')).stderr).toContain(
      '--args is not valid JSON',
    );
    expect((await run('test', good, '--tool', 'a', '--args', '[1]')).code).toBe(2);
    expect((await run('explain', '--tool', 'a')).code).toBe(2);
    expect((await run('test', good, good, '--tool', 'a')).code).toBe(2);
  });
});
