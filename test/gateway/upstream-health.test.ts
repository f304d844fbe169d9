/**
 * The health view of the upstream servers (src/gateway/upstream-health.ts) with a fake probe and
 * clock: what the background check probes when (health-schedule.ts, pure), how live traffic marks
 * a server down, and which probe results are too old to apply.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config/index.js';
import { probesDue, type ServerView } from '../../src/gateway/health-schedule.js';
import { REPROBE_MS, UpstreamHealth } from '../../src/gateway/upstream-health.js';
import type { ServerState } from '../../src/upstream/probe.js';

const TIMES = { downRetryMs: 2_000, idleMs: 30_000 };
const view = (
  name: string,
  state: ServerState | undefined,
  answeredAt?: number,
  probing = false,
): ServerView => ({
  name,
  state,
  answeredAt,
  probing,
});

describe('probesDue', () => {
  const now = 100_000;
  it.each([
    ['a server new in the config', view('s', undefined), true],
    ['a server never probed', view('s', { status: 'starting' }), true],
    ['one being probed', view('s', { status: 'starting' }, undefined, true), false],
    ['down, probed 1 s ago', view('s', { status: 'down', checkedAt: now - 1_000 }), false],
    ['down, probed 2 s ago', view('s', { status: 'down', checkedAt: now - 2_000 }), true],
    [
      'down and answering traffic: the retry cadence still applies',
      view('s', { status: 'down', checkedAt: now - 500 }, now),
      false,
    ],
    ['up, probed 10 s ago', view('s', { status: 'up', checkedAt: now - 10_000 }), false],
    ['up, idle for 30 s', view('s', { status: 'up', checkedAt: now - 30_000 }), true],
    [
      'up, probed long ago but answering traffic',
      view('s', { status: 'up', checkedAt: 0 }, now - 1_000),
      false,
    ],
    ['up, last traffic 30 s ago', view('s', { status: 'up', checkedAt: 0 }, now - 30_000), true],
  ])('%s', (_, server, due) => {
    expect(probesDue([server], now, TIMES)).toEqual(due ? ['s'] : []);
  });

  it('never idle-probes a stdio server (a probe starts its command), but retries one that is down', () => {
    const idle = { ...view('s', { status: 'up', checkedAt: 0 }), stdio: true };
    const down = { ...view('d', { status: 'down', checkedAt: 0 }), stdio: true };
    expect(probesDue([idle, down], 100_000, TIMES)).toEqual(['d']);
  });

  it('leaves idle servers alone when the idle check is off', () => {
    expect(probesDue([view('s', { status: 'up', checkedAt: 0 })], 100_000, { ...TIMES, idleMs: 0 })).toEqual(
      [],
    );
  });
});

/** A gateway's worth of health with a fake clock and a probe the test answers by hand. */
function setup(probeIntervalMs = 1_000, retryMaxMs?: number, redact?: (t: string) => string) {
  let now = 1_000_000;
  const servers = new Map<string, ServerConfig>([
    ['a', { url: 'http://127.0.0.1:1/mcp' } as ServerConfig],
    ['b', { url: 'http://127.0.0.1:2/mcp' } as ServerConfig],
  ]);
  const pending: { name: string; answer(st: ServerState): Promise<void> }[] = [];
  const upCalls: string[] = [];
  const logs: string[] = [];
  const health = new UpstreamHealth({
    servers: () => servers,
    log: pino({ level: 'debug' }, { write: (s: string) => logs.push(s) }),
    probeIntervalMs,
    retryMaxMs,
    redact,
    onUp: (name) => upCalls.push(name),
    now: () => now,
    random: () => 0, // no jitter: each wait is its nominal value

    probe: (name) =>
      new Promise<ServerState>((resolve) => {
        pending.push({
          name,
          answer: async (st) => {
            resolve({ checkedAt: now, ...st });
            await new Promise((r) => setImmediate(r));
          },
        });
      }),
  });
  const take = (name: string) => {
    const i = pending.findIndex((p) => p.name === name);
    expect(i, `a probe of ${name}`).toBeGreaterThanOrEqual(0);
    return pending.splice(i, 1)[0]!;
  };
  return {
    health,
    servers,
    pending,
    upCalls,
    logs,
    take,
    advance: (ms: number) => {
      now += ms;
    },
    get now() {
      return now;
    },
  };
}

describe('UpstreamHealth', () => {
  it('start-up probes, then live traffic marks a server down with the reason and the time', async () => {
    const t = setup();
    void t.health.probeAll();
    expect(t.pending.map((p) => p.name)).toEqual(['a', 'b']);
    await t.take('a').answer({ status: 'up', tools: 1, toolList: [{ name: 'x' }] });
    await t.take('b').answer({ status: 'up', tools: 0 });
    expect(t.upCalls).toEqual(['a', 'b']);
    expect(t.health.readiness()).toMatchObject({
      problems: {},
      servers: { a: { status: 'up' }, b: { status: 'up' } },
    });

    t.advance(5_000);
    const downAt = t.now;
    t.health.unreachable('a', 'server "a" did not accept the request: fetch failed (ECONNREFUSED)');
    const r = t.health.readiness();
    const retryAt = new Date(downAt + 1_000).toISOString(); // the first retry: min(2 s, probe_interval)
    expect(r.problems).toEqual({
      'server:a': `server "a" did not accept the request: fetch failed (ECONNREFUSED) (failed once; next attempt in 1 s (at ${retryAt}))`,
    });
    expect(r.servers.a).toEqual({
      status: 'down',
      reason: r.problems['server:a'],
      since: new Date(downAt).toISOString(),
      checkedAt: new Date(downAt).toISOString(),
      failures: 1,
      retryAt,
    });
    // What it last listed is kept: hidden tools go on answering like missing ones.
    expect(t.health.states.get('a')?.toolList).toEqual([{ name: 'x' }]);
    expect([...t.health.up()]).toEqual([
      ['a', false],
      ['b', true],
    ]);
    expect(t.logs.filter((l) => l.includes('server down'))).toHaveLength(1);

    // More failures: the reason follows, the outage keeps its start and does not postpone the retry.
    t.advance(500);
    t.health.unreachable('a', 'another failure');
    expect(t.health.states.get('a')).toMatchObject({
      cause: 'another failure',
      since: downAt,
      checkedAt: downAt,
      failures: 1,
      retryAt: downAt + 1_000,
    });
    expect(t.logs.filter((l) => l.includes('server down'))).toHaveLength(1);
  });

  it('the background check retries a down server, probes an idle one, and leaves a busy one alone', async () => {
    const t = setup(1_000); // down retried every min(REPROBE_MS, 1 s)
    void t.health.probeAll();
    await t.take('a').answer({ status: 'down', reason: 'ECONNREFUSED' });
    await t.take('b').answer({ status: 'up' });

    t.advance(500);
    t.health.answered('b');
    t.health.tick();
    expect(t.pending).toEqual([]); // a: retried only after 1 s; b: just answered traffic

    t.advance(600);
    t.health.tick();
    expect(t.pending.map((p) => p.name)).toEqual(['a']);
    t.health.tick(); // one probe per server at a time
    expect(t.pending.map((p) => p.name)).toEqual(['a']);
    await t.take('a').answer({ status: 'up' });
    expect(t.health.readiness().problems).toEqual({});
    expect(t.logs.filter((l) => l.includes('server up'))).toHaveLength(2);

    t.advance(1_000); // b: no traffic for 1.1 s; a: probed 1 s ago, but busy
    t.health.answered('a');
    t.health.tick();
    expect(t.pending.map((p) => p.name)).toEqual(['b']);
    await t.take('b').answer({ status: 'down', reason: 'exited with code 1' });
    expect(t.health.readiness().problems['server:b']).toMatch(
      /^exited with code 1 \(failed once; next attempt in 1 s/,
    );
  });

  it('a server that answers while marked down is probed at once', async () => {
    const t = setup(0); // background check off
    void t.health.probeAll();
    await t.take('a').answer({ status: 'up' });
    await t.take('b').answer({ status: 'up' });
    t.health.unreachable('a', 'ECONNREFUSED');
    t.health.answered('a');
    expect(t.pending.map((p) => p.name)).toEqual(['a']);
    await t.take('a').answer({ status: 'up' });
    expect(t.health.states.get('a')?.status).toBe('up');
  });

  it('a stdio server that answers while marked down waits for its retry (its old processes prove nothing)', async () => {
    const t = setup(0);
    t.servers.set('s', { command: 'npx', args: ['-y', 'some-server'] } as ServerConfig);
    void t.health.probeAll();
    for (const name of ['a', 'b', 's']) await t.take(name).answer({ status: 'up' });
    t.health.unreachable('s', 'server "s" exited with code 1 before it answered initialize');
    t.health.answered('s');
    expect(t.pending).toEqual([]);
    t.advance(REPROBE_MS);
    t.health.answered('s');
    expect(t.pending.map((p) => p.name)).toEqual(['s']);
  });

  it('a probe overtaken by live traffic does not apply', async () => {
    const t = setup();
    void t.health.probeAll();
    await t.take('b').answer({ status: 'up' });
    // The start-up probe of a is still out when a request finds a unreachable.
    t.health.unreachable('a', 'ECONNREFUSED');
    await t.take('a').answer({ status: 'up' });
    expect(t.health.states.get('a')).toMatchObject({ status: 'down', cause: 'ECONNREFUSED' });
  });

  it('/readyz re-probes down servers at most every REPROBE_MS, with the background check off', async () => {
    const t = setup(0);
    void t.health.probeAll();
    await t.take('a').answer({ status: 'down', reason: 'x' });
    await t.take('b').answer({ status: 'up' });
    t.health.readiness();
    expect(t.pending).toEqual([]);
    t.advance(REPROBE_MS);
    t.health.readiness();
    expect(t.pending.map((p) => p.name)).toEqual(['a']);
  });

  it('forgets servers a reload removed, and probes ones it added', async () => {
    const t = setup();
    void t.health.probeAll();
    await t.take('a').answer({ status: 'down', reason: 'x' });
    await t.take('b').answer({ status: 'up' });
    t.servers.delete('a');
    t.servers.set('c', { url: 'http://127.0.0.1:3/mcp' } as ServerConfig);
    expect(t.health.readiness().problems).toEqual({}); // a no longer counts, even before a tick
    t.health.tick();
    expect([...t.health.states.keys()]).toEqual(['b', 'c']);
    expect(t.pending.map((p) => p.name)).toEqual(['c']);
    t.health.unreachable('a', 'late news of a removed server');
    expect(t.health.states.has('a')).toBe(false);
  });
});

describe('UpstreamHealth backoff', () => {
  /** Advance to just before a's next attempt (nothing happens), then to it (a probe of a). */
  async function nextAttempt(t: ReturnType<typeof setup>, answer: ServerState): Promise<number> {
    const due = t.health.states.get('a')!.retryAt!;
    const wait = due - t.now;
    t.advance(wait - 1);
    t.health.answered('b'); // b is busy: only a's attempts are probes here
    t.health.tick();
    t.health.readiness(); // /readyz waits for the backoff too
    expect(t.pending, 'no attempt before it is due').toEqual([]);
    t.advance(1);
    t.health.answered('b');
    t.health.tick();
    await t.take('a').answer(answer);
    return wait;
  }

  it('a server that keeps failing waits twice as long each time, up to retry_max; coming up resets it', async () => {
    const t = setup(1_000, 8_000); // first retry after min(2 s, probe_interval) = 1 s
    void t.health.probeAll();
    await t.take('a').answer({ status: 'down', reason: 'exited with code 1' });
    await t.take('b').answer({ status: 'up' });
    const waits: number[] = [];
    for (let i = 0; i < 6; i++)
      waits.push(await nextAttempt(t, { status: 'down', reason: 'exited with code 1' }));
    expect(waits).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    expect(t.health.states.get('a')).toMatchObject({ failures: 7 });
    expect(t.logs.filter((l) => l.includes('server down'))).toHaveLength(1);
    expect(t.logs.filter((l) => l.includes('server still down'))).toHaveLength(6);

    await nextAttempt(t, { status: 'up', tools: 1 });
    const up = t.health.states.get('a')!;
    expect(up.status).toBe('up');
    expect(up.failures).toBeUndefined();
    expect(t.logs.at(-1)).toContain('"failedBefore":7');
    // The next outage starts from the first wait again.
    t.health.unreachable('a', 'ECONNREFUSED');
    expect(t.health.states.get('a')).toMatchObject({ failures: 1, retryAt: t.now + 1_000 });
  });

  it('live failures before the retry is due move nothing; a start once it is due counts as an attempt', () => {
    const t = setup(1_000);
    const start = t.now;
    t.health.unreachable('a', 'ECONNREFUSED');
    expect(t.health.states.get('a')).toMatchObject({ failures: 1, retryAt: start + 1_000 });
    t.advance(500);
    t.health.unreachable('a', 'ECONNREFUSED again');
    expect(t.health.states.get('a')).toMatchObject({ failures: 1, retryAt: start + 1_000 });
    t.advance(500);
    t.health.unreachable('a', 'ECONNREFUSED at the retry');
    expect(t.health.states.get('a')).toMatchObject({ failures: 2, retryAt: t.now + 2_000 });
  });

  it('sessions may not start a stdio server before its retry is due, and are told why and when', async () => {
    const t = setup(1_000);
    t.servers.set('s', { command: 'npx', args: ['-y', '@acme/no-such-mcp'] } as ServerConfig);
    expect(t.health.startRefused('s')).toBeUndefined(); // never failed
    const stderr = [
      'npm error code E404',
      'npm error 404 Not Found - GET https://registry.npmjs.org/@acme%2fno-such-mcp',
    ];
    t.health.unreachable('s', 'server "s" exited with code 1 before it answered initialize', stderr);
    const refused = t.health.startRefused('s');
    expect(refused).toBe(
      `server "s" exited with code 1 before it answered initialize; toolgate starts it again in 1 s (at ${new Date(t.now + 1_000).toISOString()}); its last stderr lines are in the gateway log`,
    );
    t.advance(1_000);
    expect(t.health.startRefused('s')).toBeUndefined(); // due: the next session may start it
  });

  it('the reason shown has the stderr lines and the next attempt; /readyz has neither the lines nor secrets', async () => {
    const t = setup(1_000, undefined, (text) => text.replaceAll('hunter2', '[REDACTED]'));
    void t.health.probeAll();
    const stderr = [
      'npm error code E404',
      'npm error 404 Not Found - GET https://registry.npmjs.org/@acme%2fno-such-mcp - Not found',
      'npm error password hunter2',
    ];
    await t.take('a').answer({
      status: 'down',
      reason: 'ignored: the probe gives the cause apart',
      cause: 'server "a" exited with code 1 before it answered initialize (token hunter2)',
      stderr,
    });
    const at = new Date(t.now + 1_000).toISOString();
    const st = t.health.states.get('a')!;
    expect(st.reason).toBe(
      [
        `server "a" exited with code 1 before it answered initialize (token [REDACTED]) (failed once; next attempt at ${at})`,
        'Last lines of its stderr:',
        '  npm error code E404',
        '  npm error 404 Not Found - GET https://registry.npmjs.org/@acme%2fno-such-mcp - Not found',
        '  npm error password [REDACTED]',
      ].join('\n'),
    );
    expect(st.stderr).toHaveLength(3);
    const shown = t.health.readiness().problems['server:a'];
    expect(shown).toBe(
      `server "a" exited with code 1 before it answered initialize (token [REDACTED]) (failed once; next attempt in 1 s (at ${at})); its last stderr lines are in the gateway log and GET /api/servers`,
    );
    const log = t.logs.find((l) => l.includes('server down'))!;
    expect(log).toContain('npm error 404 Not Found');
    expect(t.logs.join('')).not.toContain('hunter2');
  });

  it('a config reload, or retry(), tries a down server at once with a fresh count', async () => {
    const t = setup(1_000);
    void t.health.probeAll();
    await t.take('a').answer({ status: 'down', reason: 'x' });
    await t.take('b').answer({ status: 'up' });
    for (let i = 0; i < 3; i++) await nextAttempt(t, { status: 'down', reason: 'x' });
    expect(t.health.states.get('a')).toMatchObject({ failures: 4 });
    expect(t.health.states.get('a')!.retryAt! - t.now).toBe(8_000);

    t.servers.set('a', { url: 'http://127.0.0.1:1/mcp' } as ServerConfig); // a reload: a new object
    t.health.tick();
    expect(t.pending.map((p) => p.name)).toEqual(['a']);
    await t.take('a').answer({ status: 'down', reason: 'x' });
    expect(t.health.states.get('a')).toMatchObject({ failures: 1, retryAt: t.now + 1_000 });

    await nextAttempt(t, { status: 'down', reason: 'x' });
    const retried = t.health.retry('a');
    expect(t.health.states.get('a')).toMatchObject({ failures: 0, retryAt: t.now });
    expect(t.health.readiness().problems['server:a']).toBe('x (trying again now)');
    await t.take('a').answer({ status: 'up' });
    await retried;
    expect(t.health.states.get('a')?.status).toBe('up');
  });
});
