/**
 * The parity suites: every assertion runs on a client straight to the server (`ref`) and on a
 * client through toolgate (`via`, the setup under test), and compares what both saw.
 */
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type ConformanceServerHandle,
  startConformanceServer,
} from '../fixtures/servers/conformance-server.js';
import {
  DIRECT,
  EVERYTHING_STDIO,
  filesystemServer,
  type Harness,
  memoryServer,
  type Probe,
  progressOf,
  SAMPLING_ANSWER,
  type Setup,
  settledTools,
  until,
} from './parity.js';

const CONDITIONAL_TOOLS = ['trigger-sampling-request', 'trigger-elicitation-request', 'get-roots-list'];

type Pair = [ref: Probe, via: Probe];

async function both<T>(pair: Pair, f: (p: Probe) => Promise<T>): Promise<[T, T]> {
  return [await f(pair[0]), await f(pair[1])];
}

/** server-everything (stdio), and the conformance fixture (HTTP) for what only it can show. */
export function everythingParitySuite(setup: Setup): void {
  let fixture: ConformanceServerHandle;
  let ref: Harness;
  let via: Harness;
  let pair: Pair;

  beforeAll(async () => {
    fixture = await startConformanceServer();
    const servers = { everything: EVERYTHING_STDIO, fixture: { url: fixture.url } };
    ref = await DIRECT.start(servers);
    via = await setup.start(servers);
    pair = [await ref.connect('everything'), await via.connect('everything')];
  });

  afterAll(async () => {
    await via?.close();
    await ref?.close();
    await fixture?.close();
  });

  it('tools/list is equal, including the tools offered for sampling, elicitation and roots', async () => {
    const [a, b] = await both(pair, (p) => settledTools(p, CONDITIONAL_TOOLS));
    expect(a.length).toBeGreaterThanOrEqual(15);
    expect(b).toEqual(a);
  });

  it('tools/list_changed notifications reach the client', async () => {
    // server-everything announces its capability-dependent tools right after the handshake.
    for (const p of pair) await until('a tools/list_changed notification', () => p.toolsChanged > 0);
  });

  it('prompts/list and prompts/get are equal', async () => {
    const [a, b] = await both(pair, (p) => p.client.listPrompts());
    expect(a.prompts.map((p) => p.name)).toEqual(
      expect.arrayContaining(['simple-prompt', 'args-prompt', 'completable-prompt']),
    );
    expect(b).toEqual(a);
    const [s1, s2] = await both(pair, (p) => p.client.getPrompt({ name: 'simple-prompt' }));
    expect(s1.messages.length).toBeGreaterThan(0);
    expect(s2).toEqual(s1);
    const args = { city: 'Lisbon', state: 'Lisboa' };
    const [g1, g2] = await both(pair, (p) => p.client.getPrompt({ name: 'args-prompt', arguments: args }));
    expect(JSON.stringify(g1)).toContain('Lisbon');
    expect(g2).toEqual(g1);
  });

  it('resources/list, resources/templates/list and resources/read are equal', async () => {
    const [a, b] = await both(pair, (p) => p.client.listResources());
    expect(a.resources.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
    const [t1, t2] = await both(pair, (p) => p.client.listResourceTemplates());
    expect(t2).toEqual(t1);
    const uri = a.resources[0]!.uri;
    const [r1, r2] = await both(pair, (p) => p.client.readResource({ uri }));
    expect(r1.contents[0]?.uri).toBe(uri);
    expect(r2).toEqual(r1);
    // A templated resource, which no list names: the gateway must route it all the same.
    const dyn = 'demo://resource/dynamic/text/7';
    const [d1, d2] = await both(pair, (p) => p.client.readResource({ uri: dyn }));
    expect(d1.contents[0]?.uri).toBe(dyn);
    // Its text says when it was made ("created at 3:04:05 PM"): compare all but the clock.
    const clockless = (r: typeof d1) =>
      JSON.parse(JSON.stringify(r).replace(/created at [^"]*/g, 'created at T'));
    expect(clockless(d2)).toEqual(clockless(d1));
    expect(JSON.stringify(d2)).toContain('Resource 7: This is a plaintext resource created at');
  });

  it('ping is answered', async () => {
    const [a, b] = await both(pair, (p) => p.client.ping());
    expect(b).toEqual(a);
  });

  it('completion/complete is equal', async () => {
    const params = {
      ref: { type: 'ref/prompt' as const, name: 'completable-prompt' },
      argument: { name: 'department', value: 'E' },
    };
    const [a, b] = await both(pair, (p) => p.client.complete(params));
    expect(a.completion.values.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
  });

  it('tool results are equal: echo, get-sum, structured content, image', async () => {
    const calls = [
      { name: 'echo', arguments: { message: 'hello through toolgate ✓' } },
      { name: 'get-sum', arguments: { a: 19, b: 23 } },
      { name: 'get-structured-content', arguments: { location: 'New York' } },
      { name: 'get-tiny-image', arguments: {} },
    ];
    for (const call of calls) {
      const [a, b] = await both(pair, (p) => p.client.callTool(call));
      expect(a.isError ?? false, call.name).toBe(false);
      expect(b, call.name).toEqual(a);
    }
    const [echo] = await both(pair, (p) =>
      p.client.callTool({ name: 'echo', arguments: { message: 'ping' } }),
    );
    expect(echo.content).toEqual([{ type: 'text', text: 'Echo: ping' }]);
  });

  it('progress notifications of trigger-long-running-operation arrive, all of them', async () => {
    const steps = 4;
    const [a, b] = await both(pair, async (p) => {
      const from = progressOf(p).length;
      const seen: number[] = [];
      const result = await p.client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 0.8, steps } },
        { onprogress: (n) => seen.push(n.progress), timeout: 30_000 },
      );
      const wire = progressOf(p)
        .slice(from)
        .map(({ progress, total }) => ({ progress, total }));
      return { result, seen, wire };
    });
    // On the wire: every step, in order, with the client's own token (the SDK callback fired).
    expect(a.wire).toEqual([1, 2, 3, 4].map((progress) => ({ progress, total: steps })));
    expect(b.wire).toEqual(a.wire);
    expect(b.seen.length).toBeGreaterThanOrEqual(steps - 1);
    expect(b.seen).toEqual(a.wire.map((w) => w.progress).slice(0, b.seen.length));
    expect(b.result).toEqual(a.result);
  });

  it('after a cancelled call, late progress never carries a token the client did not send', async () => {
    // server-everything ignores the cancellation and keeps reporting progress for a while;
    // direct, the client gets those with its own token. Through toolgate, the upstream's
    // (remapped) token must not leak out.
    const late = await both(pair, async (p) => {
      const from = progressOf(p).length;
      const controller = new AbortController();
      const call = p.client.callTool(
        { name: 'trigger-long-running-operation', arguments: { duration: 2, steps: 8 } },
        {
          signal: controller.signal,
          onprogress: () => controller.abort(new Error('enough')),
          timeout: 30_000,
        },
      );
      await expect(call).rejects.toThrow();
      const abortedAt = progressOf(p).length;
      const token = progressOf(p)[from]?.progressToken;
      expect(token).toBeDefined();
      const since = Date.now();
      await until('the rest of the operation to run (2 s)', () => Date.now() - since > 2_200, 10_000);
      return { token, late: progressOf(p).slice(abortedAt) };
    });
    expect(late[0].late.length).toBeGreaterThan(0); // the server did keep sending (the premise)
    for (const side of late) for (const n of side.late) expect(n.progressToken).toBe(side.token);
  });

  it('a sampling request from the server reaches the client and its answer goes back', async () => {
    const before = pair.map((p) => p.sampling.length);
    const [a, b] = await both(pair, (p) =>
      p.client.callTool({
        name: 'trigger-sampling-request',
        arguments: { prompt: 'two words', maxTokens: 7 },
      }),
    );
    expect(pair[0].sampling.length).toBe(before[0]! + 1);
    expect(pair[1].sampling.length).toBe(before[1]! + 1);
    expect(pair[1].sampling.at(-1)).toEqual(pair[0].sampling.at(-1));
    expect(pair[1].sampling.at(-1)).toMatchObject({ maxTokens: 7 });
    expect(JSON.stringify(b)).toContain(SAMPLING_ANSWER.content.text);
    expect(b).toEqual(a);
  });

  it('an elicitation request from the server reaches the client and its answer goes back', async () => {
    const [a, b] = await both(pair, (p) =>
      p.client.callTool({ name: 'trigger-elicitation-request', arguments: {} }),
    );
    expect(pair[1].elicitations.at(-1)).toEqual(pair[0].elicitations.at(-1));
    expect(JSON.stringify(b)).toContain('Name: Ada Lovelace');
    expect(b).toEqual(a);
  });

  it('logging/setLevel is relayed and log messages arrive', async () => {
    for (const p of pair) {
      // Warnings and worse: a debug or info line would prove setLevel did not reach the server.
      await p.client.setLoggingLevel('warning');
      const from = p.logs.length;
      await p.client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
      try {
        // Sent at once and then every 5 s at a random level; some will pass the filter.
        const simulated = () => p.logs.slice(from).filter((l) => /level.message/i.test(String(l.data)));
        await until('a simulated log message at warning or above', () => simulated().length > 0, 40_000);
        for (const l of simulated())
          expect(['warning', 'error', 'critical', 'alert', 'emergency']).toContain(l.level);
      } finally {
        await p.client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
        await p.client.setLoggingLevel('debug');
      }
    }
  }, 90_000);

  it('resources/subscribe is relayed and notifications/resources/updated arrive', async () => {
    const uri = 'demo://resource/static/document/features.md';
    for (const p of pair) {
      await p.client.subscribeResource({ uri });
      const from = p.updated.length;
      await p.client.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
      try {
        await until(`notifications/resources/updated for ${uri}`, () => p.updated.slice(from).includes(uri));
      } finally {
        await p.client.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
        await p.client.unsubscribeResource({ uri });
      }
    }
  });

  it('cancelling a call (AbortSignal) reaches the upstream as notifications/cancelled', async () => {
    // The fixture's test_sampling waits for the client's sampling answer, so the call is surely
    // in flight upstream when the client aborts; the answer is held until the upstream logged the
    // cancellation, which therefore cannot have raced the result.
    for (const harness of [ref, via]) {
      const controller = new AbortController();
      const before = fixture.log.count('notifications/cancelled');
      const probe = await harness.connect('fixture', {
        onSampling: async () => {
          controller.abort(new Error('the test cancels this call'));
          await until(
            'the upstream to log notifications/cancelled',
            () => fixture.log.count('notifications/cancelled') > before,
            10_000,
          ).catch(() => undefined);
          return SAMPLING_ANSWER;
        },
      });
      const call = probe.client.callTool(
        { name: 'test_sampling', arguments: { prompt: 'never mind' } },
        { signal: controller.signal },
      );
      await expect(call).rejects.toThrow();
      await until(
        'notifications/cancelled upstream',
        () => fixture.log.count('notifications/cancelled') > before,
        10_000,
      );
      expect(fixture.log.count('notifications/cancelled')).toBe(before + 1);
      // The session still works after a cancellation.
      const ok = await probe.client.callTool({ name: 'test_simple_text', arguments: {} });
      expect(ok.isError ?? false).toBe(false);
      await probe.close();
    }
  });
}

/** server-memory: the knowledge-graph tools give the same results both ways. */
export function memoryParitySuite(setup: Setup): void {
  let dir: string;
  let ref: Harness;
  let via: Harness;
  let pair: Pair;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'toolgate-memory-'));
    ref = await DIRECT.start({ memory: memoryServer(join(dir, 'ref.jsonl')) });
    via = await setup.start({ memory: memoryServer(join(dir, 'via.jsonl')) });
    pair = [
      await ref.connect('memory', { capabilities: {} }),
      await via.connect('memory', { capabilities: {} }),
    ];
  });

  afterAll(async () => {
    await via?.close();
    await ref?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('tools/list is equal', async () => {
    const [a, b] = await both(pair, (p) => p.client.listTools());
    expect(a.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['create_entities', 'read_graph']));
    expect(b).toEqual(a);
  });

  it('create_entities, create_relations, read_graph and search_nodes give equal results', async () => {
    const calls = [
      {
        name: 'create_entities',
        arguments: {
          entities: [
            { name: 'toolgate', entityType: 'project', observations: ['an MCP policy gateway'] },
            { name: 'Ada', entityType: 'person', observations: ['writes tests'] },
          ],
        },
      },
      {
        name: 'create_relations',
        arguments: { relations: [{ from: 'Ada', to: 'toolgate', relationType: 'maintains' }] },
      },
      { name: 'read_graph', arguments: {} },
      { name: 'search_nodes', arguments: { query: 'gateway' } },
    ];
    for (const call of calls) {
      const [a, b] = await both(pair, (p) => p.client.callTool(call));
      expect(a.isError ?? false, call.name).toBe(false);
      expect(b, call.name).toEqual(a);
    }
    const graph = await pair[1].client.callTool({ name: 'read_graph', arguments: {} });
    expect(JSON.stringify(graph)).toContain('maintains');
  });
}

/** server-filesystem in a temp folder; roots from the client travel through the gateway too. */
export function filesystemParitySuite(setup: Setup): void {
  let dir: string;
  let rootDir: string;
  let ref: Harness;
  let via: Harness;
  let pair: Pair;

  beforeAll(async () => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'toolgate-fs-')));
    rootDir = realpathSync(mkdtempSync(join(tmpdir(), 'toolgate-fs-root-')));
    ref = await DIRECT.start({ fs: filesystemServer(dir) });
    via = await setup.start({ fs: filesystemServer(dir) });
    // No roots capability: the server keeps the folder it was started with.
    pair = [await ref.connect('fs', { capabilities: {} }), await via.connect('fs', { capabilities: {} })];
  });

  afterAll(async () => {
    await via?.close();
    await ref?.close();
    for (const d of [dir, rootDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('tools/list and list_allowed_directories are equal', async () => {
    const [a, b] = await both(pair, (p) => p.client.listTools());
    expect(a.tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['list_allowed_directories', 'read_file', 'write_file']),
    );
    expect(b).toEqual(a);
    const [d1, d2] = await both(pair, (p) =>
      p.client.callTool({ name: 'list_allowed_directories', arguments: {} }),
    );
    expect(JSON.stringify(d1)).toContain(dir);
    expect(d2).toEqual(d1);
  });

  it('write_file then read_file give equal results, and each side reads what the other wrote', async () => {
    const path = join(dir, 'note.txt');
    const content = 'written through toolgate\nline two ✓\n';
    const [w1, w2] = await both(pair, (p) =>
      p.client.callTool({ name: 'write_file', arguments: { path, content } }),
    );
    expect(w1.isError ?? false).toBe(false);
    expect(w2).toEqual(w1);
    const [r1, r2] = await both(pair, (p) =>
      p.client.callTool({ name: 'read_text_file', arguments: { path } }),
    );
    expect(JSON.stringify(r1)).toContain('line two');
    expect(r2).toEqual(r1);
    // Outside the allowed folder: the same refusal both ways.
    const outside = { name: 'read_text_file', arguments: { path: '/etc/hostname' } };
    const [e1, e2] = await both(pair, (p) => p.client.callTool(outside));
    expect(e1.isError).toBe(true);
    expect(e2).toEqual(e1);
  });

  it('roots/list from the server reaches the client and sets the allowed folders', async () => {
    const opts = {
      capabilities: { roots: { listChanged: true } },
      roots: [{ uri: pathToFileURL(rootDir).href, name: 'root' }],
    };
    const rooted: Pair = [await ref.connect('fs', opts), await via.connect('fs', opts)];
    for (const p of rooted) {
      await until('list_allowed_directories to show the client root', async () => {
        const res = await p.client.callTool({ name: 'list_allowed_directories', arguments: {} });
        return JSON.stringify(res).includes(rootDir);
      });
    }
  });
}
