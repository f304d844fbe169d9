import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** Thrown for a command line we cannot act on; main() prints it with the usage and exits 2. */
export class UsageError extends Error {}

/** The config file: --config, then $TOOLGATE_CONFIG, then ./toolgate.yaml. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(flag ?? env.TOOLGATE_CONFIG ?? 'toolgate.yaml');
}

export function requireConfigFile(path: string): string {
  if (!existsSync(path)) {
    throw new UsageError(
      `no config file at ${path}. Create one with \`toolgate init\`, copy examples/toolgate.yaml, or pass --config FILE.`,
    );
  }
  return path;
}
