/**
 * Issue 13 part 5 in Debian's Chromium: with no admin token configured, opening the one-time link
 * the gateway prints signs the dashboard in (the code leaves the address bar), Log out ends the
 * session (a CSRF-checked write), and the same link opened again shows why it no longer works;
 * pasting the generated token into the form still signs in.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING, startTestGateway, type TestGateway } from '../support/gateway.js';
import { ensureDashboardBuilt, launchChromium, screenshot } from './support.js';

describe('dashboard login link', () => {
  let gw: TestGateway;
  let browser: Browser;
  let link: string;

  beforeAll(async () => {
    ensureDashboardBuilt();
    gw = await startTestGateway({ servers: { everything: EVERYTHING } });
    browser = await launchChromium();
    link = gw.admin.loginLink();
  });
  afterAll(async () => {
    await browser?.close();
    await gw?.close();
  });

  it('opening the link signs in, and the code leaves the address bar', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(link);
    await page.getByRole('heading', { name: 'Servers & tools' }).waitFor();
    expect(page.url()).toBe(`${gw.url}/`);
    const cookie = (await context.cookies()).find((c) => c.name === 'tg_admin');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await page.getByTestId('server-everything').waitFor();
    await screenshot(page, 'login-link-signed-in');

    // Log out is a write: the dashboard sends its CSRF token, and the session ends.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Admin token').waitFor();
    const after = await fetch(`${gw.url}/api/session`, {
      headers: { cookie: `tg_admin=${cookie!.value}` },
    });
    expect(after.status).toBe(401);
    await context.close();
  });

  it('the same link a second time says it was used; the token pasted into the form signs in', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(link);
    await page.getByRole('status').filter({ hasText: 'used already or has expired' }).waitFor();
    expect(page.url()).toBe(`${gw.url}/`);
    expect((await context.cookies()).find((c) => c.name === 'tg_admin')).toBeUndefined();
    await screenshot(page, 'login-link-used');
    await page.getByLabel('Admin token').fill(gw.adminToken());
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Servers & tools' }).waitFor();
    await context.close();
  });
});
