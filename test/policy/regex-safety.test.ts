/**
 * The ReDoS guard of `regex` conditions (src/util/regex-safety.ts): patterns that can backtrack
 * catastrophically are load errors, real-world patterns load, and an argument longer than
 * REGEX_INPUT_LIMIT is never handed to a regex: the call is denied, at once.
 */
import { describe, expect, it } from 'vitest';
import { type CallFacts, compilePolicy, decide, PolicyError, parsePolicy } from '../../src/policy/index.js';
import { REGEX_INPUT_LIMIT, regexHazard } from '../../src/util/regex-safety.js';

/** Patterns people write in policies; every one must stay accepted. [pattern, flags?] */
const ACCEPTED: [string, string?][] = [
  // emails
  ['^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$'],
  ['^[\\w.+-]+@[\\w-]+(\\.[\\w-]+)+$'],
  ['^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$'],
  ['@example\\.com$', 'i'],
  // UUIDs
  ['^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', 'i'],
  ['^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$'],
  // paths
  ['^/(?:[\\w.-]+/)*[\\w.-]+$'],
  ['^(/[^/]+)+/?$'],
  ['^/home/[^/]+/projects(?:/.*)?$'],
  ['^(?!.*\\.\\.)[\\w./-]+$'],
  ['^[A-Za-z]:\\\\(?:[^\\\\/:*?"<>|\\r\\n]+\\\\)*[^\\\\/:*?"<>|\\r\\n]*$'],
  // versions, numbers, addresses, URLs
  ['^v\\d+\\.\\d+\\.\\d+$'],
  ['^\\d+(\\.\\d+)?$'],
  ['^-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?$'],
  ['^(?:\\d{1,3}\\.){3}\\d{1,3}$'],
  ['^(?:[a-z0-9-]+\\.)+[a-z]{2,}$'],
  ['^https?://[\\w.-]+(?::\\d+)?(?:/[\\w.%-]*)*$'],
  ['^https://([a-z0-9-]+\\.)*example\\.com(/.*)?$'],
  ['^\\+?\\d{1,3}[-. ]?\\(?\\d{3}\\)?[-. ]?\\d{3}[-. ]?\\d{4}$'],
  ['^(?<year>\\d{4})-(?<month>\\d{2})-(?<day>\\d{2})$'],
  // names, branches, tickets, secrets, SQL, shell
  ['^(feature|bugfix|hotfix)/[a-z0-9._-]+$'],
  ['^[A-Z]{2,10}-\\d+$'],
  ['^[a-z][a-z0-9_]*$'],
  ['^prod(uction)?$'],
  ['\\b(?:password|secret|token|api[_-]?key)\\b', 'i'],
  ['AKIA[0-9A-Z]{16}'],
  ['-----BEGIN [A-Z ]*PRIVATE KEY-----'],
  ['^\\s*(drop|truncate)\\b', 'i'],
  ['\\bDROP\\s+TABLE\\b', 'i'],
  ['rm\\s+-rf'],
  ['.*secret.*'],
  // whitespace and quoting
  ['^\\s*$'],
  ['^\\s*(\\S+)\\s*$'],
  ['\\s*,\\s*'],
  ['^\\w+(\\s\\w+)*$'],
  ['^"(?:[^"\\\\]|\\\\.)*"$'],
  ['^\\p{L}+$', 'u'],
  ['^[^]*$'],
];

/** Patterns that can backtrack catastrophically, and the words of the finding. */
const REJECTED: [string, RegExp][] = [
  // a quantified part inside a repetition that can also match what follows it
  ['^(a+)+$', /`a\+` inside the repeated `\(a\+\)\+`/],
  ['(a*)*', /inside the repeated/],
  ['^(\\w+\\s?)*$', /`\\w\+` inside the repeated/],
  ['(\\d+,?)+', /inside the repeated/],
  ['(x+x+)+y', /inside the repeated/],
  ['(.*a){12}', /inside the repeated/],
  ['(\\w+)*@', /inside the repeated/],
  ['(?:a+){2,}', /inside the repeated/],
  ['^(([a-z])+.)+[A-Z]([a-z])+$', /inside the repeated/],
  ['^(?:/[\\w./-]*)*$', /inside the repeated/],
  ['(?=(a+)+b)', /inside the repeated/],
  // alternatives under a repetition that can start alike
  ['(a|a)*', /the alternatives `a` and `a` can both start with "a"/],
  ['(a|ab)*', /alternatives/],
  ['^(a|aa)+$', /alternatives/],
  ['(?:[a-z]+|[0-9a-f]+)+$', /alternatives/],
  // two unbounded quantifiers that can share a run, nothing required between them
  ['\\d+\\d+', /`\\d\+` and `\\d\+` both repeat without bound/],
  ['a*a*b', /both repeat without bound/],
  ['^\\d+\\.?\\d*$', /`\\d\+` and `\\d\*` both repeat without bound/],
  ['.*.*=.*', /both repeat without bound/],
  ['^[a-z]+[a-z0-9]*$', /both repeat without bound/],
  // backreferences
  ['(a)\\1', /`\\1` is a backreference/],
  ['(?<q>[\'"]).*?\\k<q>', /`\\k<q>` is a backreference/],
];

describe('regexHazard', () => {
  it.each(ACCEPTED)('accepts %s', (pattern, flags = '') => {
    expect(regexHazard(pattern, flags)).toBeUndefined();
  });

  it.each(REJECTED)('rejects %s', (pattern, why) => {
    const found = regexHazard(pattern);
    expect(found).toMatch(why);
    expect(found).toMatch(/; (make|merge|match)/); // and says how to rewrite it
  });

  it('folds case under the i flag: (A|a)+ is ambiguous only then', () => {
    expect(regexHazard('(A|a)+')).toBeUndefined();
    expect(regexHazard('(A|a)+', 'i')).toMatch(/alternatives/);
  });
});

const call = (tool: string, args: Record<string, unknown>): CallFacts => ({
  server: 's',
  tool,
  args,
  grant: { name: 'g' },
  session: { id: 'x' },
});

describe('a catastrophic pattern in a policy', () => {
  it('is a load error at the pattern, with the reason and a rewrite', () => {
    // `^(a+)+$` on thirty "a"s and a "!" backtracks about 2^30 times: seconds of frozen gateway.
    const text = [
      'version: "1"',
      'tools:',
      '  search:',
      '    deny_if:',
      "      - {path: args.q, op: regex, value: '^(a+)+$'}",
      '',
    ].join('\n');
    let error: unknown;
    try {
      parsePolicy(text, { file: 'p.yaml' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PolicyError);
    const issues = (error as PolicyError).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      file: 'p.yaml',
      line: 5,
      column: 42,
      path: 'tools.search.deny_if[0].value',
    });
    expect((error as PolicyError).message).toContain(
      'p.yaml:5:42 tools.search.deny_if[0].value: regex /^(a+)+$/ can backtrack catastrophically',
    );
    expect(issues[0]!.message).toContain('drop the inner quantifier');
  });

  it('is found inside combinators and approval conditions too', () => {
    let error: unknown;
    try {
      compilePolicy({
        version: '1',
        tools: {
          t: {
            require: [{ not: { any: [{ path: 'args.a', op: 'regex', value: '(x|xy)+' }] } }],
            approval: { if: [{ path: 'args.b', op: 'regex', value: '(b)\\1' }] },
          },
        },
      });
    } catch (err) {
      error = err;
    }
    expect((error as PolicyError).issues.map((i) => i.path)).toEqual([
      'tools.t.require[0].not.any[0].value',
      'tools.t.approval.if[0].value',
    ]);
  });
});

describe('an argument longer than REGEX_INPUT_LIMIT', () => {
  const policy = compilePolicy({
    version: '1',
    default: 'allow',
    tools: {
      // Accepted by the check, yet quadratic on a long run of spaces: what the cap is for.
      trailing: { deny_if: [{ path: 'args.text', op: 'regex', value: '\\s+$' }] },
      // The argument must match: too long to check must not pass as "matches" either.
      require: { require: [{ path: 'args.id', op: 'regex', value: '^[a-z ]+$' }] },
      negated: {
        deny_if: [
          {
            any: [
              { path: 'args.n', op: 'eq', value: 1 },
              { not: { path: 'args.text', op: 'regex', value: 'x' } },
            ],
          },
        ],
      },
      asks: { approval: { if: [{ path: 'args.text', op: 'regex', value: 'pay' }] } },
    },
  });
  const huge = `${' '.repeat(1024 * 1024)}x`; // 1 MiB of spaces, then a mismatch

  it('denies the call at once, naming the argument, the rule and the limit', () => {
    const started = performance.now();
    const d = decide(policy, call('trailing', { text: huge }));
    // The regex itself would scan from each of the million starting points: many minutes.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(d).toMatchObject({ outcome: 'deny', rule: 'tools.trailing.deny_if[0]', shadow: false });
    expect(d.reason).toBe(
      `"trailing" was refused: args.text is ${huge.length.toLocaleString('en-US')} characters long, too long ` +
        `to check against the policy's pattern (at most ${REGEX_INPUT_LIMIT.toLocaleString('en-US')}); ` +
        'call again with a shorter args.text',
    );
    expect(d.explanation).toContain('tools.trailing.deny_if[0]: args.text is too long to check');
  });

  it('fails closed under require, not, and approval.if alike', () => {
    const long = 'a'.repeat(REGEX_INPUT_LIMIT + 1);
    expect(decide(policy, call('require', { id: long }))).toMatchObject({
      outcome: 'deny',
      rule: 'tools.require.require[0]',
    });
    expect(decide(policy, call('negated', { n: 2, text: long }))).toMatchObject({
      outcome: 'deny',
      rule: 'tools.negated.deny_if[0]',
    });
    expect(decide(policy, call('asks', { text: long }))).toMatchObject({
      outcome: 'deny',
      rule: 'tools.asks.approval.if[0]',
    });
  });

  it('tests strings up to the limit as usual', () => {
    const atLimit = `${'a'.repeat(REGEX_INPUT_LIMIT - 1)} `;
    expect(decide(policy, call('trailing', { text: atLimit }))).toMatchObject({ outcome: 'deny' });
    expect(decide(policy, call('trailing', { text: atLimit.trim() })).outcome).toBe('allow');
    expect(decide(policy, call('require', { id: 'a'.repeat(REGEX_INPUT_LIMIT) })).outcome).toBe('allow');
    // A condition that decides before reaching the regex does not look at the long argument.
    const early = decide(policy, call('negated', { n: 1, text: 'a'.repeat(REGEX_INPUT_LIMIT + 1) }));
    expect(early).toMatchObject({ outcome: 'deny', rule: 'tools.negated.deny_if[0]' });
    expect(early.explanation).toBe('tools.negated.deny_if[0] holds: args.n is 1, equal to 1');
  });
});
