// A fresh HOME and project folder per test, filled from test/fixtures/init with the temp paths
// substituted (Claude Code keys local servers by the project's absolute path).
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type InitCommandContext, runInitCommand } from '../../src/cli/init-command.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'init');
/** The built CLI (`npm run build`): what rewritten Claude Desktop entries start. */
export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');

export interface Sandbox {
  root: string;
  home: string;
  project: string;
  /** Every fixture file's path and exact bytes after setup. */
  files(): Map<string, Buffer>;
  cleanup(): void;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

export function sandbox(): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'toolgate-init-'));
  const home = join(root, 'home');
  const project = join(root, 'project');
  cpSync(join(FIXTURES, 'home'), home, { recursive: true });
  cpSync(join(FIXTURES, 'project'), project, { recursive: true });
  for (const file of [...walk(home), ...walk(project)]) {
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replaceAll('__PROJECT__', project).replaceAll('__HOME__', home));
  }
  return {
    root,
    home,
    project,
    files: () => new Map([...walk(home), ...walk(project)].map((f) => [f, readFileSync(f)])),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  questions: string[];
}

export async function run(
  sb: Sandbox,
  argv: string[],
  extra: Partial<InitCommandContext> & { answers?: string[] } = {},
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const questions: string[] = [];
  const answers = [...(extra.answers ?? [])];
  const code = await runInitCommand(argv, {
    home: sb.home,
    cwd: sb.project,
    env: {},
    isTTY: false,
    platform: 'linux',
    stdout: (s) => {
      stdout += s;
    },
    stderr: (s) => {
      stderr += s;
    },
    prompt: async (q) => {
      questions.push(q);
      const a = answers.shift();
      if (a === undefined) throw new Error(`unexpected question: ${q}`);
      return a;
    },
    // This installation's CLI, as a rewritten stdio entry starts it (the build of src/cli).
    cli: { command: process.execPath, args: [CLI] },
    ...extra,
  });
  return { code, stdout, stderr, questions };
}

/** The names init gives the servers in the fixtures (Linux paths), in discovery order. */
export const FIXTURE_SERVERS = [
  'filesystem',
  'github',
  'postgres',
  'sentry',
  'internal-api',
  'memory',
  'local-db',
  'github-2',
  'linear',
  'stripe',
  'notion',
  'perplexity',
  'fetch',
  'gh-remote',
  'legacy',
  'time',
  'brave-search',
  'analytics',
  'puppeteer',
];

/** Literal secrets planted in the fixtures; none may reach toolgate.yaml. */
export const PLANTED_SECRETS = [
  'ghp_FAKEfakeFAKEfake0123456789abcdefABCD',
  'ghp_OTHERfakeOTHERfake0123456789abcdefXY',
  's3cretPassw0rd',
  'sk_test_FAKE51Habcdefghijklmnop0123456789',
  'BSAfakeFAKEfake0123456789xyz',
  'abc123def456ghi789',
  'wk_live_FAKE1234567890abcdef',
];
