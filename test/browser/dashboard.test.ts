import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Client } from '@modelcontextprotocol/client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING, startTestGateway, type TestGateway } from '../support/gateway.js';
import {
  adminApi,
  connectAgent,
  ensureDashboardBuilt,
  launchChromium,
  ROOT,
  screenshot,
  until,
  waitForText,
} from './support.js';

const ADMIN = 'admin-token-for-browser-tests-0123456789';
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const HOSTILE = {
  command: process.execPath,
  args: ['--import', TSX, join(ROOT, 'test/fixtures/servers/hostile-descriptions.ts')],
};
const HOSTILE_MARKUP = '<img src=x onerror=alert(1)>';

// The dashboard in Debian's Chromium against a real gateway, real upstreams and the SDK client.
describe('dashboard', () => {
  let gw: TestGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let client: Client;
  const dialogs: string[] = [];

  const api = adminApi(() => gw.url, ADMIN);

  async function saveDraft(name: string) {
    await page.getByRole('button', { name: 'Review & save' }).click({ timeout: 10_000 });
    const dialog = page.getByRole('dialog', { name: 'Review changes' });
    await dialog.waitFor();
    await screenshot(page, name);
    await dialog.getByRole('button', { name: 'Save and apply' }).click();
    await page.getByText('Policy saved').first().waitFor({ timeout: 10_000 });
    await dialog.waitFor({ state: 'hidden' });
  }

  async function openPolicy(server: string) {
    await page.getByRole('link', { name: 'Policies' }).click();
    await page.getByLabel('Server', { exact: true }).first().click();
    await page.getByRole('option', { name: server, exact: true }).click();
    await page.locator(`[data-testid^="policy-row-"]`).first().waitFor();
  }

  beforeAll(async () => {
    ensureDashboardBuilt();
    gw = await startTestGateway(
      {
        admin: { token_env: 'TG_BROWSER_ADMIN' },
        servers: {
          everything: { ...EVERYTHING, policy: './everything.json' },
          hostile: { ...HOSTILE, policy: './hostile.json' },
        },
      },
      {
        env: { ...process.env, TG_BROWSER_ADMIN: ADMIN },
        files: {
          'everything.json': `${JSON.stringify({ version: '1', default: 'allow' }, null, 2)}\n`,
          'hostile.json': `${JSON.stringify({ version: '1', default: 'allow' }, null, 2)}\n`,
        },
        probe: true,
      },
    );
    await gw.probed;
    client = await connectAgent(api, gw.url, 'browser-test-agent');

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(8_000);
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });

  afterAll(async () => {
    await client?.close().catch(() => {});
    await browser?.close();
    await gw?.close();
  });

  it('asks for the admin token, then signs in with a session cookie', async () => {
    await page.goto(`${gw.url}/`);
    await page.getByLabel('Admin token').waitFor();
    await screenshot(page, 'login');
    await page.getByLabel('Admin token').fill('wrong-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not the admin token' }).waitFor();
    await page.getByLabel('Admin token').fill(ADMIN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Servers & tools' }).waitFor();
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'tg_admin')?.httpOnly).toBe(true);
  });

  it('renders hostile tool descriptions as text, never as markup', async () => {
    await page.getByTestId('server-hostile').click();
    await page.getByTestId('tool-lookup_thing').waitFor();
    const text = page.getByText(HOSTILE_MARKUP, { exact: false }).first();
    await text.waitFor();
    expect(await text.isVisible()).toBe(true);
    expect(await page.getByText('<b onmouseover=alert(3)>bold</b>').count()).toBeGreaterThan(0);
    // A string, so the root tsconfig (no DOM lib) does not need browser types.
    const injected = await page.evaluate(`({
      img: document.querySelectorAll('img[src="x"]').length,
      handlers: document.querySelectorAll('[onerror], [onmouseover]').length,
      scripts: [...document.querySelectorAll('script')].filter((s) => s.textContent.includes('alert')).length,
    })`);
    expect(injected).toEqual({ img: 0, handlers: 0, scripts: 0 });
    await page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
    await screenshot(page, 'servers-hostile');
    await page.getByTestId('server-everything').click();
    await page.getByTestId('tool-echo').waitFor();
    await screenshot(page, 'servers');
  });

  it('sets a tool to Deny in the builder, saves, and the next SDK call is denied', async () => {
    const before = await client.callTool({ name: 'echo', arguments: { message: 'hello' } });
    expect(before.isError).toBeFalsy();
    await openPolicy('everything');
    const row = page.getByTestId('policy-row-echo');
    await row.getByText('Deny', { exact: true }).click();
    await row.getByLabel('Deny reason for echo').fill('echo is switched off in the dashboard');
    await screenshot(page, 'policy-builder');
    await saveDraft('policy-diff');
    const after = await client.callTool({ name: 'echo', arguments: { message: 'hello again' } });
    expect(after.isError).toBe(true);
    expect(after.content).toEqual([
      { type: 'text', text: '[POLICY DENIED] echo is switched off in the dashboard' },
    ]);
    const saved = await api<{ text: string }>('/api/policies/everything');
    expect(JSON.parse(saved.body.text)).toMatchObject({
      tools: { echo: { deny: true, reason: 'echo is switched off in the dashboard' } },
    });
  });

  it('validates the raw policy as you type, with the line of each problem', async () => {
    await page.getByRole('tab', { name: /Raw/ }).click();
    const editor = page.getByRole('textbox', { name: /Policy for everything/ });
    await editor.fill('{\n  "version": "1",\n  "default": "maybe"\n}\n');
    await page
      .getByRole('alert')
      .filter({ hasText: /line 3/ })
      .waitFor();
    expect(await page.getByRole('button', { name: 'Review & save' }).isDisabled()).toBe(true);
    await screenshot(page, 'policy-raw-invalid');
    await page.getByRole('button', { name: 'Discard' }).click();
    await page.getByText('valid', { exact: true }).waitFor();
    await page.getByRole('tab', { name: 'Test a call' }).click();
    await page.getByLabel(/^Tool/).first().fill('echo');
    await page.getByRole('button', { name: 'Explain' }).click();
    await waitForText(page.getByTestId('explain-result'), /tools\.echo\.deny/);
    await screenshot(page, 'policy-test-call');
    await page.getByRole('tab', { name: 'Builder' }).click();
  });

  it('sets a limit in the builder and the counter chart follows the calls', async () => {
    const row = page.getByTestId('policy-row-echo');
    await row.getByText('Custom', { exact: true }).click();
    const editor = page.getByTestId('rule-editor-echo');
    await editor.getByRole('button', { name: 'Add limit' }).click();
    const max = editor.getByLabel('Limits 1 max');
    await max.fill('0');
    await editor.getByText('a number above 0').waitFor();
    expect(await page.getByRole('button', { name: 'Review & save' }).isDisabled()).toBe(true);
    await max.fill('3');
    // An hour, not the default minute: a fixed window that rolls over mid-test (a loaded CI
    // machine) would reset the counter the chart is watched for.
    await editor.getByLabel('Limits 1 window').fill('hour');
    await saveDraft('policy-limit-diff');

    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByTestId('usage-panel').waitFor();
    for (const message of ['one', 'two']) {
      const r = await client.callTool({ name: 'echo', arguments: { message } });
      expect(r.isError).toBeFalsy();
    }
    const usage = page.getByTestId('usage-everything-echo_rate').filter({ hasText: '(grant agent)' });
    await waitForText(usage, /2 \/ 3 per hour/);
    await client.callTool({ name: 'echo', arguments: { message: 'three' } });
    await waitForText(usage, /3 \/ 3/);
    const limited = await client.callTool({ name: 'echo', arguments: { message: 'four' } });
    expect(JSON.stringify(limited.content)).toContain('[RATE LIMITED]');
    await page.getByTestId('audit-row').first().waitFor();
    await screenshot(page, 'activity');
    await page.getByRole('banner').getByText('Dark', { exact: true }).click();
    await page.waitForTimeout(300);
    await screenshot(page, 'activity-dark');
    await page.getByRole('banner').getByText('Light', { exact: true }).click();
  });

  it('shows the calls chart as a table with the calls this test made', async () => {
    // Every call on this gateway so far, all within the chart's default hour: "hello" (allowed)
    // and "hello again" (denied by the Deny rule), then one, two, three (allowed) and four
    // (rate limited) above.
    const made = { Allowed: 4, Denied: 1, 'Rate limited': 1, Other: 0 };
    const toggle = page.getByRole('button', { name: 'Show as table' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    const hide = page.getByRole('button', { name: 'Hide table' });
    expect(await hide.getAttribute('aria-expanded')).toBe('true');
    const table = page.getByRole('table', { name: 'Calls and denials, last hour, per minute' });
    await table.waitFor();
    expect(await table.locator('caption').textContent()).toBe('Calls and denials, last hour, per minute');
    const headers = await table.locator('thead th').allTextContents();
    expect(headers).toEqual(['Time', 'Calls', ...Object.keys(made)]);
    /** The sum of one column over the time buckets (tbody rows). */
    const column = async (name: string) => {
      const cells = await table
        .locator(`tbody tr > :nth-child(${headers.indexOf(name) + 1})`)
        .allTextContents();
      return cells.reduce((n, c) => n + Number(c), 0);
    };
    const calls = Object.values(made).reduce((a, b) => a + b, 0);
    // The stats behind the chart refresh every few seconds: wait for the last calls to arrive.
    await until(async () => (await column('Calls')) >= calls, `${calls} calls in the table`);
    const sums: Record<string, number> = {};
    for (const name of headers.slice(1)) sums[name] = await column(name);
    expect(sums).toEqual({ Calls: calls, ...made });
    // The totals row agrees with the rows above it.
    const totals = await table.locator('tfoot th').allTextContents();
    expect(totals).toEqual(['Total', ...headers.slice(1).map((h) => String(sums[h]))]);
    // The chart and the table plot the same buckets.
    expect(await table.locator('tbody tr').count()).toBeGreaterThanOrEqual(60);
    await screenshot(page, 'activity-table');
    await hide.click();
    await table.waitFor({ state: 'detached' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
  });

  it('searches the audit log by grant, tool and outcome', async () => {
    await page.getByRole('tab', { name: 'Audit log' }).click();
    const form = page.getByRole('form', { name: 'Search the audit log' });
    await form.getByLabel('Grant', { exact: true }).first().fill('agent');
    await form.getByLabel('Tool', { exact: true }).first().fill('echo');
    await form.getByLabel('Outcome').first().click();
    await page.getByRole('option', { name: 'rate_limited', exact: true }).click();
    await form.getByRole('button', { name: 'Search' }).click();
    await until(async () => (await page.getByTestId('audit-row').count()) === 1, 'one rate-limited row');
    await waitForText(page.getByTestId('audit-row').first(), /rate limited/);
    await screenshot(page, 'activity-audit');
  });

  it('creates a grant (token shown once, with a config snippet) and revokes it', async () => {
    await page.getByRole('link', { name: 'Grants' }).click();
    await page.getByLabel('Name').fill('ui-agent');
    await page.getByPlaceholder('pick servers').fill('every');
    await page.getByRole('option', { name: 'everything', exact: true }).click();
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Create grant' }).click();
    const token = (await page.getByTestId('grant-token').textContent()) ?? '';
    expect(token).toMatch(/^tg_/);
    const snippet = (await page.getByTestId('snippet-json').textContent()) ?? '';
    expect(snippet).toContain(`Bearer ${token}`);
    expect(snippet).toContain('/mcp/everything');
    await screenshot(page, 'grants-created');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    const listed = await api<unknown[]>('/api/grants');
    expect(JSON.stringify(listed.body)).not.toContain(token);
    await page.getByTestId('grant-ui-agent').getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog', { name: 'Revoke grant' }).getByRole('button', { name: 'Revoke' }).click();
    await waitForText(page.getByTestId('grant-ui-agent'), /revoked/);
    await screenshot(page, 'grants');
  });

  it('approves a held call from the queue and the client call completes', async () => {
    const probe = await api('/api/approvals?status=pending');
    expect(probe.status).toBe(200);
    await openPolicy('everything');
    await page.getByTestId('policy-row-get-sum').getByText('Approval', { exact: true }).click();
    await saveDraft('policy-approval-diff');
    const call = client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
    await page.getByRole('link', { name: 'Approvals' }).click();
    const card = page.locator('[data-testid^="approval-"]').first();
    await card.waitFor({ timeout: 15_000 });
    await card.getByLabel(/Note/).fill('looks fine');
    await screenshot(page, 'approvals');
    await card.getByRole('button', { name: 'Approve' }).click();
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.content)).toContain('5');
  });

  it('serves dashboard routes on reload (SPA fallback) from the gateway', async () => {
    const res = await fetch(`${gw.url}/policies/everything`);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    await page.goto(`${gw.url}/policies/everything`);
    await page.getByTestId('policy-row-echo').waitFor();
  });

  it('says when the policy file on disk is invalid, and shows the enforced version', async () => {
    const enforced = `${JSON.stringify({ version: '1', default: 'allow' }, null, 2)}\n`;
    // Line 3: "maybe" is not a default. The gateway keeps the last good version.
    gw.write('hostile.json', '{\n  "version": "1",\n  "default": "maybe"\n}\n');
    await until(
      async () =>
        (await api<{ file: { state: string } }>('/api/policies/hostile')).body.file.state === 'invalid',
      'the file is invalid',
    );
    await page.goto(`${gw.url}/policies/hostile`);
    const banner = page.getByTestId('policy-file-state');
    await waitForText(banner, /The policy file on disk is invalid/);
    await waitForText(banner, /hostile\.json:3:\d+ default/);
    await page.getByRole('tab', { name: /Raw/ }).click();
    const editor = page.getByRole('textbox', { name: /Policy for hostile/ });
    expect(await editor.inputValue()).toBe(enforced);
    await screenshot(page, 'policy-file-invalid');
    // Fixed on disk: in sync again, and the last error is still named.
    gw.write('hostile.json', enforced);
    await until(
      async () =>
        (await api<{ file: { state: string } }>('/api/policies/hostile')).body.file.state === 'in_sync',
      'the file is in sync',
    );
    await page.reload();
    await waitForText(page.getByTestId('policy-file-state'), /in sync with the enforced policy\. Last error/);
  });
});
