import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonRpcMessage } from '../../src/mcp/jsonrpc.js';
import { LeanPoster, PostError } from '../../src/upstream/lean-post.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server | undefined;
let poster: LeanPoster | undefined;

async function serve(handler: Handler): Promise<URL> {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => handler(req, body, res));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
}

function lean(url: URL, headers: Record<string, string> = {}) {
  const messages: JsonRpcMessage[] = [];
  const ends: Array<[unknown, string]> = [];
  poster = new LeanPoster(url, headers);
  poster.onmessage = (m) => messages.push(m);
  poster.onStreamEnd = (id, last) => ends.push([id, last]);
  return { poster, messages, ends };
}

const call = (id: number): JsonRpcMessage => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'echo' },
});
const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
};

afterEach(async () => {
  poster?.close();
  poster = undefined;
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

describe('LeanPoster', () => {
  it('captures the session id from initialize and sends it with the version and configured headers', async () => {
    const seen: IncomingMessage['headers'][] = [];
    const url = await serve((req, body, res) => {
      seen.push(req.headers);
      const msg = JSON.parse(body);
      res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'sess-1' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: { ok: msg.method } }));
    });
    const { poster, messages } = lean(url, { 'X-Key': 'k' });
    await poster.post({ jsonrpc: '2.0', id: 0, method: 'initialize', params: {} });
    expect(poster.sessionId).toBe('sess-1');
    poster.protocolVersion = '2025-11-25';
    await poster.post(call(1));
    expect(messages).toEqual([
      { jsonrpc: '2.0', id: 0, result: { ok: 'initialize' } },
      { jsonrpc: '2.0', id: 1, result: { ok: 'tools/call' } },
    ]);
    expect(seen[0]?.['mcp-session-id']).toBeUndefined();
    expect(seen[1]).toMatchObject({
      'mcp-session-id': 'sess-1',
      'mcp-protocol-version': '2025-11-25',
      'x-key': 'k',
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
    });
  });

  it('delivers SSE messages as they arrive, and resolves a 202 without a body', async () => {
    let release: () => void = () => {};
    const url = await serve((_req, body, res) => {
      const msg = JSON.parse(body);
      if (!('id' in msg)) {
        res.writeHead(202).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(
        `id: e1\ndata: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}\n\n`,
      );
      release = () => res.end(`id: e2\ndata: {"jsonrpc":"2.0","id":${msg.id},"result":{}}\n\n`);
    });
    const { poster, messages, ends } = lean(url);
    await poster.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await poster.post(call(5)); // resolves once the stream starts
    await until(() => messages.length === 1);
    expect(messages[0]).toMatchObject({ method: 'notifications/progress' });
    release();
    await until(() => messages.length === 2);
    expect(messages[1]).toEqual({ jsonrpc: '2.0', id: 5, result: {} });
    await new Promise((r) => setTimeout(r, 20));
    expect(ends).toEqual([]); // the response came: nothing to resume
  });

  it('reports a stream that ended before its response, with the last event id', async () => {
    const url = await serve((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('id: 41\ndata:\n\n');
    });
    const { poster, ends } = lean(url);
    await poster.post(call(9));
    await until(() => ends.length === 1);
    expect(ends).toEqual([[9, '41']]);
  });

  it('does not report the stream of a request it cancelled', async () => {
    let end: () => void = () => {};
    const url = await serve((_req, body, res) => {
      if (!('id' in JSON.parse(body))) {
        res.writeHead(202).end();
        end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('id: 1\ndata:\n\n');
      end = () => res.end();
    });
    const { poster, ends } = lean(url);
    await poster.post(call(7));
    await poster.post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7 } });
    await new Promise((r) => setTimeout(r, 50));
    expect(ends).toEqual([]);
  });

  it('rejects a non-2xx answer with its status and an excerpt of the body', async () => {
    const url = await serve((_req, _body, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('database on fire');
    });
    const { poster } = lean(url);
    const err = await poster.post(call(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostError);
    expect((err as PostError).message).toBe('HTTP 500: database on fire');
    expect((err as PostError).sessionExpired).toBe(false);
  });

  it('says the session expired on a 404 to a request that carried a session id', async () => {
    const url = await serve((_req, _body, res) => {
      res.writeHead(404).end('Session not found');
    });
    const { poster } = lean(url);
    poster.sessionId = 'gone';
    const err = (await poster.post(call(1)).catch((e: unknown) => e)) as PostError;
    expect(err.sessionExpired).toBe(true);
    expect(err.message).toMatch(/no longer knows session gone \(HTTP 404\).*expired/);
  });

  it("delivers a 2026 server's HTTP 400 JSON-RPC error as the answer", async () => {
    const url = await serve((_req, body, res) => {
      const msg = JSON.parse(body);
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32020, message: 'mismatch' } }));
    });
    const { poster, messages } = lean(url);
    const modern: JsonRpcMessage = {
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/list',
      params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
    };
    await poster.post(modern);
    expect(messages).toEqual([{ jsonrpc: '2.0', id: 3, error: { code: -32020, message: 'mismatch' } }]);
    // The same answer to a 2025-era request is a failed POST.
    await expect(poster.post(call(4))).rejects.toThrow(/HTTP 400/);
  });

  it('rejects with the connection error when nothing listens', async () => {
    const url = await serve(() => {});
    const port = url.port;
    server?.close();
    server = undefined;
    const { poster } = lean(url);
    await expect(poster.post(call(1))).rejects.toThrow(`ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('follows a same-origin 307 with the same body, and names a redirect it does not follow', async () => {
    const seen: string[] = [];
    const url = await serve((req, body, res) => {
      seen.push(`${req.method} ${req.url} ${body.length > 0}`);
      if (req.url === '/mcp') res.writeHead(307, { location: '/mcp/' }).end();
      else if (req.url === '/old') res.writeHead(302, { location: 'http://elsewhere.example/mcp' }).end();
      else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: JSON.parse(body).id, result: {} }));
      }
    });
    const { poster, messages } = lean(url);
    await poster.post(call(1));
    expect(messages).toEqual([{ jsonrpc: '2.0', id: 1, result: {} }]);
    expect(seen).toEqual(['POST /mcp true', 'POST /mcp/ true']);
    const moved = lean(new URL('/old', url)).poster;
    await expect(moved.post(call(2))).rejects.toThrow(
      'redirect to http://elsewhere.example/mcp not followed; use that URL as the endpoint',
    );
    moved.close();
  });

  it('DELETEs the session on terminate', async () => {
    const seen: string[] = [];
    const url = await serve((req, _body, res) => {
      seen.push(`${req.method} ${req.headers['mcp-session-id']}`);
      res.writeHead(200).end();
    });
    const { poster } = lean(url);
    poster.sessionId = 's9';
    await poster.terminate(1000);
    expect(seen).toEqual(['DELETE s9']);
    expect(poster.sessionId).toBeUndefined();
  });
});
