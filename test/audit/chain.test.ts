import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toEntry } from '../../src/audit/audit-log.js';
import { hashedContent, recordHash, sealedText } from '../../src/audit/chain.js';
import type { AuditEntry } from '../../src/audit/types.js';
import { canonicalJson } from '../../src/util/canonical-json.js';
import { call } from './audit.suite.js';

/**
 * Records every store already holds are sealed with sha256(prevHash + canonicalJson(content)):
 * the writer's own serializer (`sealedText`) must give that text byte for byte, or every existing
 * chain would stop verifying.
 */
const base: AuditEntry = toEntry(call(1));
const cases: Array<[string, AuditEntry]> = [
  ['a decision with every field', toEntry(call(2, { approver: 'ann', note: 'n', call: 'c-1' }))],
  [
    'a bare record (optional fields absent)',
    { ...base, session: undefined, tool: undefined, args: undefined },
  ],
  ['an outcome record (digest, no arguments)', toEntry(call(3, { decision: 'outcome', args: undefined }))],
  [
    'arguments with integer-like, unicode and escaped keys at depth',
    {
      ...base,
      args: { '10': 1, '9': [true, null, -0, 1e21], é: 'é"\\\n', a: { z: { y: 'x' }, b: 'ü\u2028' } },
    },
  ],
  [
    'text needing escapes in every text field',
    { ...base, reason: '"quoted" \\ \u0001 \u{1F600}', tool: 'é' },
  ],
  ['numbers: fractional latency, large ts', { ...base, latencyMs: 0.1 + 0.2, ts: 8_640_000_000_000_000 }],
  ['fields a database returns as null', { ...base, rule: null, note: null } as unknown as AuditEntry],
  ['arguments that are a string or an array', { ...base, args: ['x', { b: 1, a: 2 }] }],
  ['a member that is not part of the seal', { ...base, extra: 'ignored' } as unknown as AuditEntry],
];

describe('sealedText', () => {
  it.each(cases)('writes canonicalJson(hashedContent(e)) for %s', (_, e) => {
    expect(sealedText(e)).toBe(canonicalJson(hashedContent(e)));
  });

  it('keeps the hash of a record sealed by the earlier writer', () => {
    const e = cases[0]![1];
    const prev = 'f'.repeat(64);
    const earlier = createHash('sha256')
      .update(prev + canonicalJson(hashedContent(e)), 'utf8')
      .digest('hex');
    expect(recordHash(prev, e)).toBe(earlier);
  });
});
