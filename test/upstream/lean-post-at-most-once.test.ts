import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { JsonRpcMessage } from '../../src/mcp/jsonrpc.js';
import { DeliveryError, LeanPoster } from '../../src/upstream/lean-post.js';

// F7: a POST is sent again only when no byte of it left. The server here counts every request it
// read (an "execution"), so a second send shows as a second count.

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server | undefined;
let poster: LeanPoster | undefined;

function listen(handler: Handler, port = 0): Promise<Server> {
  const s = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => handler(req, body, res));
  });
  s.listen(port, '127.0.0.1');
  return once(s, 'listening').then(() => s);
}

const urlOf = (s: Server) => new URL(`http://127.0.0.1:${(s.address() as AddressInfo).port}/mcp`);
const call = (id: number, method = 'tools/call'): JsonRpcMessage => ({
  jsonrpc: '2.0',
  id,
  method,
  params: { name: 'transfer' },
});
const answer = (res: ServerResponse, id: unknown) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', id, result: { ok: true } }));
};

afterEach(async () => {
  poster?.close();
  poster = undefined;
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

describe('LeanPoster: at most once', () => {
  it('never re-sends a tools/call whose connection was reset after the server read it', async () => {
    let executions = 0;
    server = await listen((req) => {
      executions++;
      req.socket.destroy(); // executed, then the connection dies before any answer
    });
    poster = new LeanPoster(urlOf(server), {});
    const failure = await poster.post(call(1)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DeliveryError);
    expect((failure as DeliveryError).delivery).toBe('maybe');
    expect((failure as Error).message).toMatch(/^the connection failed after the request was sent \(/);
    expect(executions).toBe(1);
  });

  it('applies to every method but ping: resources/read is not re-sent either; a ping is, once', async () => {
    const seen: string[] = [];
    server = await listen((req, body) => {
      const m = JSON.parse(body);
      seen.push(m.method);
      req.socket.destroy();
    });
    poster = new LeanPoster(urlOf(server), {});
    await expect(poster.post(call(1, 'resources/read'))).rejects.toMatchObject({ delivery: 'maybe' });
    await expect(poster.post(call(2, 'ping'))).rejects.toMatchObject({ delivery: 'maybe' });
    expect(seen).toEqual(['resources/read', 'ping', 'ping']);
  });

  it('a JSON answer cut off mid-body is an unknown outcome, not a re-send', async () => {
    let executions = 0;
    server = await listen((_req, _body, res) => {
      executions++;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"jsonrpc":"2.0"');
      setImmediate(() => res.socket?.destroy());
    });
    poster = new LeanPoster(urlOf(server), {});
    await expect(poster.post(call(1))).rejects.toMatchObject({
      delivery: 'maybe',
      message: 'the connection closed before the answer was complete',
    });
    expect(executions).toBe(1);
  });

  it('retries a refused connection (nothing was sent) and the request runs once when the server comes up', async () => {
    // Take a free port, then free it: connecting to it is refused until the server listens again.
    const probe = await listen(() => {});
    const url = urlOf(probe);
    probe.close();
    await once(probe, 'close');
    let executions = 0;
    const retried: string[] = [];
    poster = new LeanPoster(url, {});
    poster.onRetry = (_m, err) => {
      retried.push((err as { code?: string }).code ?? err.message);
      // The first refusal seen: bring the server up before the next try.
      if (retried.length === 1)
        void listen((_req, body, res) => {
          executions++;
          answer(res, JSON.parse(body).id);
        }, Number(url.port)).then((s) => {
          server = s;
        });
    };
    const messages: JsonRpcMessage[] = [];
    poster.onmessage = (m) => messages.push(m);
    await poster.post(call(7));
    expect(retried[0]).toBe('ECONNREFUSED');
    expect(executions).toBe(1);
    expect(messages).toEqual([{ jsonrpc: '2.0', id: 7, result: { ok: true } }]);
  });

  it('a refused connection that stays refused fails as not sent, after a bounded number of tries', async () => {
    const probe = await listen(() => {});
    const url = urlOf(probe);
    probe.close();
    await once(probe, 'close');
    let tries = 0;
    poster = new LeanPoster(url, {});
    poster.onRetry = () => tries++;
    const failure = await poster.post(call(1)).catch((e: unknown) => e);
    expect(failure).toMatchObject({ delivery: 'unsent' });
    expect((failure as Error).message).toMatch(/ECONNREFUSED.*\(the request was not sent\)$/);
    expect(tries).toBe(2);
  });

  it('a kept-alive socket the server closed while idle is not written to: the next request runs once', async () => {
    let executions = 0;
    const sockets: Socket[] = [];
    server = await listen((req, body, res) => {
      executions++;
      sockets.push(req.socket);
      answer(res, JSON.parse(body).id);
    });
    poster = new LeanPoster(urlOf(server), {});
    for (let round = 0; round < 5; round++) {
      await poster.post(call(round));
      // The server ends the idle keep-alive connection (its keep-alive timeout, a restart).
      const socket = sockets[sockets.length - 1] as Socket;
      const closed = once(socket, 'close');
      socket.end();
      await closed;
    }
    await poster.post(call(99));
    expect(executions).toBe(6);
  });

  it('a message that cannot be encoded is refused as unsendable, and nothing is sent', async () => {
    let requests = 0;
    server = await listen((_req, body, res) => {
      requests++;
      answer(res, JSON.parse(body).id);
    });
    poster = new LeanPoster(urlOf(server), {});
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const message = { jsonrpc: '2.0', id: 1, method: 'ping', params: { x: deep } } as JsonRpcMessage;
    await expect(poster.post(message)).rejects.toMatchObject({ delivery: 'unsendable' });
    expect(requests).toBe(0);
  });

  it('a request undici refuses to write (a bad header value) is unsendable: not retried, not sent', async () => {
    let requests = 0;
    server = await listen((_req, body, res) => {
      requests++;
      answer(res, JSON.parse(body).id);
    });
    poster = new LeanPoster(urlOf(server), { 'x-note': 'line one\nline two' });
    let retries = 0;
    poster.onRetry = () => retries++;
    await expect(poster.post(call(1))).rejects.toMatchObject({
      delivery: 'unsendable',
      message: expect.stringMatching(/^the request cannot be sent: /),
    });
    expect({ requests, retries }).toEqual({ requests: 0, retries: 0 });
  });
});
