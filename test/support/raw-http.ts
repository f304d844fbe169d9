/**
 * node:http requests with full control over headers (`Host` included, which fetch will not let a
 * test set) and over how the body is sent (declared length or chunked). For bad-input tests.
 */
import { request } from 'node:http';

export interface RawRequest {
  method?: string;
  /** Path and query, e.g. `/mcp/a`. */
  path: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  /** Send the body chunked (no Content-Length), so the server must count as it reads. */
  chunked?: boolean;
  timeoutMs?: number;
  /** Source address, e.g. `127.0.0.2`: another client on the same machine (all of 127/8 is loopback). */
  localAddress?: string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: Record<string, unknown> | undefined;
}

export function rawRequest(baseUrl: string, r: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...(body && !r.chunked ? { 'content-length': body.length } : {}),
    ...r.headers,
  };
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: r.method ?? 'POST',
        path: r.path,
        headers,
        localAddress: r.localAddress,
        // Fresh connection per request: a 413 closes its socket, and no test should inherit that.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {}
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${r.method ?? 'POST'} ${r.path} got no response within ${r.timeoutMs ?? 30_000} ms`));
    }, r.timeoutMs ?? 30_000);
    // The server may answer (413) and close before it read the whole body: a write error after
    // that is expected; the response still arrives and settles the promise.
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    if (body && r.chunked) {
      const piece = 64 * 1024;
      for (let at = 0; at < body.length; at += piece) req.write(body.subarray(at, at + piece));
      req.end();
    } else req.end(body);
  });
}
