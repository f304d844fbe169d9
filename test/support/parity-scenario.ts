/**
 * The era parity scenario (issue 15): one sequence of messages (list, call, progress, sampling,
 * elicitation, subscribe, logging, ping, pagination, resources, prompts) that a client of each era
 * runs straight to the servers and through toolgate, and the comparison of what both got, written
 * as a table (test-results/parity.md, reproduced in docs/eras.md).
 */
import { CLIENT_ERAS, type ClientEra, connectEra, type EraClient, type Target } from './parity-clients.js';

type Json = Record<string, unknown>;

/** What one message gave: a value, or an error (its kind compares; its message is for people). */
export type Outcome = { ok: unknown } | { error: string; message: string };

/** One way of reaching the two scenario servers: `everything` (server-everything) and `paged`. */
export interface Endpoint {
  name: string;
  /** direct | server (`/mcp/<server>`) | aggregate (`/mcp`) | offer (`/mcp/<server>` with `offer_2026`). */
  kind: 'direct' | 'server' | 'aggregate' | 'offer';
  everything: Target;
  paged: Target;
  /** The aggregate's name prefixes (`everything__`, `paged__`); both servers on one connection. */
  prefixes?: { everything: string; paged: string };
}

export const MESSAGES = [
  'negotiate',
  'tools/list',
  'tools/call',
  'progress',
  'sampling',
  'elicitation',
  'resources/subscribe',
  'logging',
  'ping',
  'pagination',
  'resources',
  'prompts',
] as const;
export type Message = (typeof MESSAGES)[number];

const CONDITIONAL_TOOLS = ['trigger-sampling-request', 'trigger-elicitation-request', 'get-roots-list'];
const DOC_URI = 'demo://resource/static/document/features.md';
const STEP_TIMEOUT_MS = 30_000;

interface Ctx {
  main: EraClient;
  paged: EraClient;
  /** The aggregate's prefix of each server, or ''. */
  pre: { everything: string; paged: string };
}

/** Items of `list` that belong to the server with `prefix`, named as the server names them. */
function own(list: unknown, prefix: string): Json[] {
  const items = (Array.isArray(list) ? list : []) as Json[];
  if (!prefix) return items;
  return items
    .filter((i) => String(i.name).startsWith(prefix))
    .map((i) => ({ ...i, name: String(i.name).slice(prefix.length) }));
}

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const STEPS: Record<Message, (c: Ctx) => Promise<unknown>> = {
  negotiate: async ({ main }) => ({
    version: main.negotiated(),
    serverInfo: main.serverInfo(),
    instructions: main.instructions(),
  }),
  'tools/list': async ({ main, pre }) => {
    // server-everything adds its sampling/elicitation/roots tools after the handshake.
    let tools: Json[] = [];
    for (let i = 0; i < 100; i++) {
      tools = own((await main.request('tools/list')).tools, pre.everything);
      const names = new Set(tools.map((t) => t.name));
      if (CONDITIONAL_TOOLS.every((n) => names.has(n))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return tools.sort((a, b) => String(a.name).localeCompare(String(b.name)));
  },
  'tools/call': ({ main, pre }) => main.callTool(`${pre.everything}echo`, { message: 'parity ✓' }),
  progress: async ({ main, pre }) => {
    const seen: number[] = [];
    const result = await main.callTool(
      `${pre.everything}trigger-long-running-operation`,
      { duration: 0.6, steps: 3 },
      (p) => seen.push(p),
    );
    // The SDKs may drop a progress notification that arrives with the response: some must arrive.
    return {
      result,
      progressArrived: seen.length >= 2,
      ordered: seen.every((p, i) => i === 0 || p > seen[i - 1]!),
    };
  },
  sampling: async ({ main, pre }) => {
    const result = await main.callTool(`${pre.everything}trigger-sampling-request`, {
      prompt: 'two words',
      maxTokens: 7,
    });
    return { result, asked: main.sampling.at(-1) };
  },
  elicitation: async ({ main, pre }) => {
    const result = await main.callTool(`${pre.everything}trigger-elicitation-request`, {});
    return { result, asked: main.elicitations.at(-1) };
  },
  'resources/subscribe': async ({ main, pre }) => {
    const stop = await main.subscribe(DOC_URI);
    const from = main.updated.length;
    await main.callTool(`${pre.everything}toggle-subscriber-updates`, {});
    try {
      await until(`notifications/resources/updated for ${DOC_URI}`, () =>
        main.updated.slice(from).includes(DOC_URI),
      );
    } finally {
      await main.callTool(`${pre.everything}toggle-subscriber-updates`, {});
      await stop();
    }
    return { updated: DOC_URI };
  },
  logging: async ({ main, pre }) => {
    const setLevel = await main.setLevel('debug');
    const from = main.logs;
    await main.callTool(`${pre.everything}toggle-simulated-logging`, {});
    try {
      await until('a log message', () => main.logs > from);
    } finally {
      await main.callTool(`${pre.everything}toggle-simulated-logging`, {});
    }
    return { setLevel, logged: true };
  },
  ping: ({ main }) => main.ping(),
  pagination: async ({ paged, pre }) => {
    const pages: string[][] = [];
    let cursor: unknown;
    for (let i = 0; i < 10; i++) {
      const res = await paged.request('resources/list', cursor === undefined ? {} : { cursor });
      pages.push(own(res.resources, pre.paged).map((r) => String(r.uri)));
      cursor = res.nextCursor;
      if (cursor === undefined || cursor === null) break;
    }
    const bogus = await outcome(() => paged.request('resources/list', { cursor: 'not-a-cursor' }));
    return { pages, invalidCursor: 'error' in bogus ? bogus.error : 'accepted' };
  },
  resources: async ({ main, paged, pre }) => {
    const templates = own((await main.request('resources/templates/list')).resourceTemplates, pre.everything);
    const read = await main.request('resources/read', { uri: DOC_URI });
    const item = await paged.request('resources/read', { uri: 'paged://item/3' });
    return { templates, read, item };
  },
  prompts: async ({ main, pre }) => {
    const prompts = own((await main.request('prompts/list')).prompts, pre.everything);
    const got = await main.request('prompts/get', {
      name: `${pre.everything}args-prompt`,
      arguments: { city: 'Lisbon', state: 'Lisboa' },
    });
    return { prompts, got };
  },
};

/** An error as a comparable kind: the SDK's error class and code (messages are worded by whoever refused). */
function kindOf(err: unknown): { error: string; message: string } {
  const e = err as { name?: string; code?: unknown; message?: string };
  const name = e?.constructor?.name ?? e?.name ?? 'Error';
  const code = e?.code !== undefined ? `(${String(e.code)})` : '';
  return { error: `${name}${code}`, message: String(e?.message ?? err).slice(0, 200) };
}

async function outcome(f: () => Promise<unknown>): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const value = await Promise.race([
      f(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`step timed out after ${STEP_TIMEOUT_MS} ms`)),
          STEP_TIMEOUT_MS,
        );
      }),
    ]);
    return { ok: normalize(value) };
  } catch (err) {
    return kindOf(err);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What a comparison ignores: the 2026 wire fields (`resultType`, `ttlMs`, `cacheScope`, the
 * reserved `_meta` keys) that say how a result travelled, not what it says.
 */
export function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value as Json)) {
    if (k === 'resultType' || k === 'ttlMs' || k === 'cacheScope') continue;
    if (k === '_meta' && v && typeof v === 'object') {
      const kept = Object.entries(v as Json).filter(([m]) => !m.startsWith('io.modelcontextprotocol/'));
      if (kept.length) out[k] = normalize(Object.fromEntries(kept));
      continue;
    }
    out[k] = normalize(v);
  }
  return out;
}

/** Run the whole scenario for one client era on one endpoint. */
export async function runScenario(era: ClientEra, endpoint: Endpoint): Promise<Record<Message, Outcome>> {
  const results = {} as Record<Message, Outcome>;
  const opened: EraClient[] = [];
  try {
    let ctx: Ctx;
    try {
      const main = await connectEra(era, endpoint.everything);
      opened.push(main);
      const paged = endpoint.prefixes ? main : await connectEra(era, endpoint.paged);
      if (paged !== main) opened.push(paged);
      ctx = { main, paged, pre: endpoint.prefixes ?? { everything: '', paged: '' } };
    } catch (err) {
      const failed = kindOf(err);
      for (const m of MESSAGES) results[m] = { error: `connect: ${failed.error}`, message: failed.message };
      return results;
    }
    for (const m of MESSAGES) results[m] = await outcome(() => STEPS[m](ctx));
    return results;
  } finally {
    await Promise.all(opened.map((c) => c.close().catch(() => undefined)));
  }
}

export function same(a: Outcome, b: Outcome): boolean {
  if ('error' in a || 'error' in b) return 'error' in a && 'error' in b && a.error === b.error;
  return JSON.stringify(a.ok) === JSON.stringify(b.ok);
}

/** One cell of the table: a comparison and, when it differs, why (undefined: nobody explained it). */
export interface Cell {
  era: ClientEra;
  endpoint: Endpoint;
  message: Message;
  direct: Outcome;
  via: Outcome;
  same: boolean;
  why?: string;
}

/** The table: one section per endpoint, a row per message, a column per client era. */
export function parityTable(cells: Cell[], endpoints: Endpoint[], versions: Map<string, string>): string {
  const notes: string[] = [];
  const noteOf = (why: string) => {
    let i = notes.indexOf(why);
    if (i < 0) i = notes.push(why) - 1;
    return `differs (${i + 1})`;
  };
  const out: string[] = [];
  for (const ep of endpoints) {
    const eras = CLIENT_ERAS.filter((e) => cells.some((c) => c.era === e && c.endpoint === ep));
    out.push(`### ${ep.name}`, '');
    out.push(`| message | ${eras.join(' | ')} |`, `| --- | ${eras.map(() => '---').join(' | ')} |`);
    out.push(
      `| negotiated (direct → via) | ${eras.map((e) => versions.get(`${e}|${ep.name}`) ?? '').join(' | ')} |`,
    );
    for (const m of MESSAGES) {
      const row = eras.map((e) => {
        const cell = cells.find((c) => c.era === e && c.endpoint === ep && c.message === m);
        if (!cell) return '';
        if (cell.same) {
          if (!('error' in cell.via)) return 'same';
          return cell.via.error.startsWith('connect: ')
            ? 'same (neither connects)'
            : `same (both fail: ${cell.via.error})`;
        }
        const note = noteOf(cell.why ?? `UNEXPLAINED: direct ${show(cell.direct)}; via ${show(cell.via)}`);
        if ('error' in cell.via) return `${note}: via fails (${cell.via.error})`;
        return 'error' in cell.direct ? `${note}: works via toolgate` : note;
      });
      out.push(`| ${m} | ${row.join(' | ')} |`);
    }
    out.push('');
  }
  out.push(...notes.map((n, i) => `(${i + 1}) ${n}`));
  return `${out.join('\n')}\n`;
}

function show(o: Outcome): string {
  return 'error' in o ? `${o.error}: ${o.message}` : JSON.stringify(o.ok).slice(0, 160);
}
