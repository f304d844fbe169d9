/**
 * Review F13: another process holding the gateway's SQLite file under BEGIN EXCLUSIVE froze the
 * whole gateway (/healthz took 7 s during a 7 s lock: better-sqlite3's busy timeout is a sleep on
 * the event loop). Here a `toolgate serve` process keeps its store and its counters in one file;
 * a separate node process locks that file for about 3 s and reports when it took and released
 * the lock. No timing thresholds: the test checks the ORDER in which things arrive. /healthz is
 * answered before the locker reports the release; calls (which need the counters, or the
 * write-ahead audit record) fail closed with a clear reason or complete after the lock.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import {
  type ConformanceServerHandle,
  startConformanceServer,
} from '../fixtures/servers/conformance-server.js';
import { ensureFreshBuild, type GatewayProcess, ROOT, spawnGateway, waitForLine } from '../support/e2e.js';
import { McpSession } from '../support/mcp-http.js';
import { killProcess } from '../support/processes.js';
import { classify, type Outcome, readyzUntil } from './helpers.js';

const OK_TEXT = (t: string) => t === 'This is a simple text response for testing.';
const HOLD_MS = 3_000;

/** Takes the write lock (WAL: EXCLUSIVE = IMMEDIATE), says so, holds it, commits, says so. */
const LOCKER = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.pragma('busy_timeout = 10000');
db.exec('BEGIN EXCLUSIVE');
db.prepare('SELECT count(*) FROM audit').get();
process.stdout.write('locked\\n');
setTimeout(() => {
  db.exec('COMMIT');
  process.stdout.write('released\\n');
  db.close();
}, Number(process.argv[2]));
`;

describe('an external process holds the SQLite file (store and counters)', () => {
  let dir: string;
  let fx: ConformanceServerHandle;
  let gw: GatewayProcess | undefined;
  let locker: ChildProcess | undefined;
  let dbFile: string;

  beforeAll(async () => {
    await ensureFreshBuild();
    dir = mkdtempSync(join(tmpdir(), 'toolgate-chaos-lock-'));
    dbFile = join(dir, 'toolgate.db');
    fx = await startConformanceServer();
    const limited = {
      version: '1',
      default: 'allow',
      tools: {
        test_simple_text: { limits: [{ counter: 'calls', window: 'hour', max: 1_000_000, scope: 'grant' }] },
      },
    };
    const file = join(dir, 'toolgate.yaml');
    writeFileSync(
      file,
      stringify({
        listen: { host: '127.0.0.1', port: 0 },
        auth: { mode: 'none' },
        storage: { sqlite: dbFile },
        // Counters in the same file as the store (the default for the sqlite backend).
        counters: { backend: 'sqlite' },
        log: { level: 'info' },
        servers: {
          // Every call here consumes a counter: a write that needs the lock.
          counted: { url: fx.url, policy: limited },
          // No limits here: a call needs no lock on its path (its audit record is written in the background).
          plain: { url: fx.url, policy: { version: '1', default: 'allow' } },
        },
      }),
    );
    gw = await spawnGateway(file);
  }, 300_000);

  afterAll(async () => {
    if (locker) await killProcess(locker);
    await gw?.stop();
    await fx?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps /healthz and lock-free calls answering during the lock; counted calls fail closed or wait', async () => {
    const base = gw!.url;
    const counted = await McpSession.open(`${base}/mcp/counted`);
    const plain = await McpSession.open(`${base}/mcp/plain`);
    // Warm: both paths work and the audit table exists before the lock.
    expect(classify('warm', await counted.callTool('test_simple_text'), OK_TEXT).kind).toBe('ok');
    expect(classify('warm', await plain.callTool('test_simple_text'), OK_TEXT).kind).toBe('ok');

    // The order of events as this process observes them.
    const events: string[] = [];
    locker = spawn(process.execPath, ['-e', LOCKER, dbFile, String(HOLD_MS)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await waitForLine(locker, 'stdout', (l) => l === 'locked', 15_000);
    events.push('locked');
    let lockHeld = true;
    const released = waitForLine(locker, 'stdout', (l) => l === 'released', 30_000).then(() => {
      lockHeld = false;
      events.push('released');
    });

    // During the lock: health probes (one after another until the release), counted calls
    // (they need the write lock) and plain calls.
    const healthMs: number[] = [];
    const health = (async () => {
      const statuses: number[] = [];
      while (lockHeld) {
        const started = performance.now();
        const r = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(30_000) });
        healthMs.push(performance.now() - started);
        if (lockHeld) events.push(`healthz ${r.status}`);
        statuses.push(r.status);
      }
      return statuses;
    })();
    const countedCalls = [0, 1, 2].map(() =>
      counted.callTool('test_simple_text', {}, { timeoutMs: 30_000 }).then((r) => {
        const o = classify('counted', r, OK_TEXT);
        events.push(`counted ${o.kind}`);
        return o;
      }),
    );
    const plainCall = plain.callTool('test_simple_text', {}, { timeoutMs: 30_000 }).then((r) => {
      const o = classify('plain', r, OK_TEXT);
      events.push(`plain ${o.kind}`);
      return o;
    });
    const outcomes: Outcome[] = [await plainCall, ...(await Promise.all(countedCalls))];
    await released;
    const statuses = await health;
    expect(statuses.every((s) => s === 200)).toBe(true);
    console.log(
      `sqlite-lock: events in the order observed: ${[...new Set(events)].join(', ')}; ` +
        `${healthMs.length} /healthz during the lock, slowest ${Math.max(...healthMs).toFixed(1)} ms`,
    );

    // /healthz and the lock-free call were answered while the locker still held the file.
    const at = (e: string) => events.indexOf(e);
    expect(at('healthz 200')).toBeGreaterThan(at('locked'));
    expect(at('healthz 200')).toBeLessThan(at('released'));
    // More than one: the loop kept turning for the whole lock, not just before the first write.
    expect(events.filter((e) => e === 'healthz 200').length).toBeGreaterThan(1);
    // The call without limits still needs the store: its write-ahead audit record is committed
    // before it is forwarded. It waits (asynchronously) for the lock and runs after the release, or
    // is refused saying the audit store cannot record it; it never runs unrecorded.
    const plainOutcome = outcomes[0]!;
    expect(plainOutcome.kind, `${plainOutcome.status} ${plainOutcome.text}`).not.toBe('bad');
    if (plainOutcome.kind !== 'ok') expect(plainOutcome.text).toMatch(/AUDIT UNAVAILABLE/);
    // Counted calls: each either failed closed with a reason that says what to do, or completed;
    // a completion can only come after the release (the counter write needs the lock).
    for (const o of outcomes) expect(o.kind, `${o.worker}: ${o.status} ${o.text}`).not.toBe('bad');
    const refusals = outcomes.filter((o) => o.kind === 'refused');
    for (const r of refusals) expect(r.text).toMatch(/locked by another process .*end it/);
    events.forEach((e, i) => {
      if (e === 'counted ok') expect(i).toBeGreaterThan(at('released'));
    });

    // After the lock: counted calls work and /readyz is 200 again.
    expect(classify('after', await counted.callTool('test_simple_text'), OK_TEXT).kind).toBe('ok');
    await readyzUntil(base, 'ready', (r) => r.status === 200, 15_000);
    expect(gw!.child.exitCode).toBeNull();
    await counted.close();
    await plain.close();
  }, 120_000);
});
