import { it } from 'vitest';
import { startConformanceServer } from '../fixtures/servers/conformance-server.js';
import { runConformance } from '../support/conformance.js';
import { ALLOW_ALL, startTestGateway } from '../support/gateway.js';

it('explore', async () => {
  const fixture = await startConformanceServer();
  const gw = await startTestGateway({
    auth: { mode: 'none' },
    servers: { http: { url: fixture.url, policy: ALLOW_ALL, timeout: '5s' } },
  });
  try {
    const r = await runConformance(`${gw.url}/mcp/http`, { timeoutMs: 170_000, scenarios: Array(12).fill('tools-call-sampling') });
    console.log('PASSED', r.passed.length, 'FAILED', r.failed.length);
  } finally { await gw.close(); await fixture.close(); }
}, 400_000);
