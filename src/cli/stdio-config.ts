// What `toolgate stdio` loads before it starts: toolgate.yaml with only the chosen server (so a
// client that launches one server needs only that server's variables, not every other server's
// secrets), the 0600 files a rewritten client entry names (--env-file, --token-file), and the
// grants this process can check a token against. `serve --env-file` and `token-header` read the
// same files through withEnvFile and readTokenFile.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isMap, isScalar, parseDocument } from 'yaml';
import { type Config, type LoadedConfig, parseConfig } from '../config/index.js';
import { EnvFileError, openToOthers, parseEnvFile } from '../init/state-files.js';
import { UsageError } from './args.js';

/** Thrown for a file or setting stdio cannot start with (also `serve --env-file` and
 *  `token-header`, which read the same 0600 files); printed as one line, exit 1. */
export class StdioStartError extends Error {}

/**
 * The text with every server but `keep` blanked out, character for character (newlines kept),
 * so line:column in any later error still points into the user's file. Undefined when the
 * servers are not a plain map of names (the caller then loads the file as it is).
 */
export function keepOnlyServer(text: string, keep: string): { text: string; names: string[] } | undefined {
  const doc = parseDocument(text);
  if (doc.errors.length) return undefined;
  const servers = doc.get('servers', true);
  if (!isMap(servers)) return undefined;
  const names: string[] = [];
  const cut: [number, number][] = [];
  for (const pair of servers.items) {
    if (!isScalar(pair.key)) return undefined;
    const name = String(pair.key.value);
    names.push(name);
    if (name === keep) continue;
    const start = pair.key.range?.[0];
    const end =
      (pair.value as { range?: [number, number, number] } | null)?.range?.[1] ?? pair.key.range?.[1];
    if (start === undefined || end === undefined) return undefined;
    cut.push([start, end]);
  }
  if (!names.includes(keep)) return { text, names };
  let out = text;
  for (const [start, end] of cut) {
    out = out.slice(0, start) + out.slice(start, end).replace(/[^\r\n]/g, ' ') + out.slice(end);
  }
  // A flow map (`servers: {a: ..., b: ...}`) can be left with stray commas: check, else give up.
  const check = parseDocument(out);
  const kept = check.get('servers', true);
  if (check.errors.length || !isMap(kept) || kept.items.length !== 1) return undefined;
  // An anchor inside a blanked server that the kept one (or anything else) aliases would now be
  // unresolved: then load the file as it is.
  try {
    check.toJS();
  } catch {
    return undefined;
  }
  return { text: out, names };
}

/** toolgate.yaml for a stdio process serving `server` (all servers when undefined). */
export function loadStdioConfig(file: string, env: NodeJS.ProcessEnv, server?: string): LoadedConfig {
  const text = readFileSync(file, 'utf8');
  const only = server === undefined ? undefined : keepOnlyServer(text, server);
  if (server !== undefined && only && !only.names.includes(server)) {
    throw new UsageError(`unknown server "${server}"; configured: ${only.names.join(', ')}`);
  }
  const loaded = parseConfig(only?.text ?? text, file, env);
  if (!only) return loaded;
  // Grants naming servers this process does not load keep only the ones it does; a grant left
  // with none stays (its token still says who it is) with access to nothing; `*` stays `*`.
  const present = (s: string) => s === '*' || s in loaded.config.servers;
  const trim = <G extends { servers: string[] }>(gs: G[]) =>
    gs.map((g) => ({ ...g, servers: g.servers.filter(present) }));
  const config: Config = {
    ...loaded.config,
    grants: trim(loaded.config.grants),
    ...(loaded.config.jwt ? { jwt: { ...loaded.config.jwt, grants: trim(loaded.config.jwt.grants) } } : {}),
  };
  return { ...loaded, config };
}

/**
 * Grants whose token variable is not set here cannot be authenticated by this process; they get a
 * hash no token has (fail closed) instead of stopping the start for a grant nobody uses here.
 */
export function withoutUnsetTokenGrants(loaded: LoadedConfig, env: NodeJS.ProcessEnv): LoadedConfig {
  const grants = loaded.config.grants.map((g) =>
    g.token_env && !env[g.token_env]
      ? { ...g, token_env: undefined, token_sha256: randomBytes(32).toString('hex') }
      : g,
  );
  return { ...loaded, config: { ...loaded.config, grants } };
}

function readPrivate(file: string, what: string): string {
  try {
    if (openToOthers(file)) {
      throw new StdioStartError(
        `${what} ${file} may be read by other users; run \`chmod 600 ${file}\` (and replace what it holds if someone may have read it)`,
      );
    }
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof StdioStartError) throw err;
    throw new StdioStartError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
}

/** The process environment with the file's variables added where not already set. */
export function withEnvFile(env: NodeJS.ProcessEnv, file: string): NodeJS.ProcessEnv {
  let vars: Map<string, string>;
  try {
    vars = parseEnvFile(readPrivate(file, 'the env file'), file);
  } catch (err) {
    if (err instanceof EnvFileError) throw new StdioStartError(`the env file ${err.message}`);
    throw err;
  }
  const out = { ...env };
  for (const [k, v] of vars) if (out[k] === undefined || out[k] === '') out[k] = v;
  return out;
}

export function readTokenFile(file: string): string {
  const token = readPrivate(file, 'the token file').trim();
  if (!/^\S{16,512}$/.test(token)) {
    throw new StdioStartError(`the token file ${file} does not hold a token (one line, no spaces)`);
  }
  return token;
}

/** The toolgate.yaml grant a token belongs to, found before anything starts (stored and JWT
 *  grants need the store, so they are checked after). */
export function configGrantOf(
  token: string,
  grants: Config['grants'],
  env: NodeJS.ProcessEnv,
): Config['grants'][number] | undefined {
  const hash = createHash('sha256').update(token, 'utf8').digest('hex');
  return grants.find((g) => {
    const expected = g.token_sha256 ?? (g.token_env && env[g.token_env] ? sha(env[g.token_env] ?? '') : '');
    return expected.length === 64 && timingSafeEqual(Buffer.from(expected), Buffer.from(hash));
  });
}

const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
