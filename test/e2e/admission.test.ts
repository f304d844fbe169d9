/**
 * Issue 13, as an attacker: a hostile client in front of the gateway, and behind it a lenient
 * server of our own (test/fixtures/servers/hostile-http-server.ts) that runs anything that reaches
 * it (loose tool names, case-insensitive methods, notifications, `Object.assign` merges) and logs
 * what it ran. Every variant is refused at the gateway, the server records no execution of it,
 * and each refusal is on record in the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideApproval } from '../../src/approvals/decide.js';
import type { AuditRecord } from '../../src/audit/types.js';
import { canonicalJson } from '../../src/util/canonical-json.js';
import { type HostileServer, startHostileServer } from '../fixtures/servers/hostile-http-server.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { type Json, McpSession, post, resultText, rpcError, until } from '../support/mcp-http.js';

let upstream: HostileServer;
let gw: TestGateway;

const POLICY = {
  version: '1',
  default: 'allow',
  hide: ['delete_all'],
  tools: {
    'get-env': { deny: true, reason: 'get-env would expose environment variables' },
    transfer: { approval: { timeout: '30s' } },
  },
};

beforeAll(async () => {
  upstream = await startHostileServer();
  gw = await startTestGateway({
    log: { level: 'warn' },
    auth: { mode: 'none' },
    servers: { bank: { url: upstream.url, policy: POLICY } },
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

async function audit(): Promise<AuditRecord[]> {
  await gw.audit.flush();
  return gw.store.audit.query({ limit: 1000 });
}

/** A fresh session that never listed tools: what an agent that skips tools/list has. */
const fresh = (endpoint = 'bank') => McpSession.open(`${gw.url}/mcp/${endpoint}`);

const executed = (tool: string) => upstream.executions.filter((e) => e.tool === tool).length;

describe('nothing reaches a server undecided', () => {
  it('name variants of a denied or hidden tool never run, on a session that never listed tools', async () => {
    const variants = [
      'GET-ENV',
      'Get-Env',
      'get-env ',
      ' get-env',
      'get-env\n',
      'ｇｅｔ-ｅｎｖ',
      'DELETE_ALL',
      'delete_all ',
      'ｄｅｌｅｔｅ_ａｌｌ',
    ];
    for (const name of variants) {
      const s = await fresh();
      const reply = await s.request('tools/call', { name, arguments: {} });
      expect(JSON.stringify(reply.body)).not.toMatch(/SECRET|DELETED/);
      expect(JSON.stringify(reply.body)).toMatch(/not found|Unknown tool/i);
      await s.close();
    }
    // The same through the aggregate endpoint, prefix included.
    for (const name of ['bank__GET-ENV', 'bank__ｇｅｔ-ｅｎｖ', 'BANK__get-env', 'bank__delete_all ']) {
      const s = await fresh('');
      const reply = await s.request('tools/call', { name, arguments: {} });
      expect(JSON.stringify(reply.body)).not.toMatch(/SECRET|DELETED/);
      await s.close();
    }
    expect(executed('get-env')).toBe(0);
    expect(executed('delete_all')).toBe(0);
    // Only exact names ever reached the server (the gateway's own tools/list is no tools/call).
    const records = await audit();
    for (const name of variants)
      expect(records.some((r) => r.tool === name && r.rule === 'unknown_tool')).toBe(true);
  });

  it('an exact, allowed name still runs, and the exact denied one gets its reason', async () => {
    const s = await fresh();
    const ok = await s.request('tools/call', { name: 'echo', arguments: { message: 'hi' } });
    expect(resultText(ok)).toBe('echo: {"message":"hi"}');
    const denied = await s.request('tools/call', { name: 'get-env', arguments: {} });
    expect(resultText(denied)).toMatch(/^\[POLICY DENIED\] get-env would expose/);
    expect(executed('get-env')).toBe(0);
    await s.close();
  });

  it('a tools/call sent as a notification is refused (400), audited, and never relayed', async () => {
    const before = upstream.received.length;
    for (const endpoint of ['bank', '']) {
      const s = await fresh(endpoint);
      for (const name of ['get-env', 'delete_all', 'echo', 'bank__get-env']) {
        const r = await post(
          s.url,
          { jsonrpc: '2.0', method: 'tools/call', params: { name, arguments: {} } },
          { headers: s.sessionHeaders },
        );
        expect(r.status).toBe(400);
        expect(rpcError(r)?.code).toBe(-32600);
        expect(rpcError(r)?.message).toMatch(/is a request and needs an id/);
      }
      await s.close();
    }
    expect(upstream.executions.filter((e) => e.viaNotification)).toEqual([]);
    expect(upstream.received.slice(before).filter((m) => m.toLowerCase() === 'tools/call')).toEqual([]);
    const records = await audit();
    expect(records.filter((r) => r.rule === 'admission:request_as_notification').length).toBe(8);
  });

  it('method-name variants and unknown methods are answered by the gateway (-32601), never relayed', async () => {
    const s = await fresh();
    const before = upstream.received.length;
    for (const method of ['Tools/Call', 'TOOLS/CALL', 'tools/Call', 'tools/call ', 'x-vendor/run']) {
      const reply = await s.request(method, { name: 'get-env', arguments: {} });
      expect(rpcError(reply)?.code).toBe(-32601);
    }
    // Unknown notifications are dropped, not relayed; a request method as a notification is 400.
    const note = await s.notify('Tools/Call', { name: 'get-env' });
    expect(note.status).toBe(202);
    expect(upstream.received.slice(before)).toEqual([]);
    expect(upstream.executions.some((e) => e.tool === 'get-env')).toBe(false);
    expect(
      (await audit()).filter((r) => r.rule === 'admission:unknown_method').length,
    ).toBeGreaterThanOrEqual(5);
    await s.close();
  });

  it('passthrough_methods lets one configured extension method through, exactly as named', async () => {
    const gw2 = await startTestGateway({
      log: { level: 'warn' },
      auth: { mode: 'none' },
      servers: { bank: { url: upstream.url, policy: POLICY, passthrough_methods: ['x-vendor/run'] } },
    });
    try {
      const s = await McpSession.open(`${gw2.url}/mcp/bank`);
      const ok = await s.request('x-vendor/run', {});
      expect((ok.body?.result as Json | undefined)?.answeredUnknownMethod).toBe('x-vendor/run');
      const variant = await s.request('X-Vendor/Run', {});
      expect(rpcError(variant)?.code).toBe(-32601);
      await s.close();
    } finally {
      await gw2.close();
    }
  });
});

describe('what is decided is what is forwarded, audited and shown', () => {
  it('__proto__, constructor and prototype keys anywhere in arguments are refused with a readable reason', async () => {
    const s = await fresh();
    const bodies = [
      '{"amount":1,"__proto__":{"to":"attacker-account"}}',
      '{"amount":1,"nested":{"constructor":{"prototype":{"to":"x"}}}}',
      '{"list":[{"ok":1},{"prototype":{"to":"x"}}]}',
    ];
    for (const args of bodies) {
      // Raw text: a JS object literal would turn "__proto__" into a prototype, not a member.
      const r = await fetch(s.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...s.sessionHeaders,
        },
        body: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"transfer","arguments":${args}}}`,
      });
      const body = (await r.json()) as Json;
      expect((body.error as Json).code).toBe(-32602);
      expect((body.error as Json).message).toMatch(
        /must not contain the key "(__proto__|constructor|prototype)"/,
      );
    }
    expect(executed('transfer')).toBe(0);
    expect(await gw.store.approvals.list({ status: 'pending' })).toEqual([]);
    expect((await audit()).filter((r) => r.rule === 'admission:reserved_key').length).toBe(3);
    await s.close();
  });

  it('an approver sees, byte for byte, the arguments the server receives', async () => {
    const s = await fresh();
    const args = { amount: 12.5, to: 'acct-42', memo: 'rent ✓', nested: { list: [1, 'two', null] } };
    const call = s.request('tools/call', { name: 'transfer', arguments: args });
    const pending = await until('a pending approval', async () => {
      const rows = await gw.store.approvals.list({ status: 'pending' });
      return rows.length > 0 ? rows : undefined;
    });
    const shown = JSON.stringify(pending[0]?.args);
    await decideApproval(gw.store, gw.audit, pending[0]!.id, {
      approved: true,
      approver: 'test',
      now: Date.now(),
    });
    const reply = await call;
    expect(resultText(reply)).toBe('transferred amount=12.5 to=acct-42');
    const ran = upstream.executions.filter((e) => e.tool === 'transfer');
    expect(ran.length).toBe(1);
    expect(ran[0]?.rawArguments).toBe(shown);
    const record = (await audit()).find((r) => r.tool === 'transfer' && r.decision === 'approval_granted');
    // The audit record holds the same members and values (stored in canonical key order: it is hashed).
    expect(canonicalJson(record?.args)).toBe(canonicalJson(JSON.parse(shown)));
    await s.close();
  });
});
