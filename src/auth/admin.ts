import { hashToken, tokensEqual } from './tokens.js';

/** The SHA-256 of the admin token from `admin.token_env` or `admin.token_sha256`, if configured. */
export function adminTokenHash(
  admin: { token_env?: string; token_sha256?: string },
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (admin.token_sha256) return admin.token_sha256.toLowerCase();
  const token = admin.token_env ? env[admin.token_env] : undefined;
  if (admin.token_env && !token) {
    throw new Error(
      `admin.token_env names ${admin.token_env}, which is not set; export it or remove admin.token_env`,
    );
  }
  return token ? hashToken(token) : undefined;
}

/** Constant-time check of an `Authorization: Bearer` header against the admin token hash. */
export function adminAuthorized(header: string | undefined, expectedHash: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? tokensEqual(hashToken(m[1]!), expectedHash) : false;
}
