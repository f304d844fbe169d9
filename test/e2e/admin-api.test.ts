import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING, startTestGateway, type TestGateway } from '../support/gateway.js';
import { postInitialize } from '../support/mcp-http.js';

const ADMIN = 'admin-secret-for-tests-0123456789';

// The admin API the dashboard uses (docs/admin-api.md), against a real gateway and upstream.
describe('admin API', () => {
  let gw: TestGateway;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${gw.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${ADMIN}`,
        'content-type': 'application/json',
        ...(init.headers ?? {}),
      },
    });

  beforeAll(async () => {
    gw = await startTestGateway(
      {
        admin: { token_env: 'TG_TEST_ADMIN' },
        servers: { everything: { ...EVERYTHING, policy: './everything.json' } },
      },
      {
        env: { ...process.env, TG_TEST_ADMIN: ADMIN },
        files: {
          'everything.json': JSON.stringify({
            version: '1',
            default: 'allow',
            tools: { echo: { limits: [{ counter: 'echo', window: 'minute', max: 5 }] } },
          }),
        },
        probe: true,
      },
    );
    await gw.probed;
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('refuses requests without the admin token, and a wrong one', async () => {
    expect((await fetch(`${gw.url}/api/servers`)).status).toBe(401);
    expect((await fetch(`${gw.url}/api/servers`, { headers: { authorization: 'Bearer nope' } })).status).toBe(
      401,
    );
    const session = (await (await fetch(`${gw.url}/api/session`)).json()) as {
      authRequired: boolean;
      authenticated: boolean;
    };
    expect(session).toMatchObject({ authRequired: true, authenticated: false });
  });

  it('logs in with a cookie that is HttpOnly and SameSite, and writes need the CSRF header', async () => {
    const login = await fetch(`${gw.url}/api/login`, {
      method: 'POST',
      body: JSON.stringify({ token: ADMIN }),
    });
    expect(login.status).toBe(204);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const jar = cookie.split(';')[0]!;
    const session = (await (await fetch(`${gw.url}/api/session`, { headers: { cookie: jar } })).json()) as {
      csrf: string;
    };
    expect(session.csrf).toMatch(/^[0-9a-f]{32}$/);
    const body = JSON.stringify({ name: 'csrf-check', servers: ['everything'] });
    const without = await fetch(`${gw.url}/api/grants`, { method: 'POST', headers: { cookie: jar }, body });
    expect(without.status).toBe(403);
    const withCsrf = await fetch(`${gw.url}/api/grants`, {
      method: 'POST',
      headers: { cookie: jar, 'x-toolgate-csrf': session.csrf },
      body,
    });
    expect(withCsrf.status).toBe(201);
    const foreign = await fetch(`${gw.url}/api/servers`, {
      headers: { cookie: jar, origin: 'http://evil.example' },
    });
    expect(foreign.status).toBe(403);
  });

  it('lists servers and classified tools with their decisions', async () => {
    const servers = (await (await api('/api/servers')).json()) as {
      name: string;
      status: string;
      tools: number;
    }[];
    expect(servers).toEqual([expect.objectContaining({ name: 'everything', status: 'up' })]);
    const tools = (await (await api('/api/servers/everything/tools')).json()) as {
      name: string;
      classification: { category: string; risk: string };
      decision: { outcome: string };
    }[];
    const echo = tools.find((t) => t.name === 'echo');
    expect(echo?.decision.outcome).toBe('allow');
    expect(echo?.classification.category).toBeTruthy();
    expect(tools.length).toBe(servers[0]!.tools);
  });

  it('validates, saves (hot-applies) and explains a policy', async () => {
    const bad = (await (
      await api('/api/policies/validate', {
        method: 'POST',
        body: JSON.stringify({ text: '{"version":"1","default":"maybe"}', format: 'json' }),
      })
    ).json()) as {
      ok: boolean;
      issues: { line: number; path: string }[];
    };
    expect(bad.ok).toBe(false);
    expect(bad.issues[0]).toMatchObject({ line: 1, path: 'default' });
    const rejected = await api('/api/policies/everything', {
      method: 'PUT',
      body: JSON.stringify({ text: '{"version":"1","default":"maybe"}' }),
    });
    expect(rejected.status).toBe(400);

    const client = new Client({ name: 'admin-test', version: '1' });
    const grant = (await (
      await api('/api/grants', {
        method: 'POST',
        body: JSON.stringify({ name: 'agent-1', servers: ['everything'] }),
      })
    ).json()) as { token: string };
    expect(grant.token).toMatch(/^tg_/);
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp/everything`), {
        requestInit: { headers: { authorization: `Bearer ${grant.token}` } },
      }),
    );
    try {
      expect((await client.callTool({ name: 'echo', arguments: { message: 'a' } })).isError).toBeFalsy();
      const saved = await api('/api/policies/everything', {
        method: 'PUT',
        body: JSON.stringify({
          text: JSON.stringify({
            version: '1',
            default: 'allow',
            tools: { echo: { deny: true, reason: 'echo is off' } },
          }),
        }),
      });
      expect(saved.status).toBe(200);
      const denied = await client.callTool({ name: 'echo', arguments: { message: 'b' } });
      expect(denied.content).toEqual([{ type: 'text', text: '[POLICY DENIED] echo is off' }]);
      const explained = (await (
        await api('/api/policies/everything/explain', {
          method: 'POST',
          body: JSON.stringify({ tool: 'echo', args: {} }),
        })
      ).json()) as { decision: string; rule: string };
      expect(explained).toMatchObject({ decision: 'deny', rule: 'tools.echo.deny' });
    } finally {
      await client.close();
    }
  });

  it('creates, lists and revokes grants without ever showing a token again', async () => {
    const created = (await (
      await api('/api/grants', {
        method: 'POST',
        body: JSON.stringify({ name: 'temp', servers: ['everything'], expiresIn: '1h' }),
      })
    ).json()) as { token: string };
    const list = await (await api('/api/grants')).text();
    expect(list).toContain('"temp"');
    expect(list).not.toContain(created.token);
    expect(list).not.toMatch(/[0-9a-f]{64}/);
    expect((await api('/api/grants/temp', { method: 'DELETE' })).status).toBe(204);
    expect((await api('/api/grants/temp', { method: 'DELETE' })).status).toBe(404);
    const res = await postInitialize(`${gw.url}/mcp/everything`, created.token);
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('revoked');
  });

  it('serves the audit log, stats and counter usage', async () => {
    await gw.audit.flush();
    const audit = (await (await api('/api/audit?grant=agent-1')).json()) as {
      records: { decision: string; tool: string }[];
    };
    // Newest first: the allowed call's write-ahead record, its outcome, then the denial.
    expect(audit.records.map((r) => r.decision)).toEqual(['deny', 'outcome', 'allow']);
    const stats = (await (await api('/api/stats?bucket=3600')).json()) as {
      buckets: { allow: number; deny: number }[];
    };
    const totals = stats.buckets.reduce((a, b) => ({ allow: a.allow + b.allow, deny: a.deny + b.deny }), {
      allow: 0,
      deny: 0,
    });
    expect(totals.allow).toBeGreaterThanOrEqual(1);
    expect(totals.deny).toBeGreaterThanOrEqual(1);
    const usage = (await (await api('/api/usage')).json()) as { counters: unknown[] };
    expect(Array.isArray(usage.counters)).toBe(true);
  });
});
