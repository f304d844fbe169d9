// Serves the built dashboard (web/dist) at `/`. Unknown paths without a file extension get
// index.html (the dashboard routes in the browser); everything the gateway itself answers (/api,
// /mcp, /metrics, health, .well-known) is left alone. Nothing outside the root is ever served:
// the path is normalised, checked against the root, and symlinks are resolved before the check.
import { createReadStream, realpathSync, type Stats, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Paths the gateway answers itself; the dashboard never shadows them, not even with a fallback. */
const RESERVED = ['/api', '/mcp', '/metrics', '/healthz', '/readyz', '/.well-known'];

// The dashboard loads only its own scripts and styles; server-provided text can never become
// markup, and this makes an injected tag inert even if it did. Mantine and the charts set inline
// styles, hence 'unsafe-inline' for styles only.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function reserved(path: string): boolean {
  return RESERVED.some((p) => path === p || path.startsWith(`${p}/`));
}

function fileAt(path: string): Stats | undefined {
  try {
    const st = statSync(path);
    return st.isFile() ? st : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A request handler for the dashboard's static files under `root`. Returns true when it answered
 * the request (a file, the SPA fallback, 404 for a missing asset, 405), false when the request is
 * not for the dashboard (another handler, or the gateway's 404, should answer it).
 */
export function serveStatic(root: string): (req: IncomingMessage, res: ServerResponse) => boolean {
  let realRoot: string | undefined;
  const rootDir = () => {
    // Resolved lazily: the dashboard may be built after the gateway starts.
    if (realRoot === undefined) {
      try {
        realRoot = realpathSync(root);
      } catch {
        return undefined;
      }
    }
    return realRoot;
  };

  return (req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://gateway').pathname);
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end('malformed path\n');
      return true;
    }
    if (reserved(path)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end();
      return true;
    }
    const base = rootDir();
    if (base === undefined) {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
        .end('The dashboard is not built. Run `npm run build:web` (or `npm run build`), then reload.\n');
      return true;
    }

    // 1. Map the URL onto a file inside the root, or refuse.
    const rel = normalize(path).replace(/^([/\\])+/, '');
    const segments = rel.split(/[/\\]/);
    const bad = path.includes('\0') || segments.some((s) => s === '..' || (s.startsWith('.') && s !== ''));
    let file: string | undefined;
    let st: Stats | undefined;
    if (!bad && rel !== '') {
      const candidate = join(base, rel);
      st = fileAt(candidate);
      if (st) {
        // Follow symlinks, then check the real location is still inside the root.
        const real = realpathSync(candidate);
        if (real.startsWith(base + sep)) file = real;
        else st = undefined;
      }
    }

    // 2. No file: a path that names a file (has an extension) is a 404; anything else is a
    //    dashboard route and gets index.html.
    let fallback = false;
    if (!file) {
      if (bad || extname(path) !== '') {
        res
          .writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
          .end('not found\n');
        return true;
      }
      file = join(base, 'index.html');
      st = fileAt(file);
      fallback = true;
      if (!st) {
        res
          .writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
          .end('The dashboard is not built. Run `npm run build:web`, then reload.\n');
        return true;
      }
    }

    // 3. Headers: hashed assets are immutable; index.html must be revalidated so a new build shows.
    const ext = extname(file).toLowerCase();
    const isHtml = ext === '.html';
    const etag = `W/"${st!.size.toString(16)}-${Math.floor(st!.mtimeMs).toString(16)}"`;
    const headers: Record<string, string | number> = {
      'content-type': TYPES[ext] ?? 'application/octet-stream',
      'cache-control': isHtml
        ? 'no-cache'
        : path.startsWith('/assets/')
          ? 'public, max-age=31536000, immutable'
          : 'public, max-age=3600',
      etag,
      'last-modified': new Date(st!.mtimeMs).toUTCString(),
      ...SECURITY_HEADERS,
    };
    if (isHtml) headers['content-security-policy'] = CSP;
    if (fallback) headers.vary = 'accept';
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers).end();
      return true;
    }
    headers['content-length'] = st!.size;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return true;
    }
    const stream = createReadStream(file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
    return true;
  };
}
