/**
 * Grants from toolgate.yaml (`token_env` and `token_sha256`): the right token works, anything else
 * is a 401 that says why, a grant reaches only its servers, guessing gets slower, and tokens never
 * reach the gateway's log.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ConformanceServerHandle,
  startConformanceServer,
} from '../fixtures/servers/conformance-server.js';
import { ALLOW_ALL, startTestGateway, type TestGateway } from '../support/gateway.js';
import { McpSession, SIMPLE_TEXT_RESULT } from '../support/mcp-http.js';
import { type RawResponse, rawRequest } from '../support/raw-http.js';

const ENV_TOKEN = 'tg_authE2eEnvToken_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const HASHED_TOKEN = 'tg_authE2eHashedToken_bbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const WRONG_TOKEN = 'tg_authE2eWrongToken_ccccccccccccccccccccccccccccccc';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

const PING = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });

function config(fixtureUrl: string) {
  return {
    servers: { a: { url: fixtureUrl, policy: ALLOW_ALL }, b: { url: fixtureUrl, policy: ALLOW_ALL } },
    grants: [
      { name: 'only-a', servers: ['a'], token_env: 'AUTH_E2E_TOKEN' },
      { name: 'everything', servers: ['*'], token_sha256: sha256(HASHED_TOKEN) },
    ],
  };
}

function expect401(r: RawResponse, message: RegExp): void {
  expect(r.status).toBe(401);
  expect(String(r.headers['www-authenticate'])).toMatch(/^Bearer realm="toolgate", error="invalid_token"/);
  expect((r.json?.error as { message?: string } | undefined)?.message).toMatch(message);
}

describe('grants and bearer tokens', () => {
  let fixture: ConformanceServerHandle;
  let gw: TestGateway;

  beforeAll(async () => {
    fixture = await startConformanceServer();
    gw = await startTestGateway(config(fixture.url), {
      env: { ...process.env, AUTH_E2E_TOKEN: ENV_TOKEN },
      probe: true,
    });
    await gw.probed;
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await fixture?.close();
  });

  it('the right token works, from token_env and from token_sha256', async () => {
    for (const [token, server] of [
      [ENV_TOKEN, 'a'],
      [HASHED_TOKEN, 'a'],
      [HASHED_TOKEN, 'b'],
    ] as const) {
      const s = await McpSession.open(`${gw.url}/mcp/${server}`, { authorization: `Bearer ${token}` });
      expect((await s.callTool('test_simple_text')).body?.result).toEqual(SIMPLE_TEXT_RESULT);
      await s.close();
    }
    // The aggregate endpoint too: tools named <server>__<tool> for what the grant reaches.
    const agg = await McpSession.open(`${gw.url}/mcp`, { authorization: `Bearer ${ENV_TOKEN}` });
    const names = await agg.listTools();
    expect(names).toContain('a__test_simple_text');
    expect(names.some((n) => n.startsWith('b__'))).toBe(false);
    await agg.close();
  });

  it('a missing, malformed or unknown token is a 401 that says which', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{}, /^Unauthorized: missing bearer token: send Authorization: Bearer <grant token>$/],
      [{ authorization: `Token ${ENV_TOKEN}` }, /^Unauthorized: malformed Authorization header/],
      [{ authorization: 'Bearer' }, /^Unauthorized: malformed Authorization header/],
      [{ authorization: `Bearer ${WRONG_TOKEN}` }, /^Unauthorized: unknown or revoked token$/],
      [{ authorization: `Bearer ${sha256(ENV_TOKEN)}` }, /^Unauthorized: unknown or revoked token$/], // the hash is not the token
    ];
    for (const [headers, message] of cases) {
      for (const path of ['/mcp/a', '/mcp'])
        expect401(await rawRequest(gw.url, { path, body: PING, headers }), message);
    }
    // GET and DELETE are authenticated as well.
    const get = await rawRequest(gw.url, {
      method: 'GET',
      path: '/mcp/a',
      headers: { accept: 'text/event-stream' },
    });
    expect401(get, /missing bearer token/);
  });

  it("a session belongs to its grant: another grant's token gets 404 for it", async () => {
    const s = await McpSession.open(`${gw.url}/mcp/a`, { authorization: `Bearer ${ENV_TOKEN}` });
    const r = await rawRequest(gw.url, {
      path: '/mcp/a',
      body: PING,
      headers: { authorization: `Bearer ${HASHED_TOKEN}`, 'mcp-session-id': s.id },
    });
    expect(r.status).toBe(404);
    await s.close();
  });

  it('a grant limited to one server gets 403 on the others', async () => {
    const r = await rawRequest(gw.url, {
      path: '/mcp/b',
      body: PING,
      headers: { authorization: `Bearer ${ENV_TOKEN}` },
    });
    expect(r.status).toBe(403);
    expect((r.json?.error as { message?: string } | undefined)?.message).toBe(
      'Forbidden: grant "only-a" may not use server "b"',
    );
    expect(fixture.log.count('ping')).toBe(0); // refused before any upstream was involved
  });

  it('tokens never appear in the gateway log', () => {
    const text = gw.logs.join('');
    expect(gw.logs.length).toBeGreaterThan(0);
    for (const secret of [ENV_TOKEN, HASHED_TOKEN, WRONG_TOKEN, 'authE2e'])
      expect(text).not.toContain(secret);
  });

  it('repeated bad tokens from one address are answered ever more slowly; the right token still works', async () => {
    const own = await startTestGateway(config(fixture.url), {
      env: { ...process.env, AUTH_E2E_TOKEN: ENV_TOKEN },
    });
    try {
      const took: number[] = [];
      for (let i = 0; i < 10; i++) {
        const started = performance.now();
        const r = await rawRequest(own.url, {
          path: '/mcp/a',
          body: PING,
          headers: { authorization: `Bearer ${WRONG_TOKEN}${i}` },
        });
        took.push(performance.now() - started);
        expect(r.status).toBe(401);
      }
      // Loose on purpose (a loaded machine adds noise): the 10th failure waits on the order of a second.
      expect(took[9]! - took[0]!).toBeGreaterThan(500);
      expect(took[9]!).toBeGreaterThan(took[4]!);

      const s = await McpSession.open(`${own.url}/mcp/a`, { authorization: `Bearer ${ENV_TOKEN}` });
      expect((await s.callTool('test_simple_text')).body?.result).toEqual(SIMPLE_TEXT_RESULT);
      await s.close();
      expect(own.logs.join('')).not.toContain(WRONG_TOKEN);
    } finally {
      await own.close();
    }
  }, 60_000);
});
