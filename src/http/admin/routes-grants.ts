import { generateToken, hashToken } from '../../auth/tokens.js';
import { configGrantHolder, grantNameTaken, parseDurationMs } from '../../config/index.js';
import { isStoreError } from '../../store/index.js';
import type { AdminDeps } from './deps.js';
import { ApiError, type Router } from './router.js';

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

export function grantRoutes(router: Router, deps: AdminDeps): void {
  router.on('GET', '/api/grants', async () => {
    const fromConfig = deps.config().grants.map((g) => ({
      name: g.name,
      servers: g.servers,
      policy: typeof g.policy === 'string' ? g.policy : g.policy ? 'inline' : undefined,
      source: 'config' as const,
    }));
    const stored = (await deps.store.grants.list()).map((g) => ({
      name: g.name,
      servers: g.servers,
      policy: g.policy,
      source: 'store' as const,
      createdAt: g.createdAt,
      expiresAt: g.expiresAt,
      revokedAt: g.revokedAt,
    }));
    return [...fromConfig, ...stored];
  });

  router.on('POST', '/api/grants', async ({ body, res }) => {
    const b = (await body()) as { name?: unknown; servers?: unknown; policy?: unknown; expiresIn?: unknown };
    if (typeof b.name !== 'string' || !NAME.test(b.name)) {
      throw new ApiError(400, 'bad_request', 'name: 1-64 letters, digits, dot, underscore or dash');
    }
    const known = Object.keys(deps.config().servers);
    const servers = Array.isArray(b.servers)
      ? b.servers.filter((s): s is string => typeof s === 'string')
      : [];
    if (servers.length === 0)
      throw new ApiError(400, 'bad_request', `servers: at least one of ${known.join(', ')} (or "*")`);
    const unknown = servers.filter((s) => s !== '*' && !known.includes(s));
    if (unknown.length) throw new ApiError(400, 'unknown_server', `unknown servers: ${unknown.join(', ')}`);
    // One name, one identity: a stored grant must not take a config or JWT grant's name.
    const holder = configGrantHolder(deps.config(), b.name);
    if (holder) throw new ApiError(409, 'grant_exists', grantNameTaken(b.name, holder), { heldBy: holder });
    let expiresAt: number | undefined;
    if (b.expiresIn !== undefined) {
      try {
        expiresAt = Date.now() + parseDurationMs(String(b.expiresIn));
      } catch {
        throw new ApiError(400, 'bad_request', 'expiresIn: a duration like "30d" or "12h"');
      }
    }
    const token = generateToken();
    try {
      const grant = await deps.store.grants.create({
        name: b.name,
        tokenSha256: hashToken(token),
        servers,
        policy: typeof b.policy === 'string' ? b.policy : undefined,
        expiresAt,
      });
      res.statusCode = 201;
      const { tokenSha256: _hidden, ...visible } = grant;
      return { grant: visible, token };
    } catch (err) {
      if (isStoreError(err) && err.code === 'GRANT_EXISTS')
        throw new ApiError(409, 'grant_exists', grantNameTaken(b.name, 'stored'), { heldBy: 'stored' });
      throw err;
    }
  });

  router.on('DELETE', '/api/grants/:name', async ({ params, res }) => {
    const holder = configGrantHolder(deps.config(), params.name!);
    if (holder) {
      const where = holder === 'jwt' ? 'jwt.grants in toolgate.yaml' : 'toolgate.yaml';
      throw new ApiError(
        409,
        'config_grant',
        `grant "${params.name}" is defined in ${where}: remove it there`,
      );
    }
    const ok = await deps.store.grants.revoke(params.name!, Date.now());
    if (!ok) throw new ApiError(404, 'unknown_grant', `no active grant named "${params.name}"`);
    deps.log.info({ grant: params.name }, 'grant revoked through the admin API');
    res.statusCode = 204;
    return undefined;
  });
}
