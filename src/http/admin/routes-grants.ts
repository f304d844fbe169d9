import { resolve } from 'node:path';
import { generateToken, hashToken } from '../../auth/tokens.js';
import { configGrantHolder, grantNameTaken, parseDurationMs } from '../../config/index.js';
import { isInlinePolicy, loadPolicyFile, PolicyError, parseInlinePolicy } from '../../policy/index.js';
import { isStoreError } from '../../store/index.js';
import type { AdminDeps } from './deps.js';
import { policyStateJson } from './policy-state.js';
import { ApiError, type Router } from './router.js';

const NAME = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * A grant's policy must load before the grant exists: a stored reference that cannot be loaded
 * would deny every call of the grant. A relative path is made absolute (the gateway's working
 * folder) so the stored grant does not depend on where the gateway is started next.
 */
function checkedPolicy(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string')
    throw new ApiError(
      400,
      'bad_request',
      'policy: a policy file path, or a JSON policy document as a string',
    );
  const ref = isInlinePolicy(value) ? value : resolve(value);
  try {
    if (isInlinePolicy(ref)) parseInlinePolicy(ref);
    else loadPolicyFile(ref);
  } catch (err) {
    const issues =
      err instanceof PolicyError
        ? err.issues.map(({ line, column, path, message }) => ({ line, column, path, message }))
        : [{ line: 0, column: 0, path: '', message: (err as Error).message }];
    throw new ApiError(
      400,
      'invalid_policy',
      `the policy cannot be loaded; no grant was created: ${(err as Error).message}`,
      {
        issues,
      },
    );
  }
  return ref;
}

export function grantRoutes(router: Router, deps: AdminDeps): void {
  router.on('GET', '/api/grants', async () => {
    const fromConfig = deps.config().grants.map((g) => ({
      name: g.name,
      servers: g.servers,
      policy: typeof g.policy === 'string' ? g.policy : g.policy ? 'inline' : undefined,
      policyState:
        typeof g.policy === 'string' ? policyStateJson(deps.policies.refStatus(g.policy)) : undefined,
      source: 'config' as const,
    }));
    const stored = (await deps.store.grants.list()).map((g) => ({
      name: g.name,
      servers: g.servers,
      policy: g.policy,
      // Whether the policy loads: a broken one denies every call of the grant (see docs/admin-api.md).
      policyState: g.policy ? policyStateJson(deps.policies.refStatus(g.policy)) : undefined,
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
    const policy = checkedPolicy(b.policy);
    const token = generateToken();
    try {
      const grant = await deps.store.grants.create({
        name: b.name,
        tokenSha256: hashToken(token),
        servers,
        policy,
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
