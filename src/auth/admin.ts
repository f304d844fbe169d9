import { ensureAdminTokenFile, fileVersion, readAdminTokenFile } from './admin-token.js';
import { hashToken, tokensEqual } from './tokens.js';

/** Where the admin token comes from; never the token itself. */
export type AdminTokenSource =
  | { kind: 'env'; name: string }
  | { kind: 'sha256' }
  /** Made by the gateway (no admin.token_env): `created` is true on the start that wrote it. */
  | { kind: 'file'; file: string; created: boolean };

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

/**
 * The admin token, as its hash only. There is always one: configured (`admin.token_env`,
 * `admin.token_sha256`) or made by the gateway in `file` on first start. A generated token is
 * re-read when its file changes; the change (a rotation) is announced so dashboard sessions end.
 */
export class AdminCredential {
  private version: string | undefined;
  private refreshedAt = 0;
  private readonly rotated: (() => void)[] = [];

  private constructor(
    readonly source: AdminTokenSource,
    private hash: string,
    private readonly warn: (message: string) => void,
  ) {
    if (source.kind === 'file') this.version = fileVersion(source.file);
  }

  /** Reads or creates the token; throws (with what to do) when the configured one is unusable. */
  static open(
    admin: { token_env?: string; token_sha256?: string },
    env: NodeJS.ProcessEnv,
    file: string,
    warn: (message: string) => void = () => {},
  ): AdminCredential {
    const configured = adminTokenHash(admin, env);
    if (configured !== undefined) {
      const source: AdminTokenSource = admin.token_sha256
        ? { kind: 'sha256' }
        : { kind: 'env', name: admin.token_env ?? '' };
      return new AdminCredential(source, configured, warn);
    }
    const { token, created } = ensureAdminTokenFile(file);
    return new AdminCredential({ kind: 'file', file, created }, hashToken(token), warn);
  }

  /** Constant-time comparison of the token's hash with the admin token's. */
  matches(token: string, fileMaxAgeMs = 0): boolean {
    this.refresh(fileMaxAgeMs);
    return tokensEqual(hashToken(token), this.hash);
  }

  onRotate(fn: () => void): void {
    this.rotated.push(fn);
  }

  /**
   * A stat per call (admin requests are few): a rotation applies to the very next request. A file
   * that became unreadable, open to others or malformed keeps the last good token and is reported.
   * `maxAgeMs` skips the look when the last one is younger (a stream checking on every write).
   */
  refresh(maxAgeMs = 0): void {
    if (this.source.kind !== 'file') return;
    const now = Date.now();
    if (maxAgeMs > 0 && now - this.refreshedAt < maxAgeMs) return;
    this.refreshedAt = now;
    const version = fileVersion(this.source.file);
    if (version === this.version) return;
    this.version = version;
    let next: string;
    try {
      next = hashToken(readAdminTokenFile(this.source.file));
    } catch (err) {
      this.warn(`${(err as Error).message}; the admin token in use is unchanged`);
      return;
    }
    if (next === this.hash) return;
    this.hash = next;
    for (const fn of this.rotated) fn();
  }
}
