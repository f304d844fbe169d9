import { it } from 'vitest';
import { startConformanceServer } from '../fixtures/servers/conformance-server.js';
import { runConformance } from '../support/conformance.js';
import { ALLOW_ALL, startTestGateway } from '../support/gateway.js';
import { ClientSession } from '../../src/proxy/session.js';
import { UpstreamLink } from '../../src/upstream/link.js';

it('explore', async () => {
  const P = ClientSession.prototype as any;
  const ev: string[] = [];
  const t0 = Date.now();
  for (const m of ['onServerRequest', 'onClientResponse', 'onServerNotification', 'onClientRequest', 'attachStandalone']) {
    const orig = P[m];
    P[m] = function (this: any, a: any, ...rest: any[]) { ev.push(`${Date.now()-t0} ${this.id.slice(0,6)} ${m} ${JSON.stringify(a)?.slice(0,160)} inflight=${[...this.inflight.values()].map((f: any)=>`${f.method}:${f.sink.open}`).join(',')}`); return orig.call(this, a, ...rest); };
  }
  const L = UpstreamLink.prototype as any;
  const om = L.onMessage;
  L.onMessage = function (this: any, m: any) { ev.push(`${Date.now()-t0} link onMessage ${JSON.stringify(m).slice(0,160)}`); return om.call(this, m); };
  const realFetch = globalThis.fetch;
  globalThis.fetch = (async (input: any, init: any) => {
    const tag = `${init?.method} ${String(init?.body ?? '').slice(0, 90)} sid=${new Headers(init?.headers).get('mcp-session-id')?.slice(0,6)} pv=${new Headers(init?.headers).get('mcp-protocol-version')} lei=${new Headers(init?.headers).get('last-event-id')}`;
    ev.push(`${Date.now()-t0} FETCH> ${tag}`);
    const res = await realFetch(input, init);
    ev.push(`${Date.now()-t0} FETCH< ${res.status} ${res.headers.get('content-type')} for ${tag.slice(0,60)}`);
    if (!res.body) return res;
    const [a, b] = res.body.tee();
    (async () => { const r = b.pipeThrough(new TextDecoderStream()).getReader(); for (;;) { const { value, done } = await r.read(); if (done) { ev.push(`${Date.now()-t0} BODYEND for ${tag.slice(0,60)}`); break; } ev.push(`${Date.now()-t0} BODY ${JSON.stringify(value).slice(0,200)}`); } })().catch(e => ev.push('BODYERR '+e));
    return new Response(a, { status: res.status, statusText: res.statusText, headers: res.headers });
  }) as typeof fetch;
  const fixture = await startConformanceServer();
  const gw = await startTestGateway({
    auth: { mode: 'none' },
    servers: { http: { url: fixture.url, policy: ALLOW_ALL, timeout: '5s' } },
  });
  try {
    const r = await runConformance(`${gw.url}/mcp/http`, { timeoutMs: 170_000 });
    console.log('PASSED', r.passed.length, 'FAILED', JSON.stringify(r.failures));
    const { writeFileSync } = await import('node:fs');
    writeFileSync('/tmp/tgx/ev.txt', ev.join('\n'));
  } finally { globalThis.fetch = realFetch; await gw.close(); await fixture.close(); }
}, 400_000);
