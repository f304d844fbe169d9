/**
 * Issue 5, "Must show": `/metrics` parses as Prometheus text exposition (a strict line parser
 * below: every line is `# HELP`, `# TYPE`, a sample, or blank) and `toolgate_decisions_total`
 * counts this test's decisions exactly, per tool and outcome, on a fresh gateway. `/metrics` needs
 * the admin token when one is configured. `/healthz` is the process; `/readyz` is 503 naming a
 * server while it is down and 200 once every server is up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConformanceServerHandle,
  startConformanceServer,
} from '../fixtures/servers/conformance-server.js';
import { awayFromWindowEnd, freePort } from '../support/e2e.js';
import { EVERYTHING, startTestGateway, type TestGateway } from '../support/gateway.js';
import { type HttpReply, McpSession } from '../support/mcp-http.js';

const ADMIN = 'metrics-admin-token-0123456789abcdef';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Exposition {
  help: Map<string, string>;
  type: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/**
 * A strict parser of the Prometheus text format (version 0.0.4): it throws on any line it does
 * not understand, on a sample of a family without `# TYPE`, and on a family typed twice.
 */
function parsePrometheus(text: string): Exposition {
  const out: Exposition = { help: new Map(), type: new Map(), samples: [] };
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop(); // the exposition ends with a newline
  lines.forEach((line, i) => {
    const fail: (why: string) => never = (why) => {
      throw new Error(`line ${i + 1}: ${why}: ${JSON.stringify(line)}`);
    };
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) {
        if (/^# (HELP|TYPE)\b/.test(line)) fail('malformed comment');
        return; // other comments are allowed
      }
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) fail('bad metric name');
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) fail('unknown type');
        if (out.type.has(name)) fail('family typed twice');
        out.type.set(name, rest);
      } else {
        if (out.help.has(name)) fail('family described twice');
        out.help.set(name, rest);
      }
      return;
    }
    // name{label="value",...} value [timestamp]
    let pos = 0;
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) fail('bad metric name');
    const name = nameMatch[0];
    pos = name.length;
    const labels: Record<string, string> = {};
    if (line[pos] === '{') {
      pos++;
      while (line[pos] !== '}') {
        const eq = line.indexOf('=', pos);
        if (eq < 0) fail('label without =');
        const label = line.slice(pos, eq);
        if (!LABEL.test(label)) fail(`bad label name ${label}`);
        if (line[eq + 1] !== '"') fail('label value not quoted');
        let value = '';
        let j = eq + 2;
        for (;;) {
          const c = line[j];
          if (c === undefined) fail('unterminated label value');
          if (c === '"') break;
          if (c === '\\') {
            const e = line[j + 1];
            if (e === 'n') value += '\n';
            else if (e === '\\' || e === '"') value += e;
            else fail('bad escape in label value');
            j += 2;
          } else {
            value += c;
            j++;
          }
        }
        if (label in labels) fail(`label ${label} given twice`);
        labels[label] = value;
        pos = j + 1;
        if (line[pos] === ',') pos++;
        else if (line[pos] !== '}') fail('expected , or } after a label');
      }
      pos++;
    }
    const rest = line.slice(pos);
    const m = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
    if (!m) fail('expected " value [timestamp]"');
    const raw = m[1]!;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : raw === 'NaN' ? NaN : Number(raw);
    if (Number.isNaN(value) && raw !== 'NaN') fail('value is not a number');
    const family = out.type.has(name) ? name : name.replace(/_(bucket|sum|count|total|created)$/, '');
    if (!out.type.has(family)) fail(`sample of a family without # TYPE (${name})`);
    out.samples.push({ name, labels, value });
  });
  return out;
}

describe('a Prometheus text parser (the one the tests below use)', () => {
  it('reads HELP, TYPE, labels with escapes, and refuses what is not the format', () => {
    const parsed = parsePrometheus(
      '# HELP x_total a "thing"\n# TYPE x_total counter\nx_total{a="1",b="q\\"\\\\\\n"} 3\nx_total 4 1700000000000\n',
    );
    expect(parsed.samples).toEqual([
      { name: 'x_total', labels: { a: '1', b: 'q"\\\n' }, value: 3 },
      { name: 'x_total', labels: {}, value: 4 },
    ]);
    expect(() => parsePrometheus('y 1\n')).toThrow(/without # TYPE/);
    expect(() => parsePrometheus('# TYPE y gauge\ny{a=1} 1\n')).toThrow(/not quoted/);
    expect(() => parsePrometheus('# TYPE y gauge\ny one\n')).toThrow(/not a number/);
    expect(() => parsePrometheus('# TYPE y gauge\n# TYPE y gauge\n')).toThrow(/typed twice/);
  });
});

describe('/metrics, /healthz and /readyz', () => {
  let gw: TestGateway;
  const metricsText = async () => {
    const res = await fetch(`${gw.url}/metrics`, {
      headers: { authorization: `Bearer ${ADMIN}` },
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.text();
  };
  const decisions = (e: Exposition) =>
    Object.fromEntries(
      e.samples
        .filter((s) => s.name === 'toolgate_decisions_total')
        .map((s) => [`${s.labels.server}/${s.labels.tool}/${s.labels.outcome}`, s.value]),
    );

  beforeAll(async () => {
    gw = await startTestGateway(
      {
        admin: { token_env: 'TG_METRICS_ADMIN' },
        auth: { mode: 'none' },
        servers: {
          everything: {
            ...EVERYTHING,
            policy: {
              version: '1',
              default: 'allow',
              hide: ['get-env'],
              tools: {
                echo: { limits: [{ counter: 'echo', window: 'hour', max: 2, scope: 'session' }] },
                'get-tiny-image': { deny: true, reason: 'no images in this test' },
              },
            },
          },
        },
      },
      { env: { ...process.env, TG_METRICS_ADMIN: ADMIN }, probe: true },
    );
    await gw.probed;
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
  });

  it('needs the admin token when one is configured', async () => {
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${gw.url}/metrics`, { headers: { authorization: 'Bearer not-it' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain('toolgate_');
  });

  it('parses strictly and counts exactly the decisions of this test, per outcome', async () => {
    const before = parsePrometheus(await metricsText());
    expect(before.type.get('toolgate_decisions_total')).toBe('counter');
    expect(decisions(before)).toEqual({}); // a fresh gateway has decided nothing

    await awayFromWindowEnd(3600, 30_000);
    const s = await McpSession.open(`${gw.url}/mcp/everything`);
    const replies: HttpReply[] = [];
    const call = async (name: string, args: Record<string, unknown> = {}) => {
      const r = await s.callTool(name, args);
      expect(r.status).toBe(200);
      replies.push(r);
      return r;
    };
    for (let i = 0; i < 3; i++) await call('echo', { message: `m${i}` }); // 2 allow, 1 rate_limited
    await call('get-sum', { a: 1, b: 2 }); // allow
    for (let i = 0; i < 2; i++) await call('get-tiny-image'); // 2 deny
    await call('get-env'); // hide: answers as an unknown tool
    await s.close();

    const after = parsePrometheus(await metricsText());
    expect(decisions(after)).toEqual({
      'everything/echo/allow': 2,
      'everything/echo/rate_limited': 1,
      'everything/get-sum/allow': 1,
      'everything/get-tiny-image/deny': 2,
      'everything/get-env/hide': 1,
    });
    // Every family is described, and the other documented families are there.
    for (const name of after.type.keys()) expect(after.help.has(name)).toBe(true);
    for (const family of [
      'toolgate_upstream_latency_seconds',
      'toolgate_backend_errors_total',
      'toolgate_auth_failures_total',
      'toolgate_sessions',
      'toolgate_upstream_up',
    ])
      expect(after.type.has(family), family).toBe(true);
    // The probed server is up (test/e2e/readiness.test.ts follows one that goes down).
    expect(after.type.get('toolgate_upstream_up')).toBe('gauge');
    expect(after.samples.filter((x) => x.name === 'toolgate_upstream_up')).toEqual([
      { name: 'toolgate_upstream_up', labels: { server: 'everything' }, value: 1 },
    ]);
    // The upstream latency histogram saw the three forwarded calls.
    const count = after.samples.find(
      (x) =>
        x.name === 'toolgate_upstream_latency_seconds_count' &&
        x.labels.server === 'everything' &&
        x.labels.outcome === 'ok',
    );
    expect(count?.value).toBe(3);
  }, 60_000);

  it('/healthz is 200 with the process up', async () => {
    const res = await fetch(`${gw.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz is 200 when every server is up', async () => {
    const res = await fetch(`${gw.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready', problems: {} });
  });
});

describe('upstream latency of calls a shadow policy lets through', () => {
  let gw: TestGateway | undefined;

  afterAll(async () => {
    await gw?.close();
  });

  it('observes every forwarded call, shadow_deny included', async () => {
    gw = await startTestGateway({
      auth: { mode: 'none' },
      servers: {
        everything: {
          ...EVERYTHING,
          policy: {
            version: '1',
            mode: 'shadow',
            default: 'deny',
            tools: { echo: { deny_if: [{ path: 'args.message', op: 'contains', value: 'secret' }] } },
          },
        },
      },
    });
    const s = await McpSession.open(`${gw.url}/mcp/everything`);
    for (const [name, args] of [
      ['echo', { message: 'hello' }], // allow
      ['echo', { message: 'a secret' }], // shadow_deny: deny_if holds
      ['get-sum', { a: 1, b: 2 }], // shadow_deny: not listed, default deny
    ] as const) {
      const r = await s.callTool(name, args);
      expect(r.body?.result, name).toBeDefined(); // forwarded: the upstream answered
    }
    await s.close();

    // No admin token configured: /metrics takes the one the gateway made, like /api.
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
    const text = await (await gw.adminFetch('/metrics', { signal: AbortSignal.timeout(10_000) })).text();
    const e = parsePrometheus(text);
    const sample = (name: string, labels: Record<string, string>) =>
      e.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
    expect(sample('toolgate_decisions_total', { tool: 'echo', outcome: 'allow' })?.value).toBe(1);
    expect(sample('toolgate_decisions_total', { tool: 'echo', outcome: 'shadow_deny' })?.value).toBe(1);
    expect(sample('toolgate_decisions_total', { tool: 'get-sum', outcome: 'shadow_deny' })?.value).toBe(1);
    // All three went upstream, so all three are in the latency histogram (shadow ones were missing).
    const latency = { server: 'everything', outcome: 'ok' };
    expect(sample('toolgate_upstream_latency_seconds_count', latency)?.value).toBe(3);
    expect(sample('toolgate_upstream_latency_seconds_bucket', { ...latency, le: '+Inf' })?.value).toBe(3);
  }, 60_000);
});

describe('/readyz while a server is down', () => {
  let gw: TestGateway | undefined;
  let late: ConformanceServerHandle | undefined;

  afterAll(async () => {
    await gw?.close();
    await late?.close();
  });

  it('is 503 naming the server while it is down, and 200 once it is up', async () => {
    const port = await freePort();
    gw = await startTestGateway(
      {
        auth: { mode: 'none' },
        servers: {
          everything: { ...EVERYTHING, policy: { version: '1', default: 'allow' } },
          late: { url: `http://127.0.0.1:${port}/mcp`, policy: { version: '1', default: 'allow' } },
        },
      },
      { probe: true },
    );
    await gw.probed;
    const down = await fetch(`${gw.url}/readyz`);
    expect(down.status).toBe(503);
    const body = (await down.json()) as {
      status: string;
      problems: Record<string, string>;
      servers: Record<string, { status: string; reason?: string }>;
    };
    expect(body.status).toBe('not ready');
    expect(Object.keys(body.problems)).toEqual(['server:late']);
    // Every server's state is listed too; the down one with the same reason.
    expect(body).toMatchObject({
      servers: {
        everything: { status: 'up' },
        late: { status: 'down', reason: body.problems['server:late'] },
      },
    });
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200); // the process itself is fine

    // The server comes up: readiness follows without a restart.
    late = await startConformanceServer({ port });
    const deadline = Date.now() + 15_000;
    let status = 0;
    let last = '';
    while (Date.now() < deadline) {
      const r = await fetch(`${gw.url}/readyz`);
      status = r.status;
      last = await r.text();
      if (status === 200) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    expect(status, last).toBe(200);
    expect(JSON.parse(last)).toMatchObject({ status: 'ready', problems: {} });
  }, 60_000);
});
