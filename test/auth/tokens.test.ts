import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateToken,
  hashToken,
  looksLikeToken,
  TOKEN_PREFIX,
  tokensEqual,
} from '../../src/auth/tokens.js';

describe('tokens', () => {
  it('have the tg_ prefix and 256 bits of base64url randomness', () => {
    const t = generateToken();
    expect(t.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(t).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(t.slice(3), 'base64url')).toHaveLength(32);
  });

  it('do not repeat and use the whole alphabet', () => {
    const tokens = new Set(Array.from({ length: 2000 }, generateToken));
    expect(tokens.size).toBe(2000);
    const chars = new Set([...tokens].flatMap((t) => [...t.slice(3)]));
    expect(chars.size).toBe(64);
  });

  it('hash to lowercase SHA-256 hex of the whole token', () => {
    const t = generateToken();
    expect(hashToken(t)).toBe(createHash('sha256').update(t).digest('hex'));
    expect(hashToken(t)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(t)).not.toBe(hashToken(generateToken()));
  });

  it('compare digests in constant time, rejecting malformed input', () => {
    const a = hashToken('tg_a');
    const b = hashToken('tg_b');
    expect(tokensEqual(a, a)).toBe(true);
    expect(tokensEqual(a, b)).toBe(false);
    expect(tokensEqual(a, a.slice(0, 63))).toBe(false);
    expect(tokensEqual(a, `${a}00`)).toBe(false);
    expect(tokensEqual(a.toUpperCase(), a.toUpperCase())).toBe(false);
    expect(tokensEqual('', '')).toBe(false);
    expect(tokensEqual('z'.repeat(64), 'z'.repeat(64))).toBe(false);
  });

  it('recognise their own shape', () => {
    expect(looksLikeToken(generateToken())).toBe(true);
    expect(looksLikeToken('tg_short')).toBe(false);
    expect(looksLikeToken(`tg_${'a'.repeat(44)}`)).toBe(false);
    expect(looksLikeToken(`xx_${'a'.repeat(43)}`)).toBe(false);
    expect(looksLikeToken(`tg_${'a'.repeat(42)}=`)).toBe(false);
    expect(looksLikeToken(42)).toBe(false);
  });
});
