/**
 * Parity across client eras (issue 15): one client API over the SDKs a user may run, so one
 * scenario (test/support/parity-scenario.ts) can drive each of them directly and through toolgate.
 *
 * - `sdk-v1`: `@modelcontextprotocol/sdk` 1.x `Client`, the 2025 era (initialize, 2025-11-25).
 * - `v2-default`: `@modelcontextprotocol/client` 2.x `Client` as constructed with no options
 *   (version negotiation `legacy`: a plain initialize).
 * - `v2-auto`: the same with `versionNegotiation: { mode: 'auto' }`: it probes `server/discover`
 *   and falls back to initialize, as the Python SDK's default mode does (the stand-in for it: PyPI
 *   is unreachable here, so the Python SDK cannot be installed).
 * - `v2-2026`: pinned to 2026-07-28 (stateless, no fallback).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as V1HttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

export type ClientEra = 'sdk-v1' | 'v2-default' | 'v2-auto' | 'v2-2026';
export const CLIENT_ERAS: readonly ClientEra[] = ['sdk-v1', 'v2-default', 'v2-auto', 'v2-2026'];

/** Where a client connects: a stdio command (the server itself) or a URL (toolgate). */
export type Target = { command: string; args: string[] } | { url: string };

type Json = Record<string, unknown>;

/** The one client API the scenario uses; `prefix` is the aggregate's `<server>__` (else empty). */
export interface EraClient {
  era: ClientEra;
  negotiated(): string | undefined;
  serverInfo(): unknown;
  instructions(): string | undefined;
  request(method: string, params?: Json): Promise<Json>;
  callTool(name: string, args: Json, onprogress?: (p: number) => void): Promise<Json>;
  ping(): Promise<Json>;
  setLevel(level: string): Promise<Json>;
  /** resources/subscribe on a 2025 connection, subscriptions/listen on a 2026 one. */
  subscribe(uri: string): Promise<() => Promise<void>>;
  logs: number;
  updated: string[];
  sampling: unknown[];
  elicitations: unknown[];
  close(): Promise<void>;
}

export const CAPABILITIES = { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } };
export const SAMPLED = {
  model: 'parity-model',
  role: 'assistant',
  content: { type: 'text', text: 'sampled' },
};
export const ELICITED = { action: 'accept', content: { name: 'Ada Lovelace', check: true } };
const INFO = { name: 'toolgate-era-parity', version: '1.0.0' };

export async function connectEra(era: ClientEra, target: Target): Promise<EraClient> {
  return era === 'sdk-v1' ? connectV1(target) : connectV2(era, target);
}

async function connectV1(target: Target): Promise<EraClient> {
  const client = new V1Client(INFO, { capabilities: CAPABILITIES });
  const transport =
    'url' in target
      ? new V1HttpTransport(new URL(target.url))
      : new V1StdioTransport({ command: target.command, args: target.args, stderr: 'pipe' });
  // SDK v1 tells the transport what was negotiated (its stdio transport has no setter): record it.
  let negotiated: string | undefined;
  const t = transport as unknown as { setProtocolVersion?: (v: string) => void };
  const set = t.setProtocolVersion?.bind(transport);
  t.setProtocolVersion = (v: string) => {
    negotiated = v;
    set?.(v);
  };
  const seen = observed('sdk-v1');
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    seen.sampling.push(req.params);
    return SAMPLED as never;
  });
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    seen.elicitations.push(req.params);
    return ELICITED as never;
  });
  client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [] }));
  client.setNotificationHandler(LoggingMessageNotificationSchema, () => {
    seen.logs++;
  });
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    seen.updated.push(n.params.uri);
  });
  await client.connect(transport);
  return Object.assign(seen, {
    negotiated: () => negotiated,
    serverInfo: () => client.getServerVersion(),
    instructions: () => client.getInstructions(),
    request: (method: string, params?: Json) => byMethod(client, method, params),
    callTool: async (name: string, args: Json, onprogress?: (p: number) => void) =>
      (await client.callTool({ name, arguments: args }, undefined, {
        ...(onprogress ? { onprogress: (p: { progress: number }) => onprogress(p.progress) } : {}),
        timeout: 30_000,
      })) as Json,
    ping: async () => (await client.ping()) as Json,
    setLevel: async (level: string) => (await client.setLoggingLevel(level as 'debug')) as Json,
    subscribe: async (uri: string) => {
      await client.subscribeResource({ uri });
      return async () => {
        await client.unsubscribeResource({ uri });
      };
    },
    close: () => client.close(),
  });
}

async function connectV2(era: Exclude<ClientEra, 'sdk-v1'>, target: Target): Promise<EraClient> {
  const negotiation =
    era === 'v2-auto'
      ? { versionNegotiation: { mode: 'auto' as const } }
      : era === 'v2-2026'
        ? { versionNegotiation: { mode: { pin: '2026-07-28' } } }
        : {};
  const client = new Client(INFO, { capabilities: CAPABILITIES, ...negotiation });
  const transport =
    'url' in target
      ? new StreamableHTTPClientTransport(new URL(target.url))
      : new StdioClientTransport({ command: target.command, args: target.args, stderr: 'pipe' });
  const seen = observed(era);
  client.setRequestHandler('sampling/createMessage', async (req) => {
    seen.sampling.push(req.params);
    return SAMPLED as never;
  });
  client.setRequestHandler('elicitation/create', async (req) => {
    seen.elicitations.push(req.params);
    return ELICITED as never;
  });
  client.setRequestHandler('roots/list', async () => ({ roots: [] }));
  client.setNotificationHandler('notifications/message', () => {
    seen.logs++;
  });
  client.setNotificationHandler('notifications/resources/updated', (n) => {
    seen.updated.push(n.params.uri);
  });
  await client.connect(transport);
  const modern = () => client.getNegotiatedProtocolVersion() === '2026-07-28';
  return Object.assign(seen, {
    negotiated: () => client.getNegotiatedProtocolVersion(),
    serverInfo: () => client.getServerVersion(),
    instructions: () => client.getInstructions(),
    request: (method: string, params?: Json) => byMethod(client, method, params),
    callTool: async (name: string, args: Json, onprogress?: (p: number) => void) =>
      (await client.callTool(
        { name, arguments: args },
        {
          ...(onprogress ? { onprogress: (p: { progress: number }) => onprogress(p.progress) } : {}),
          timeout: 30_000,
        },
      )) as Json,
    ping: async () => (await client.ping()) as Json,
    setLevel: async (level: string) => (await client.setLoggingLevel(level as 'debug')) as Json,
    subscribe: async (uri: string) => {
      if (!modern()) {
        await client.subscribeResource({ uri });
        return async () => {
          await client.unsubscribeResource({ uri });
        };
      }
      const sub = await client.listen({ resourceSubscriptions: [uri] } as never);
      return async () => {
        await (sub as { close(): Promise<void> }).close();
      };
    },
    close: () => client.close(),
  });
}

/** The SDKs' own method for a request (both SDKs name them alike), so each validates as it does. */
const API: Record<string, string> = {
  'tools/list': 'listTools',
  'resources/list': 'listResources',
  'resources/templates/list': 'listResourceTemplates',
  'resources/read': 'readResource',
  'prompts/list': 'listPrompts',
  'prompts/get': 'getPrompt',
  'completion/complete': 'complete',
};

function byMethod(client: unknown, method: string, params?: Json): Promise<Json> {
  const fn = API[method];
  if (!fn) throw new Error(`no SDK method for ${method}`);
  const c = client as Record<string, (p?: unknown) => Promise<Json>>;
  return c[fn]!.call(client, params);
}

function observed(era: ClientEra) {
  return {
    era,
    logs: 0,
    updated: [] as string[],
    sampling: [] as unknown[],
    elicitations: [] as unknown[],
  };
}
