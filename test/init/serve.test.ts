// The config init writes is one `toolgate serve` starts with: a real gateway in front of a real
// server-everything, reached the way a rewritten Claude Code entry reaches it (URL, and the
// headers its headersHelper command prints).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/index.js';
import { type Gateway, startGateway } from '../../src/gateway/index.js';
import { run, type Sandbox, sandbox } from './helpers.js';

const EVERYTHING = join(process.cwd(), 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

let sb: Sandbox;
let gw: Gateway | undefined;
let client: Client | undefined;
beforeEach(() => {
  sb = sandbox();
});
afterEach(async () => {
  await client?.close();
  await gw?.close();
  client = undefined;
  gw = undefined;
  sb.cleanup();
});

describe('the written config', () => {
  it('starts a gateway that serves the server through the starter policy', async () => {
    const clientFile = join(sb.project, '.mcp.json');
    const server = {
      command: process.execPath,
      args: [EVERYTHING, 'stdio'],
      env: { API_TOKEN: 'sk-test-abcdefghijklmnop' },
    };
    writeFileSync(clientFile, `${JSON.stringify({ mcpServers: { everything: server } }, null, 2)}\n`);
    const r = await run(sb, ['--yes', '--rewrite', '--only', 'everything']);
    expect(r.code).toBe(0);

    // No variable for the token: toolgate.yaml holds its hash, the token is in a 0600 file.
    const env = { TOOLGATE_EVERYTHING_API_TOKEN: 'sk-test-abcdefghijklmnop' };
    const loaded = loadConfigFile(join(sb.project, 'toolgate.yaml'), env);
    gw = await startGateway(loaded, {
      port: 0,
      watch: false,
      probe: false,
      env,
      log: pino({ level: 'silent' }),
    });

    // The client's rewritten entry, with the ephemeral port this test listens on.
    const entry = JSON.parse(readFileSync(clientFile, 'utf8')).mcpServers.everything;
    expect(entry.headers).toBeUndefined();
    // As Claude Code does: run the helper in a shell (no token in its environment), send its JSON.
    const headers = JSON.parse(execFileSync('/bin/sh', ['-c', entry.headersHelper], { env: {} }).toString());
    const url = new URL(entry.url.replace('127.0.0.1:8787', new URL(gw.url).host));
    client = new Client({ name: 'init-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
    // default: deny: a call is refused with a reason the agent can read, before the server sees it.
    const result = await client.callTool({ name: 'echo', arguments: { message: 'hi' } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('[POLICY DENIED]');
  });
});
