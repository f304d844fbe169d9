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
function setup(probeIntervalMs = 1_000) {
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
    onUp: (name) => upCalls.push(name),
    now: () => now,
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
    expect(r.problems).toEqual({
      'server:a': 'server "a" did not accept the request: fetch failed (ECONNREFUSED)',
    });
    expect(r.servers.a).toEqual({
      status: 'down',
      reason: r.problems['server:a'],
      since: new Date(downAt).toISOString(),
      checkedAt: new Date(downAt).toISOString(),
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
      reason: 'another failure',
      since: downAt,
      checkedAt: downAt,
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
    expect(t.health.readiness().problems).toEqual({ 'server:b': 'exited with code 1' });
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

  it('a probe overtaken by live traffic does not apply', async () => {
    const t = setup();
    void t.health.probeAll();
    await t.take('b').answer({ status: 'up' });
    // The start-up probe of a is still out when a request finds a unreachable.
    t.health.unreachable('a', 'ECONNREFUSED');
    await t.take('a').answer({ status: 'up' });
    expect(t.health.states.get('a')).toMatchObject({ status: 'down', reason: 'ECONNREFUSED' });
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
