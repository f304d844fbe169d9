// `toolgate init` as a function: scan the client configs, choose servers, write toolgate.yaml and
// one policy per server, and optionally rewrite the clients. The CLI adds flags and questions.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { GatewayTarget } from './clients.js';
import { discover } from './discover.js';
import type { ManifestFile } from './manifest.js';
import { type MergedServer, mergeEntries, selectServers } from './merge.js';
import { policyPath, renderConfig } from './render.js';
import { type RewriteRequest, rewriteClients } from './rewrite.js';
import { protectSecrets } from './secrets.js';
import { starterPolicy } from './starter-policy.js';
import {
  EnvFileError,
  ensureStateDir,
  existingToken,
  formatEnvFile,
  newToken,
  parseEnvFile,
  secretsFilePath,
  tokenFilePath,
  tokenSha256,
  writePrivate,
} from './state-files.js';
import type { Discovery, PlannedServer, Problem, RequiredEnv } from './types.js';
import { type FileToWrite, writeFiles } from './write-files.js';

/** A name init never gives a moved secret: the variable older rewrites sent the token from. */
export const TOKEN_ENV = 'TOOLGATE_TOKEN';

export interface InitOptions {
  home: string;
  cwd: string;
  /** Where toolgate.yaml, policies/ and .toolgate/ go. */
  dir: string;
  platform?: NodeJS.Platform;
  port?: number;
  only?: string[];
  exclude?: string[];
  rewrite?: boolean;
  force?: boolean;
  dryRun?: boolean;
  inlineSecrets?: boolean;
  /** `token` (default): a grant "local" whose token clients send; `none`: no tokens, loopback only. */
  auth?: 'token' | 'none';
  /** The catalogue's proposal for a server, as YAML; the starter policy when absent or failing. */
  propose?: (server: string) => Promise<string>;
  /** How a rewritten stdio entry starts this installation's CLI (absolute paths). */
  cli?: GatewayTarget['cli'];
}

export interface Scan {
  discovery: Discovery;
  servers: MergedServer[];
}

export function scan(opts: Pick<InitOptions, 'home' | 'cwd' | 'platform' | 'port'>): Scan {
  const discovery = discover(opts);
  return { discovery, servers: mergeEntries(discovery.entries) };
}

export interface InitResult {
  configPath: string;
  servers: PlannedServer[];
  excluded: string[];
  /** Names given to --only/--exclude that match no server. */
  unknownNames: string[];
  env: RequiredEnv[];
  files: FileToWrite[];
  /** Files that exist and blocked writing (no --force). Nothing was written or rewritten. */
  existing: string[];
  /** The 0600 file with grant "local"'s token (token mode). */
  tokenFile?: string;
  /** The 0600 file with the secrets moved out of client files, when there were any. */
  secretsFile?: string;
  rewritten: ManifestFile[];
  problems: Problem[];
  warnings: string[];
}

export async function runInit(opts: InitOptions, scanned: Scan = scan(opts)): Promise<InitResult> {
  const port = opts.port ?? 8787;
  const dir = resolve(opts.dir);
  const configPath = join(dir, 'toolgate.yaml');
  const tokens = opts.auth !== 'none';
  const warnings: string[] = [];

  // 1. choose
  const chosen = selectServers(scanned.servers, { only: opts.only, exclude: opts.exclude });

  // 2. keep secrets out of the file
  const used = new Set<string>([TOKEN_ENV]);
  const servers: PlannedServer[] = chosen.included.map((s) => {
    const p = protectSecrets(s, { inline: opts.inlineSecrets === true, used });
    if (p.inlined.length) {
      warnings.push(
        `${s.name}: copied ${p.inlined.join(', ')} in clear into toolgate.yaml (--inline-secrets)`,
      );
    }
    for (const src of s.sources) {
      if (src.disabled) warnings.push(`${s.name}: disabled in ${src.file}; included anyway`);
    }
    return {
      name: s.name,
      spec: p.spec,
      sources: s.sources,
      env: p.env,
      secrets: p.moved,
      secretValues: p.values,
    };
  });
  const env = servers.flatMap((s) => s.env);
  // The token lives in a 0600 file, toolgate.yaml holds only its hash: `serve` needs no variable
  // for it, and rewritten entries read the file (`--token-file`, `token-header`) or VS Code asks
  // for it once. A re-run keeps the token, so clients rewritten before keep working.
  const tokenFile = tokens ? tokenFilePath(dir) : undefined;
  const token = tokenFile ? (existingToken(tokenFile) ?? newToken()) : undefined;
  const secretsFile = secretsFilePath(dir);
  const secrets = new Map(servers.flatMap((s) => s.secrets.map((x) => [x.name, x.value] as const)));

  // 3. render
  const files: FileToWrite[] = [
    {
      path: configPath,
      kind: 'config',
      text: renderConfig(servers, {
        port,
        tokenSha256: token ? tokenSha256(token) : undefined,
        tokenFile,
        secretsFile: secrets.size ? secretsFile : undefined,
        home: opts.home,
      }),
    },
  ];
  for (const s of servers) {
    let text = starterPolicy(s.name);
    if (opts.propose) {
      try {
        text = await opts.propose(s.name);
      } catch (err) {
        warnings.push(`${s.name}: no proposed policy (${(err as Error).message}); wrote the starter policy`);
      }
    }
    files.push({ path: join(dir, policyPath(s.name)), kind: 'policy', text });
  }

  const result: InitResult = {
    configPath,
    servers,
    excluded: chosen.excluded.map((s) => s.name),
    unknownNames: chosen.unknown,
    env,
    files,
    existing: [],
    ...(tokenFile ? { tokenFile } : {}),
    ...(secrets.size ? { secretsFile } : {}),
    rewritten: [],
    problems: [...scanned.discovery.problems],
    warnings,
  };
  if (servers.length === 0) return result;

  // 4. write, all or nothing
  const outcome = writeFiles(files, { force: opts.force === true, dryRun: opts.dryRun === true });
  if (outcome.written.length === 0) {
    result.existing = outcome.existing;
    return result;
  }

  // 5. the private files: token and secrets (never in toolgate.yaml, a client file or a backup)
  if (!opts.dryRun && (token || secrets.size)) {
    try {
      ensureStateDir(dir);
      if (token && tokenFile && existingToken(tokenFile) !== token) writePrivate(tokenFile, `${token}\n`);
      if (secrets.size) writeSecrets(secretsFile, secrets);
    } catch (err) {
      result.problems.push({ file: join(dir, '.toolgate'), reason: (err as Error).message });
      return result;
    }
  }

  // 6. point the clients at the gateway
  if (opts.rewrite) {
    const byFile = new Map<string, RewriteRequest>();
    for (const s of servers) {
      for (const src of s.sources) {
        const req = byFile.get(src.file) ?? { file: src.file, client: src.client, edits: [] };
        req.edits.push({ path: src.path, entry: src.entry, server: s.name });
        byFile.set(src.file, req);
      }
    }
    const rw = rewriteClients([...byFile.values()], {
      dir,
      configPath,
      port,
      platform: opts.platform ?? process.platform,
      cli: opts.cli ?? { command: 'toolgate', args: [] },
      tokenFile,
      envFile: {
        path: secretsFile,
        servers: new Set(servers.filter((s) => s.secrets.length).map((s) => s.name)),
      },
      secretValues: [...new Set(servers.flatMap((s) => s.secretValues))],
      dryRun: opts.dryRun === true,
    });
    result.rewritten = rw.rewritten;
    result.problems.push(...rw.problems);
  }
  return result;
}

/** Merged into what an earlier run kept (another server's secrets stay); this run's values win. */
function writeSecrets(file: string, secrets: Map<string, string>): void {
  let all = new Map<string, string>();
  try {
    all = parseEnvFile(readFileSync(file, 'utf8'), file);
  } catch (err) {
    if (err instanceof EnvFileError) throw err;
  }
  for (const [k, v] of secrets) all.set(k, v);
  writePrivate(
    file,
    formatEnvFile(all, [
      'Written by `toolgate init`: the secrets it moved out of client files. Only for you (0600).',
      'toolgate serve and toolgate stdio read it with --env-file.',
    ]),
  );
}
