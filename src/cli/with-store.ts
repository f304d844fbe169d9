import { type Config, loadConfigFile } from '../config/index.js';
import { openStore, type Store } from '../store/index.js';
import { configPath, requireConfigFile } from './args.js';
import type { CliContext } from './context.js';

/** Take `--config FILE` / `-c FILE` out of argv (the subcommand parsers do not know it). */
export function takeConfigFlag(argv: string[]): { config?: string; rest: string[] } {
  const rest: string[] = [];
  let config: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config' || a === '-c') config = argv[++i];
    else if (a.startsWith('--config=')) config = a.slice('--config='.length);
    else rest.push(a);
  }
  return { config, rest };
}

/** Run a command that needs the store named by the config (grants, audit, approvals). */
export async function withStore(
  argv: string[],
  ctx: CliContext,
  run: (rest: string[], store: Store, config: Config) => Promise<number>,
): Promise<number> {
  const { config: flag, rest } = takeConfigFlag(argv);
  const loaded = loadConfigFile(requireConfigFile(configPath(flag, ctx.env)), ctx.env);
  const s = loaded.config.storage;
  const store = await openStore(
    'sqlite' in s ? { sqlite: s.sqlite } : { postgres: s.postgres, schema: s.schema },
  );
  try {
    return await run(rest, store, loaded.config);
  } finally {
    await store.close();
  }
}
