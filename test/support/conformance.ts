/**
 * Runs the MCP conformance CLI (server side) against a URL and parses its results. Reusable for
 * any target: the fixture direct, or the fixture behind toolgate.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureConformanceCli } from './node22.js';

export interface ConformanceOptions {
  /** Run only these scenarios (one CLI run each); default: the whole `all` suite in one run. */
  scenarios?: string[];
  /** Keep the CLI's per-scenario `checks.json` here; default: a temp dir, removed afterwards. */
  outDir?: string;
  /** Bound on the whole run (default 180 s); the CLI is killed past it. */
  timeoutMs?: number;
  /** CLI version (default `CONFORMANCE_VERSION`, 0.1.16); each version has its own install under .cache/. */
  version?: string;
  /**
   * `--spec-version` (0.2.x only): run the scenarios of this protocol revision, e.g. `2026-07-28`
   * (the suite's client then speaks that revision: stateless, envelope in `_meta`).
   */
  specVersion?: string;
}

export interface ConformanceResult {
  /** Scenarios with no failed check. */
  passed: string[];
  /** Scenarios with at least one failed check (or that the CLI could not run). */
  failed: string[];
  /** Check ids with status WARNING, per scenario (the summary line does not count them). */
  warnings: Record<string, string[]>;
  /** `checkId: errorMessage` of each failed check, per scenario, for assertion messages. */
  failures: Record<string, string[]>;
  /** Combined stdout and stderr of the CLI. */
  raw: string;
  durationMs: number;
}

const SUMMARY_LINE = /^([✓✗]) (\S+): (\d+) passed, (\d+) failed/;
const TOTAL_LINE = /^Total: (\d+) passed, (\d+) failed/m;
const SINGLE_LINE = /^Passed: (\d+)\/(\d+), (\d+) failed, (\d+) warnings/m;

export async function runConformance(url: string, opts: ConformanceOptions = {}): Promise<ConformanceResult> {
  const started = Date.now();
  const { node, cli } = await ensureConformanceCli(opts.version);
  const spec = opts.specVersion ? ['--spec-version', opts.specVersion] : [];
  const outDir = opts.outDir ?? (await mkdtemp(join(tmpdir(), 'toolgate-conformance-')));
  const deadline = started + (opts.timeoutMs ?? 180_000);
  try {
    const result: ConformanceResult = {
      passed: [],
      failed: [],
      warnings: {},
      failures: {},
      raw: '',
      durationMs: 0,
    };
    if (opts.scenarios) {
      for (const scenario of opts.scenarios) {
        const out = await runCli(
          node,
          [cli, 'server', '--url', url, '--scenario', scenario, ...spec, '-o', outDir],
          deadline,
        );
        result.raw += out;
        const line = SINGLE_LINE.exec(out);
        if (!line) throw new Error(`conformance printed no result for ${scenario}:\n${out.slice(-3000)}`);
        (Number(line[3]) === 0 ? result.passed : result.failed).push(scenario);
      }
    } else {
      const out = await runCli(
        node,
        [cli, 'server', '--url', url, '--suite', 'all', ...spec, '-o', outDir],
        deadline,
      );
      result.raw = out;
      if (!TOTAL_LINE.test(out)) throw new Error(`conformance printed no Total line:\n${out.slice(-3000)}`);
      for (const text of out.split('\n')) {
        const m = SUMMARY_LINE.exec(text.trim());
        if (m?.[2]) (m[1] === '✓' && m[4] === '0' ? result.passed : result.failed).push(m[2]);
      }
    }
    await readChecks(outDir, result);
    result.durationMs = Date.now() - started;
    return result;
  } finally {
    if (!opts.outDir) await rm(outDir, { recursive: true, force: true });
  }
}

/**
 * Server scenario names as the installed CLI lists them (`conformance list`); with `specVersion`
 * (0.2.x), only that revision's (`list --spec-version`).
 */
export async function listServerScenarios(
  timeoutMs = 30_000,
  opts: Pick<ConformanceOptions, 'version' | 'specVersion'> = {},
): Promise<string[]> {
  const { node, cli } = await ensureConformanceCli(opts.version);
  const spec = opts.specVersion ? ['--spec-version', opts.specVersion] : [];
  const out = await runCli(node, [cli, 'list', ...spec], Date.now() + timeoutMs);
  const server = out.split(/^Client scenarios/m)[0] ?? '';
  return [...server.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1] as string);
}

/** Adds warnings and failure messages from `<outDir>/server-<scenario>-<timestamp>/checks.json`. */
async function readChecks(outDir: string, result: ConformanceResult): Promise<void> {
  for (const dir of await readdir(outDir)) {
    const scenario = dir.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
    let checks: { id: string; status: string; errorMessage?: string }[];
    try {
      checks = JSON.parse(await readFile(join(outDir, dir, 'checks.json'), 'utf8'));
    } catch {
      continue;
    }
    const warned = checks.filter((c) => c.status === 'WARNING').map((c) => c.id);
    if (warned.length) result.warnings[scenario] = warned;
    const failed = checks
      .filter((c) => c.status === 'FAILURE')
      .map((c) => `${c.id}: ${c.errorMessage ?? ''}`);
    if (failed.length) result.failures[scenario] = failed;
  }
}

/** Runs the CLI to completion (it exits 1 when a check fails; that is a result, not an error). */
function runCli(node: string, args: string[], deadline: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const timer = setTimeout(
      () => {
        child.kill('SIGKILL');
        reject(new Error(`conformance timed out (${args.slice(1, 7).join(' ')}):\n${out.slice(-3000)}`));
      },
      Math.max(0, deadline - Date.now()),
    );
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (signal) reject(new Error(`conformance killed by ${signal}:\n${out.slice(-3000)}`));
      else if (code !== 0 && code !== 1)
        reject(new Error(`conformance exited ${code}:\n${out.slice(-3000)}`));
      else resolve(out);
    });
  });
}
