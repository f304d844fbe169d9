import type { IncomingMessage } from 'node:http';
import { isLoopbackHost } from '../config/index.js';

export interface OriginPolicy {
  listenHost: string;
  port: number;
  allowedHosts: readonly string[];
  allowedOrigins: readonly string[];
}

function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  return hostHeader.split(':')[0] ?? '';
}

/**
 * DNS-rebinding protection. A page on evil.example that resolves its name to 127.0.0.1 sends
 * `Host: evil.example` and `Origin: http://evil.example`; both are refused unless configured.
 * Returns the reason for refusal, or undefined when the request may proceed.
 */
export function checkHostAndOrigin(req: IncomingMessage, p: OriginPolicy): string | undefined {
  const host = req.headers.host;
  if (!host) return 'missing Host header';
  const name = hostnameOf(host).toLowerCase();
  const hostOk =
    p.allowedHosts.includes(host) ||
    p.allowedHosts.includes(name) ||
    isLoopbackHost(name) ||
    (!isLoopbackHost(p.listenHost) && p.allowedHosts.length === 0 && name === p.listenHost.toLowerCase()) ||
    (!isLoopbackHost(p.listenHost) && p.allowedHosts.length === 0 && p.listenHost === '0.0.0.0');
  if (!hostOk) return `Host "${host}" is not allowed (add it to listen.allowed_hosts)`;
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null')
    return origin === 'null' ? 'Origin "null" is not allowed' : undefined;
  if (p.allowedOrigins.includes(origin)) return undefined;
  try {
    const u = new URL(origin);
    if (isLoopbackHost(u.hostname)) return undefined;
  } catch {
    return `Origin "${origin}" is not a valid origin`;
  }
  return `Origin "${origin}" is not allowed (add it to listen.allowed_origins)`;
}

/**
 * The admin API's stricter rule: a browser request (it carries `Origin`) must come from the
 * gateway's own origin, the one it was loaded from (`Origin` names the same host and port as
 * `Host`, which the check above has accepted), or from `listen.allowed_origins`. Another local
 * origin (a dev server on localhost:9999) shares the cookie's site but is not the gateway.
 * Requests without `Origin` (scripts, same-origin GETs) pass; they still need a credential.
 */
export function isOwnOrigin(req: IncomingMessage, allowedOrigins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowedOrigins.includes(origin)) return true;
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return false;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
  const host = req.headers.host?.toLowerCase();
  return host !== undefined && u.host === host && `${u.protocol}//${u.host}` === origin.toLowerCase();
}
