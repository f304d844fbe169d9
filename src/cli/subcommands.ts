/**
 * What `toolgate audit` and `toolgate grants` share: dispatch to a sub-command with their exit
 * codes, strict flag parsing, and durations like 90m, 24h or 7d.
 */
import { parseArgs } from 'node:util';
import { isStoreError } from '../store/errors.js';
import { UsageError } from './args.js';

export type Subcommand<C> = (argv: string[], ctx: C) => Promise<number>;

/**
 * `toolgate <command> <sub> ...`: argv is what follows `command`. Exit codes: 0 ok, 1 act on it
 * (a store error, printed), 2 usage (printed with `usage`).
 */
export async function runSubcommand<C extends { stderr(s: string): void }>(
  command: string,
  usage: string,
  subs: Record<string, Subcommand<C>>,
  argv: string[],
  ctx: C,
): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    if (sub !== undefined && Object.hasOwn(subs, sub)) return await subs[sub]!(rest, ctx);
    throw new UsageError(sub ? `unknown ${command} command "${sub}"` : `missing ${command} command`);
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.stderr(`error: ${err.message}\n${usage}\n`);
      return 2;
    }
    if (isStoreError(err)) {
      ctx.stderr(`error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];
type Parsed = { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };

/** Strict flag parsing; what parseArgs refuses becomes a UsageError. */
export function parseFlags(argv: string[], options: Options, allowPositionals = false): Parsed {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true }) as Parsed;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `90m`, `24h`, `7d`, `2w` (also `s`) in milliseconds; undefined when `text` is not such a duration. */
export function durationMs(text: string): number | undefined {
  const m = /^(\d+)\s*(s|m|h|d|w)$/.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2]!]! : undefined;
}
