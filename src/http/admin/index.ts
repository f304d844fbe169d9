import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../body.js';
import { writeJson } from '../sinks.js';
import { UNAVAILABLE_RETRY_AFTER_S, unavailableMessage } from '../unavailable.js';
import type { AdminSessions } from './admin-session.js';
import type { AdminDeps } from './deps.js';
import { ApiError, Router } from './router.js';
import { activityRoutes, STREAMING } from './routes-activity.js';
import { grantRoutes } from './routes-grants.js';
import { serverRoutes } from './routes-servers.js';

export { AdminSessions } from './admin-session.js';
export type { AdminDeps } from './deps.js';
export { ApiError, Router } from './router.js';

const MAX_API_BODY = 1024 * 1024;

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
  router.on('GET', '/api/session', ({ req }) => {
    const check = sessions.check(req);
    return {
      authenticated: check.ok,
      authRequired: sessions.required,
      csrf: check.ok ? (check.csrf ?? null) : null,
    };
  });
  router.on('POST', '/api/login', async ({ body, res }) => {
    const b = (await body()) as { token?: unknown };
    const cookie = typeof b.token === 'string' ? sessions.login(b.token) : undefined;
    if (!cookie) throw new ApiError(401, 'wrong_token', 'wrong admin token');
    res.setHeader('set-cookie', cookie);
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

  const open = new Set(['/api/session', '/api/login', '/api/logout']);
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
    if (!open.has(url.pathname)) {
      const check = sessions.check(req);
      if (!check.ok) {
        writeJson(res, check.status, {
          error: check.status === 401 ? 'unauthorized' : 'forbidden',
          message: check.message,
        });
        return true;
      }
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
    Promise.resolve()
      .then(() => found.handler({ req, res, params: found.params, query: url.searchParams, body }))
      .then(
        (result) => {
          if (result === STREAMING || res.headersSent) return;
          if (result === undefined) res.writeHead(res.statusCode === 200 ? 204 : res.statusCode).end();
          else writeJson(res, res.statusCode, result);
        },
        (err: unknown) => {
          if (err instanceof ApiError) {
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
