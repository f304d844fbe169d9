import { type FSWatcher, watch } from 'node:fs';
import type { Logger } from 'pino';
import { type Config, ConfigError, loadConfigFile, validateConfigSemantics } from '../config/index.js';
import { PolicyError } from '../policy/index.js';

/**
 * Watches toolgate.yaml. A valid edit is handed to `apply` (sessions stay up); an invalid one is
 * logged with file:line and the last good config keeps serving. Settings that only take effect
 * at start (listen, storage, counters, telemetry, health, audit) are reported as needing a restart.
 */
export function watchConfig(
  file: string,
  env: NodeJS.ProcessEnv,
  current: () => Config,
  apply: (next: Config) => void,
  log: Logger,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  const reload = () => {
    try {
      const loaded = loadConfigFile(file, env);
      validateConfigSemantics(loaded);
      const before = current();
      for (const key of [
        'listen',
        'storage',
        'counters',
        'auth',
        'admin',
        'telemetry',
        'health',
        'audit',
      ] as const) {
        if (JSON.stringify(before[key]) !== JSON.stringify(loaded.config[key])) {
          log.warn({ file, setting: key }, `config: a change to "${key}" takes effect after a restart`);
        }
      }
      apply(loaded.config);
      log.info({ file }, 'config reloaded');
    } catch (err) {
      const detail =
        err instanceof ConfigError || err instanceof PolicyError ? err.message : (err as Error).message;
      log.error(
        { file, error: detail },
        `config file is invalid; still serving the last good config:\n${detail}`,
      );
    }
    rewatch();
  };
  const rewatch = () => {
    watcher?.close();
    try {
      watcher = watch(file, { persistent: false }, () => {
        clearTimeout(timer);
        timer = setTimeout(reload, 100);
      });
    } catch (err) {
      log.warn({ file, err: (err as Error).message }, 'cannot watch the config file; edits need a restart');
    }
  };
  rewatch();
  return () => {
    clearTimeout(timer);
    watcher?.close();
  };
}
