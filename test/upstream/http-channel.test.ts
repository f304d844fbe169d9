import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpServerConfig } from '../../src/config/index.js';
import type { JsonRpcMessage } from '../../src/mcp/jsonrpc.js';
import type { UpstreamError } from '../../src/upstream/errors.js';
import { HttpChannel } from '../../src/upstream/http-channel.js';

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

/** A server that hands out session `s1` and then forgets it. */
async function forgetful(): Promise<string> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const msg = JSON.parse(body || '{}');
      if (msg.method === 'initialize') {
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's1' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { protocolVersion: '2025-11-25' } }));
      } else res.writeHead(404).end('Session not found');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

describe('HttpChannel (streamable HTTP)', () => {
  it('says the upstream session expired on a 404 and ends the channel so the link starts over', async () => {
    const url = await forgetful();
    const cfg = { url, headers: {}, transport: 'streamable-http' } as unknown as HttpServerConfig;
    const channel = new HttpChannel('up', cfg);
    const messages: JsonRpcMessage[] = [];
    channel.onmessage = (m) => messages.push(m);
    const closed = new Promise<UpstreamError>((resolve) => {
      channel.onclose = resolve;
    });
    await channel.start();
    await channel.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} });
    expect(messages).toHaveLength(1);
    const err = await channel
      .send({ jsonrpc: '2.0', id: 2, method: 'tools/list' })
      .catch((e: UpstreamError) => e);
    expect((err as UpstreamError).message).toBe(
      'server "up" no longer knows session s1 (HTTP 404): the upstream session expired or the server restarted; toolgate opens a new session on the next request',
    );
    expect((await closed).code).toBe('UPSTREAM_CLOSED');
    await channel.close();
  });
});
