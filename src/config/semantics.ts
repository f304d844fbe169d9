import { ConfigError, type ConfigIssue } from './errors.js';
import type { LoadedConfig } from './load.js';

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/**
 * Rules that need the whole file: grants naming unknown servers, and `auth: none` off loopback
 * (serving without tokens is only safe for one person on their own machine).
 */
export function validateConfigSemantics(loaded: LoadedConfig): void {
  const { config, file } = loaded;
  const issues: ConfigIssue[] = [];
  const where = (path: string) =>
    loaded.locate?.(path.split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p))) ?? { line: 0, column: 0 };
  const at = (path: string, message: string) => issues.push({ file, ...where(path), path, message });
  if (config.auth.mode === 'none' && !isLoopbackHost(config.listen.host)) {
    at(
      'auth.mode',
      `auth mode "none" serves without tokens and is only allowed on a loopback address; listen.host is ${config.listen.host}`,
    );
  }
  if (Object.keys(config.servers).length === 0) at('servers', 'configure at least one server');
  // A grant name is one identity: sessions, counters and policy are keyed by it, so a config
  // grant and a JWT grant (or two of either) may not share one.
  const names = new Map<string, string>();
  const claim = (name: string, path: string) => {
    const first = names.get(name);
    if (first !== undefined) {
      at(
        path,
        `grant name "${name}" is already used by ${first} (line ${where(first).line}); grant names must be unique across grants and jwt.grants`,
      );
    } else names.set(name, path);
  };
  config.grants.forEach((g, i) => {
    claim(g.name, `grants.${i}.name`);
    for (const s of g.servers) {
      if (s !== '*' && !(s in config.servers)) at(`grants.${i}.servers`, `unknown server "${s}"`);
    }
  });
  config.jwt?.grants.forEach((g, i) => {
    claim(g.name, `jwt.grants.${i}.name`);
    for (const s of g.servers) {
      if (s !== '*' && !(s in config.servers)) at(`jwt.grants.${i}.servers`, `unknown server "${s}"`);
    }
  });
  if (issues.length) throw new ConfigError(issues);
}
