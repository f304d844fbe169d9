import { looksLikeToken } from '../auth/tokens.js';

export const REDACTED = '[REDACTED]';

/** Keys whose values are secrets by name, at any depth. Substring match: `access_token`, `X-Api-Key`. */
export const SECRET_KEY_PATTERN = /password|token|secret|authorization|api[_-]?key|cookie/i;

/**
 * Returns a copy of `args` with secret-looking keys replaced by "[REDACTED]" at any depth, plus
 * `extraPaths`: dotted paths into the arguments (`card.number`, `items.*.ssn`; a leading `args.` is
 * accepted so paths read like policy paths). String values that are toolgate tokens or bearer
 * credentials are redacted wherever they appear, because agents do paste them into odd fields.
 * The input is never mutated.
 */
export function redactArgs(args: unknown, extraPaths: readonly string[] = []): unknown {
  const copy = redactDeep(args, new WeakSet());
  for (const path of extraPaths) {
    const segments = path
      .replace(/^args\./, '')
      .split('.')
      .filter(Boolean);
    if (segments.length > 0) redactPath(copy, segments);
  }
  return copy;
}

function redactDeep(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return isCredentialValue(value) ? REDACTED : value;
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, seen));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_KEY_PATTERN.test(key) ? REDACTED : redactDeep(v, seen);
  }
  return out;
}

function isCredentialValue(s: string): boolean {
  return looksLikeToken(s) || /^(bearer|basic)\s+\S{8,}/i.test(s);
}

function redactPath(node: unknown, segments: string[]): void {
  if (node === null || typeof node !== 'object') return;
  const [head, ...rest] = segments as [string, ...string[]];
  const container = node as Record<string, unknown>;
  const keys = head === '*' ? Object.keys(container) : Object.hasOwn(container, head) ? [head] : [];
  for (const key of keys) {
    if (rest.length === 0) container[key] = REDACTED;
    else redactPath(container[key], rest);
  }
}
