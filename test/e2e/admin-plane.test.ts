/**
 * Issue 13 part 5, "the admin plane is never open" (findings F10, F16, F20), against a real
 * in-process gateway with no admin token configured (the README's and `toolgate init`'s setup):
 * - every /api route (as docs/admin-api.md lists them) and /metrics answer 401 to a raw request
 *   from loopback; the gateway made a token in a 0600 file beside its database and never logs it;
 * - a login link signs in once (a cookie; /api/session says authenticated) and never again;
 * - wrong logins and wrong bearer tokens are held back, then refused with 429 + Retry-After, per
 *   address: the right token from another address, and a signed-in cookie, still work;
 * - a foreign loopback Origin may not use the API; logout needs the CSRF token;
 * - a stored grant may not take a config or JWT grant's name (409 naming which), and one that
 *   already has such a name (made before the name was configured) no longer authenticates.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { generateToken, hashToken } from '../../src/auth/tokens.js';
import { parseConfig } from '../../src/config/index.js';
import { startGateway } from '../../src/gateway/index.js';
import { EVERYTHING, startTestGateway, type TestGateway } from '../support/gateway.js';
import { postInitialize } from '../support/mcp-http.js';
import { rawRequest } from '../support/raw-http.js';

/** Every `METHOD /api/...` docs/admin-api.md documents, with sample values for its parameters. */
function documentedRoutes(): { method: string; path: string }[] {
  const doc = readFileSync(join(process.cwd(), 'docs/admin-api.md'), 'utf8');
  const out = new Map<string, { method: string; path: string }>();
  for (const m of doc.matchAll(/`(GET|POST|PUT|DELETE) (\/api\/[^`?\s]*)/g)) {
    const path = m[2]!
      .replace(/:server|:name/g, 'everything')
      .replace(/:tool/g, 'echo')
      .replace(/:id/g, 'apr_x');
    out.set(`${m[1]} ${path}`, { method: m[1]!, path });
  }
  return [...out.values()];
}

describe('the admin plane with no admin token configured', () => {
  let gw: TestGateway;
  let token: string;
  const jsonOf = async (res: Response) => (await res.json()) as Record<string, unknown>;

  /** A dashboard login through a one-time link: the cookie and its CSRF value. */
  const signIn = async () => {
    const code = new URL(gw.admin.loginLink()).hash.slice('#login='.length);
    const res = await fetch(`${gw.url}/api/login`, {
      method: 'POST',
      headers: { origin: gw.url, 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    expect(res.status).toBe(204);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    const session = await jsonOf(await fetch(`${gw.url}/api/session`, { headers: { cookie } }));
    return { cookie, csrf: session.csrf as string };
  };

  beforeAll(async () => {
    gw = await startTestGateway(
      {
        servers: { everything: { ...EVERYTHING, policy: './everything.json' } },
        grants: [{ name: 'from-yaml', servers: ['everything'], token_sha256: hashToken('tg_unused') }],
        // Never contacted (JWKS are fetched on the first JWT): only the grant name matters here.
        jwt: {
          issuer: 'https://idp.invalid/',
          audience: 'toolgate',
          jwks_url: 'http://127.0.0.1:9/jwks.json',
          grants: [{ name: 'jwt-team', servers: ['everything'], claims: { groups: 'team' } }],
        },
      },
      { files: { 'everything.json': JSON.stringify({ version: '1', default: 'deny' }) } },
    );
    token = gw.adminToken();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('answers 401 on every documented /api route and on /metrics to a request with no credential', async () => {
    const routes = documentedRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(20);
    for (const { method, path } of [...routes, { method: 'GET', path: '/metrics' }]) {
      const res = await rawRequest(gw.url, {
        method,
        path,
        body: method === 'GET' ? undefined : '{}',
      });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.headers['www-authenticate'], `${method} ${path}`).toMatch(/^Bearer realm="toolgate-admin"/);
    }
    // The write the finding made (a policy opened to everything) did not happen.
    expect(readFileSync(join(gw.dir, 'everything.json'), 'utf8')).toContain('"deny"');
    // Session says why, in the body the dashboard reads.
    const session = await rawRequest(gw.url, { method: 'GET', path: '/api/session' });
    expect(session.json).toMatchObject({ authenticated: false, authRequired: true, error: 'unauthorized' });
    expect(String(session.json?.message)).toContain('toolgate admin token');
  });

  it('made a token in a 0600 file beside its database, which works as a bearer token and is never logged', async () => {
    // storage.sqlite is <dir>/toolgate.db: the token file is its neighbour.
    expect(gw.admin.source).toEqual({ kind: 'file', file: join(gw.dir, 'admin-token'), created: true });
    expect(statSync(join(gw.dir, 'admin-token')).mode & 0o777).toBe(0o600);
    expect(token).toMatch(/^tg_[A-Za-z0-9_-]{43}$/);
    expect((await gw.adminFetch('/api/servers')).status).toBe(200);
    expect((await gw.adminFetch('/metrics')).status).toBe(200);
    await signIn();
    const logs = gw.logs.join('');
    expect(logs).not.toContain(token);
    expect(logs).not.toContain(hashToken(token));
  });

  it('a login link signs the dashboard in once, and never again', async () => {
    const link = gw.admin.loginLink();
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#login=[A-Za-z0-9_-]{43}$/);
    // What a browser fetches for the link: the dashboard (the code stays in the fragment).
    const page = await fetch(link);
    expect(page.status).toBe(200);
    const code = new URL(link).hash.slice('#login='.length);
    const login = () =>
      fetch(`${gw.url}/api/login`, {
        method: 'POST',
        headers: { origin: gw.url, 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      });
    const first = await login();
    expect(first.status).toBe(204);
    const setCookie = first.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^tg_admin=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\//);
    const cookie = setCookie.split(';')[0]!;
    const session = await jsonOf(await fetch(`${gw.url}/api/session`, { headers: { cookie } }));
    expect(session).toMatchObject({ authenticated: true, authRequired: true });
    expect(session.csrf).toMatch(/^[0-9a-f]{32}$/);
    expect((await fetch(`${gw.url}/api/servers`, { headers: { cookie } })).status).toBe(200);

    const again = await login();
    expect(again.status).toBe(401);
    expect(again.headers.get('set-cookie')).toBeNull();
    expect((await jsonOf(again)).message).toContain('used already or has expired');
  });

  it('refuses a foreign loopback Origin, even with a cookie and its CSRF token, or a bearer token', async () => {
    const { cookie, csrf } = await signIn();
    const body = JSON.stringify({ name: 'from-9999', servers: ['everything'] });
    const foreign = { origin: 'http://localhost:9999', 'content-type': 'application/json' };
    const write = await fetch(`${gw.url}/api/grants`, {
      method: 'POST',
      headers: { ...foreign, cookie, 'x-toolgate-csrf': csrf },
      body,
    });
    expect(write.status).toBe(403);
    expect((await jsonOf(write)).message).toContain('listen.allowed_origins');
    const bearer = await fetch(`${gw.url}/api/grants`, {
      method: 'POST',
      headers: { ...foreign, authorization: `Bearer ${token}` },
      body,
    });
    expect(bearer.status).toBe(403);
    const logout = await fetch(`${gw.url}/api/logout`, { method: 'POST', headers: { ...foreign, cookie } });
    expect(logout.status).toBe(403);
    const login = await fetch(`${gw.url}/api/login`, {
      method: 'POST',
      headers: foreign,
      body: JSON.stringify({ token }),
    });
    expect(login.status).toBe(403);
    expect((await gw.adminFetch('/api/grants').then(jsonOf)) as unknown).not.toContainEqual(
      expect.objectContaining({ name: 'from-9999' }),
    );
    // The gateway's own origin, by either loopback name it is reached at, may write.
    const own = await fetch(`${gw.url}/api/grants`, {
      method: 'POST',
      headers: { origin: gw.url, cookie, 'x-toolgate-csrf': csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'from-own-origin', servers: ['everything'] }),
    });
    expect(own.status).toBe(201);
  });

  it('logout needs the CSRF token, then ends the session', async () => {
    const { cookie, csrf } = await signIn();
    const without = await fetch(`${gw.url}/api/logout`, { method: 'POST', headers: { cookie } });
    expect(without.status).toBe(403);
    expect((await fetch(`${gw.url}/api/servers`, { headers: { cookie } })).status).toBe(200);
    const withCsrf = await fetch(`${gw.url}/api/logout`, {
      method: 'POST',
      headers: { cookie, 'x-toolgate-csrf': csrf, origin: gw.url },
    });
    expect(withCsrf.status).toBe(204);
    expect(withCsrf.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await fetch(`${gw.url}/api/servers`, { headers: { cookie } })).status).toBe(401);
  });

  it('the decision stream of a dashboard session ends at logout: nothing is written after it', async () => {
    const { cookie, csrf } = await signIn();
    const stream = await fetch(`${gw.url}/api/decisions/stream`, { headers: { cookie } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    let text = '';
    /** Reads until `done(text)` or the stream ends; false when it ended first. */
    const readUntil = async (done: (t: string) => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!done(text)) {
        if (Date.now() > deadline) throw new Error(`stream: waited 10 s; got ${text}`);
        const chunk = await reader.read();
        if (chunk.done) return false;
        text += new TextDecoder().decode(chunk.value);
      }
      return true;
    };
    const record = (tool: string) =>
      gw.audit.record({
        grant: 'g',
        server: 'everything',
        tool,
        method: 'tools/call',
        decision: 'deny',
        upstream: 'none',
      });
    record('before-logout');
    await gw.audit.flush();
    expect(await readUntil((t) => t.includes('before-logout'))).toBe(true);
    const out = await fetch(`${gw.url}/api/logout`, {
      method: 'POST',
      headers: { cookie, 'x-toolgate-csrf': csrf, origin: gw.url },
    });
    expect(out.status).toBe(204);
    record('after-logout');
    await gw.audit.flush();
    expect(await readUntil(() => false)).toBe(false); // the gateway ended the stream
    expect(text).not.toContain('after-logout');
  });

  it('holds back wrong logins from one address, then answers 429; the right token from another address works', async () => {
    const { cookie } = await signIn(); // signed in before the attack, from the same address
    const attacker = '127.0.0.7';
    const wrongLogin = () =>
      rawRequest(gw.url, {
        path: '/api/login',
        body: JSON.stringify({ token: generateToken() }),
        localAddress: attacker,
      });
    const took: number[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) {
      const t0 = performance.now();
      const res = await wrongLogin();
      took.push(performance.now() - t0);
      statuses.push(res.status);
      if (res.status === 429) {
        const retry = Number(res.headers['retry-after']);
        expect(retry).toBeGreaterThan(0);
        expect(retry).toBeLessThanOrEqual(15 * 60);
        expect(res.json).toMatchObject({ error: 'too_many_attempts', retryAfterSeconds: retry });
      }
    }
    expect(statuses).toEqual([...Array(10).fill(401), ...Array(12).fill(429)]);
    // 5 answered at once, then 100, 200, 400, 800, 1600 ms held back; refusals are at once.
    for (const [i, want] of [100, 200, 400, 800, 1600].entries()) {
      expect(took[5 + i]).toBeGreaterThanOrEqual(want - 5);
    }
    expect(Math.max(...took.slice(10))).toBeLessThan(100);
    // Locked out: even the right token from that address waits for the window to end...
    const locked = await rawRequest(gw.url, {
      path: '/api/login',
      body: JSON.stringify({ token }),
      localAddress: attacker,
    });
    expect(locked.status).toBe(429);
    // ...but not another address, nor a session signed in before.
    const other = await rawRequest(gw.url, {
      path: '/api/login',
      body: JSON.stringify({ token }),
      localAddress: '127.0.0.8',
    });
    expect(other.status).toBe(204);
    expect((await fetch(`${gw.url}/api/servers`, { headers: { cookie } })).status).toBe(200);
    const bearerElsewhere = await rawRequest(gw.url, {
      method: 'GET',
      path: '/api/servers',
      headers: { authorization: `Bearer ${token}` },
      localAddress: '127.0.0.9',
    });
    expect(bearerElsewhere.status).toBe(200);
  }, 30_000);

  it('holds back wrong admin bearer tokens the same way, on /api and /metrics alike', async () => {
    const from = '127.0.0.10';
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await rawRequest(gw.url, {
        method: 'GET',
        path: i % 2 ? '/metrics' : '/api/grants',
        headers: { authorization: `Bearer ${generateToken()}` },
        localAddress: from,
      });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([...Array(10).fill(401), 429, 429]);
    const ok = await rawRequest(gw.url, {
      method: 'GET',
      path: '/api/grants',
      headers: { authorization: `Bearer ${token}` },
      localAddress: '127.0.0.11',
    });
    expect(ok.status).toBe(200);
  }, 30_000);

  it('a stored grant may not take a config or JWT grant name: 409 says which kind holds it', async () => {
    const create = (name: string) =>
      gw.adminFetch('/api/grants', {
        method: 'POST',
        body: JSON.stringify({ name, servers: ['everything'] }),
      });
    const jwt = await create('jwt-team');
    expect(jwt.status).toBe(409);
    expect(await jsonOf(jwt)).toEqual({
      error: 'grant_exists',
      heldBy: 'jwt',
      message:
        'grant name "jwt-team" is taken by a JWT grant (jwt.grants in toolgate.yaml); pick another name',
    });
    const yaml = await create('from-yaml');
    expect(yaml.status).toBe(409);
    expect(await jsonOf(yaml)).toMatchObject({ heldBy: 'config' });
    expect((await create('stored-once')).status).toBe(201);
    const twice = await create('stored-once');
    expect(twice.status).toBe(409);
    expect(await jsonOf(twice)).toMatchObject({ heldBy: 'stored' });
    expect((await gw.adminFetch('/api/grants/jwt-team', { method: 'DELETE' })).status).toBe(409);
  });

  it('a stored grant that already has a JWT grant name (made before the name was configured) does not authenticate', async () => {
    const legacy = generateToken();
    await gw.store.grants.create({
      name: 'jwt-team',
      tokenSha256: hashToken(legacy),
      servers: ['everything'],
    });
    const res = await postInitialize(`${gw.url}/mcp/everything`, legacy);
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('has the name of a grant in toolgate.yaml');
  });
});

describe('a generated admin token file others may read', () => {
  it('stops the gateway from starting, saying what to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toolgate-open-token-'));
    try {
      const file = join(dir, 'admin-token');
      writeFileSync(file, `${generateToken()}\n`);
      chmodSync(file, 0o644);
      const loaded = parseConfig(
        stringify({ storage: { sqlite: join(dir, 'toolgate.db') }, servers: { everything: EVERYTHING } }),
        join(dir, 'toolgate.yaml'),
        {},
      );
      await expect(startGateway(loaded, { port: 0, watch: false, probe: false })).rejects.toThrow(
        /may be read by other users \(mode 644\); run `chmod 600 .*admin-token`/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
