import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUNTER_URI, type EraServerHandle } from '../fixtures/servers/era-server.js';
import { connectEra, type Era, type EraClient, eraServerBehindGateway } from '../support/eras.js';
import type { TestGateway } from '../support/gateway.js';

// Issue 9: any client with any server. The same suite runs in all four pairings of a 2025-era or
// 2026-07-28 SDK v2 client with a 2025-era or 2026-07-28 SDK v2 server, through toolgate over
// streamable HTTP. The gateway translates where the eras differ (docs/eras.md).
const POLICY = {
  version: '1',
  default: 'allow',
  tools: { wipe: { deny: true, reason: 'wiping is not allowed' } },
};

const text = (r: unknown) => JSON.stringify((r as { content?: unknown }).content);

for (const serverEra of ['2025', '2026'] as const) {
  for (const clientEra of ['2025', '2026'] as const) {
    describe(`${clientEra} client -> toolgate -> ${serverEra} server`, () => {
      let upstream: EraServerHandle;
      let gw: TestGateway;
      let c: EraClient;

      beforeAll(async () => {
        ({ upstream, gw } = await eraServerBehindGateway(serverEra, POLICY));
        c = await connectEra(`${gw.url}/mcp/up`, clientEra as Era);
      });
      afterAll(async () => {
        await c?.close();
        await gw?.close();
        await upstream?.close();
      });

      it('lists tools and calls one', async () => {
        const tools = (await c.client.listTools()).tools.map((t) => t.name).sort();
        // `wipe` is denied whatever its arguments: hide_denied leaves it out (a call still says why).
        expect(tools).toEqual(['add', 'ask_llm', 'confirm', 'slow', 'touch']);
        const r = await c.client.callTool({ name: 'add', arguments: { a: 2, b: 40 } });
        expect(r.content).toEqual([{ type: 'text', text: '42' }]);
      });

      it('denies by policy without reaching the server', async () => {
        const r = await c.client.callTool({ name: 'wipe', arguments: {} });
        expect(r.isError).toBe(true);
        expect(text(r)).toContain('wiping is not allowed');
        expect(upstream.calls).not.toContain('wipe');
      });

      it('relays progress to the calling request', async () => {
        const seen: number[] = [];
        const r = await c.client.callTool(
          { name: 'slow', arguments: {} },
          { onprogress: (p) => seen.push(p.progress) },
        );
        expect(text(r)).toContain('done');
        expect(seen).toEqual([1, 2, 3]);
      });

      it('asks the client to sample and returns the call result', async () => {
        const before = c.sampling.length;
        const r = await c.client.callTool({ name: 'ask_llm', arguments: {} });
        expect(text(r)).toContain('model said: hi there');
        expect(c.sampling.length).toBe(before + 1);
      });

      it('asks the client to elicit and returns the call result', async () => {
        const before = c.elicitations.length;
        const r = await c.client.callTool({ name: 'confirm', arguments: {} });
        expect(text(r)).toContain('confirmed: true');
        expect(c.elicitations.length).toBe(before + 1);
        expect((c.elicitations.at(-1) as { message?: string }).message).toBe('Proceed?');
      });

      it('reads a resource and delivers its updates and list_changed after subscribing', async () => {
        const read = await c.client.readResource({ uri: COUNTER_URI });
        expect(read.contents[0]).toMatchObject({ uri: COUNTER_URI });
        let sub: { close(): Promise<void> } | undefined;
        if (clientEra === '2025') await c.client.subscribeResource({ uri: COUNTER_URI });
        else sub = await c.client.listen({ toolsListChanged: true, resourceSubscriptions: [COUNTER_URI] });
        try {
          const changed = c.toolsChanged;
          const updated = c.updated.length;
          await c.client.callTool({ name: 'touch', arguments: {} });
          await c.waitFor('updated', updated + 1);
          await c.waitFor('toolsChanged', changed + 1);
          expect(c.updated.at(-1)).toBe(COUNTER_URI);
          const after = await c.client.readResource({ uri: COUNTER_URI });
          expect(Number((after.contents[0] as { text: string }).text)).toBeGreaterThan(0);
        } finally {
          await sub?.close();
        }
      });
    });
  }
}
