// The MCP method set: every method a client may send a server, per protocol era. The admission
// step matches a client's method against it EXACTLY (no case folding, no trimming): a server that
// resolves names loosely must never be reached by a variant the gateway did not decide.
import type { Era } from './versions.js';

/** Which side answers, and whether the message expects an answer. */
export type MethodKind = 'request' | 'notification';

interface MethodSpec {
  kind: MethodKind;
  /** The eras that define it. */
  eras: readonly Era[];
  /** The first dated revision that has it, where that is not the era's first. */
  since?: string;
}

const BOTH: readonly Era[] = ['2025', '2026'];
const V2025: readonly Era[] = ['2025'];
const V2026: readonly Era[] = ['2026'];

/**
 * Client-to-server methods of 2024-11-05 through 2026-07-28 (the schema's ClientRequest and
 * ClientNotification unions; tasks are the 2025-11-25 utility and the 2026 extension).
 */
const CLIENT_METHODS: Readonly<Record<string, MethodSpec>> = {
  initialize: { kind: 'request', eras: V2025 },
  ping: { kind: 'request', eras: V2025 },
  'tools/list': { kind: 'request', eras: BOTH },
  'tools/call': { kind: 'request', eras: BOTH },
  'resources/list': { kind: 'request', eras: BOTH },
  'resources/templates/list': { kind: 'request', eras: BOTH },
  'resources/read': { kind: 'request', eras: BOTH },
  'resources/subscribe': { kind: 'request', eras: V2025 },
  'resources/unsubscribe': { kind: 'request', eras: V2025 },
  'prompts/list': { kind: 'request', eras: BOTH },
  'prompts/get': { kind: 'request', eras: BOTH },
  'completion/complete': { kind: 'request', eras: BOTH },
  'logging/setLevel': { kind: 'request', eras: V2025 },
  'tasks/get': { kind: 'request', eras: BOTH, since: '2025-11-25' },
  'tasks/result': { kind: 'request', eras: V2025, since: '2025-11-25' },
  'tasks/list': { kind: 'request', eras: V2025, since: '2025-11-25' },
  'tasks/cancel': { kind: 'request', eras: BOTH, since: '2025-11-25' },
  'tasks/update': { kind: 'request', eras: V2026 },
  'server/discover': { kind: 'request', eras: V2026 },
  'subscriptions/listen': { kind: 'request', eras: V2026 },
  'notifications/initialized': { kind: 'notification', eras: V2025 },
  'notifications/cancelled': { kind: 'notification', eras: BOTH },
  'notifications/progress': { kind: 'notification', eras: BOTH },
  'notifications/roots/list_changed': { kind: 'notification', eras: BOTH },
  'notifications/tasks/status': { kind: 'notification', eras: BOTH, since: '2025-11-25' },
};

/**
 * What `method` is for a client of `era` speaking `version` (a dated revision; undefined: the era's
 * newest): a request, a notification, or undefined when that revision has no such client method.
 */
export function clientMethodKind(method: string, era: Era, version?: string): MethodKind | undefined {
  if (!Object.hasOwn(CLIENT_METHODS, method)) return undefined;
  const spec = CLIENT_METHODS[method] as MethodSpec;
  if (!spec.eras.includes(era)) return undefined;
  if (spec.since !== undefined && version !== undefined && version < spec.since) return undefined;
  return spec.kind;
}

/** 2025-era methods the 2026-07-28 revision removed: a stateless request for one is 404 / -32601. */
export function removedIn2026(method: string): boolean {
  return clientMethodKind(method, '2025') !== undefined && clientMethodKind(method, '2026') === undefined;
}

/**
 * Methods whose body names a target (SEP-2243): the `Mcp-Name` header mirrors this field (the SDK's
 * `MCP_NAME_HEADER_SOURCE`); a stateless request that names one without the header is refused.
 */
export const NAME_SOURCE: Readonly<Record<string, string>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

/** The body field a method's `Mcp-Name` header mirrors, if it has one. */
export function nameSourceOf(method: string): string | undefined {
  return Object.hasOwn(NAME_SOURCE, method) ? NAME_SOURCE[method] : undefined;
}
