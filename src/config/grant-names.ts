import type { Config } from './schema.js';

/** Who holds a grant name. Sessions, counters and grant policies are keyed by the name alone. */
export type GrantNameHolder = 'config' | 'jwt' | 'stored';

/** The kind of config grant (`grants` or `jwt.grants`) named `name`, if any. */
export function configGrantHolder(
  config: Pick<Config, 'grants' | 'jwt'>,
  name: string,
): 'config' | 'jwt' | undefined {
  if (config.grants.some((g) => g.name === name)) return 'config';
  if (config.jwt?.grants.some((g) => g.name === name)) return 'jwt';
  return undefined;
}

/** Why a new stored grant may not be called `name`, and what to do. */
export function grantNameTaken(name: string, holder: GrantNameHolder): string {
  const by = {
    config: 'a grant in toolgate.yaml (grants)',
    jwt: 'a JWT grant (jwt.grants in toolgate.yaml)',
    stored: 'a stored grant (toolgate grants list; a revoked grant keeps its name)',
  }[holder];
  return `grant name "${name}" is taken by ${by}; pick another name`;
}
