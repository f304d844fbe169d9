import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';

export const ROOT = process.cwd();
export const WEB_DIST = join(ROOT, 'web/dist');
export const SHOTS = join(ROOT, 'test-results/dashboard');

/** Builds the dashboard once when `npm run build` has not (e.g. `npx vitest run test/browser`). */
export function ensureDashboardBuilt(): void {
  if (existsSync(join(WEB_DIST, 'index.html'))) return;
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts'],
    {
      cwd: ROOT,
      stdio: 'ignore',
    },
  );
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A full-page screenshot in test-results/dashboard/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Polls until the locator's text matches (Playwright's own `expect` is not used under Vitest). */
export async function waitForText(locator: Locator, pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < end) {
    last = (await locator.textContent({ timeout: 1000 }).catch(() => '')) ?? '';
    if (pattern.test(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${pattern} in ${locator}; last text: ${JSON.stringify(last)}`);
}

export async function until<T>(
  fn: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export type AdminApi = <T>(path: string, init?: RequestInit) => Promise<{ status: number; body: T }>;

/** Calls the admin API of the gateway at `url()` with the admin token (JSON in and out). */
export function adminApi(url: () => string, adminToken: string): AdminApi {
  return async <T>(path: string, init: RequestInit = {}) => {
    const res = await fetch(`${url()}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
}

/**
 * The agent side of a dashboard test: a grant `agent` on `server`, created through the admin API,
 * and an SDK client connected to `/mcp/<server>` with its token.
 */
export async function connectAgent(
  api: AdminApi,
  gatewayUrl: string,
  name: string,
  server = 'everything',
): Promise<Client> {
  const grant = await api<{ token: string }>('/api/grants', {
    method: 'POST',
    body: JSON.stringify({ name: 'agent', servers: [server] }),
  });
  if (grant.status !== 201) throw new Error(`creating the agent grant failed: HTTP ${grant.status}`);
  const client = new Client({ name, version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${gatewayUrl}/mcp/${server}`), {
      requestInit: { headers: { authorization: `Bearer ${grant.body.token}` } },
    }),
  );
  return client;
}
