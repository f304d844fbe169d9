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
  const at = (path: string, message: string) => issues.push({ file, line: 0, column: 0, path, message });
  if (config.auth.mode === 'none' && !isLoopbackHost(config.listen.host)) {
    at(
      'auth.mode',
      `auth mode "none" serves without tokens and is only allowed on a loopback address; listen.host is ${config.listen.host}`,
    );
  }
  if (Object.keys(config.servers).length === 0) at('servers', 'configure at least one server');
  const names = new Set<string>();
  config.grants.forEach((g, i) => {
    if (names.has(g.name)) at(`grants.${i}.name`, `grant name "${g.name}" is used twice`);
    names.add(g.name);
    for (const s of g.servers) {
      if (s !== '*' && !(s in config.servers)) at(`grants.${i}.servers`, `unknown server "${s}"`);
    }
  });
  config.jwt?.grants.forEach((g, i) => {
    if (names.has(g.name)) at(`jwt.grants.${i}.name`, `grant name "${g.name}" is used twice`);
    names.add(g.name);
    for (const s of g.servers) {
      if (s !== '*' && !(s in config.servers)) at(`jwt.grants.${i}.servers`, `unknown server "${s}"`);
    }
  });
  if (issues.length) throw new ConfigError(issues);
}
