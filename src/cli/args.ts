import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Thrown for a command line we cannot act on; main() prints it (with the command's usage unless
 * `showUsage` is false) and exits 2.
 */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly showUsage = true,
  ) {
    super(message);
  }
}

/** The config file: --config, then $TOOLGATE_CONFIG, then ./toolgate.yaml. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return resolve(flag ?? env.TOOLGATE_CONFIG ?? 'toolgate.yaml');
}

export function requireConfigFile(path: string): string {
  if (!existsSync(path)) {
    throw new UsageError(
      `no config file at ${path}. Create one with \`toolgate init\`, copy examples/toolgate.yaml, or pass --config FILE.`,
      false,
    );
  }
  return path;
}

/** `--help` or `-h` anywhere before a `--` (after which everything is an argument). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

/** The first argument that is not a flag nor the value of `--config`/`-c`: the sub-command. */
export function subcommandOf(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config' || a === '-c') i++;
    else if (!a.startsWith('-')) return a;
  }
  return undefined;
}
