/**
 * The house's floors, as data: a folder of src/ may import only from folders on lower floors (and
 * from itself), and no two files may import each other round in a circle. docs/architecture.md
 * shows the same floors; this test keeps them true. There is no exception list.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve('src');

/** Lower numbers are lower floors. The ground floor imports nothing of ours. */
const FLOORS: Readonly<Record<string, number>> = {
  util: 0,
  mcp: 0,
  redact: 0,
  policy: 1,
  limits: 1,
  config: 1,
  telemetry: 1,
  upstream: 2,
  auth: 2,
  catalog: 2,
  init: 2,
  proxy: 3,
  audit: 3,
  era: 4,
  store: 4,
  sessions: 5,
  approvals: 5,
  http: 6,
  gateway: 7,
  cli: 8,
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return files(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

/** Every relative import of a file, resolved to the .ts file it names. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (!spec?.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    out.push(target.endsWith('.js') ? target.replace(/\.js$/, '.ts') : `${target}.ts`);
  }
  return out;
}

const folderOf = (file: string) => relative(SRC, file).split('/')[0] ?? '';

const all = files(SRC);
const graph = new Map(all.map((f) => [f, importsOf(f)]));

describe('layering', () => {
  it('every folder of src/ has a floor', () => {
    const folders = new Set(all.filter((f) => relative(SRC, f).includes('/')).map(folderOf));
    expect([...folders].filter((f) => !(f in FLOORS))).toEqual([]);
  });

  it('imports run down the floors only', () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      const from = folderOf(file);
      for (const target of targets) {
        const to = folderOf(target);
        if (to === from) continue;
        if ((FLOORS[to] ?? 99) >= (FLOORS[from] ?? -1))
          upward.push(
            `${relative(SRC, file)} -> ${relative(SRC, target)} (${from} ${FLOORS[from]} -> ${to} ${FLOORS[to]})`,
          );
      }
    }
    expect(upward).toEqual([]);
  });

  it('no file imports round in a circle (static or dynamic imports)', () => {
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (file: string) => {
      state.set(file, 'open');
      path.push(file);
      for (const next of graph.get(file) ?? []) {
        if (!graph.has(next)) continue;
        if (state.get(next) === 'open')
          circles.push(
            path
              .slice(path.indexOf(next))
              .concat(next)
              .map((f) => relative(SRC, f))
              .join(' -> '),
          );
        else if (!state.has(next)) visit(next);
      }
      path.pop();
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (!state.has(file)) visit(file);
    expect(circles).toEqual([]);
  });

  it('the dashboard imports from src/ only modules that import nothing', () => {
    const web = resolve('web/src');
    const reached: string[] = [];
    for (const file of files(web).concat(
      readdirSync(web)
        .filter((n) => n.endsWith('.tsx'))
        .map((n) => join(web, n)),
    )) {
      for (const target of importsOf(file)) if (target.startsWith(SRC)) reached.push(target);
    }
    for (const target of new Set(reached)) expect(importsOf(target), relative(SRC, target)).toEqual([]);
  });
});
