// The admin API client. The dashboard talks to the gateway only through these calls, which follow
// docs/admin-api.md; anything the dashboard does, a script can do with the same requests.

export interface Session {
  authenticated: boolean;
  authRequired: boolean;
  csrf: string;
}

export type ServerStatus = 'starting' | 'up' | 'down';

export interface ServerInfo {
  name: string;
  transport: 'stdio' | 'http' | 'sse';
  status: ServerStatus;
  reason?: string;
  tools?: number;
  serverInfo?: { name?: string; version?: string; title?: string };
  protocolVersion?: string;
  policy: { source: string; mode: string };
}

export type Category = 'Read' | 'Write' | 'Delete' | 'Execute' | 'Financial' | 'Admin' | 'Communication';
export type Risk = 'Low' | 'Medium' | 'High' | 'Critical';
export const CATEGORIES: Category[] = [
  'Read',
  'Write',
  'Delete',
  'Execute',
  'Financial',
  'Admin',
  'Communication',
];
export const RISKS: Risk[] = ['Low', 'Medium', 'High', 'Critical'];

export interface Finding {
  kind: string;
  message: string;
  excerpt: string;
}

export interface ToolInfo {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: { properties?: Record<string, unknown>; required?: string[] };
  annotations?: Record<string, unknown>;
  classification: {
    category: Category;
    risk: Risk;
    reasons: string[];
    findings: Finding[];
    recommended: Record<string, unknown>;
    why?: string;
  };
  decision: { outcome: string; rule?: string; reason?: string };
}

export type PolicyFormat = 'json' | 'yaml';

export interface PolicyFileError {
  /** `file:line:col path: message` lines. */
  message: string;
  issues: Omit<PolicyIssue, 'path'>[];
  at: string;
}

/** A policy file compared with what the gateway enforces (docs/admin-api.md). */
export interface PolicyFileState {
  state: 'in_sync' | 'invalid' | 'missing';
  error: PolicyFileError | null;
  lastError: PolicyFileError | null;
  checkedAt?: string;
}

export interface PolicyFile {
  server: string;
  source: string;
  format: PolicyFormat;
  /** The ENFORCED version (a file's last good one), not necessarily what is on disk now. */
  text: string;
  canonical: unknown;
  writable: boolean;
  /** Null for an inline policy (toolgate.yaml) or none. */
  file: PolicyFileState | null;
}

export interface PolicyIssue {
  line: number;
  column: number;
  path: string;
  message: string;
}

export interface ValidateResult {
  ok: boolean;
  issues: PolicyIssue[];
}

export interface ExplainResult {
  decision: string;
  reason?: string;
  rule?: string;
  explanation?: string;
  limits?: { counter: string; window: string | number; windowSeconds: number; max: number; scope: string }[];
  approval?: { timeoutSeconds: number; mode: string } | null;
  shadow?: boolean;
}

export interface Grant {
  name: string;
  servers: string[];
  policy?: string;
  /** Whether the grant's own policy loads (absent: it has none). */
  policyState?: PolicyFileState & { kind: 'file' | 'inline'; enforced: boolean };
  source: 'config' | 'store';
  createdAt?: number | string;
  expiresAt?: number | string;
  revokedAt?: number | string;
}

export interface AuditRecord {
  seq: number;
  ts: number;
  grant: string;
  session?: string;
  server: string;
  tool?: string;
  method: string;
  decision: string;
  rule?: string;
  reason?: string;
  args?: unknown;
  argsDigest?: string;
  latencyMs?: number;
  upstream?: string;
  approver?: string;
  note?: string;
}

// The server's own list (src/audit/types.ts has no imports, so it bundles as is).
export { AUDIT_DECISIONS } from '../../src/audit/types';

export interface StatsBucket {
  t: number;
  allow: number;
  deny: number;
  rate_limited: number;
  hide: number;
  other: number;
}

export interface UsageCounter {
  server: string;
  counter: string;
  scope: string;
  subject?: string;
  window: string | number;
  windowSeconds: number;
  max: number;
  used: number;
}

export interface Approval {
  id: string;
  status: string;
  server: string;
  tool: string;
  grant: string;
  args?: unknown;
  createdAt: number | string;
  expiresAt: number | string;
  mode?: string;
  decidedBy?: string;
  note?: string;
}

/** An error answer from the API: `{error, message}` with the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
  }
}

let csrf = '';
let onUnauthorized: () => void = () => {};

export function setCsrf(token: string): void {
  csrf = token;
}

/** Called when the API answers 401 (session expired or logged out elsewhere). */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

async function request<T>(method: string, path: string, body?: unknown, opts: { quiet401?: boolean } = {}) {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  // Cookie-authenticated writes carry the CSRF token from /api/session.
  if (method !== 'GET' && csrf) headers['x-toolgate-csrf'] = csrf;
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    if (res.status === 401 && !opts.quiet401) onUnauthorized();
    const obj = (parsed ?? {}) as { error?: string; message?: string };
    const message =
      typeof parsed === 'string' && parsed
        ? parsed
        : (obj.message ?? `${method} ${path} answered ${res.status} ${res.statusText}`);
    throw new ApiError(res.status, obj.error ?? String(res.status), message, parsed);
  }
  return parsed as T;
}

const enc = encodeURIComponent;

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * The one-time code of a login link (`/#login=<code>`, printed by `toolgate serve`), taken out of
 * the address bar at once so it is neither bookmarked nor shown; undefined without one.
 */
export function takeLoginCode(): string | undefined {
  const m = /^#login=([A-Za-z0-9_-]+)$/.exec(window.location.hash);
  if (!m) return undefined;
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
  return m[1];
}

export const api = {
  // 401 is the normal answer before signing in: every /api route needs the admin credential.
  session: () =>
    request<Session>('GET', '/api/session', undefined, { quiet401: true }).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 401)
        return { authenticated: false, authRequired: true, csrf: '' } satisfies Session;
      throw err;
    }),
  login: (token: string) => request<void>('POST', '/api/login', { token }, { quiet401: true }),
  loginWithCode: (code: string) => request<void>('POST', '/api/login', { code }, { quiet401: true }),
  logout: () => request<void>('POST', '/api/logout'),

  servers: () => request<ServerInfo[]>('GET', '/api/servers'),
  tools: (server: string, grant?: string) =>
    request<ToolInfo[]>('GET', `/api/servers/${enc(server)}/tools${query({ grant })}`),
  policy: (server: string) => request<PolicyFile>('GET', `/api/policies/${enc(server)}`),
  validate: (text: string, format: PolicyFormat) =>
    request<ValidateResult>('POST', '/api/policies/validate', { text, format }),
  savePolicy: (server: string, text: string, format: PolicyFormat) =>
    request<{ ok: boolean; issues?: PolicyIssue[] }>('PUT', `/api/policies/${enc(server)}`, { text, format }),
  explain: (server: string, tool: string, args: unknown, grant?: string) =>
    request<ExplainResult>('POST', `/api/policies/${enc(server)}/explain`, {
      tool,
      args,
      ...(grant ? { grant } : {}),
    }),

  grants: () => request<Grant[]>('GET', '/api/grants'),
  createGrant: (body: { name: string; servers: string[]; policy?: string; expiresIn?: string }) =>
    request<{ grant: Grant; token: string }>('POST', '/api/grants', body),
  revokeGrant: (name: string) => request<void>('DELETE', `/api/grants/${enc(name)}`),

  audit: (q: Record<string, string | number | undefined>) =>
    request<{ records: AuditRecord[] }>('GET', `/api/audit${query(q)}`),
  stats: (since: number, bucket: number) =>
    request<{ buckets: StatsBucket[] }>('GET', `/api/stats${query({ since, bucket })}`),
  usage: () => request<{ counters: UsageCounter[] }>('GET', '/api/usage'),

  approvals: (status?: string) =>
    request<{ approvals: Approval[] }>('GET', `/api/approvals${query({ status })}`),
  approve: (id: string, note?: string) =>
    request<{ ok: boolean }>('POST', `/api/approvals/${enc(id)}/approve`, note ? { note } : {}),
  deny: (id: string, note?: string) =>
    request<{ ok: boolean }>('POST', `/api/approvals/${enc(id)}/deny`, note ? { note } : {}),
};

/** Epoch ms or an ISO string from the API, as a Date (or undefined). */
export function toDate(v: number | string | undefined): Date | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const d = typeof v === 'number' ? new Date(v) : new Date(Number.isFinite(Number(v)) ? Number(v) : v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function formatTime(v: number | string | undefined): string {
  const d = toDate(v);
  return d ? d.toLocaleString() : '';
}
