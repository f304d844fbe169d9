import { appendFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { startConformanceServer } from '../fixtures/servers/conformance-server.js';
import { SAMPLING_ANSWER, STDIO_FRONTEND } from '../support/parity.js';

const log = (s: string) => appendFileSync('/tmp/probe/dbg.log', `${Date.now() % 100000} ${s}\n`);
it('dbg', async () => {
  const fixture = await startConformanceServer();
  log('fixture');
  const h = await STDIO_FRONTEND.start({ fixture: { url: fixture.url } });
  log('started');
  const controller = new AbortController();
  const p = await h.connect('fixture', {
    onSampling: async () => {
      log('SAMPLING');
      controller.abort(new Error('x'));
      await new Promise((r) => setTimeout(r, 1000));
      return SAMPLING_ANSWER;
    },
  });
  log('connected');
  const call = p.client.callTool(
    { name: 'test_sampling', arguments: { prompt: 'x' } },
    { signal: controller.signal },
  );
  await expect(call).rejects.toThrow();
  log('rejected');
  await new Promise((r) => setTimeout(r, 1500));
  log(JSON.stringify(fixture.log.records.map((r) => `${r.kind} ${r.method} ${r.id}`)));
  log(JSON.stringify(p.received.map((m) => JSON.stringify(m).slice(0, 150))));
  await h.close();
  log('closed h');
  await fixture.close();
  log('closed f');
}, 20000);
