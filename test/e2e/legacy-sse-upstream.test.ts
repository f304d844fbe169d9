import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLegacySseServer } from '../fixtures/servers/legacy-sse-server.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

// A server that only speaks the 2024-11-05 HTTP+SSE transport, behind the gateway
// (`transport: sse`); clients reach it over streamable HTTP, and policy still applies.
describe('legacy SSE upstream', () => {
  let upstream: Awaited<ReturnType<typeof startLegacySseServer>>;
  let gw: TestGateway;
  let client: Client;

  beforeAll(async () => {
    upstream = await startLegacySseServer();
    gw = await startTestGateway({
      auth: { mode: 'none' },
      servers: {
        old: {
          url: upstream.url,
          transport: 'sse',
          policy: {
            version: '1',
            default: 'allow',
            tools: { erase: { deny: true, reason: 'erasing is not allowed' } },
          },
        },
      },
    });
    client = new Client({ name: 'sse-test', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp/old`)));
  });
  afterAll(async () => {
    await client?.close();
    await gw?.close();
    await upstream?.close();
  });

  it('lists and calls tools over the SSE transport', async () => {
    // `erase` is denied whatever its arguments, so hide_denied leaves it out; the call below says why.
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['shout']);
    const result = await client.callTool({ name: 'shout', arguments: { word: 'hello' } });
    expect(result.content).toEqual([{ type: 'text', text: 'HELLO' }]);
    expect(upstream.calls).toEqual(['shout']);
  });

  it('denies by policy before the SSE server sees the call', async () => {
    const result = await client.callTool({ name: 'erase', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: '[POLICY DENIED] erasing is not allowed' }]);
    expect(upstream.calls).not.toContain('erase');
  });
});
