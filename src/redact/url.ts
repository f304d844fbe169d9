import { defaultRedactor } from './default.js';
import { isSecretKeyName } from './key-names.js';
import { MASK } from './text.js';

/**
 * A URL for messages and logs: the password of its userinfo masked (`postgres://app:[REDACTED]@db/x`),
 * query values under secret names masked and the others redacted as text; `query: 'drop'` leaves the
 * query out (an OTLP endpoint's query is nobody's business). Not a URL: `<invalid url>`.
 */
export function redactUrl(url: string, options: { query?: 'mask' | 'drop' } = {}): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '<invalid url>';
  }
  const user = u.username
    ? `${defaultRedactor.text(u.username)}${u.password ? `:${MASK}` : ''}@`
    : u.password
      ? `:${MASK}@`
      : '';
  let query = '';
  if (options.query !== 'drop' && u.search) {
    const parts: string[] = [];
    for (const [k, v] of u.searchParams) {
      parts.push(`${encodeURIComponent(k)}=${isSecretKeyName(k) ? MASK : defaultRedactor.text(v)}`);
    }
    query = `?${parts.join('&')}`;
  }
  return `${u.protocol}//${user}${u.host}${u.pathname}${query}`;
}
