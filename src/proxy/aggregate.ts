import { readEnvelope, SERVER_INFO_KEY } from '../mcp/envelope.js';
import {
  errorResponse,
  INVALID_PARAMS,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  METHOD_NOT_FOUND,
} from '../mcp/jsonrpc.js';
import type { UpstreamLink } from '../upstream/link.js';
import { type Caller, type Gate, shownTool } from './gate.js';
import { joinName, splitName } from './names.js';
import type { Sink } from './sink.js';
import type { ToolDirectory } from './tool-directory.js';

type Forward = (server: string, method: string, params: JsonRpcRequest['params']) => void;

const MAX_PAGES = 50;

/**
 * How long a 2026 client may reuse a list the aggregate collected when no server named a shorter
 * time: short, as for a relayed 2025 list (src/era/results.ts RELAYED_TTL_MS). The scope is always
 * `private`: policy filters lists per grant, so a shared cache must never reuse them.
 */
const AGGREGATE_TTL_MS = 1000;

/** One collected list: the items, and the shortest `ttlMs` any upstream page named. */
interface Collected {
  items: Record<string, unknown>[];
  ttlMs?: number;
}

/**
 * The aggregate endpoint `/mcp`: several upstreams presented as one server. Names of tools,
 * prompts and resources become `<server><sep><name>`; requests are routed by that prefix (or, for
 * resource URIs, by which server listed them). Lists are collected across every page of every
 * upstream and returned as one page, so the client's cursors never need translating.
 */
export class Aggregator {
  private readonly uriOwner = new Map<string, string>();
  private templates: { prefix: string; server: string }[] = [];

  constructor(
    private readonly links: ReadonlyMap<string, UpstreamLink>,
    private readonly sep: string,
    private readonly gate: Gate,
    private readonly caller: Caller,
    private readonly directory: ToolDirectory,
  ) {}

  handle(req: JsonRpcRequest, sink: Sink, forward: Forward): void {
    const reply = (res: JsonRpcResponse) => sink.send({ ...res, id: req.id } as JsonRpcResponse, true);
    const p = req.params ?? {};
    // A 2026 request's envelope goes with every request the aggregate makes for it (a 2026 server
    // needs one on each), and the lists it answers are 2026-shaped (issue 15).
    const meta = envelopeMeta(p);
    const list = (key: string, c: Collected) => reply(this.listResult(req.id, key, c, meta !== undefined));
    switch (req.method) {
      case 'initialize':
        this.initialize(req).then(reply);
        return;
      case 'server/discover':
        this.discover(req, meta).then(reply);
        return;
      case 'ping':
        reply({ jsonrpc: '2.0', id: req.id, result: {} });
        return;
      case 'tools/list': {
        const seen = new Map<string, Record<string, unknown>[]>();
        this.collect(
          'tools/list',
          'tools',
          (server, t) => {
            const tools = seen.get(server) ?? [];
            tools.push(t);
            seen.set(server, tools);
            return undefined;
          },
          meta,
        ).then(({ ttlMs }) => {
          // Each server's whole list is observed before any of it is shown: what the gate shows
          // of a changed tool depends on the definition this session was just listed.
          const shown: Record<string, unknown>[] = [];
          for (const [server, tools] of seen) {
            this.directory.page(
              server,
              tools.map((t) => String(t.name)),
              true,
              true,
            );
            this.gate.observeTools?.(this.caller, server, tools);
            for (const t of tools) {
              const s = shownTool(this.gate, this.caller, server, t);
              if (s) shown.push(this.rename(server, s));
            }
          }
          list('tools', { items: shown, ...(ttlMs !== undefined ? { ttlMs } : {}) });
        });
        return;
      }
      case 'prompts/list':
        this.collect('prompts/list', 'prompts', (s, x) => this.rename(s, x), meta).then((c) =>
          list('prompts', c),
        );
        return;
      case 'resources/list':
        this.collect('resources/list', 'resources', (s, x) => this.noteResource(s, x), meta).then((c) =>
          list('resources', c),
        );
        return;
      case 'resources/templates/list':
        this.collect(
          'resources/templates/list',
          'resourceTemplates',
          (s, x) => this.noteTemplate(s, x),
          meta,
        ).then((c) => list('resourceTemplates', c));
        return;
      case 'tools/call':
      case 'prompts/get': {
        const target = typeof p.name === 'string' ? splitName(p.name, this.sep, this.links) : undefined;
        if (!target) {
          const what = req.method === 'tools/call' ? 'Tool' : 'Prompt';
          // No server of this session has that prefix: nothing to ask, but the attempt is on record.
          if (req.method === 'tools/call') this.gate.recordUnknown?.(this.caller, '*', String(p.name));
          reply(
            errorResponse(req.id, INVALID_PARAMS, `MCP error -32602: ${what} ${String(p.name)} not found`),
          );
          return;
        }
        forward(target.server, req.method, { ...p, name: target.name });
        return;
      }
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        this.findOwner(String(p.uri), meta).then((server) => {
          if (!server) reply(errorResponse(req.id, -32002, `Resource not found: ${String(p.uri)}`));
          else forward(server, req.method, p);
        });
        return;
      }
      case 'completion/complete': {
        const ref = (p.ref ?? {}) as Record<string, unknown>;
        if (ref.type === 'ref/prompt' && typeof ref.name === 'string') {
          const target = splitName(ref.name, this.sep, this.links);
          if (target) forward(target.server, req.method, { ...p, ref: { ...ref, name: target.name } });
          else reply(errorResponse(req.id, INVALID_PARAMS, `Prompt ${ref.name} not found`));
          return;
        }
        this.findOwner(String(ref.uri), meta).then((server) => {
          if (server) forward(server, req.method, p);
          else reply(errorResponse(req.id, INVALID_PARAMS, `Resource ${String(ref.uri)} not found`));
        });
        return;
      }
      case 'logging/setLevel':
        Promise.all([...this.links.values()].map((l) => l.request(req.method, p, undefined))).then(() =>
          reply({ jsonrpc: '2.0', id: req.id, result: {} }),
        );
        return;
      default:
        if (this.links.size === 1) forward(this.links.keys().next().value as string, req.method, req.params);
        else
          reply(
            errorResponse(
              req.id,
              METHOD_NOT_FOUND,
              `${req.method} cannot be routed on the aggregate endpoint; use /mcp/<server>`,
            ),
          );
    }
  }

  /** Rename names in notifications that carry them (resources/updated carries a URI: unchanged). */
  mapNotification(n: JsonRpcNotification, _server: string): JsonRpcNotification | undefined {
    return n;
  }

  private rename(server: string, item: Record<string, unknown>): Record<string, unknown> {
    return { ...item, name: joinName(server, String(item.name), this.sep) };
  }

  private noteResource(server: string, item: Record<string, unknown>): Record<string, unknown> {
    this.uriOwner.set(String(item.uri), server);
    return this.rename(server, item);
  }

  private noteTemplate(server: string, item: Record<string, unknown>): Record<string, unknown> {
    const prefix = String(item.uriTemplate).split('{')[0] ?? '';
    if (!this.templates.some((t) => t.prefix === prefix && t.server === server))
      this.templates.push({ prefix, server });
    return this.rename(server, item);
  }

  /**
   * The server of a URI. A client may read a URI it never saw listed (a `resource_link` in a tool
   * result, a templated URI), so an unknown one triggers one look at every server's lists.
   */
  private async findOwner(
    uri: string,
    meta: Record<string, unknown> | undefined,
  ): Promise<string | undefined> {
    const known = this.ownerOf(uri);
    if (known) return known;
    await Promise.all([
      this.collect('resources/list', 'resources', (s, x) => this.noteResource(s, x), meta),
      this.collect('resources/templates/list', 'resourceTemplates', (s, x) => this.noteTemplate(s, x), meta),
    ]);
    return this.ownerOf(uri);
  }

  private ownerOf(uri: string): string | undefined {
    const direct = this.uriOwner.get(uri);
    if (direct) return direct;
    let best: { prefix: string; server: string } | undefined;
    for (const t of this.templates)
      if (uri.startsWith(t.prefix) && (!best || t.prefix.length > best.prefix.length)) best = t;
    if (best) return best.server;
    return this.links.size === 1 ? (this.links.keys().next().value as string) : undefined;
  }

  /**
   * `initialize` (2025 clients): every server is initialized with the client's request; the
   * aggregate speaks the oldest revision any of them answered, so every server behind it speaks
   * it (issue 15). Identity and instructions are the aggregate's own (see `identity`).
   */
  private async initialize(req: JsonRpcRequest): Promise<JsonRpcResponse> {
    const results = await Promise.all(
      [...this.links].map(async ([name, link]) => ({ name, res: await link.initializeWith(req.params) })),
    );
    const merged = this.merge(req, results);
    if ('jsonrpc' in merged) return merged;
    let protocolVersion: string | undefined;
    for (const r of merged.ok) {
      const v = r.protocolVersion;
      if (typeof v === 'string' && (protocolVersion === undefined || v < protocolVersion))
        protocolVersion = v;
    }
    return {
      jsonrpc: '2.0',
      id: req.id,
      result: {
        protocolVersion,
        capabilities: merged.capabilities,
        serverInfo: merged.serverInfo,
        ...(merged.instructions ? { instructions: merged.instructions } : {}),
      },
    };
  }

  /**
   * `server/discover` (2026 clients; the HTTP front end lets it through only when every server
   * offers 2026-07-28): the revisions every server supports, and the same identity, capabilities
   * and instructions as the aggregate's `initialize`.
   */
  private async discover(
    req: JsonRpcRequest,
    meta: Record<string, unknown> | undefined,
  ): Promise<JsonRpcResponse> {
    const results = await Promise.all(
      [...this.links].map(async ([name, link]) => ({
        name,
        res: await link.request('server/discover', meta ? { _meta: meta } : {}, undefined),
      })),
    );
    const merged = this.merge(req, results);
    if ('jsonrpc' in merged) return merged;
    let supported: string[] | undefined;
    for (const r of merged.ok) {
      const theirs = Array.isArray(r.supportedVersions) ? (r.supportedVersions as unknown[]) : [];
      supported = (supported ?? theirs.filter((v): v is string => typeof v === 'string')).filter((v) =>
        theirs.includes(v),
      );
    }
    return {
      jsonrpc: '2.0',
      id: req.id,
      result: {
        supportedVersions: supported ?? [],
        capabilities: merged.capabilities,
        ...(merged.instructions ? { instructions: merged.instructions } : {}),
        resultType: 'complete',
        _meta: { [SERVER_INFO_KEY]: merged.serverInfo },
      },
    };
  }

  /** What `initialize` and `server/discover` say alike: capabilities merged, one identity, instructions. */
  private merge(
    req: JsonRpcRequest,
    results: { name: string; res: JsonRpcResponse }[],
  ):
    | JsonRpcResponse
    | {
        ok: Record<string, unknown>[];
        capabilities: Record<string, Record<string, unknown>>;
        serverInfo: Record<string, unknown>;
        instructions?: string;
      } {
    const ok = results.filter((r) => 'result' in r.res);
    if (ok.length === 0) {
      const why = results.map((r) => `${r.name}: ${'error' in r.res ? r.res.error.message : ''}`).join('; ');
      return errorResponse(req.id, -32003, `no upstream server could be initialized (${why})`);
    }
    const capabilities: Record<string, Record<string, unknown>> = {};
    const instructions: string[] = [];
    for (const { name, res } of ok) {
      const r = (res as { result: Record<string, unknown> }).result;
      for (const [k, v] of Object.entries(
        (r.capabilities ?? {}) as Record<string, Record<string, unknown>>,
      )) {
        capabilities[k] = { ...(capabilities[k] ?? {}), ...(v ?? {}) };
      }
      if (typeof r.instructions === 'string' && r.instructions)
        instructions.push(`## ${name}\n${r.instructions}`);
    }
    const down = results.filter((r) => 'error' in r.res).map((r) => r.name);
    if (down.length) instructions.push(`Unavailable right now: ${down.join(', ')}.`);
    return {
      ok: ok.map((r) => (r.res as { result: Record<string, unknown> }).result),
      capabilities,
      serverInfo: identity(ok.map((o) => o.name)),
      ...(instructions.length ? { instructions: instructions.join('\n\n') } : {}),
    };
  }

  /** A collected list as the client's era expects it: 2026 results are complete and cacheable. */
  private listResult(id: JsonRpcRequest['id'], key: string, c: Collected, modern: boolean): JsonRpcResponse {
    if (!modern) return { jsonrpc: '2.0', id, result: { [key]: c.items } };
    return {
      jsonrpc: '2.0',
      id,
      result: {
        [key]: c.items,
        resultType: 'complete',
        ttlMs: c.ttlMs ?? AGGREGATE_TTL_MS,
        cacheScope: 'private',
        _meta: { [SERVER_INFO_KEY]: identity([...this.links.keys()]) },
      },
    };
  }

  private async collect(
    method: string,
    key: string,
    map: (server: string, item: Record<string, unknown>) => Record<string, unknown> | undefined,
    meta: Record<string, unknown> | undefined,
  ): Promise<Collected> {
    const all: Record<string, unknown>[] = [];
    let ttlMs: number | undefined;
    await Promise.all(
      [...this.links].map(async ([server, link]) => {
        let cursor: unknown;
        for (let page = 0; page < MAX_PAGES; page++) {
          const params: Record<string, unknown> = cursor === undefined ? {} : { cursor };
          if (meta) params._meta = meta;
          const res = await link.request(method, params, undefined);
          if (!('result' in res)) return; // a server without this capability contributes nothing
          for (const item of (res.result[key] ?? []) as Record<string, unknown>[]) {
            const mapped = map(server, item);
            if (mapped) all.push(mapped);
          }
          const ttl = res.result.ttlMs;
          if (typeof ttl === 'number' && ttl >= 0 && (ttlMs === undefined || ttl < ttlMs)) ttlMs = ttl;
          cursor = res.result.nextCursor;
          if (cursor === undefined || cursor === null) return;
        }
      }),
    );
    return { items: all, ...(ttlMs !== undefined ? { ttlMs } : {}) };
  }
}

/** The aggregate's identity, the same in `initialize`, `server/discover` and 2026 list results. */
function identity(servers: string[]): Record<string, unknown> {
  return { name: 'toolgate', version: '0.1.0', title: `toolgate (${servers.join(', ')})` };
}

/** The reserved (`io.modelcontextprotocol/`) entries of a 2026 request's `_meta`: its envelope. */
function envelopeMeta(params: Record<string, unknown>): Record<string, unknown> | undefined {
  if (readEnvelope(params as JsonRpcRequest['params']) === undefined) return undefined;
  const meta = params._meta as Record<string, unknown>;
  return Object.fromEntries(Object.entries(meta).filter(([k]) => k.startsWith('io.modelcontextprotocol/')));
}
