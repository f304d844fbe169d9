// What authenticating a request yields: the grant a token stands for. The auth concept owns these
// types; the front ends (HTTP, stdio) consume them.

export interface AuthenticatedGrant {
  name: string;
  /** Server names this grant may reach, or '*' for all. */
  servers: '*' | ReadonlySet<string>;
  claims?: Record<string, unknown>;
}

export type AuthResult =
  | { ok: true; grant: AuthenticatedGrant }
  | { ok: false; error: 'missing_token' | 'invalid_token'; message: string };
