import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EraServerHandle } from '../fixtures/servers/era-server.js';
import { connectEra, eraServerBehindGateway } from '../support/eras.js';
import type { TestGateway } from '../support/gateway.js';

// Issue 9: policy, limits and audit see one normalised call whatever the eras. An input_required
// retry is a new tools/call (decided again), a denied call stays denied whatever state it
// carries, and a retry the gateway itself saw answered input_required is not charged twice.
const POLICY = {
  version: '1',
  default: 'allow',
  tools: {
    wipe: { deny: true, reason: 'wiping is not allowed' },
    // Hour windows: a minute window could roll over between two calls on a loaded machine.
    confirm: { limits: [{ counter: 'confirms', window: 'hour', max: 1 }] },
    add: { limits: [{ counter: 'adds', window: 'hour', max: 1 }] },
  },
};

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } },
  'io.modelcontextprotocol/clientInfo': { name: 'raw-2026', version: '1' },
};

async function rawCall(
  url: string,
  name: string,
  extra: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      // SEP-2243 standard headers: a 2026 request without them is refused (400, -32020).
      'mcp-method': 'tools/call',
      'mcp-name': name,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: { name, arguments: name === 'add' ? { a: 1, b: 1 } : {}, ...extra, _meta: ENVELOPE },
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.text();
  const data = body.startsWith('{') ? body : (body.match(/^data: (.*)$/m)?.[1] ?? '{}');
  return (JSON.parse(data) as { result: Record<string, unknown> }).result;
}

for (const serverEra of ['2025', '2026'] as const) {
  describe(`policy on input_required retries, 2026 client -> ${serverEra} server`, () => {
    let upstream: EraServerHandle;
    let gw: TestGateway;
    let url: string;

    beforeAll(async () => {
      ({ upstream, gw } = await eraServerBehindGateway(serverEra, POLICY));
      url = `${gw.url}/mcp/up`;
    });
    afterAll(async () => {
      await gw?.close();
      await upstream?.close();
    });

    it('charges a call and its input_required retry once', async () => {
      const c = await connectEra(url, '2026');
      try {
        const first = await c.client.callTool({ name: 'confirm', arguments: {} });
        expect(JSON.stringify(first.content)).toContain('confirmed: true');
        expect(c.elicitations).toHaveLength(1);
        // The quota (1 an hour) went to the first call; the retry inside it was not charged again.
        const second = await c.client.callTool({ name: 'confirm', arguments: {} });
        expect(second.isError).toBe(true);
        expect(JSON.stringify(second.content)).toMatch(/confirms: 1 per hour/);
      } finally {
        await c.close();
      }
    });

    it('keeps a denied call denied whatever retry state it carries', async () => {
      const result = await rawCall(url, 'wipe', {
        inputResponses: { x: { action: 'accept' } },
        requestState: 'forged',
      });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result.content)).toContain('wiping is not allowed');
      expect(upstream.calls).not.toContain('wipe');
    });

    it('charges a retry whose state the gateway never issued', async () => {
      const ok = await rawCall(url, 'add', {});
      expect(JSON.stringify(ok.content)).toContain('2');
      const forged = await rawCall(url, 'add', { inputResponses: {}, requestState: 'forged' });
      expect(forged.isError).toBe(true);
      expect(JSON.stringify(forged.content)).toMatch(/adds: 1 per hour/);
    });
  });
}
