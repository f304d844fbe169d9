/**
 * The aggregate endpoint `/mcp`: server-everything and server-memory behind one MCP server,
 * names namespaced `<server>__<name>`, every request routed to its upstream, and a grant that
 * may use one server sees only that one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { postInitialize } from '../support/mcp-http.js';
import {
  DIRECT,
  EVERYTHING_STDIO,
  gatewayHarness,
  type Harness,
  memoryServer,
  type Probe,
  SAMPLING_ANSWER,
  serversConfig,
  settledTools,
} from '../support/parity.js';

const BOTH_TOKEN = 'tg-test-both-0123456789abcdef';
const MEMORY_TOKEN = 'tg-test-memory-0123456789abcdef';

describe('aggregate endpoint /mcp', () => {
  let dir: string;
  let gw: TestGateway;
  let harness: Harness;
  let direct: Harness;
  let agg: Probe;
  let everything: Probe;
  let memory: Probe;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'toolgate-agg-'));
    gw = await startTestGateway(
      {
        servers: serversConfig({
          everything: EVERYTHING_STDIO,
          memory: memoryServer(join(dir, 'gateway.jsonl')),
        }),
        grants: [
          { name: 'both', servers: ['everything', 'memory'], token_env: 'TG_BOTH_TOKEN' },
          { name: 'memory-only', servers: ['memory'], token_env: 'TG_MEMORY_TOKEN' },
        ],
      },
      { env: { ...process.env, TG_BOTH_TOKEN: BOTH_TOKEN, TG_MEMORY_TOKEN: MEMORY_TOKEN } },
    );
    harness = gatewayHarness(gw, () => '/mcp');
    direct = await DIRECT.start({
      everything: EVERYTHING_STDIO,
      memory: memoryServer(join(dir, 'direct.jsonl')),
    });
    agg = await harness.connect('*', { headers: { authorization: `Bearer ${BOTH_TOKEN}` } });
    everything = await direct.connect('everything');
    memory = await direct.connect('memory');
  });

  afterAll(async () => {
    await harness?.close(); // closes the gateway too
    await direct?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists every tool of both servers as <server>__<tool>, definitions otherwise unchanged', async () => {
    const tools = await settledTools(agg, ['everything__trigger-sampling-request', 'memory__read_graph']);
    const expected = [
      ...(await settledTools(everything, ['trigger-sampling-request'])).map((t) => ({
        ...t,
        name: `everything__${t.name}`,
      })),
      ...(await memory.client.listTools()).tools.map((t) => ({ ...t, name: `memory__${t.name}` })),
    ];
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    expect([...tools].sort(byName)).toEqual(expected.sort(byName));
  });

  it('routes tool calls by prefix', async () => {
    const echo = await agg.client.callTool({ name: 'everything__echo', arguments: { message: 'routed' } });
    expect(echo.content).toEqual([{ type: 'text', text: 'Echo: routed' }]);
    const created = await agg.client.callTool({
      name: 'memory__create_entities',
      arguments: { entities: [{ name: 'aggregate', entityType: 'test', observations: ['via /mcp'] }] },
    });
    expect(created.isError ?? false).toBe(false);
    const graph = await agg.client.callTool({ name: 'memory__read_graph', arguments: {} });
    expect(JSON.stringify(graph)).toContain('via /mcp');
    const sum = await agg.client.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 40 } });
    expect(sum).toEqual(await everything.client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } }));
  });

  it('answers an unknown prefix or tool as an unknown tool', async () => {
    for (const name of ['nosuch__echo', 'everything__no-such-tool', 'echo']) {
      const res = await agg.client.callTool({ name, arguments: {} }).catch((err: Error) => err);
      const text = res instanceof Error ? res.message : JSON.stringify(res);
      expect(text, name).toMatch(/not found|unknown/i);
    }
  });

  it('namespaces prompts and routes prompts/get and completion/complete', async () => {
    const { prompts } = await agg.client.listPrompts();
    const direct = (await everything.client.listPrompts()).prompts;
    expect(prompts).toEqual(direct.map((p) => ({ ...p, name: `everything__${p.name}` })));
    const got = await agg.client.getPrompt({ name: 'everything__args-prompt', arguments: { city: 'Porto' } });
    expect(got).toEqual(
      await everything.client.getPrompt({ name: 'args-prompt', arguments: { city: 'Porto' } }),
    );
    const argument = { name: 'department', value: 'S' };
    const completed = await agg.client.complete({
      ref: { type: 'ref/prompt', name: 'everything__completable-prompt' },
      argument,
    });
    expect(completed.completion.values.length).toBeGreaterThan(0);
    expect(completed).toEqual(
      await everything.client.complete({ ref: { type: 'ref/prompt', name: 'completable-prompt' }, argument }),
    );
  });

  it('namespaces resource names (URIs unchanged) and routes resources/read by URI', async () => {
    const { resources } = await agg.client.listResources();
    const fromEverything = (await everything.client.listResources()).resources;
    const fromMemory = (await memory.client.listResources()).resources;
    const expected = [
      ...fromEverything.map((r) => ({ ...r, name: `everything__${r.name}` })),
      ...fromMemory.map((r) => ({ ...r, name: `memory__${r.name}` })),
    ];
    const byUri = (a: { uri: string }, b: { uri: string }) => a.uri.localeCompare(b.uri);
    expect([...resources].sort(byUri)).toEqual(expected.sort(byUri));
    const uri = fromEverything[0]!.uri;
    expect(await agg.client.readResource({ uri })).toEqual(await everything.client.readResource({ uri }));
    // server-memory's resource goes to server-memory: it holds what this gateway's memory holds.
    const memoryUri = fromMemory[0]?.uri;
    if (memoryUri) {
      await agg.client.callTool({
        name: 'memory__create_entities',
        arguments: { entities: [{ name: 'resource-check', entityType: 'test', observations: ['read me'] }] },
      });
      const read = await agg.client.readResource({ uri: memoryUri });
      expect(read.contents[0]?.uri).toBe(memoryUri);
      expect(JSON.stringify(read)).toContain('resource-check');
    }
  });

  it('routes a templated resource URI that no list named, on a fresh session', async () => {
    // A client may read a URI it got from a tool result (resource_link) without listing first.
    const fresh = await harness.connect('*', { headers: { authorization: `Bearer ${BOTH_TOKEN}` } });
    const uri = 'demo://resource/dynamic/text/3';
    const read = await fresh.client.readResource({ uri });
    expect(read.contents[0]?.uri).toBe(uri);
    expect(JSON.stringify(read)).toContain('Resource 3: This is a plaintext resource');
  });

  it('relays cancellation to the upstream that runs the call', async () => {
    const controller = new AbortController();
    const call = agg.client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 30, steps: 30 } },
      { signal: controller.signal, onprogress: () => controller.abort(new Error('enough')), timeout: 60_000 },
    );
    await expect(call).rejects.toThrow();
    // The session goes on; the cancelled call left nothing in its way.
    const echo = await agg.client.callTool({
      name: 'everything__echo',
      arguments: { message: 'after cancel' },
    });
    expect(echo.content).toEqual([{ type: 'text', text: 'Echo: after cancel' }]);
  });

  it('merges the capabilities of both servers', async () => {
    const caps = agg.client.getServerCapabilities() ?? {};
    for (const upstream of [everything, memory]) {
      for (const key of Object.keys(upstream.client.getServerCapabilities() ?? {})) {
        expect(caps, key).toHaveProperty(key);
      }
    }
    expect(caps).toHaveProperty('prompts');
    expect(caps).toHaveProperty('resources');
    expect(caps).toHaveProperty('tools');
  });

  it('relays progress and sampling for a namespaced tool', async () => {
    const progress: number[] = [];
    await agg.client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 0.4, steps: 2 } },
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(progress).toEqual([1, 2].slice(0, progress.length));
    const sampled = await agg.client.callTool({
      name: 'everything__trigger-sampling-request',
      arguments: { prompt: 'aggregate' },
    });
    expect(JSON.stringify(sampled)).toContain(SAMPLING_ANSWER.content.text);
  });

  it('a grant that may use only server-memory sees and reaches only server-memory', async () => {
    const narrow = await harness.connect('*', { headers: { authorization: `Bearer ${MEMORY_TOKEN}` } });
    const { tools } = await narrow.client.listTools();
    expect(tools.length).toBeGreaterThan(0);
    expect(tools.every((t) => t.name.startsWith('memory__'))).toBe(true);
    expect(tools.map((t) => t.name)).toContain('memory__read_graph');
    const res = await narrow.client
      .callTool({ name: 'everything__echo', arguments: { message: 'x' } })
      .catch((err: Error) => err);
    expect(res instanceof Error ? res.message : JSON.stringify(res)).toMatch(/not found/i);
    const prompts = await narrow.client.listPrompts().catch(() => ({ prompts: [] }));
    expect(prompts.prompts).toEqual([]);
    // And /mcp/everything is closed to it outright.
    const direct = await postInitialize(`${gw.url}/mcp/everything`, MEMORY_TOKEN);
    expect(direct.status).toBe(403);
  });
});
