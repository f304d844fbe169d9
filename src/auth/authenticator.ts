import type { GrantConfig } from '../config/index.js';
import { type JwtGrants, looksLikeJwt } from './jwt.js';
import { FailureThrottle, holdBack } from './throttle.js';
import { hashToken, tokensEqual } from './tokens.js';
import type { AuthenticatedGrant, AuthResult } from './types.js';

export interface StoredGrantLookup {
  /** A grant made at run time (CLI/API), by the SHA-256 of its token. */
  findByTokenHash(sha256Hex: string): Promise<
    | {
        name: string;
        tokenSha256: string;
        servers: string[];
        expiresAt?: number;
        revokedAt?: number;
        /** `grants create --policy`: a file path or inline JSON that overrides the server policy. */
        policy?: string;
      }
    | undefined
  >;
}

interface ConfigGrant {
  name: string;
  sha256: string;
  servers: '*' | ReadonlySet<string>;
}

const STORE_CACHE_MS = 500;

/**
 * Turns an Authorization header into a grant. Only token hashes are held; the comparison of the
 * hash is constant-time. Repeated failures from one address are answered ever more slowly, which
 * makes guessing expensive without locking out the real user.
 */
export class Authenticator {
  private readonly byHash = new Map<string, ConfigGrant>();
  /** Store lookups cached briefly: revocation reaches every replica within STORE_CACHE_MS. */
  private readonly storeCache = new Map<
    string,
    { at: number; grant: Awaited<ReturnType<StoredGrantLookup['findByTokenHash']>> }
  >();
  /** Delay only, never a lock-out: an agent sharing an address with a guesser keeps working. */
  private readonly failures: FailureThrottle;
  /** The policy reference of each stored grant, as of its last successful authentication. */
  private readonly storedPolicies = new Map<string, string>();
  /** Names held by toolgate.yaml (grants, jwt.grants): a stored grant with one never authenticates. */
  private readonly configNames: Set<string>;

  constructor(
    private readonly mode: 'tokens' | 'none',
    grants: readonly GrantConfig[],
    env: NodeJS.ProcessEnv,
    private readonly store?: StoredGrantLookup,
    private readonly now: () => number = Date.now,
    private readonly jwt?: JwtGrants,
  ) {
    this.failures = new FailureThrottle({ windowMs: 60_000, freeFailures: 5, maxDelayMs: 3_000 }, now);
    this.configNames = new Set([...grants.map((g) => g.name), ...(jwt?.names ?? [])]);
    for (const g of grants) {
      const token = g.token_env ? env[g.token_env] : undefined;
      const sha256 = g.token_sha256 ?? (token ? hashToken(token) : undefined);
      if (!sha256) {
        throw new Error(
          `grant "${g.name}": environment variable ${g.token_env} is not set; export it or use token_sha256 in toolgate.yaml`,
        );
      }
      this.byHash.set(sha256, {
        name: g.name,
        sha256,
        servers: g.servers.includes('*') ? '*' : new Set(g.servers),
      });
    }
  }

  async authenticate(header: string | undefined, remote: string): Promise<AuthResult> {
    if (this.mode === 'none') return { ok: true, grant: { name: 'local', servers: '*' } };
    const result = await this.check(header);
    if (!result.ok) await holdBack(this.failures.failed(remote));
    else this.failures.succeeded(remote);
    return result;
  }

  private async check(header: string | undefined): Promise<AuthResult> {
    if (!header)
      return {
        ok: false,
        error: 'missing_token',
        message: 'missing bearer token: send Authorization: Bearer <grant token>',
      };
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m)
      return {
        ok: false,
        error: 'invalid_token',
        message: 'malformed Authorization header: expected "Bearer <grant token>"',
      };
    if (this.jwt && looksLikeJwt(m[1]!)) return this.jwt.authenticate(m[1]!);
    const hash = hashToken(m[1]!);
    const fromConfig = this.byHash.get(hash);
    if (fromConfig && tokensEqual(fromConfig.sha256, hash)) {
      return {
        ok: true,
        grant: { name: fromConfig.name, servers: fromConfig.servers } satisfies AuthenticatedGrant,
      };
    }
    const stored = await this.lookupStored(hash);
    if (stored && tokensEqual(stored.tokenSha256, hash)) {
      if (stored.revokedAt !== undefined)
        return { ok: false, error: 'invalid_token', message: `grant "${stored.name}" was revoked` };
      if (stored.expiresAt !== undefined && stored.expiresAt <= this.now()) {
        return { ok: false, error: 'invalid_token', message: `grant "${stored.name}" expired` };
      }
      // Made before the name was added to toolgate.yaml: sharing the name would share that grant's
      // sessions, counters and policy, so the stored one stops working (fail closed).
      if (this.configNames.has(stored.name)) {
        return {
          ok: false,
          error: 'invalid_token',
          message: `stored grant "${stored.name}" has the name of a grant in toolgate.yaml; revoke it and create it under another name`,
        };
      }
      // Fix: a stored grant's own policy (`grants create --policy`, `POST /api/grants` with
      // `policy`) used to be dropped here, so its calls were decided by the server's policy
      // instead. Remember it for the gate (`policyOf`), refreshed on every authentication.
      if (stored.policy) this.storedPolicies.set(stored.name, stored.policy);
      else this.storedPolicies.delete(stored.name);
      return {
        ok: true,
        grant: { name: stored.name, servers: stored.servers.includes('*') ? '*' : new Set(stored.servers) },
      };
    }
    return { ok: false, error: 'invalid_token', message: 'unknown or revoked token' };
  }

  /** The policy reference a stored grant was created with (undefined: the server's policy). */
  policyOf(grant: string): string | undefined {
    return this.storedPolicies.get(grant);
  }

  private async lookupStored(hash: string) {
    if (!this.store) return undefined;
    const now = this.now();
    const hit = this.storeCache.get(hash);
    if (hit && now - hit.at < STORE_CACHE_MS) return hit.grant;
    const grant = await this.store.findByTokenHash(hash);
    if (this.storeCache.size > 10_000) this.storeCache.clear();
    this.storeCache.set(hash, { at: now, grant });
    return grant;
  }
}
