import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING, startTestGateway, type TestGateway } from '../support/gateway.js';

// DESIGN 3: a hidden tool answers exactly as an unknown tool. Under `default: deny` the policy
// alone would say "denied" for a missing tool and "not found" for a hidden one; the gateway must
// not let an agent tell the two apart.
describe('hidden tools are indistinguishable from missing ones', () => {
  let gw: TestGateway;
  let client: Client;

  beforeAll(async () => {
    gw = await startTestGateway(
      {
        auth: { mode: 'none' },
        servers: {
          everything: {
            ...EVERYTHING,
            policy: { version: '1', default: 'deny', hide: ['get-env'], tools: { echo: {} } },
          },
        },
      },
      { probe: true },
    );
    await gw.probed;
    client = new Client({ name: 'hidden-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp/everything`)));
  });
  afterAll(async () => {
    await client?.close();
    await gw?.close();
  });

  it('answers a hidden and a missing tool with the same shape, naming only the called tool', async () => {
    const listed = (await client.listTools()).tools.map((t) => t.name);
    expect(listed).toContain('echo');
    expect(listed).not.toContain('get-env');
    const hidden = await client.callTool({ name: 'get-env', arguments: {} });
    const missing = await client.callTool({ name: 'no-such-tool', arguments: {} });
    const normalise = (r: unknown, name: string) => JSON.stringify(r).split(name).join('<name>');
    expect(normalise(hidden, 'get-env')).toBe(normalise(missing, 'no-such-tool'));
    expect(JSON.stringify(hidden)).toContain('get-env not found');
    // The same answer server-everything itself gives for a tool it does not have.
    expect(hidden.isError).toBe(true);
    // A listed tool the policy does not name is still denied with a reason.
    const denied = await client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } });
    expect(JSON.stringify(denied.content)).toContain('[POLICY DENIED]');
  });
});
