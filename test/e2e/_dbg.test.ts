import { it } from 'vitest';
import { startConformanceServer } from '../fixtures/servers/conformance-server.js';
import { STDIO_FRONTEND, SAMPLING_ANSWER, until } from '../support/parity.js';
it('loop', async () => {
const fixture = await startConformanceServer();
const h = await STDIO_FRONTEND.start({ fixture: { url: fixture.url } });
for (let i = 0; i < 15; i++) {
  const t0 = Date.now();
  const controller = new AbortController();
  const before = fixture.log.count('notifications/cancelled');
  let sampled = 0;
  const p = await h.connect('fixture', { onSampling: async () => { sampled = Date.now() - t0; controller.abort(new Error('x')); await until('c', () => fixture.log.count('notifications/cancelled') > before, 5000).catch(() => undefined); return SAMPLING_ANSWER; } });
  const t1 = Date.now() - t0;
  const call = p.client.callTool({ name: 'test_sampling', arguments: { prompt: 'x' } }, { signal: controller.signal, timeout: 8000 });
  let err = '';
  try { await call; } catch (e) { err = String(e).slice(0, 60); }
  const t2 = Date.now() - t0;
  const ok = await until('c', () => fixture.log.count('notifications/cancelled') > before, 5000).then(() => true, () => false);
  process.stderr.write(`${[i, 'connect', t1, 'sampled', sampled, 'rejected', t2, err, 'cancelled upstream', ok, Date.now() - t0].join(' ')}\n`);
  await p.close();
}
await h.close(); await fixture.close();
}, 200000);
