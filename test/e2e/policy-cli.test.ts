/**
 * Issue 3, the policy CLI as users run it: the built `toolgate` binary (`node dist/cli/main.js`),
 * exit codes, file:line:col errors, the documented `--json` shape, and `explain` in words.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureFreshBuild, ROOT } from '../support/e2e.js';

const dir = mkdtempSync(join(tmpdir(), 'toolgate-e2e-policy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => ensureFreshBuild(), 360_000);

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function toolgate(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The seed's policy, verbatim, plus a YAML policy with comments that uses most of the language.
const SEED = file(
  'seed.json',
  '{"version":"1","default":"deny","tools":{"track_event":{"limits":[{"counter":"track_event_rate","window":"minute","max":30,"scope":"grant"}]}}}',
);
const SUPPORT = file(
  'support.yaml',
  [
    '# support agent policy',
    'version: "1"',
    'default: deny',
    'hide: ["delete_*"]',
    'tools:',
    '  create_refund:',
    '    require: [{path: args.reason, op: exists}]',
    '    deny_if:',
    '      - {path: args.amount, op: gt, value: 10000, reason: refunds over 100.00 need a person}',
    '    approval: {if: [{path: args.amount, op: gt, value: 2000}], timeout: 5m}',
    '    limits:',
    '      - {counter: refund_total, window: day, max: 50000, sum: args.amount}',
    '',
  ].join('\n'),
);
// Line 4: `op: greater` is not an operator; line 6: `limitz` is not a field.
const BAD = file(
  'bad.yaml',
  [
    'version: "1"',
    'tools:',
    '  create_refund:',
    '    deny_if: [{path: args.amount, op: greater, value: 1}]',
    '  track_event:',
    '    limitz: []',
    '',
  ].join('\n'),
);

describe('toolgate policy validate', () => {
  it('exits 0 and prints ok for valid files', () => {
    expect(toolgate('policy', 'validate', SEED, SUPPORT)).toEqual({
      code: 0,
      stdout: `ok ${SEED}\nok ${SUPPORT}\n`,
      stderr: '',
    });
  });

  it('exits 1 with every error as file:line:col, path and message', () => {
    const r = toolgate('policy', 'validate', SEED, BAD);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`ok ${SEED}\n`);
    expect(r.stderr).toMatch(
      new RegExp(`^${BAD}:4:\\d+ tools\\.create_refund\\.deny_if\\[0\\]\\.op: .*"gt"`, 'm'),
    );
    expect(r.stderr).toMatch(new RegExp(`^${BAD}:6:5 tools\\.track_event\\.limitz: unknown field`, 'm'));
  });

  it('reports a JSON syntax error with its position', () => {
    const broken = file('broken.json', '{"version":"1",\n "tools": {"a": }\n}\n');
    const r = toolgate('policy', 'validate', broken);
    expect(r.code).toBe(1);
    // Line 2, column 17: the `}` where a value should be.
    expect(r.stderr).toContain(`${broken}:2:17: invalid JSON`);
  });
});

describe('toolgate policy test --json', () => {
  const test = (...args: string[]) => {
    const r = toolgate('policy', 'test', ...args, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  };

  it('prints the documented shape for every kind of decision', () => {
    const shape = ['approval', 'decision', 'explanation', 'limits', 'reason', 'rule', 'shadow'];
    const allow = test(SEED, '--tool', 'track_event', '--args', '{}', '--grant', 'support-agent');
    expect(Object.keys(allow).sort()).toEqual(shape);
    expect(allow).toMatchObject({
      decision: 'allow',
      rule: 'tools.track_event',
      approval: null,
      shadow: false,
    });
    expect(allow.limits).toEqual([
      {
        counter: 'track_event_rate',
        window: 'minute',
        windowSeconds: 60,
        max: 30,
        scope: 'grant',
        amount: 1,
        rule: 'tools.track_event.limits[0]',
      },
    ]);

    const deny = test(SEED, '--tool', 'export_everything');
    expect(Object.keys(deny).sort()).toEqual(shape);
    expect(deny).toMatchObject({ decision: 'deny', rule: 'default', limits: [], approval: null });
    expect(deny.reason).toEqual(expect.any(String));

    expect(test(SUPPORT, '--tool', 'delete_account')).toMatchObject({ decision: 'hide', rule: 'hide[0]' });
    expect(
      test(SUPPORT, '--tool', 'create_refund', '--args', '{"amount":12000,"reason":"broken"}'),
    ).toMatchObject({
      decision: 'deny',
      reason: 'refunds over 100.00 need a person',
      rule: 'tools.create_refund.deny_if[0]',
    });
    const approval = test(SUPPORT, '--tool', 'create_refund', '--args', '{"amount":2500,"reason":"late"}');
    expect(approval).toMatchObject({
      decision: 'approval',
      rule: 'tools.create_refund.approval.if[0]',
      approval: { timeoutSeconds: 300, mode: 'hold' },
    });
    expect(approval.limits).toEqual([expect.objectContaining({ counter: 'refund_total', amount: 2500 })]);
    expect(test(SUPPORT, '--tool', 'create_refund', '--args', '{"amount":100}')).toMatchObject({
      decision: 'deny',
      rule: 'tools.create_refund.require[0]',
    });
  });

  it('exits 1 on an invalid policy and 2 on a usage error', () => {
    const bad = toolgate('policy', 'test', BAD, '--tool', 'create_refund', '--json');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${BAD}:4:`);
    expect(toolgate('policy', 'test', SEED, '--json').code).toBe(2);
    expect(toolgate('policy', 'test', SEED, '--tool', 'x', '--args', '{nope').code).toBe(2);
  });
});

describe('toolgate policy explain', () => {
  it('prints the rule that fired and why, in words', () => {
    const r = toolgate(
      'policy',
      'explain',
      SUPPORT,
      '--tool',
      'create_refund',
      '--args',
      '{"amount":12000,"reason":"broken"}',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('DENIED');
    expect(r.stdout).toContain('rule that fired: tools.create_refund.deny_if[0]');
    expect(r.stdout).toContain(
      'why: tools.create_refund.deny_if[0] holds: args.amount is 12000, greater than 10000',
    );
    expect(r.stdout).toContain('the agent is told: refunds over 100.00 need a person');

    const missing = toolgate(
      'policy',
      'explain',
      SUPPORT,
      '--tool',
      'create_refund',
      '--args',
      '{"amount":5}',
    );
    expect(missing.code).toBe(0);
    expect(missing.stdout).toMatch(/why: tools\.create_refund\.require\[0\] .*args\.reason/);
  });
});
