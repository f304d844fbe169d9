import { randomBytes } from 'node:crypto';
import { hashToken } from '../../auth/tokens.js';

/** How long a printed login link works. */
export const LOGIN_CODE_TTL_MS = 15 * 60_000;
/** Outstanding codes kept at most; the oldest is dropped first. */
const MAX_CODES = 16;

/**
 * One-time login codes for the link `toolgate serve` prints (`/#login=<code>`). A code is random
 * (256 bits), kept only as its hash, works once and for 15 minutes, so the printed link is no
 * reusable secret in a terminal's scrollback or a log. It lives in the fragment: browsers never
 * send it in a request line, a Referer or to a link previewer; the dashboard posts it to
 * `/api/login`, which trades it for a session cookie.
 */
export class LoginCodes {
  private readonly codes = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(): string {
    const code = randomBytes(32).toString('base64url');
    this.codes.set(hashToken(code), this.now() + LOGIN_CODE_TTL_MS);
    for (const k of this.codes.keys()) {
      if (this.codes.size <= MAX_CODES) break;
      this.codes.delete(k);
    }
    return code;
  }

  /** True once for a live code; the code is spent whatever the answer. */
  redeem(code: string): boolean {
    const key = hashToken(code);
    const expires = this.codes.get(key);
    this.codes.delete(key);
    return expires !== undefined && expires > this.now();
  }

  clear(): void {
    this.codes.clear();
  }
}
