import { it } from 'vitest';
import { runConformance } from '../support/conformance.js';
import { CONFORMANCE_STDIO_COMMAND } from '../support/conformance-fixture.js';
import { ALLOW_ALL, startTestGateway } from '../support/gateway.js';

it('explore', async () => {
  const gw = await startTestGateway({ auth: { mode: 'none' }, servers: { stdio: { ...CONFORMANCE_STDIO_COMMAND, policy: ALLOW_ALL, timeout: '20s' } } });
  try {
    const r = await runConformance(`${gw.url}/mcp/stdio`, { timeoutMs: 170_000, outDir: '/tmp/tgx/out2' });
    console.log('PASSED', r.passed.length, r.durationMs);
  } finally { await gw.close(); }
}, 400_000);
