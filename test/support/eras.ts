import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import {
  type EraServerHandle,
  startLegacyEraServer,
  startModernEraServer,
} from '../fixtures/servers/era-server.js';
import { startTestGateway, type TestGateway } from './gateway.js';

export type Era = '2025' | '2026';

/**
 * The era suites' setup: an era server of `serverEra` behind an in-process gateway (no auth) as
 * server `up` with `policy`. Close `gw` before `upstream`.
 */
export async function eraServerBehindGateway(
  serverEra: Era,
  policy: Record<string, unknown>,
): Promise<{ upstream: EraServerHandle; gw: TestGateway }> {
  const upstream = serverEra === '2025' ? await startLegacyEraServer() : await startModernEraServer();
  try {
    const gw = await startTestGateway({
      auth: { mode: 'none' },
      // A 2026-only client meets a 2025 server here: the operator asks toolgate to offer 2026 for
      // it and translate (without it, server/discover is refused as the server itself would).
      servers: { up: { url: upstream.url, policy, ...(serverEra === '2025' ? { offer_2026: true } : {}) } },
    });
    return { upstream, gw };
  } catch (err) {
    await upstream.close();
    throw err;
  }
}

/** What one era-suite client saw: server requests it answered, notifications it got. */
export interface EraClient {
  client: Client;
  era: Era;
  sampling: unknown[];
  elicitations: unknown[];
  progress: { progress: number; total?: number; message?: string }[];
  toolsChanged: number;
  updated: string[];
  /** Resolves once `count` notifications matching `what` arrived (bounded wait). */
  waitFor(what: 'toolsChanged' | 'updated', count?: number, ms?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * An SDK v2 client of one era: a 2026 client pins 2026-07-28 (stateless, `_meta` envelope, answers
 * `input_required` through its handlers); a 2025 client keeps the default `initialize` handshake.
 * Both declare sampling and elicitation and answer them the same way, so results compare.
 */
export async function connectEra(
  url: string,
  era: Era,
  headers: Record<string, string> = {},
): Promise<EraClient> {
  const client = new Client(
    { name: `era-suite-${era}`, version: '1.0.0' },
    {
      capabilities: { sampling: {}, elicitation: { form: {} } },
      ...(era === '2026' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
    },
  );
  const seen: EraClient = {
    client,
    era,
    sampling: [],
    elicitations: [],
    progress: [],
    toolsChanged: 0,
    updated: [],
    waitFor: async (what, count = 1, ms = 5000) => {
      const until = Date.now() + ms;
      const n = () => (what === 'toolsChanged' ? seen.toolsChanged : seen.updated.length);
      while (n() < count) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${what} (${n()} of ${count})`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => client.close(),
  };
  client.setRequestHandler('sampling/createMessage', async (req) => {
    seen.sampling.push(req.params);
    return { role: 'assistant', content: { type: 'text', text: 'hi there' }, model: 'test-model' };
  });
  client.setRequestHandler('elicitation/create', async (req) => {
    seen.elicitations.push(req.params);
    return { action: 'accept', content: { ok: true } };
  });
  client.setNotificationHandler('notifications/tools/list_changed', () => {
    seen.toolsChanged++;
  });
  client.setNotificationHandler('notifications/resources/updated', (n) => {
    seen.updated.push(n.params.uri);
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return seen;
}
