import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../body.js';
import { writeJson } from '../sinks.js';
import { UNAVAILABLE_RETRY_AFTER_S, unavailableMessage } from '../unavailable.js';
import type { AdminCheck, AdminSessions, LoginResult } from './admin-session.js';
import type { AdminDeps } from './deps.js';
import { ApiError, Router } from './router.js';
import { activityRoutes, STREAMING } from './routes-activity.js';
import { grantRoutes } from './routes-grants.js';
import { serverRoutes } from './routes-servers.js';

export { AdminSessions } from './admin-session.js';
export type { AdminDeps } from './deps.js';
export { ApiError, Router } from './router.js';

const MAX_API_BODY = 1024 * 1024;

const REFUSAL_CODE = { 401: 'unauthorized', 403: 'forbidden', 429: 'too_many_attempts' } as const;

function refusal(
  r: (AdminCheck | LoginResult) & { ok: false },
  extra: Record<string, unknown> = {},
): ApiError {
  return new ApiError(r.status, REFUSAL_CODE[r.status], r.message, {
    ...extra,
    ...(r.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: r.retryAfterSeconds }),
  });
}

/**
 * The admin API (docs/admin-api.md). Returns a request handler that answers /api/* and returns
 * false for anything else. `extraRoutes` lets other concepts (approvals) add their routes.
 */
export function createAdminApi(
  deps: AdminDeps,
  sessions: AdminSessions,
  extraRoutes: ((router: Router) => void)[] = [],
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const router = new Router();
  // The guard below has authenticated the caller before any handler runs, this one included.
  router.on('GET', '/api/session', ({ req }) => ({
    authenticated: true,
    authRequired: true,
    csrf: csrfOf.get(req) ?? null,
  }));
  router.on('POST', '/api/login', async ({ req, body, res }) => {
    const b = (await body()) as { token?: unknown; code?: unknown };
    const result = await sessions.login(req, typeof b === 'object' && b !== null ? b : {});
    if (!result.ok) throw refusal(result);
    res.setHeader('set-cookie', result.cookie);
    res.statusCode = 204;
    return undefined;
  });
  router.on('POST', '/api/logout', ({ req, res }) => {
    res.setHeader('set-cookie', sessions.logout(req));
    res.statusCode = 204;
    return undefined;
  });
  serverRoutes(router, deps);
  grantRoutes(router, deps);
  activityRoutes(router, deps);
  for (const add of extraRoutes) add(router);

  /** The CSRF value of each cookie-authenticated request, for /api/session. */
  const csrfOf = new WeakMap<IncomingMessage, string>();
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://gateway');
    if (!url.pathname.startsWith('/api/') && url.pathname !== '/api') return false;
    const found = router.match(req.method ?? 'GET', url.pathname);
    if (found === undefined) {
      writeJson(res, 404, {
        error: 'not_found',
        message: `no API route ${url.pathname}; see docs/admin-api.md`,
      });
      return true;
    }
    if (found === 'method') {
      writeJson(res, 405, {
        error: 'method_not_allowed',
        message: `${req.method} not allowed on ${url.pathname}`,
      });
      return true;
    }
    let parsed: Promise<unknown> | undefined;
    const body = () => {
      parsed ??= readBody(req, MAX_API_BODY).then((text) => {
        if (text === '') return {};
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new ApiError(400, 'bad_json', 'the request body is not valid JSON');
        }
      });
      return parsed;
    };
    // Every route needs the admin credential, loopback included; login checks its own (token or
    // one-time code) under the same origin rule and throttle.
    const guard: Promise<AdminCheck | undefined> =
      url.pathname === '/api/login' ? Promise.resolve(undefined) : sessions.check(req);
    guard
      .then((check) => {
        if (check && !check.ok) {
          throw refusal(
            check,
            url.pathname === '/api/session' ? { authenticated: false, authRequired: true, csrf: null } : {},
          );
        }
        if (check?.ok && check.csrf) csrfOf.set(req, check.csrf);
        return found.handler({
          req,
          res,
          params: found.params,
          query: url.searchParams,
          body,
          stillAuthorized: () => sessions.stillAuthorized(req),
        });
      })
      .then(
        (result) => {
          if (result === STREAMING || res.headersSent) return;
          if (result === undefined) res.writeHead(res.statusCode === 200 ? 204 : res.statusCode).end();
          else writeJson(res, res.statusCode, result);
        },
        (err: unknown) => {
          if (err instanceof ApiError) {
            if (err.status === 401) res.setHeader('www-authenticate', 'Bearer realm="toolgate-admin"');
            const retry = err.extra.retryAfterSeconds;
            if (typeof retry === 'number') res.setHeader('retry-after', String(retry));
            writeJson(res, err.status, { error: err.code, message: err.message, ...err.extra });
            return;
          }
          const unavailable = unavailableMessage(err);
          if (unavailable) {
            writeJson(
              res,
              503,
              { error: 'unavailable', message: unavailable },
              { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_S) },
            );
            return;
          }
          deps.log.error({ err: (err as Error).message, path: url.pathname }, 'admin API error');
          writeJson(res, 500, { error: 'internal', message: 'internal error; see the gateway log' });
        },
      );
    return true;
  };
}
