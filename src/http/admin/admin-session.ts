import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AdminCredential } from '../../auth/admin.js';
import { type FailureThrottle, holdBack } from '../../auth/throttle.js';
import { hashToken, tokensEqual } from '../../auth/tokens.js';
import { isOwnOrigin } from '../origin.js';
import { LoginCodes } from './login-codes.js';

const COOKIE = 'tg_admin';
const SESSION_TTL_MS = 12 * 3_600_000;
/** Dashboard sessions kept at most (each needs a correct login); the oldest ends first. */
const MAX_SESSIONS = 1000;
const CSRF_HEADER = 'x-toolgate-csrf';

export type AdminCheck =
  | { ok: true; via: 'bearer' | 'cookie'; csrf?: string }
  | { ok: false; status: 401 | 403 | 429; message: string; retryAfterSeconds?: number };

export type LoginResult =
  | { ok: true; cookie: string }
  | { ok: false; status: 401 | 403 | 429; message: string; retryAfterSeconds?: number };

export interface AdminSessionOptions {
  credential: AdminCredential;
  /** Wrong admin tokens, wrong login tokens and wrong login codes, per client address. */
  throttle: FailureThrottle;
  /** `listen.allowed_origins`: origins besides the gateway's own that may use the API. */
  allowedOrigins(): readonly string[];
  now?: () => number;
}

const NEEDS_CREDENTIAL =
  'the admin API needs the admin token: send Authorization: Bearer <admin token>, or sign in to the ' +
  'dashboard (`toolgate admin token` shows the token or where it comes from)';

/**
 * Who may use /api, loopback included: a bearer admin token (scripts), or a dashboard session
 * cookie (random id, only its hash kept; HttpOnly, SameSite=Strict) from a login with the token or
 * a one-time code. Cookie writes need the session's CSRF value; every browser request must come
 * from the gateway's own origin. Wrong tokens and codes are held back, then refused (429), per
 * address; a locked address is refused before its credential is looked at.
 */
export class AdminSessions {
  private readonly sessions = new Map<string, { expires: number; csrf: string }>();
  readonly codes: LoginCodes;
  private readonly now: () => number;

  constructor(private readonly opts: AdminSessionOptions) {
    this.now = opts.now ?? Date.now;
    this.codes = new LoginCodes(this.now);
    // A new token ends everything the old one opened.
    opts.credential.onRotate(() => {
      this.sessions.clear();
      this.codes.clear();
    });
  }

  async check(req: IncomingMessage): Promise<AdminCheck> {
    const foreign = this.foreignOrigin(req);
    if (foreign) return foreign;
    this.opts.credential.refresh();
    const remote = req.socket.remoteAddress ?? '';
    if (req.headers.authorization !== undefined) {
      const locked = this.locked(remote);
      if (locked) return locked;
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization);
      if (m && this.opts.credential.matches(m[1]!)) {
        this.opts.throttle.succeeded(remote);
        return { ok: true, via: 'bearer' };
      }
      await holdBack(this.opts.throttle.failed(remote));
      return { ok: false, status: 401, message: 'wrong admin token' };
    }
    const session = this.session(req);
    if (!session) return { ok: false, status: 401, message: NEEDS_CREDENTIAL };
    const write = req.method !== 'GET' && req.method !== 'HEAD';
    const sent = req.headers[CSRF_HEADER];
    if (write && !(typeof sent === 'string' && tokensEqual(hashToken(sent), hashToken(session.csrf)))) {
      return {
        ok: false,
        status: 403,
        message: 'missing or wrong X-Toolgate-CSRF header (GET /api/session gives it)',
      };
    }
    return { ok: true, via: 'cookie', csrf: session.csrf };
  }

  /** `POST /api/login` with `{token}` or `{code}`: a session cookie, or why not. */
  async login(req: IncomingMessage, body: { token?: unknown; code?: unknown }): Promise<LoginResult> {
    const foreign = this.foreignOrigin(req);
    if (foreign) return foreign;
    if (typeof body.token !== 'string' && typeof body.code !== 'string') {
      return {
        ok: false,
        status: 401,
        message: 'send {"token": "<admin token>"} or {"code": "<login link code>"}',
      };
    }
    const remote = req.socket.remoteAddress ?? '';
    const locked = this.locked(remote);
    if (locked) return locked;
    let ok = false;
    if (typeof body.token === 'string') ok = this.opts.credential.matches(body.token.trim());
    else if (typeof body.code === 'string') ok = this.codes.redeem(body.code);
    if (!ok) {
      await holdBack(this.opts.throttle.failed(remote));
      return {
        ok: false,
        status: 401,
        message:
          typeof body.code === 'string'
            ? 'this login link was used already or has expired; sign in with the admin token (`toolgate admin token` shows it)'
            : 'wrong admin token',
      };
    }
    this.opts.throttle.succeeded(remote);
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    for (const [k, v] of this.sessions) if (v.expires < now) this.sessions.delete(k);
    for (const k of this.sessions.keys()) {
      if (this.sessions.size < MAX_SESSIONS) break;
      this.sessions.delete(k);
    }
    this.sessions.set(hashToken(id), {
      expires: now + SESSION_TTL_MS,
      csrf: randomBytes(16).toString('hex'),
    });
    return {
      ok: true,
      cookie: `${COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${SESSION_TTL_MS / 1000}`,
    };
  }

  /**
   * Does the credential the request was let in with still hold? A logout counts at once; a
   * rotation of the token file within a second (the file is looked at once a second at most).
   */
  stillAuthorized(req: IncomingMessage): boolean {
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      return m !== null && this.opts.credential.matches(m[1]!, 1000);
    }
    this.opts.credential.refresh(1000);
    return this.session(req) !== undefined;
  }

  /** Ends the request's dashboard session (the caller has checked it, CSRF included). */
  logout(req: IncomingMessage): string {
    const id = readCookie(req.headers.cookie, COOKIE);
    if (id) this.sessions.delete(hashToken(id));
    return `${COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`;
  }

  private session(req: IncomingMessage) {
    const id = readCookie(req.headers.cookie, COOKIE);
    if (!id) return undefined;
    const key = hashToken(id);
    const s = this.sessions.get(key);
    if (s && s.expires < this.now()) this.sessions.delete(key);
    return s && s.expires >= this.now() ? s : undefined;
  }

  private foreignOrigin(req: IncomingMessage): (AdminCheck & { ok: false }) | undefined {
    if (isOwnOrigin(req, this.opts.allowedOrigins())) return undefined;
    return {
      ok: false,
      status: 403,
      message: `Origin "${req.headers.origin}" is not this gateway's; add it to listen.allowed_origins if it should use the admin API`,
    };
  }

  private locked(remote: string): (AdminCheck & { ok: false }) | undefined {
    const v = this.opts.throttle.verdict(remote);
    if (!v.refused) return undefined;
    return {
      ok: false,
      status: 429,
      message: `too many wrong admin tokens from this address; retry in ${v.retryAfterSeconds} s`,
      retryAfterSeconds: v.retryAfterSeconds,
    };
  }
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}
