/**
 * A server that fails to start (issue 15, point 7): the way `npx -y <package not on npm>` fails,
 * with npm's E404 on stderr and exit code 1. The gateway retries it with exponential backoff
 * rather than every few seconds, shows the 404 (not just "exited with code 1") and when it tries
 * again, starts from the first wait again once it came up, and stays bounded when the server
 * floods stderr. Starts are counted by the fixture (one line per start in a file), never timed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nominalDelay, START_BACKOFF } from '../../src/upstream/restart-backoff.js';
import { TAIL_CHARS, TAIL_LINES } from '../../src/upstream/stderr-tail.js';
import { ALLOW_ALL, startTestGateway, type TestGateway } from '../support/gateway.js';
import { McpSession, post, until } from '../support/mcp-http.js';

const FIXTURE = join(process.cwd(), 'test/fixtures/servers/failing-start-server.mjs');
/** What a shown line must never hold: controls (but the newlines between lines), bidi overrides. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for leaked control characters
const UNSAFE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]/;
/** The first retry in these tests: health.probe_interval shortens it from the default 2 s. */
const FIRST_MS = 200;

function initialize(url: string) {
  return post(url, {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: {
      protocolVersion: '2025-11-25',
      capabilities: {},
      clientInfo: { name: 'failed-start', version: '1' },
    },
  });
}

/** The most starts the backoff allows in `ms`: every wait as short as the jitter makes it. */
function mostStartsWithin(ms: number): number {
  const policy = { ...START_BACKOFF, firstMs: FIRST_MS };
  let n = 1; // the start-up probe
  for (let t = 0; ; n++) {
    t += nominalDelay(n, policy) * (1 - policy.jitter);
    if (t > ms) return n;
  }
}

interface ApiServer {
  name: string;
  status: string;
  reason?: string;
  failures?: number;
  retryAt?: string;
  stderr?: string[];
}

describe('a server that fails to start', () => {
  let gw: TestGateway | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    await gw?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    gw = dir = undefined;
  });

  async function start(mode: 'npm404' | 'flood', okMarker?: string, firstMs = FIRST_MS) {
    dir = mkdtempSync(join(tmpdir(), 'tg-failed-start-'));
    const attemptsFile = join(dir, 'attempts');
    const args = [FIXTURE, attemptsFile, mode, ...(okMarker ? [join(dir, okMarker)] : [])];
    gw = await startTestGateway(
      {
        auth: { mode: 'none' },
        health: { probe_interval: `${firstMs}ms` },
        servers: { npx404: { command: process.execPath, args, policy: ALLOW_ALL } },
      },
      { probe: true },
    );
    await gw.probed;
    const starts = () =>
      existsSync(attemptsFile) ? readFileSync(attemptsFile, 'utf8').split('\n').length - 1 : 0;
    return { gw, starts, dir };
  }

  it('names the npm 404 and the next attempt, and backs off: far fewer starts than a fixed retry', async () => {
    const { gw, starts } = await start('npm404');
    const since = Date.now();
    expect(starts()).toBe(1);

    // The state the admin API, the dashboard and `serve`'s start-up list show.
    const reason = gw.states.get('npx404')?.reason ?? '';
    expect(reason).toMatch(
      /^server "npx404" exited with code 1 before it answered initialize \(failed once; next attempt at \d{4}-\S+Z\)\nLast lines of its stderr:\n/,
    );
    expect(reason).toContain('  npm error code E404\n');
    expect(reason).toContain(
      '  npm error 404 Not Found - GET https://registry.npmjs.org/@acme%2fno-such-mcp - Not found',
    );
    expect(reason).not.toMatch(UNSAFE); // the spinner's escapes are gone

    const api = (await (await gw.adminFetch('/api/servers')).json()) as ApiServer[];
    const shown = api.find((s) => s.name === 'npx404')!;
    expect(shown.status).toBe('down');
    expect(shown.reason).toContain("npm error 404  '@acme/no-such-mcp@*' is not in this registry.");
    expect(shown.stderr?.[0]).toBe('npm error code E404');
    expect(Date.parse(shown.retryAt!)).toBeGreaterThan(0);

    // /readyz is public: the cause and the retry, and where the stderr is, but not the stderr.
    const ready = (await (await fetch(`${gw.url}/readyz`)).json()) as { problems: Record<string, string> };
    expect(ready.problems['server:npx404']).toMatch(
      /^server "npx404" exited with code 1 before it answered initialize \(failed (once|\d+ times in a row); next attempt .*\); its last stderr lines are in the gateway log and GET \/api\/servers$/,
    );
    const downLine = gw.logs.find((l) => l.includes('"msg":"server down"')) ?? '';
    expect(downLine).toContain('npm error 404 Not Found');

    // A window of failing: the backoff's starts, against one every 200 ms (the old cadence).
    await new Promise((r) => setTimeout(r, 10_000));
    const window = Date.now() - since;
    const counted = starts();
    const st = gw.states.get('npx404')!;
    console.log(
      `failed-start: ${counted} starts in ${window} ms (the backoff allows at most ${mostStartsWithin(window)}; a fixed ${FIRST_MS} ms retry: ${Math.floor(window / FIRST_MS)}); failures ${st.failures}, next wait ${st.retryAt! - Date.now()} ms`,
    );
    expect(counted).toBeGreaterThanOrEqual(3); // it does keep trying
    expect(counted).toBeLessThanOrEqual(mostStartsWithin(window) + 2);
    expect(counted * 5).toBeLessThan(window / FIRST_MS);
    // Each start is a failure counted, but for one racing another (a client's start and a probe
    // both at a due retry: the later news wins, the other is not counted twice).
    expect(st.failures).toBeLessThanOrEqual(counted);
    expect(st.failures).toBeGreaterThanOrEqual(counted - 2);

    // Clients asking meanwhile (the wait is seconds long by now) are told why and when, and start
    // nothing before the retry is due.
    const before = starts();
    const refused: string[] = [];
    for (let i = 0; i < 10; i++) {
      const init = await initialize(`${gw.url}/mcp/npx404`);
      const message = (init.body?.error as { message?: string } | undefined)?.message ?? '';
      expect(message).toMatch(/^server "npx404" exited with code 1 before it answered initialize/);
      if (message.includes('; toolgate starts it again in ')) refused.push(message);
    }
    expect(refused.length).toBeGreaterThanOrEqual(9);
    expect(refused[0]).toMatch(
      /starts it again in \d+ s \(at \S+Z\); its last stderr lines are in the gateway log$/,
    );
    // At most the one retry that may have fallen due during the ten requests.
    expect(starts() - before).toBeLessThanOrEqual(1);

    // The operator fixed something: the admin API tries it now, with a fresh count.
    const beforeRetry = starts();
    const res = await gw.adminFetch('/api/servers/npx404/retry', { method: 'POST' });
    expect(res.status).toBe(200);
    const retried = (await res.json()) as ApiServer & { retried: boolean };
    expect(retried).toMatchObject({ name: 'npx404', retried: true, status: 'down', failures: 1 });
    expect(retried.reason).toContain('npm error code E404');
    expect(starts() - beforeRetry).toBeGreaterThanOrEqual(1);
    expect((await gw.adminFetch('/api/servers/nope/retry', { method: 'POST' })).status).toBe(404);
  }, 60_000);

  it('coming up after failures resets the backoff', async () => {
    const { gw, starts, dir } = await start('npm404', 'ok');
    await until('three failed starts', async () =>
      (gw.states.get('npx404')?.failures ?? 0) >= 3 ? true : undefined,
    );
    writeFileSync(join(dir, 'ok'), '');
    await until(
      'the server up',
      async () => (gw.states.get('npx404')?.status === 'up' ? true : undefined),
      30_000,
    );
    const up = gw.states.get('npx404')!;
    expect(up.failures).toBeUndefined();
    expect(up.tools).toBe(1);
    const s = await McpSession.open(`${gw.url}/mcp/npx404`);
    const hello = (await s.callTool('hello')).body?.result as { content: { text: string }[] } | undefined;
    expect(hello?.content[0]?.text).toBe('hello');
    await s.close();

    // It fails again: the count starts at one, the wait at the first.
    rmSync(join(dir, 'ok'));
    const before = starts();
    const init = await initialize(`${gw.url}/mcp/npx404`);
    expect((init.body?.error as { message?: string } | undefined)?.message).toContain('exited with code 1');
    // This start (and, if the first retry already fell due, that one).
    expect(starts() - before).toBeGreaterThanOrEqual(1);
    expect(starts() - before).toBeLessThanOrEqual(2);
    const down = gw.states.get('npx404')!;
    expect(down).toMatchObject({ status: 'down' });
    expect(down.failures).toBeLessThanOrEqual(2);
    // From the first wait again: had the count gone on from 3, the wait would be 1.3 s or more.
    expect(down.retryAt! - Date.now()).toBeLessThanOrEqual(2 * FIRST_MS);
  }, 60_000);

  it('attacker: 12 MB of stderr with escape sequences leaves a small clean tail and a bounded log', async () => {
    const { gw } = await start('flood', undefined, 2_000); // the default first retry: one flood here
    const st = gw.states.get('npx404')!;
    expect(st.status).toBe('down');
    expect(st.stderr!.length).toBeLessThanOrEqual(TAIL_LINES);
    expect(st.stderr!.join('').length).toBeLessThanOrEqual(TAIL_CHARS);
    expect(st.stderr!.at(-1)).toMatch(/^npm error A complete log/);
    for (const text of [st.reason!, ...st.stderr!]) expect(text).not.toMatch(UNSAFE);
    const logs = gw.logs.join('');
    console.log(
      `failed-start flood: ${logs.length} characters of log, tail ${st.stderr!.join('').length} characters`,
    );
    expect(logs.length).toBeLessThan(2 * 1024 * 1024); // against 12 MB written per start
    expect(logs).not.toContain('owned'); // the window title never reached the log
    expect(logs).toContain('upstream stderr: lines not logged');
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  }, 60_000);
});
