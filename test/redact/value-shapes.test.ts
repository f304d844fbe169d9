/**
 * Secret value shapes inside text, wherever they are: each shape in a sentence is masked with a
 * mask that says what it was, the text around it is kept, masking twice changes nothing, and the
 * near misses (ordinary words, short hex ids, URLs without a password) are left alone.
 */
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../src/redact/index.js';

const r = new Redactor();
const TG = `tg_${'A1b2C3d4'.repeat(5)}xyz`;
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const PEM = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn\n-----END RSA PRIVATE KEY-----';

/** [what, input, expected]: each secret sits in the middle of ordinary text. */
const SHAPES: [string, string, string][] = [
  [
    'toolgate token in a sentence',
    `my token is ${TG}, thanks`,
    'my token is [REDACTED:toolgate-token], thanks',
  ],
  ['Bearer header as text', 'Authorization: Bearer SECRET-hdr-16', 'Authorization: Bearer [REDACTED]'],
  ['Basic header as text', 'authorization: Basic dXNlcjpwYXNzd29yZA==', 'authorization: Basic [REDACTED]'],
  ['Bearer alone in prose', 'send Bearer abcdef123456 to it', 'send Bearer [REDACTED] to it'],
  [
    'curl header',
    'curl -H "Authorization: Token abc123def" x',
    'curl -H "Authorization: Token [REDACTED]" x',
  ],
  ['JWT', `id ${JWT} end`, 'id [REDACTED:jwt] end'],
  ['unsigned JWT', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.', '[REDACTED:jwt]'],
  [
    'URL password',
    'see https://user:SECRET-urlpw-18@example.com/x?y=1',
    'see https://user:[REDACTED]@example.com/x?y=1',
  ],
  ['database URL', 'postgres://app:pw@db:5432/x', 'postgres://app:[REDACTED]@db:5432/x'],
  ['Anthropic key', `k=sk-ant-api03-${'x9'.repeat(20)} ok`, 'k=[REDACTED:anthropic-key] ok'],
  ['OpenAI key', `sk-proj-${'Ab1'.repeat(10)}`, '[REDACTED:openai-key]'],
  ['OpenAI legacy key', `use sk-${'a1'.repeat(24)}.`, 'use [REDACTED:openai-key].'],
  ['GitHub PAT', `ghp_${'a1B2'.repeat(9)} x`, '[REDACTED:github-token] x'],
  ['GitHub OAuth token', `gho_${'a1B2'.repeat(9)}`, '[REDACTED:github-token]'],
  ['GitHub app token', `ghs_${'a1B2'.repeat(9)}`, '[REDACTED:github-token]'],
  ['GitHub fine-grained PAT', `github_pat_11ABCDEFG0_${'x'.repeat(40)}`, '[REDACTED:github-token]'],
  ['Slack bot token', 'xoxb-1234567890-0987654321-abcdefABCDEF', '[REDACTED:slack-token]'],
  ['Slack user token', 'token xoxp-1234-5678-abcdef', 'token [REDACTED:slack-token]'],
  ['AWS access key id', 'key AKIAIOSFODNN7EXAMPLE here', 'key [REDACTED:aws-access-key-id] here'],
  ['AWS session key id', 'ASIAIOSFODNN7EXAMPLE', '[REDACTED:aws-access-key-id]'],
  ['GitLab token', `glpat-${'x1'.repeat(10)}`, '[REDACTED:gitlab-token]'],
  ['Google API key', `AIza${'S'.repeat(20)}-${'y'.repeat(14)}`, '[REDACTED:google-api-key]'],
  ['Stripe key', `sk_live_${'4eC39HqLyjWDarjtT1zdp7dc'}`, '[REDACTED:stripe-key]'],
  ['npm token', `npm_${'a'.repeat(36)}`, '[REDACTED:npm-token]'],
  ['PEM private key', `key:\n${PEM}\nafter`, 'key:\n[REDACTED:private-key]\nafter'],
  ['truncated PEM private key', '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkq', '[REDACTED:private-key]'],
  [
    'PEM in JSON text',
    '{"k":"-----BEGIN EC PRIVATE KEY-----\\nMHcC\\n-----END EC PRIVATE KEY-----"}',
    '{"k":"[REDACTED:private-key]"}',
  ],
  ['query string', 'GET /x?password=hunter2&user=bob', 'GET /x?password=[REDACTED]&user=bob'],
  ['env assignment', 'export DB_PASSWD=s3cr3t', 'export DB_PASSWD=[REDACTED]'],
  ['YAML-ish', "pwd: 'abc def'", "pwd: '[REDACTED]'"],
  ['JSON text', '{"password": "correct horse", "user": "x"}', '{"password": "[REDACTED]", "user": "x"}'],
  ['escaped JSON text', '{\\"api_key\\":\\"k 1\\",\\"a\\":1}', '{\\"api_key\\":\\"[REDACTED]\\",\\"a\\":1}'],
  ['quoted value with an escaped quote', '"secret": "a\\"b c", "n": 1', '"secret": "[REDACTED]", "n": 1'],
  ['cookie header', 'Cookie: sid=abc123; theme=dark', 'Cookie: [REDACTED]; theme=dark'],
  ['private_key=', 'private_key=MIIEvQ', 'private_key=[REDACTED]'],
];

/** Text that must come out unchanged. */
const NEAR_MISSES = [
  'an ordinary sentence about tokens, passwords and secrets',
  'a bearer of news',
  'Basic information here',
  'short hex id deadbeef and 3f786850e387550fdab836ed7e6dc881de23001b',
  'uuid 123e4567-e89b-12d3-a456-426614174000',
  'task-force sk-short sk-',
  'tg_short tg_',
  'eyJ alone, eyJhbGci without dots',
  'akiaiosfodnn7example and AKIAIOSFODNN7EXAMPLEX (21 chars)',
  'http://localhost:8080/path and https://example.com/a@b',
  'ssh://git@github.com/org/repo and https://user@example.com/',
  'bob@example.com, mailto:bob@example.com',
  'note: hello there; ratio 1:2; max_tokens: 100; author: Ann',
  'password reset requested',
  'the key is in the drawer',
  '-----BEGIN PUBLIC KEY-----\nMIIBIjAN\n-----END PUBLIC KEY-----',
  'ghp_short xoxb- glpat-short AIzaShort',
  'x'.repeat(5000),
];

describe('secret shapes in text', () => {
  it.each(SHAPES)('masks a %s', (_what, input, expected) => {
    const out = r.text(input);
    expect(out).toBe(expected);
    expect(r.text(out)).toBe(out); // masking a masked string changes nothing
  });

  it.each(NEAR_MISSES.map((s) => [s.slice(0, 60), s]))('leaves alone: %s', (_label, input) => {
    expect(r.text(input)).toBe(input);
  });

  it('masks every shape when they all share one string, and keeps the words between them', () => {
    // A PEM block without its END line masks to the end of the string, so it is not in this mix.
    const mixed = SHAPES.filter(([what]) => !what.startsWith('truncated'));
    const out = r.text(mixed.map(([, input]) => input).join(' | '));
    expect(out).toBe(mixed.map(([, , expected]) => expected).join(' | '));
    expect(r.text(out)).toBe(out);
  });

  it('masks the shapes in member names too, without losing a member', () => {
    const out = r.value({ [TG]: 1, [`${TG}2`]: 2, plain: 3 }) as Record<string, unknown>;
    expect(Object.keys(out)).toHaveLength(3);
    expect(JSON.stringify(out)).not.toContain(TG);
    expect(out).toEqual({ '[REDACTED:toolgate-token]': 1, '[REDACTED:toolgate-token]#2': 2, plain: 3 });
  });
});

describe('configured patterns (audit.redact.patterns)', () => {
  it('masks every match, with flags, and leaves the rest', () => {
    const c = new Redactor({ patterns: ['ACME-[0-9]{6}', { regex: 'internal-[a-z]+', flags: 'i' }] });
    expect(c.text('ids ACME-123456 and INTERNAL-Thing, ACME-12')).toBe(
      'ids [REDACTED] and [REDACTED], ACME-12',
    );
  });

  it('finds a match anywhere in a string longer than one pattern window', () => {
    const c = new Redactor({ patterns: ['ACME-[0-9]{6}'] });
    for (const at of [0, 2047, 2048, 4090, 20_000, 39_990]) {
      const s = `${'a'.repeat(at)}ACME-123456${'b'.repeat(40_000 - at)}`;
      const out = c.text(s);
      expect(out).not.toContain('ACME-123456');
      expect(out.length).toBe(s.length - 'ACME-123456'.length + '[REDACTED]'.length);
    }
  });

  it('refuses a pattern that does not compile or matches the empty string', () => {
    expect(() => new Redactor({ patterns: ['('] })).toThrow(/invalid regex/);
    expect(() => new Redactor({ patterns: ['a*'] })).toThrow(/empty string/);
    expect(() => new Redactor({ patterns: [{ regex: 'a', flags: 'g' }] })).toThrow(/flags/);
  });
});
