import { expect, it } from 'vitest';
import { startLegacyEraServer, startModernEraServer, COUNTER_URI } from '../fixtures/servers/era-server.js';
import { connectEra } from '../support/eras.js';

for (const era of ['2025', '2026'] as const) {
  it(`direct ${era}`, async () => {
    const srv = era === '2025' ? await startLegacyEraServer() : await startModernEraServer();
    const c = await connectEra(srv.url, era);
    try {
      console.log((await c.client.listTools()).tools.map((t) => t.name));
      console.log(JSON.stringify(await c.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })));
      console.log(JSON.stringify(await c.client.callTool({ name: 'slow', arguments: {} }, { onprogress: (p) => c.progress.push(p) })), c.progress.length);
      console.log(JSON.stringify(await c.client.callTool({ name: 'ask_llm', arguments: {} })), c.sampling.length);
      console.log(JSON.stringify(await c.client.callTool({ name: 'confirm', arguments: {} })), c.elicitations.length);
      if (era === '2025') await c.client.subscribeResource({ uri: COUNTER_URI });
      else await c.client.listen({ toolsListChanged: true, resourceSubscriptions: [COUNTER_URI] });
      await c.client.callTool({ name: 'touch', arguments: {} });
      await c.waitFor('updated'); await c.waitFor('toolsChanged');
      console.log(c.updated, c.toolsChanged, srv.calls);
    } finally { await c.close(); await srv.close(); }
  }, 20000);
}
