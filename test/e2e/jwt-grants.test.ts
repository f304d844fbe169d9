import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING, startTestGateway, type TestGateway } from '../support/gateway.js';
import { postInitialize } from '../support/mcp-http.js';

const ISSUER = 'https://idp.test.example/';
const AUDIENCE = 'toolgate';

// Grants from an identity provider: tokens signed by a key from a JWKS the test serves itself.
describe('JWT grants', () => {
  let jwks: Server;
  let gw: TestGateway;
  let privateKey: SigningKey;
  let otherKey: SigningKey;

  const sign = (
    claims: Record<string, unknown>,
    opts: { key?: SigningKey; aud?: string; exp?: string | number } = {},
  ) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
      .setIssuer(ISSUER)
      .setAudience(opts.aud ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(opts.exp ?? '5m')
      .sign(opts.key ?? privateKey);

  const initialize = (token: string) => postInitialize(`${gw.url}/mcp/everything`, token, 'jwt-test');

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair('ES256')).privateKey;
    const publicJwk: JWK = {
      ...(await exportJWK(pair.publicKey)),
      kid: 'test-key',
      alg: 'ES256',
      use: 'sig',
    };
    jwks = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [publicJwk] })),
    );
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', () => r()));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    gw = await startTestGateway({
      servers: { everything: { ...EVERYTHING, policy: { version: '1', default: 'deny' } } },
      jwt: {
        issuer: ISSUER,
        audience: AUDIENCE,
        jwks_url: jwksUrl,
        grants: [
          {
            name: 'support-team',
            servers: ['everything'],
            claims: { groups: 'support' },
            policy: {
              version: '1',
              default: 'deny',
              tools: {
                echo: {
                  require: [
                    {
                      path: 'grant.claims.tier',
                      op: 'eq',
                      value: 'gold',
                      reason: 'echo is for gold-tier staff',
                    },
                  ],
                },
              },
            },
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await gw?.close();
    await new Promise<void>((r) => jwks?.close(() => r()));
  });

  it('maps a valid token to the grant whose claims match, and policies read its claims', async () => {
    for (const [tier, expected] of [
      ['gold', 'Echo: hi'],
      ['silver', '[POLICY DENIED] echo is for gold-tier staff'],
    ] as const) {
      const token = await sign({ sub: 'alice', groups: ['staff', 'support'], tier });
      const client = new Client({ name: 'jwt-test', version: '1' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp/everything`), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      try {
        const result = await client.callTool({ name: 'echo', arguments: { message: 'hi' } });
        expect(result.content).toEqual([{ type: 'text', text: expected }]);
      } finally {
        await client.close();
      }
    }
  });

  it('refuses expired, wrong-audience, wrongly signed and unmatched tokens with a clear 401', async () => {
    const cases: [Promise<string>, RegExp][] = [
      [sign({ groups: 'support' }, { exp: Math.floor(Date.now() / 1000) - 3600 }), /expired/],
      [sign({ groups: 'support' }, { aud: 'someone-else' }), /aud/],
      [sign({ groups: 'support' }, { key: otherKey }), /signature/],
      [sign({ groups: 'sales' }), /no grant in jwt.grants matches/],
    ];
    for (const [tokenPromise, why] of cases) {
      const token = await tokenPromise;
      const res = await initialize(token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(why);
      expect(gw.logs.join('\n')).not.toContain(token);
    }
  });
});
