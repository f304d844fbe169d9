/**
 * Issue 15: every client that works with a server directly works the same through toolgate. One
 * scenario (test/support/parity-scenario.ts), run by a client of each era (SDK v1; SDK v2 default,
 * auto and pinned to 2026-07-28) straight to server-everything and a paginating 2025 server, and
 * through toolgate on `/mcp/<server>` and on the aggregate `/mcp`; every difference must be one
 * this file explains. The table goes to test-results/parity.md (reproduced in docs/eras.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAGED_STDIO_COMMAND } from '../fixtures/servers/paged-server.js';
import { ALLOW_ALL, startTestGateway, type TestGateway } from '../support/gateway.js';
import { EVERYTHING_STDIO, ROOT } from '../support/parity.js';
import { CLIENT_ERAS, type ClientEra } from '../support/parity-clients.js';
import {
  type Cell,
  type Endpoint,
  MESSAGES,
  type Message,
  type Outcome,
  parityTable,
  runScenario,
  same,
} from '../support/parity-scenario.js';

const everything = EVERYTHING_STDIO as { command: string; args: string[] };
const DIRECT: Endpoint = { name: 'direct', kind: 'direct', everything, paged: PAGED_STDIO_COMMAND };

/**
 * Why an endpoint may answer differently from the server itself, by design; anything else that
 * differs fails the test.
 */
function expectedDifference(
  ep: Endpoint,
  era: ClientEra,
  m: Message,
  direct: Outcome,
  via: Outcome,
): string | undefined {
  if (ep.kind === 'aggregate' && m === 'negotiate' && 'ok' in direct && 'ok' in via) {
    const [d, v] = [direct.ok as Record<string, unknown>, via.ok as Record<string, unknown>];
    // The version must be the same; the identity and instructions are the aggregate's own.
    if (d.version === v.version)
      return '`/mcp` is one server made of several: `serverInfo` is toolgate\'s ("toolgate (everything, paged)") and `instructions` has one section per server; the negotiated version is the same.';
  }
  if (ep.kind === 'aggregate' && m === 'pagination')
    return '`/mcp` collects every page of every server and answers one page (no cursor to follow; a cursor sent is ignored), so the client never holds a cursor that would need translating.';
  if (ep.kind === 'offer' && era === 'v2-2026')
    return 'Straight to a 2025 server a client pinned to 2026-07-28 cannot connect (no common version). With `offer_2026: true` toolgate offers 2026-07-28 and translates: it works through toolgate.';
  if (
    ep.kind === 'offer' &&
    era === 'v2-auto' &&
    ['negotiate', 'ping', 'logging', 'resources/subscribe'].includes(m)
  )
    return '`offer_2026: true` makes toolgate offer 2026-07-28 for a 2025 server: a client that speaks both then negotiates 2026-07-28, where `ping` and `logging/setLevel` do not exist (the SDK refuses them) and subscriptions go through `subscriptions/listen`. This is why the option is off by default.';
  if (ep.kind === 'offer' && era === 'v2-auto' && m === 'tools/list')
    return 'The same tools, parsed by the SDK v2 client per era: negotiated at 2026-07-28 it keeps the `$schema` of each `inputSchema` (2026 allows any JSON Schema keyword), at 2025-11-25 it drops it. toolgate relays the schema unchanged.';
  return undefined;
}

describe.sequential('era parity: each client era, directly and through toolgate', () => {
  let gw: TestGateway;
  let offer: TestGateway;
  const cells: Cell[] = [];
  const versions = new Map<string, string>();
  const endpoints: Endpoint[] = [];
  const directRuns = new Map<ClientEra, Promise<Record<Message, Outcome>>>();

  beforeAll(async () => {
    const servers = (extra: Record<string, unknown>) => ({
      everything: { ...everything, policy: ALLOW_ALL, ...extra },
      paged: { ...PAGED_STDIO_COMMAND, policy: ALLOW_ALL, ...extra },
    });
    gw = await startTestGateway({ auth: { mode: 'none' }, servers: servers({}) });
    offer = await startTestGateway({ auth: { mode: 'none' }, servers: servers({ offer_2026: true }) });
    endpoints.push(
      {
        name: '/mcp/<server>',
        kind: 'server',
        everything: { url: `${gw.url}/mcp/everything` },
        paged: { url: `${gw.url}/mcp/paged` },
      },
      {
        name: '/mcp (aggregate of everything + paged)',
        kind: 'aggregate',
        everything: { url: `${gw.url}/mcp` },
        paged: { url: `${gw.url}/mcp` },
        prefixes: { everything: 'everything__', paged: 'paged__' },
      },
      {
        name: '/mcp/<server> with offer_2026: true',
        kind: 'offer',
        everything: { url: `${offer.url}/mcp/everything` },
        paged: { url: `${offer.url}/mcp/paged` },
      },
    );
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await offer?.close();
    if (cells.length === 0) return;
    const table = parityTable(cells, endpoints, versions);
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    writeFileSync(join(ROOT, 'test-results/parity.md'), table);
  });

  const direct = (era: ClientEra) => {
    let run = directRuns.get(era);
    if (!run) {
      run = runScenario(era, DIRECT);
      directRuns.set(era, run);
    }
    return run;
  };

  for (const era of CLIENT_ERAS) {
    for (const index of [0, 1, 2]) {
      // offer_2026 only changes anything for clients that can speak 2026-07-28.
      if (index === 2 && (era === 'sdk-v1' || era === 'v2-default')) continue;
      it(`${era} on endpoint ${['/mcp/<server>', '/mcp', '/mcp/<server> (offer_2026)'][index]}`, async () => {
        const ep = endpoints[index]!;
        const [d, v] = [await direct(era), await runScenario(era, ep)];
        const ver = (o: Outcome) => ('ok' in o ? String((o.ok as { version?: string }).version) : 'fails');
        versions.set(`${era}|${ep.name}`, `${ver(d.negotiate)} → ${ver(v.negotiate)}`);
        const unexplained: string[] = [];
        for (const m of MESSAGES) {
          const equal = same(d[m], v[m]);
          const why = equal ? undefined : expectedDifference(ep, era, m, d[m], v[m]);
          cells.push({ era, endpoint: ep, message: m, direct: d[m], via: v[m], same: equal, why });
          if (!equal && !why)
            unexplained.push(
              `${m}: direct ${JSON.stringify(d[m]).slice(0, 300)} / via ${JSON.stringify(v[m]).slice(0, 300)}`,
            );
        }
        expect(unexplained).toEqual([]);
        // Direct, every client that connects runs the whole scenario (the premise of the comparison).
        if (era !== 'v2-2026')
          for (const m of MESSAGES)
            expect('ok' in d[m], `${era} direct ${m}: ${JSON.stringify(d[m])}`).toBe(true);
        // Through toolgate as well; a 2026-07-28 connection has no ping or logging/setLevel to send.
        const noneIn2026 = ['ping', 'logging'];
        for (const m of MESSAGES) {
          const expected =
            era === 'v2-2026' && ep.kind !== 'offer'
              ? false
              : !(
                  v.negotiate &&
                  'ok' in v.negotiate &&
                  (v.negotiate.ok as { version?: string }).version === '2026-07-28' &&
                  noneIn2026.includes(m)
                );
          expect('ok' in v[m], `${era} via ${ep.name} ${m}: ${JSON.stringify(v[m])}`).toBe(expected);
        }
      }, 240_000);
    }
  }
});
