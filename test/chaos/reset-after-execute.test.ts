/**
 * Issue 14 part 3 (F7), at most once: an HTTP upstream that executes a tools/call and then resets
 * the connection ran it twice (the gateway re-sent the POST). The server here is the test's own
 * (raw JSON-RPC over node:http) and counts every execution.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { type RawMcpServer, startRawMcpServer } from '../fixtures/servers/raw-http-mcp.js';
import { ALLOW_ALL, startTestGateway, type TestGateway } from '../support/gateway.js';
import { McpSession, resultText, rpcError, until } from '../support/mcp-http.js';

// The test gateway removes its own folder on close: the audit database lives here instead.
const dir = mkdtempSync(join(tmpdir(), 'toolgate-chaos-reset-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let dbs = 0;

let upstream: RawMcpServer | undefined;
let gw: TestGateway | undefined;

afterEach(async () => {
  await gw?.close();
  gw = undefined;
  await upstream?.close();
  upstream = undefined;
});

const TOOLS = {
  transfer: () => 'reset' as const, // executes, then the connection dies before the answer
  count: (args: Record<string, unknown>) => ({ text: `counted ${String(args.n)}` }),
  slow: () => 'hang' as const, // executes and never answers
};

async function auditOf(db: string) {
  const store = await openStore({ sqlite: db });
  try {
    return (await store.audit.query({ limit: 100 })).filter((r) => r.method === 'tools/call');
  } finally {
    await store.close();
  }
}

describe('upstream resets after executing (F7)', () => {
  it('runs the call once; the client and the audit record say the outcome is unknown', async () => {
    upstream = await startRawMcpServer(TOOLS);
    const db = join(dir, `audit-${dbs++}.db`);
    gw = await startTestGateway({
      auth: { mode: 'none' },
      storage: { sqlite: db },
      servers: { bank: { url: upstream.url, policy: ALLOW_ALL } },
    });
    const s = await McpSession.open(`${gw.url}/mcp/bank`);
    const reply = await s.request('tools/call', { name: 'transfer', arguments: { amount: 5 } });
    const error = rpcError(reply);
    expect(error?.code).toBe(-32004);
    expect(error?.message).toMatch(
      /^server "bank": the connection failed after the request was sent \(.+\)\. The server may have run this request: check its effect before sending it again$/,
    );
    expect((reply.body?.error as { data?: unknown } | undefined)?.data).toEqual({ outcome: 'unknown' });

    // A later call's answer comes after anything the gateway could still have sent for the first.
    const after = await s.request('tools/call', { name: 'count', arguments: { n: 1 } });
    expect(resultText(after)).toBe('counted 1');
    expect(upstream.executions).toEqual(['transfer:{"amount":5}', 'count:{"n":1}']);

    // A reset after sending says nothing about the server's health.
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);

    await gw.close(); // flushes the audit log
    gw = undefined;
    const records = await auditOf(db);
    // Each forwarded call: its write-ahead record, then its outcome (linked by the call id).
    expect(records.map((r) => [r.tool, r.decision, r.upstream])).toEqual([
      ['transfer', 'allow', 'pending'],
      ['transfer', 'outcome', 'unknown'],
      ['count', 'allow', 'pending'],
      ['count', 'outcome', 'ok'],
    ]);
    expect(records[1]?.call).toBe(records[0]?.call);
    expect(records[1]?.note).toContain('the connection failed after the request was sent');
  }, 30_000);

  it('a refused connection is tried again (nothing was sent): the call runs once when the server comes up', async () => {
    upstream = await startRawMcpServer(TOOLS);
    const port = upstream.port;
    const db = join(dir, `audit-${dbs++}.db`);
    gw = await startTestGateway({
      auth: { mode: 'none' },
      storage: { sqlite: db },
      servers: { bank: { url: upstream.url, policy: ALLOW_ALL } },
    });
    const s = await McpSession.open(`${gw.url}/mcp/bank`);
    // The server goes away (a restart): connections are refused.
    await upstream.close();
    const before = upstream.executions.length;
    upstream = undefined;
    // The gateway logs the refusal and waits before trying again: the server comes back the
    // moment that line is written (the test gateway's log array is watched, not polled).
    const logs = gw.logs;
    let back: Promise<RawMcpServer> | undefined;
    const push = logs.push.bind(logs);
    logs.push = (...lines: string[]) => {
      if (!back && lines.some((l) => l.includes('request not sent'))) back = startRawMcpServer(TOOLS, port);
      return push(...lines);
    };
    const call = s.request('tools/call', { name: 'count', arguments: { n: 2 } });
    await until('the gateway to retry the unsent request', () => back, 10_000, 5);
    const restarted = await (back as Promise<RawMcpServer>);
    upstream = restarted;
    const reply = await call;
    expect(resultText(reply)).toBe('counted 2');
    expect(before).toBe(0);
    expect(restarted.executions).toEqual(['count:{"n":2}']);
  }, 30_000);

  it('a connection that stays refused fails as not sent, and the audit says the call did not run', async () => {
    upstream = await startRawMcpServer(TOOLS);
    const db = join(dir, `audit-${dbs++}.db`);
    gw = await startTestGateway({
      auth: { mode: 'none' },
      storage: { sqlite: db },
      servers: { bank: { url: upstream.url, policy: ALLOW_ALL } },
    });
    const s = await McpSession.open(`${gw.url}/mcp/bank`);
    await s.request('tools/list'); // the name is known: the call itself is what meets the refusal
    await upstream.close();
    upstream = undefined;
    const reply = await s.request('tools/call', { name: 'count', arguments: { n: 3 } });
    const error = rpcError(reply);
    expect(error?.code).toBe(-32003);
    expect(error?.message).toMatch(/ECONNREFUSED.*\(the request was not sent\)$/);
    await gw.close();
    gw = undefined;
    const records = await auditOf(db);
    expect(records.map((r) => [r.tool, r.decision, r.upstream])).toEqual([
      ['count', 'allow', 'pending'],
      ['count', 'outcome', 'error'],
    ]);
  }, 30_000);

  it('a call the client cancels after it was sent is audited as unknown: the server may have run it', async () => {
    upstream = await startRawMcpServer(TOOLS);
    const db = join(dir, `audit-${dbs++}.db`);
    gw = await startTestGateway({
      auth: { mode: 'none' },
      storage: { sqlite: db },
      servers: { bank: { url: upstream.url, policy: ALLOW_ALL } },
    });
    const s = await McpSession.open(`${gw.url}/mcp/bank`);
    const call = s.request('tools/call', { name: 'slow', arguments: {} });
    const server = upstream;
    await until('the call to reach the server', () => (server.executions.length === 1 ? true : undefined));
    // McpSession numbers requests from 1: the call is id 1.
    await s.notify('notifications/cancelled', { requestId: 1, reason: 'changed my mind' });
    const reply = await call;
    expect(rpcError(reply)?.code).toBe(-32800);
    await gw.close();
    gw = undefined;
    const records = await auditOf(db);
    expect(records.map((r) => [r.tool, r.decision, r.upstream])).toEqual([
      ['slow', 'allow', 'pending'],
      ['slow', 'outcome', 'unknown'],
    ]);
  }, 30_000);
});
