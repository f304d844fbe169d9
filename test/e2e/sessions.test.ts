/**
 * Session lifecycle on the HTTP front end: DELETE ends a session, idle sessions are reaped with
 * their upstream processes, and a client that just goes away (SDK `Client.close()` sends no
 * DELETE) leaves nothing running once the idle timeout passed.
 */
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import {
  childPids,
  connectProbe,
  EVERYTHING_STDIO,
  ensureBuilt,
  type Harness,
  isAlive,
  type Probe,
  STDIO_FRONTEND,
  serversConfig,
  until,
} from '../support/parity.js';

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function post(url: string, body: unknown, session?: string): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: session
      ? { ...HEADERS, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' }
      : HEADERS,
    body: JSON.stringify(body),
  });
}

/** A bare 2025-era session: initialize + initialized, no GET stream. Returns its id. */
async function rawSession(url: string): Promise<string> {
  const init = await post(url, {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  expect(init.status).toBe(200);
  await init.text();
  const id = init.headers.get('mcp-session-id');
  expect(id).toBeTruthy();
  const ack = await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, id!);
  expect(ack.status).toBe(202);
  return id!;
}

async function echo(url: string, session: string): Promise<Response> {
  return post(
    url,
    { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'hi' } } },
    session,
  );
}

describe('sessions', () => {
  let gw: TestGateway | undefined;
  const everything = () => childPids('server-everything');

  afterEach(async () => {
    await gw?.close();
    gw = undefined;
    // Whatever a test did, closing the gateway leaves no upstream process behind.
    await until('no server-everything child left', () => everything().length === 0, 10_000);
  });

  async function start(idle?: string): Promise<string> {
    gw = await startTestGateway({
      auth: { mode: 'none' },
      servers: serversConfig({ everything: EVERYTHING_STDIO }),
      ...(idle ? { sessions: { idle_timeout: idle } } : {}),
    });
    return `${gw.url}/mcp/everything`;
  }

  it('DELETE ends the session: the next request is 404 and the upstream process exits', async () => {
    const url = await start();
    const transport = new StreamableHTTPClientTransport(new URL(url));
    const probe = await connectProbe(transport, { capabilities: {} });
    await probe.client.callTool({ name: 'echo', arguments: { message: 'before' } });
    const session = transport.sessionId!;
    const [pid] = everything();
    expect(pid).toBeDefined();

    await transport.terminateSession();
    expect((await echo(url, session)).status).toBe(404);
    await until(`upstream pid ${pid} to exit`, () => !isAlive(pid!));
    expect(gw!.sessions.size).toBe(0);
    await probe.close();
  });

  it('reaps an idle session (no GET stream) and its upstream process', async () => {
    const url = await start('1s');
    const session = await rawSession(url);
    const res = await echo(url, session);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Echo: hi');
    const pids = everything();
    expect(pids).toHaveLength(1);

    await until('the idle session to be reaped', () => gw!.sessions.size === 0);
    await until(`upstream pid ${pids[0]} to exit`, () => !isAlive(pids[0]!));
    expect((await echo(url, session)).status).toBe(404);
  });

  it('does not reap a session while a call runs longer than the idle timeout', async () => {
    const url = await start('1s');
    const session = await rawSession(url);
    // No GET stream and no request for 3 s: only the call in flight keeps the session.
    const res = await post(
      url,
      {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'trigger-long-running-operation', arguments: { duration: 3, steps: 3 } },
      },
      session,
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Long running operation completed. Duration: 3 seconds');
    expect(gw!.sessions.get(session)).toBeDefined();
    expect((await echo(url, session)).status).toBe(200);
  });

  it('Client.close() without DELETE leaves nothing running after the idle timeout', async () => {
    const url = await start('1s');
    const probe = await connectProbe(new StreamableHTTPClientTransport(new URL(url)), { capabilities: {} });
    await probe.client.callTool({ name: 'echo', arguments: { message: 'then I leave' } });
    const pids = everything();
    expect(pids).toHaveLength(1);

    await probe.client.close(); // no DELETE: the gateway only sees the GET stream go away
    await until('the abandoned session to be reaped', () => gw!.sessions.size === 0);
    await until(`upstream pid ${pids[0]} to exit`, () => !isAlive(pids[0]!));
    expect(everything()).toEqual([]);
  });

  it('does not reap a session whose client holds its GET stream open', async () => {
    const url = await start('1s');
    const transport = new StreamableHTTPClientTransport(new URL(url));
    const probe = await connectProbe(transport, { capabilities: {} });
    await probe.client.callTool({ name: 'echo', arguments: { message: 'stay' } });
    const [pid] = everything();
    // The SDK client opens its GET stream after the handshake; wait until the gateway has it.
    await until('the GET stream to be attached', () => gw!.sessions.get(transport.sessionId!)?.hasStandalone);
    const idleSince = Date.now();
    // Several reaper passes (one a second) with no request at all.
    await until('three idle timeouts to pass', () => Date.now() - idleSince > 3_500);
    expect(gw!.sessions.get(transport.sessionId!)).toBeDefined();
    const res = await probe.client.callTool({ name: 'echo', arguments: { message: 'still here' } });
    expect(res.content).toEqual([{ type: 'text', text: 'Echo: still here' }]);
    expect(everything()).toEqual([pid]);
    await probe.close();
  });
});

describe('stdio front end process lifecycle', () => {
  let harness: Harness | undefined;

  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  async function launch(): Promise<{
    transport: StdioClientTransport;
    probe: Probe;
    frontPid: number;
    upstreamPid: number;
  }> {
    ensureBuilt();
    harness = await STDIO_FRONTEND.start({ everything: EVERYTHING_STDIO });
    const probe = await harness.connect('everything', { capabilities: {} });
    await probe.client.callTool({ name: 'echo', arguments: { message: 'up' } });
    const transport = probe.transport as StdioClientTransport;
    const frontPid = transport.pid!;
    const [upstreamPid] = await until('the upstream child of toolgate stdio', () => {
      const pids = childPids('server-everything', frontPid);
      return pids.length === 1 ? pids : undefined;
    });
    return { transport, probe, frontPid, upstreamPid: upstreamPid! };
  }

  it('when the client closes, toolgate stdio and its upstream both exit', async () => {
    const { probe, frontPid, upstreamPid } = await launch();
    await probe.close();
    await until(`toolgate stdio (pid ${frontPid}) to exit`, () => !isAlive(frontPid));
    await until(`its upstream (pid ${upstreamPid}) to exit`, () => !isAlive(upstreamPid));
  });

  it('when toolgate stdio is terminated (SIGTERM), its upstream exits too', async () => {
    const { frontPid, upstreamPid } = await launch();
    process.kill(frontPid, 'SIGTERM');
    await until(`toolgate stdio (pid ${frontPid}) to exit`, () => !isAlive(frontPid));
    await until(`its upstream (pid ${upstreamPid}) to exit`, () => !isAlive(upstreamPid), 10_000);
  });
});
