// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the ${VAR} strings are config references under test
// The config init writes is one `toolgate serve` starts with: a real gateway in front of a real
// server-everything, reached the way a rewritten client reaches it (URL + bearer token).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
    const cursorFile = join(sb.project, '.cursor', 'mcp.json');
    mkdirSync(join(sb.project, '.cursor'), { recursive: true });
    const server = {
      command: process.execPath,
      args: [EVERYTHING, 'stdio'],
      env: { API_TOKEN: 'sk-test-abcdefghijklmnop' },
    };
    writeFileSync(cursorFile, `${JSON.stringify({ mcpServers: { everything: server } }, null, 2)}\n`);
    const r = await run(sb, ['--yes', '--rewrite', '--only', 'everything']);
    expect(r.code).toBe(0);

    // No variable for the token: toolgate.yaml holds its hash, the token is in a 0600 file.
    const token = readFileSync(join(sb.project, '.toolgate', 'local.token'), 'utf8').trim();
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
    const entry = JSON.parse(readFileSync(cursorFile, 'utf8')).mcpServers.everything;
    expect(entry.headers).toEqual({ Authorization: 'Bearer ${env:TOOLGATE_TOKEN}' });
    const url = new URL(entry.url.replace('127.0.0.1:8787', new URL(gw.url).host));
    client = new Client({ name: 'init-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(url, {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    // default: deny: a call is refused with a reason the agent can read, before the server sees it.
    const result = await client.callTool({ name: 'echo', arguments: { message: 'hi' } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('[POLICY DENIED]');
  });
});
