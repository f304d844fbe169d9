/**
 * `hide_denied` (issue 13 part 7): deniedWhateverArgs and isUnlisted, table-driven. Every row is
 * checked against decide() itself: a tool said to be denied whatever its arguments must be denied
 * for every call in a spread of arguments, grants, sessions and servers; a tool said not to be
 * must have a witness call that decide() does not deny, so "conservative" never means "wrong".
 */
import { describe, expect, it } from 'vitest';
import {
  type CallFacts,
  canonicalPolicy,
  compilePolicy,
  DENY_ALL,
  decide,
  deniedWhateverArgs,
  isHidden,
  isUnlisted,
  PolicyError,
  parsePolicy,
} from '../../src/policy/index.js';

type Doc = Record<string, unknown>;
type Witness = Partial<Omit<CallFacts, 'tool'>>;

interface Row {
  name: string;
  policy: Doc;
  tool: string;
  denied: boolean;
  /** Whether tools/list leaves the tool out (hide, or hide_denied and denied). */
  unlisted: boolean;
  /** For denied: false, a call decide() does not deny (what makes listing the tool right). */
  witness?: Witness;
}

const deny = (tools: Doc, extra: Doc = {}): Doc => ({ version: '1', default: 'deny', tools, ...extra });

const ROWS: Row[] = [
  // default deny, the issue's example: allow one tool, every other one is left out.
  {
    name: 'default deny, tool not under tools',
    policy: deny({ track_event: {} }),
    tool: 'delete_user',
    denied: true,
    unlisted: true,
  },
  {
    name: 'default deny, the allowed tool',
    policy: deny({ track_event: {} }),
    tool: 'track_event',
    denied: false,
    unlisted: false,
    witness: {},
  },
  {
    name: 'default omitted means deny',
    policy: { version: '1', tools: { a: {} } },
    tool: 'b',
    denied: true,
    unlisted: true,
  },
  {
    name: 'default allow, tool not under tools',
    policy: { version: '1', default: 'allow' },
    tool: 'x',
    denied: false,
    unlisted: false,
    witness: {},
  },
  // explicit denials
  {
    name: 'deny: true',
    policy: { version: '1', default: 'allow', tools: { rm: { deny: true, reason: 'no' } } },
    tool: 'rm',
    denied: true,
    unlisted: true,
  },
  {
    name: 'PolicyLayer action deny',
    policy: { version: '1', default: 'allow', tools: { rm: { action: 'deny', reason: 'no' } } },
    tool: 'rm',
    denied: true,
    unlisted: true,
  },
  {
    name: 'glob entry with deny: true',
    policy: { version: '1', default: 'allow', tools: { 'delete_*': { deny: true } } },
    tool: 'delete_user',
    denied: true,
    unlisted: true,
  },
  {
    name: 'exact allow beats a denying glob',
    policy: { version: '1', tools: { 'delete_*': { deny: true }, delete_draft: {} } },
    tool: 'delete_draft',
    denied: false,
    unlisted: false,
    witness: {},
  },
  {
    name: 'allowing glob under default deny',
    policy: deny({ 'get_*': {} }),
    tool: 'get_issue',
    denied: false,
    unlisted: false,
    witness: {},
  },
  // hide decides first: hidden, not denied, and left out either way
  {
    name: 'hide',
    policy: deny({ a: {} }, { hide: ['secret'] }),
    tool: 'secret',
    denied: false,
    unlisted: true,
  },
  {
    name: 'hide glob over an allowed entry',
    policy: deny({ admin_x: {} }, { hide: ['admin_*'] }),
    tool: 'admin_x',
    denied: false,
    unlisted: true,
  },
  // conditions on arguments: some call may pass, so the tool stays listed
  {
    name: 'require on an argument',
    policy: deny({ refund: { require: [{ path: 'args.reason', op: 'exists' }] } }),
    tool: 'refund',
    denied: false,
    unlisted: false,
    witness: { args: { reason: 'late' } },
  },
  {
    name: 'deny_if on an argument',
    policy: deny({ refund: { deny_if: [{ path: 'args.amount', op: 'gt', value: 100 }] } }),
    tool: 'refund',
    denied: false,
    unlisted: false,
    witness: { args: { amount: 5 } },
  },
  {
    name: 'deny_if on the grant (denied for some callers only)',
    policy: deny({ q: { deny_if: [{ path: 'grant.name', op: 'eq', value: 'intern' }] } }),
    tool: 'q',
    denied: false,
    unlisted: false,
    witness: { grant: { name: 'ops' } },
  },
  {
    name: 'require on a claim',
    policy: deny({ q: { require: [{ path: 'grant.claims.role', op: 'eq', value: 'admin' }] } }),
    tool: 'q',
    denied: false,
    unlisted: false,
    witness: { grant: { name: 'x', claims: { role: 'admin' } } },
  },
  {
    name: 'deny_if on the server',
    policy: deny({ q: { deny_if: [{ path: 'server', op: 'eq', value: 'prod' }] } }),
    tool: 'q',
    denied: false,
    unlisted: false,
    witness: { server: 'staging' },
  },
  {
    name: 'deny_if on the session',
    policy: deny({ q: { deny_if: [{ path: 'session.id', op: 'starts_with', value: 'bad' }] } }),
    tool: 'q',
    denied: false,
    unlisted: false,
    witness: { session: { id: 'good' } },
  },
  // conditions that settle the call for this tool whatever the arguments
  {
    name: 'require on the tool name that never holds',
    policy: deny({ 'db_*': { require: [{ path: 'tool', op: 'eq', value: 'db_read' }] } }),
    tool: 'db_drop',
    denied: true,
    unlisted: true,
  },
  {
    name: 'require on the tool name that holds',
    policy: deny({ 'db_*': { require: [{ path: 'tool', op: 'eq', value: 'db_read' }] } }),
    tool: 'db_read',
    denied: false,
    unlisted: false,
    witness: {},
  },
  {
    name: 'deny_if on the tool name that holds',
    policy: {
      version: '1',
      default: 'allow',
      tools: { '*': { deny_if: [{ path: 'tool', op: 'regex', value: '^(drop|rm)_' }] } },
    },
    tool: 'drop_table',
    denied: true,
    unlisted: true,
  },
  {
    name: 'deny_if on the tool name that does not hold',
    policy: {
      version: '1',
      default: 'allow',
      tools: { '*': { deny_if: [{ path: 'tool', op: 'regex', value: '^(drop|rm)_' }] } },
    },
    tool: 'get_table',
    denied: false,
    unlisted: false,
    witness: {},
  },
  {
    name: 'require in an empty list',
    policy: deny({ q: { require: [{ path: 'args.env', op: 'in', value: [] }] } }),
    tool: 'q',
    denied: true,
    unlisted: true,
  },
  {
    name: 'require not in an empty list (always holds when present... and when missing)',
    policy: deny({ q: { require: [{ not: { path: 'args.env', op: 'in', value: [] } }] } }),
    tool: 'q',
    denied: false,
    unlisted: false,
    witness: {},
  },
  {
    name: 'deny_if any: one part always holds',
    policy: deny({
      'rm_*': {
        deny_if: [
          {
            any: [
              { path: 'args.force', op: 'eq', value: true },
              { path: 'tool', op: 'starts_with', value: 'rm_' },
            ],
          },
        ],
      },
    }),
    tool: 'rm_all',
    denied: true,
    unlisted: true,
  },
  {
    name: 'deny_if all: one part depends on arguments',
    policy: deny({
      'rm_*': {
        deny_if: [
          {
            all: [
              { path: 'args.force', op: 'eq', value: true },
              { path: 'tool', op: 'starts_with', value: 'rm_' },
            ],
          },
        ],
      },
    }),
    tool: 'rm_all',
    denied: false,
    unlisted: false,
    witness: { args: { force: false } },
  },
  {
    name: 'require all: one part never holds',
    policy: deny({
      q: {
        require: [
          {
            all: [
              { path: 'args.x', op: 'exists' },
              { path: 'tool', op: 'eq', value: 'other' },
            ],
          },
        ],
      },
    }),
    tool: 'q',
    denied: true,
    unlisted: true,
  },
  {
    name: 'require any: every part fixed and false',
    policy: deny({
      q: {
        require: [
          {
            any: [
              { path: 'tool', op: 'eq', value: 'a' },
              { path: 'args.x', op: 'in', value: [] },
            ],
          },
        ],
      },
    }),
    tool: 'q',
    denied: true,
    unlisted: true,
  },
  {
    name: 'deny_if not: a tool condition that never holds, negated',
    policy: deny({ q: { deny_if: [{ not: { path: 'tool', op: 'eq', value: 'other' } }] } }),
    tool: 'q',
    denied: true,
    unlisted: true,
  },
  {
    name: 'a tool condition of the wrong type never holds',
    policy: deny({ q: { require: [{ path: 'tool', op: 'gt', value: 5 }] } }),
    tool: 'q',
    denied: true,
    unlisted: true,
  },
  // limits and approval: never hidden (a call may pass), except a sum that can never be counted
  {
    name: 'approval',
    policy: deny({ pay: { approval: {} } }),
    tool: 'pay',
    denied: false,
    unlisted: false,
    witness: {},
  },
  {
    name: 'PolicyLayer require_approval',
    policy: deny({ pay: { action: 'require_approval' } }),
    tool: 'pay',
    denied: false,
    unlisted: false,
    witness: {},
  },
  {
    name: 'PolicyLayer rate_limit',
    policy: deny({ t: { action: 'rate_limit', rate_limit: { max: 1, window: 60 } } }),
    tool: 't',
    denied: false,
    unlisted: false,
    witness: {},
  },
  {
    name: 'spend cap on an argument',
    policy: deny({ pay: { limits: [{ counter: 'spend', window: 'day', max: 100, sum: 'args.amount' }] } }),
    tool: 'pay',
    denied: false,
    unlisted: false,
    witness: { args: { amount: 1 } },
  },
  {
    name: 'spend cap summing the grant name (never a number)',
    policy: deny({ pay: { limits: [{ counter: 'spend', window: 'day', max: 100, sum: 'grant.name' }] } }),
    tool: 'pay',
    denied: true,
    unlisted: true,
  },
  {
    name: 'spend cap summing a claim (may be a number)',
    policy: deny({
      pay: { limits: [{ counter: 'spend', window: 'day', max: 100, sum: 'grant.claims.budget' }] },
    }),
    tool: 'pay',
    denied: false,
    unlisted: false,
    witness: { grant: { name: 'g', claims: { budget: 3 } } },
  },
  // the key itself, and modes that keep denied tools listed
  {
    name: 'hide_denied: false keeps a denied tool listed',
    policy: deny({ a: {} }, { hide_denied: false }),
    tool: 'b',
    denied: true,
    unlisted: false,
  },
  {
    name: 'hide_denied: false still hides what hide names',
    policy: deny({ a: {} }, { hide_denied: false, hide: ['b'] }),
    tool: 'b',
    denied: false,
    unlisted: true,
  },
  {
    name: 'hide_denied: true written out',
    policy: deny({ a: {} }, { hide_denied: true }),
    tool: 'b',
    denied: true,
    unlisted: true,
  },
  {
    name: 'shadow mode lists denied tools (it lets their calls through)',
    policy: deny({ a: {} }, { mode: 'shadow' }),
    tool: 'b',
    denied: true,
    unlisted: false,
  },
  {
    name: 'shadow mode still hides what hide names',
    policy: deny({ a: {} }, { mode: 'shadow', hide: ['b'] }),
    tool: 'b',
    denied: false,
    unlisted: true,
  },
];

/** Calls decide() must deny for a tool denied whatever its arguments. */
function spread(tool: string): CallFacts[] {
  const args = [{}, { x: 1 }, { amount: 5, reason: 'r', env: 'prod' }, { force: true, x: 'a', amount: 0 }];
  const grants = [{ name: 'g' }, { name: 'intern', claims: { role: 'admin', budget: 2 } }];
  const out: CallFacts[] = [];
  for (const a of args)
    for (const grant of grants)
      for (const server of ['demo', 'prod'])
        out.push({ server, tool, args: a, grant, session: { id: `s-${server}` } });
  return out;
}

function witnessCall(tool: string, w: Witness): CallFacts {
  return {
    server: w.server ?? 'demo',
    tool,
    args: w.args ?? {},
    grant: w.grant ?? { name: 'g' },
    session: w.session ?? { id: 's' },
  };
}

describe('deniedWhateverArgs / isUnlisted', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const policy = compilePolicy(row.policy, row.name);
    expect(deniedWhateverArgs(policy, row.tool)).toBe(row.denied);
    expect(isUnlisted(policy, row.tool)).toBe(row.unlisted);
    // The canonical form means the same thing, hide_denied included.
    const again = compilePolicy(canonicalPolicy(policy), `${row.name} (canonical)`);
    expect(deniedWhateverArgs(again, row.tool)).toBe(row.denied);
    expect(isUnlisted(again, row.tool)).toBe(row.unlisted);
    if (row.denied) {
      for (const call of spread(row.tool))
        expect(decide(policy, call).outcome, JSON.stringify(call)).toBe('deny');
    } else if (!isHidden(policy, row.tool)) {
      expect(row.witness, 'a row that is not denied needs a witness').toBeDefined();
      expect(decide(policy, witnessCall(row.tool, row.witness!)).outcome).not.toBe('deny');
    }
  });

  it('a grant with no policy at all lists nothing, and a call says why', () => {
    expect(isUnlisted(DENY_ALL, 'anything')).toBe(true);
    expect(decide(DENY_ALL, witnessCall('anything', {})).reason).toContain('no policy is configured');
  });

  it('answers the same from its cache, per compiled policy', () => {
    const a = compilePolicy(deny({ t: {} }));
    const b = compilePolicy(deny({ t: {} }, { hide_denied: false }));
    for (let i = 0; i < 3; i++) {
      expect(isUnlisted(a, 'u')).toBe(true);
      expect(isUnlisted(b, 'u')).toBe(false);
      expect(isUnlisted(a, 't')).toBe(false);
    }
  });

  it('stays right past the cache bound (a client can name any number of tools)', () => {
    const p = compilePolicy(deny({ 'keep_*': {} }));
    for (let i = 0; i < 10_000; i++) {
      expect(deniedWhateverArgs(p, `${i % 2 ? 'keep' : 'drop'}_${i}`)).toBe(i % 2 === 0);
    }
  });
});

describe('hide_denied in documents', () => {
  it('is accepted in PolicyLayer v1 JSON, and false restores listing', () => {
    const text = JSON.stringify({
      version: '1',
      default: 'deny',
      hide_denied: false,
      tools: { track_event: { action: 'allow' } },
    });
    const p = parsePolicy(text, { file: 'p.json' });
    expect(p.hideDenied).toBe(false);
    expect(isUnlisted(p, 'delete_user')).toBe(false);
    expect(canonicalPolicy(p)).toMatchObject({ hide_denied: false });
  });

  it('defaults to true when the document does not say', () => {
    const p = parsePolicy(
      '{"version": "1", "default": "deny", "tools": {"track_event": {"action": "allow"}}}',
      {
        file: 'p.json',
      },
    );
    expect(p.hideDenied).toBe(true);
    expect(isUnlisted(p, 'delete_user')).toBe(true);
  });

  it('must be a boolean, reported at file:line:column', () => {
    let err: unknown;
    try {
      parsePolicy('version: "1"\ndefault: deny\nhide_denied: "no"\n', { file: 'p.yaml' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).issues).toEqual([
      {
        file: 'p.yaml',
        line: 3,
        column: 14,
        path: 'hide_denied',
        message: 'hide_denied must be true or false, not a string',
      },
    ]);
  });
});
