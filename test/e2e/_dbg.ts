import { writeFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { startConformanceServer } from '../fixtures/servers/conformance-server.js';
const fixture = await startConformanceServer();
writeFileSync('/tmp/probe/tg.yaml', `listen: {host: 127.0.0.1, port: 0}
storage: {sqlite: /tmp/probe/tg.db}
counters: {backend: memory}
auth: {mode: none}
log: {level: debug}
servers:
  fixture: {url: "${fixture.url}", policy: {version: "1", default: allow}}
`);
const t = new StdioClientTransport({ command: process.execPath, args: ['dist/cli/main.js', 'stdio', '--server', 'fixture', '--config', '/tmp/probe/tg.yaml'], stderr: 'pipe' });
t.stderr?.on('data', (d: Buffer) => console.log('ERR', d.toString().slice(0, 400)));
const c = new Client({ name: 'x', version: '1' }, { capabilities: { sampling: {} } });
console.log('connecting');
const timer = setTimeout(() => { console.log('RECORDS', fixture.log.records); process.exit(1); }, 8000);
await c.connect(t);
console.log('connected');
console.log((await c.listTools()).tools.length);
const controller = new AbortController();
c.setRequestHandler('sampling/createMessage', async () => { console.log('SAMPLING'); controller.abort(new Error('x')); await new Promise(r => setTimeout(r, 1000)); return { model: 'm', role: 'assistant', content: { type: 'text', text: 'hi' } } as never; });
try { await c.callTool({ name: 'test_sampling', arguments: { prompt: 'x' } }, { signal: controller.signal }); } catch (e) { console.log('rejected', String(e)); }
await new Promise(r => setTimeout(r, 1500));
console.log(fixture.log.records.map(r => `${r.kind} ${r.method} ${r.id}`));
clearTimeout(timer);
await c.close(); await fixture.close();
