import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from './errors.js';
import { interpolate } from './interpolate.js';
import { type Config, configSchema } from './schema.js';
import { explainIssues, type SchemaProblem } from './schema-issues.js';
import { separatorProblem, suggestServerName } from './server-names.js';

export interface LoadedConfig {
  /** Absolute path of the file, or '<inline>'. */
  file: string;
  /** Folder relative paths in the file are resolved against. */
  dir: string;
  config: Config;
  /** Line and column of a path in the file (0:0 when unknown), for rules checked after parsing. */
  locate?(path: readonly (string | number)[]): { line: number; column: number };
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const abs = resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(err);
    throw new ConfigError([
      {
        file: abs,
        line: 0,
        column: 0,
        path: '',
        message: `${reason}; pass --config FILE or set TOOLGATE_CONFIG (see examples/toolgate.yaml)`,
      },
    ]);
  }
  return parseConfig(text, abs, env);
}

/** Parse config text. `file` is only used in messages and to resolve relative paths. */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const where = (offset: number | undefined) => {
    const pos = lines.linePos(offset ?? 0);
    return { line: pos.line, column: pos.col };
  };
  const issues: ConfigIssue[] = [];
  for (const e of doc.errors) {
    issues.push({ file, ...where(e.pos[0]), path: '', message: e.message.split('\n')[0] ?? e.message });
  }
  if (issues.length) throw new ConfigError(issues);

  // Interpolate ${VAR} in every string scalar, keeping the node (and so its line) in place.
  walkScalars(doc.contents, [], (node, path) => {
    if (typeof node.value !== 'string') return;
    node.value = interpolate(node.value, env, (name) =>
      issues.push({
        file,
        ...where(node.range?.[0]),
        path: path.join('.'),
        message: `environment variable ${name} is not set (use \${${name}:-default} for a fallback)`,
      }),
    );
  });
  if (issues.length) throw new ConfigError(issues);

  const data = doc.toJS() ?? {};
  const parsed = configSchema.safeParse(data);
  if (!parsed.success) {
    const problems = explainIssues(parsed.error.issues, configSchema, data);
    throw new ConfigError(problems.map((p) => placeProblem(p, doc, file, where)));
  }
  const named = serverNameIssues(parsed.data, doc, file, where);
  if (named.length) throw new ConfigError(named);
  const dir = file === '<inline>' ? process.cwd() : dirname(file);
  const locate = (path: readonly (string | number)[]) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
      if (node?.range) return where(node.range[0]);
    }
    return { line: 0, column: 0 };
  };
  return { file, dir, config: resolvePaths(parsed.data, dir), locate };
}

/** Server names that contain the aggregate separator, each at its key, with a name to use instead. */
function serverNameIssues(
  config: Config,
  doc: ReturnType<typeof parseDocument>,
  file: string,
  where: (o: number | undefined) => { line: number; column: number },
): ConfigIssue[] {
  const sep = config.aggregate.separator;
  const taken = new Set(Object.keys(config.servers));
  const issues: ConfigIssue[] = [];
  for (const name of Object.keys(config.servers)) {
    const problem = separatorProblem(name, sep);
    if (!problem) continue;
    const suggestion = suggestServerName(name, sep, taken);
    taken.add(suggestion);
    issues.push({
      file,
      ...where(findKeyNode(doc.getIn(['servers'], true), name)),
      path: `servers.${name}`,
      message: `${problem}; rename it, e.g. "${suggestion}" (and the grants that name it)`,
    });
  }
  return issues;
}

/** A schema problem at its place in the file: an unknown field at its key, a missing one at its map. */
function placeProblem(
  problem: SchemaProblem,
  doc: ReturnType<typeof parseDocument>,
  file: string,
  where: (o: number | undefined) => { line: number; column: number },
): ConfigIssue {
  const { path } = problem;
  const parent = path.slice(0, -1);
  let offset: number | undefined;
  if (problem.at === 'key') offset = findKeyNode(doc.getIn(parent, true), String(path.at(-1)));
  else if (problem.at === 'parent' && parent.length > 0)
    offset = findKeyNode(doc.getIn(parent.slice(0, -1), true), String(parent.at(-1)));
  // Else (or when that key is not there): the deepest node of the path that exists.
  for (let n = path.length; n >= 0 && offset === undefined; n--) {
    offset = (doc.getIn(path.slice(0, n), true) as Node | undefined)?.range?.[0];
  }
  return { file, ...where(offset), path: path.join('.'), message: problem.message };
}

function findKeyNode(map: unknown, key: string): number | undefined {
  if (!isMap(map)) return undefined;
  for (const pair of map.items) {
    if (isScalar(pair.key) && pair.key.value === key) return pair.key.range?.[0];
  }
  return undefined;
}

function walkScalars(
  node: unknown,
  path: (string | number)[],
  visit: (n: { value: unknown; range?: [number, number, number] | null }, path: (string | number)[]) => void,
): void {
  if (isScalar(node)) visit(node as never, path);
  else if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      walkScalars(pair.value, [...path, key], visit);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      walkScalars(item, [...path, i], visit);
    });
  }
}

function resolvePaths(config: Config, dir: string): Config {
  const at = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  const storage = 'sqlite' in config.storage ? { sqlite: at(config.storage.sqlite) } : config.storage;
  const counters =
    config.counters.backend === 'sqlite'
      ? { backend: 'sqlite' as const, path: config.counters.path ? at(config.counters.path) : undefined }
      : config.counters;
  const servers: Config['servers'] = {};
  for (const [name, s] of Object.entries(config.servers)) {
    servers[name] = {
      ...s,
      ...(typeof s.policy === 'string' ? { policy: at(s.policy) } : {}),
      ...('cwd' in s && s.cwd ? { cwd: at(s.cwd) } : {}),
    };
  }
  const grants = config.grants.map((g) =>
    typeof g.policy === 'string' ? { ...g, policy: at(g.policy) } : g,
  );
  const jwt = config.jwt && {
    ...config.jwt,
    grants: config.jwt.grants.map((g) => (typeof g.policy === 'string' ? { ...g, policy: at(g.policy) } : g)),
  };
  return { ...config, storage, counters, servers, grants, ...(jwt ? { jwt } : {}) };
}
