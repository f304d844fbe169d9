import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from '../../src/http/static.js';

// The dashboard's static handler: content types, SPA fallback, cache headers, and nothing outside root.
describe('serveStatic', () => {
  let dir: string;
  let server: Server;
  let base: string;
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
      (resolve, reject) => {
        const req = request(`${base}${path}`, { method, headers }, (res) => {
          let body = '';
          res.on('data', (c) => {
            body += c;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        req.on('error', reject);
        req.end();
      },
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'toolgate-static-'));
    const root = join(dir, 'dist');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(root, 'assets', 'app-abc123.js'), 'console.log(1)');
    writeFileSync(join(root, 'favicon.svg'), '<svg/>');
    writeFileSync(join(dir, 'secret.txt'), 'secret');
    symlinkSync(join(dir, 'secret.txt'), join(root, 'link.txt'));
    const handle = serveStatic(root);
    server = createServer((req, res) => {
      if (!handle(req, res)) res.writeHead(418).end('not mine');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves files with their content type and cache policy', async () => {
    const js = await get('/assets/app-abc123.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toContain('immutable');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
    const index = await get('/');
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await get('/favicon.svg')).headers['content-type']).toBe('image/svg+xml');
    const again = await get('/assets/app-abc123.js', { 'if-none-match': String(js.headers.etag) });
    expect(again.status).toBe(304);
    const head = await get('/', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers dashboard routes with index.html, but a missing asset with 404', async () => {
    const route = await get('/policies/everything');
    expect(route.status).toBe(200);
    expect(route.body).toContain('<title>app</title>');
    expect((await get('/assets/missing-123.js')).status).toBe(404);
  });

  it('leaves the gateway routes alone', async () => {
    for (const p of [
      '/api/servers',
      '/api',
      '/mcp',
      '/mcp/everything',
      '/metrics',
      '/healthz',
      '/.well-known/oauth-protected-resource',
    ])
      expect((await get(p)).status).toBe(418);
    expect((await get('/', {}, 'POST')).status).toBe(405);
  });

  it('never serves a file outside the root', async () => {
    for (const p of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/link.txt',
      '/%00',
    ]) {
      const res = await get(p);
      expect(res.body).not.toContain('secret');
      expect([400, 404]).toContain(res.status);
    }
  });
});
