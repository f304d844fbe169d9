import type { Config } from '../config/index.js';
import type { AuthenticatedGrant, AuthResult } from './types.js';

type JwtConfig = NonNullable<Config['jwt']>;
type ClaimRule = JwtConfig['grants'][number]['claims'][string];

/** Three base64url parts: worth asking the JOSE library about; anything else is an opaque token. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
}

function claimMatches(actual: unknown, rule: ClaimRule): boolean {
  const wanted = Array.isArray(rule) ? rule : [rule];
  const have = Array.isArray(actual) ? actual : [actual];
  return wanted.some((w) => have.some((h) => h === w));
}

/**
 * Grants from the user's identity provider. The token is verified with `jose` against the
 * provider's JWKS (fetched and cached by jose, refreshed when a new key id appears), then mapped
 * to the first grant whose claim rules all hold. Its claims reach policies as `grant.claims.*`.
 */
export class JwtGrants {
  private verifier?: Promise<(token: string) => Promise<Record<string, unknown>>>;

  constructor(private readonly cfg: JwtConfig) {}

  /** The names of the grants a JWT can become. */
  get names(): string[] {
    return this.cfg.grants.map((g) => g.name);
  }

  async authenticate(token: string): Promise<AuthResult> {
    let claims: Record<string, unknown>;
    try {
      claims = await (await this.load())(token);
    } catch (err) {
      return { ok: false, error: 'invalid_token', message: `JWT rejected: ${jwtReason(err)}` };
    }
    for (const g of this.cfg.grants) {
      if (Object.entries(g.claims).every(([k, rule]) => claimMatches(claims[k], rule))) {
        const grant: AuthenticatedGrant = {
          name: g.name,
          servers: g.servers.includes('*') ? '*' : new Set(g.servers),
          claims,
        };
        return { ok: true, grant };
      }
    }
    return {
      ok: false,
      error: 'invalid_token',
      message: 'the JWT is valid but no grant in jwt.grants matches its claims',
    };
  }

  private load() {
    // jose is loaded on first use: deployments without OIDC never load it.
    this.verifier ??= import('jose').then(({ createRemoteJWKSet, jwtVerify }) => {
      const keys = createRemoteJWKSet(new URL(this.cfg.jwks_url), {
        timeoutDuration: 5000,
        cooldownDuration: 30_000,
      });
      return async (token: string) => {
        const { payload } = await jwtVerify(token, keys, {
          issuer: this.cfg.issuer,
          audience: this.cfg.audience,
          clockTolerance: Math.round(this.cfg.clock_tolerance / 1000),
        });
        return payload as Record<string, unknown>;
      };
    });
    return this.verifier;
  }
}

/** jose's errors, in words a user can act on (never the token itself). */
function jwtReason(err: unknown): string {
  const code = (err as { code?: string }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return `claim check failed (${(err as { claim?: string }).claim ?? 'claim'}: ${(err as Error).message})`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature does not verify';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'no key in the JWKS matches the token';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JOSE_GENERIC':
      return `could not fetch the JWKS: ${(err as Error).message}`;
    default:
      return code ? `${code}: ${(err as Error).message}` : (err as Error).message;
  }
}
