// The admission step: the one place that says what may happen to a message a client sent, before
// anything of it reaches a server. Pure: a function of the message, the session's protocol state
// and the servers' configuration. ClientSession asks it first, for every message, on every front
// end (HTTP, stdio), era and endpoint (`/mcp/<server>`, `/mcp`).
import {
  INVALID_PARAMS,
  INVALID_REQUEST,
  type JsonRpcNotification,
  type JsonRpcRequest,
  METHOD_NOT_FOUND,
} from '../mcp/jsonrpc.js';
import { clientMethodKind } from '../mcp/methods.js';
import type { Era } from '../mcp/versions.js';

/** What a message may do. */
export type Admission =
  /** Relay it (ids remapped): a known method, or one the server is configured to pass through. */
  | { kind: 'forward' }
  /** A tools/call: its tool name is checked against the server's list, then the policy decides. */
  | { kind: 'decide'; name: string; args: Record<string, unknown> }
  /** Answer with this error (or, for a notification, refuse it) and audit why; nothing is sent on. */
  | { kind: 'refuse'; code: number; message: string; rule: RefusalRule }
  /** A notification that goes nowhere (an unknown one): dropped, as JSON-RPC lets a receiver do. */
  | { kind: 'drop'; reason: string };

/** Why a message was refused: the audit record's rule (`admission:<rule>`). */
export type RefusalRule = 'request_as_notification' | 'unknown_method' | 'invalid_params' | 'reserved_key';

export interface AdmissionState {
  /** The session's era; undefined (stdio) means: the message's own (its envelope says 2026). */
  era: Era | undefined;
  /** Whether the message carries a 2026-07-28 `_meta` envelope. */
  enveloped: boolean;
  /** The dated revision negotiated at `initialize`, when known. */
  version?: string;
  /** Methods outside the MCP set the target server may receive (`passthrough_methods`). */
  passthrough: ReadonlySet<string>;
}

/** Keys that rewrite a prototype when a server merges arguments naively (`Object.assign`, spread). */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function admitRequest(req: JsonRpcRequest, state: AdmissionState): Admission {
  const kind = clientMethodKind(req.method, eraOf(state), state.version);
  if (kind === undefined) {
    if (state.passthrough.has(req.method)) return { kind: 'forward' };
    return refuse(
      METHOD_NOT_FOUND,
      `Method not found: ${req.method}${otherEra(req.method, state)}`,
      'unknown_method',
    );
  }
  if (kind === 'notification')
    return refuse(
      INVALID_REQUEST,
      `Invalid Request: ${req.method} is a notification; send it without an id`,
      'invalid_params',
    );
  if (req.method === 'tools/call') return admitCall(req.params);
  if (req.method === 'prompts/get') {
    const key = reservedKeyIn(req.params?.arguments);
    if (key !== undefined) return reservedKeyRefusal(key, 'prompt arguments');
  }
  return { kind: 'forward' };
}

export function admitNotification(n: JsonRpcNotification, state: AdmissionState): Admission {
  const kind = clientMethodKind(n.method, eraOf(state), state.version);
  if (kind === 'request')
    // A request sent without an id would run with nobody to answer and, at the gateway, without a
    // decision: it is refused and audited, never relayed.
    return refuse(
      INVALID_REQUEST,
      `Invalid Request: ${n.method} is a request and needs an id; the gateway does not relay it as a notification`,
      'request_as_notification',
    );
  if (kind === 'notification' || state.passthrough.has(n.method)) return { kind: 'forward' };
  return { kind: 'drop', reason: `unknown notification ${n.method}` };
}

function admitCall(params: JsonRpcRequest['params']): Admission {
  const name = params?.name;
  if (typeof name !== 'string')
    return refuse(
      INVALID_PARAMS,
      'Invalid params: tools/call needs params.name (a string)',
      'invalid_params',
    );
  const args = params?.arguments ?? {};
  if (typeof args !== 'object' || args === null || Array.isArray(args))
    return refuse(INVALID_PARAMS, 'Invalid params: tools/call arguments must be an object', 'invalid_params');
  const key = reservedKeyIn(args);
  if (key !== undefined) return reservedKeyRefusal(key, 'tool arguments');
  return { kind: 'decide', name, args: args as Record<string, unknown> };
}

/**
 * The first reserved key anywhere in a value (iterative: arguments may nest deeply), as a path.
 * `JSON.parse` makes `"__proto__"` an own property, so `Object.keys` sees it.
 */
export function reservedKeyIn(value: unknown): string | undefined {
  const stack: { v: unknown; path: string }[] = [{ v: value, path: '' }];
  while (stack.length > 0) {
    const { v, path } = stack.pop() as { v: unknown; path: string };
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], path: `${path}[${i}]` });
      continue;
    }
    for (const key of Object.keys(v)) {
      const at = path === '' ? key : `${path}.${key}`;
      if (RESERVED_KEYS.has(key)) return at;
      stack.push({ v: (v as Record<string, unknown>)[key], path: at });
    }
  }
  return undefined;
}

function reservedKeyRefusal(path: string, what: string): Admission {
  return refuse(
    INVALID_PARAMS,
    `Invalid params: ${what} must not contain the key "${path.split('.').pop()}" (at ${path}); ` +
      'servers that merge objects can be made to act on values nobody reviewed. Rename the field.',
    'reserved_key',
  );
}

/** Why a method of the other era is refused, said plainly (a client that lies about its era). */
function otherEra(method: string, state: AdmissionState): string {
  const era = eraOf(state);
  const other: Era = era === '2025' ? '2026' : '2025';
  if (clientMethodKind(method, other) === undefined) return '';
  const spoken =
    era === '2025'
      ? `this session negotiated ${state.version ?? 'a 2025-era revision'}`
      : 'this is a 2026-07-28 request';
  return ` (a ${other === '2026' ? '2026-07-28' : '2025-era'} method; ${spoken})`;
}

function eraOf(state: AdmissionState): Era {
  return state.era ?? (state.enveloped ? '2026' : '2025');
}

function refuse(code: number, message: string, rule: RefusalRule): Admission {
  return { kind: 'refuse', code, message, rule };
}
