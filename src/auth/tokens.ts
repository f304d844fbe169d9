import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Every grant token starts with this, so leaked tokens are easy to spot in logs and by scanners. */
export const TOKEN_PREFIX = 'tg_';
/** 32 random bytes = 256 bits; base64url without padding is 43 characters. */
export const TOKEN_RANDOM_BYTES = 32;
const TOKEN_PATTERN = /^tg_[A-Za-z0-9_-]{43}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A fresh bearer token. Shown to the user once; only `hashToken(token)` is ever stored. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(TOKEN_RANDOM_BYTES).toString('base64url');
}

/** SHA-256 hex of the token. A fast hash is enough: the input has 256 bits of entropy. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Constant-time comparison of two SHA-256 hex digests. Inputs that are not 64 lowercase hex
 * characters never match, but still cost one comparison so timing does not reveal which check failed.
 */
export function tokensEqual(aHex: string, bHex: string): boolean {
  const wellFormed = SHA256_HEX.test(aHex) && SHA256_HEX.test(bHex);
  const a = Buffer.from(wellFormed ? aHex : '0'.repeat(64), 'hex');
  const b = Buffer.from(wellFormed ? bHex : '1'.repeat(64), 'hex');
  return timingSafeEqual(a, b) && wellFormed;
}

/** True when the string has the shape of a toolgate token (used to reject junk early and to redact). */
export function looksLikeToken(s: unknown): s is string {
  return typeof s === 'string' && TOKEN_PATTERN.test(s);
}
