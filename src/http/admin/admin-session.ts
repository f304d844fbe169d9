import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { adminAuthorized } from '../../auth/admin.js';
import { hashToken, tokensEqual } from '../../auth/tokens.js';

const COOKIE = 'tg_admin';
const SESSION_TTL_MS = 12 * 3_600_000;

export type AdminCheck =
  | { ok: true; via: 'bearer' | 'cookie' | 'open'; csrf?: string }
  | { ok: false; status: 401 | 403; message: string };

/**
 * Who may use /api. With an admin token: a bearer header, or a dashboard session cookie (random
 * id, only its hash kept, HttpOnly + SameSite=Strict) whose writes need the CSRF value. Without an
 * admin token: open, but only on a loopback listener.
 */
export class AdminSessions {
  private readonly sessions = new Map<string, { expires: number; csrf: string }>();
  private readonly openCsrf = randomBytes(16).toString('hex');

  constructor(
    private readonly adminHash: string | undefined,
    private readonly loopback: boolean,
  ) {}

  get required(): boolean {
    return this.adminHash !== undefined;
  }

  check(req: IncomingMessage): AdminCheck {
    const write = req.method !== 'GET' && req.method !== 'HEAD';
    if (!this.adminHash) {
      if (!this.loopback) {
        return {
          ok: false,
          status: 403,
          message: 'the admin API needs admin.token_env when not listening on loopback',
        };
      }
      if (write && req.headers['x-toolgate-csrf'] !== this.openCsrf) {
        return {
          ok: false,
          status: 403,
          message: 'missing or wrong X-Toolgate-CSRF header (GET /api/session gives it)',
        };
      }
      return { ok: true, via: 'open', csrf: this.openCsrf };
    }
    if (req.headers.authorization) {
      return adminAuthorized(req.headers.authorization, this.adminHash)
        ? { ok: true, via: 'bearer' }
        : { ok: false, status: 401, message: 'wrong admin token' };
    }
    const id = readCookie(req.headers.cookie, COOKIE);
    const session = id ? this.sessions.get(hashToken(id)) : undefined;
    if (!session || session.expires < Date.now())
      return { ok: false, status: 401, message: 'log in with the admin token' };
    if (write && req.headers['x-toolgate-csrf'] !== session.csrf) {
      return {
        ok: false,
        status: 403,
        message: 'missing or wrong X-Toolgate-CSRF header (GET /api/session gives it)',
      };
    }
    return { ok: true, via: 'cookie', csrf: session.csrf };
  }

  /** Returns a Set-Cookie value for a correct admin token, or undefined. */
  login(token: string): string | undefined {
    if (!this.adminHash || !tokensEqual(hashToken(token), this.adminHash)) return undefined;
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(hashToken(id), {
      expires: Date.now() + SESSION_TTL_MS,
      csrf: randomBytes(16).toString('hex'),
    });
    for (const [k, v] of this.sessions) if (v.expires < Date.now()) this.sessions.delete(k);
    return `${COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}`;
  }

  logout(req: IncomingMessage): string {
    const id = readCookie(req.headers.cookie, COOKIE);
    if (id) this.sessions.delete(hashToken(id));
    return `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}
