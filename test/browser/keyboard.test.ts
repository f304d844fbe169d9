import type { Client } from '@modelcontextprotocol/client';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVERYTHING, startTestGateway, type TestGateway } from '../support/gateway.js';
import {
  adminApi,
  connectAgent,
  ensureDashboardBuilt,
  launchChromium,
  screenshot,
  until,
} from './support.js';

// The root tsconfig has no DOM lib; callbacks passed to evaluate() only compare the focused element.
declare const document: { readonly activeElement: never };

const ADMIN = 'admin-token-for-keyboard-tests-0123456789';
const MAX_PRESSES = 250;

// What the focused element is, for error messages and trap detection (a string: the root
// tsconfig has no DOM lib).
const DESCRIBE_FOCUS = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return 'body';
  const name = (el.getAttribute('aria-label') || (el.labels && el.labels[0] && el.labels[0].textContent) ||
    el.textContent || el.getAttribute('placeholder') || '').trim().replace(/\\s+/g, ' ').slice(0, 60);
  const role = el.getAttribute('role') || (el.tagName === 'INPUT' ? 'input[' + el.type + ']' : el.tagName.toLowerCase());
  const cls = String(el.getAttribute('class') || '').trim().split(/s+/).slice(0, 3).join('.');
  return role + ' "' + name + '"' + (el.id ? '#' + el.id : '') + (cls ? '.' + cls : '');
})()`;

// Whether the focused element shows a focus indicator: an outline or box-shadow on the element;
// for a visually hidden native radio/checkbox (Mantine SegmentedControl, Checkbox), on its label
// or the sibling it styles; for a field inside a bordered wrapper (password, pills, the Raw
// editor), an outline on one of its two nearest ancestors.
const FOCUS_VISIBLE = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return { ok: false, why: 'nothing focused' };
  const shows = (n) => {
    if (!n) return false;
    const s = getComputedStyle(n);
    const box = n.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || s.opacity === '0' || s.visibility === 'hidden') return false;
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    const shadow = s.boxShadow && s.boxShadow !== 'none';
    return outline || shadow;
  };
  const outlined = (n) => shows(n) && getComputedStyle(n).outlineStyle !== 'none';
  const candidates = [el, ...(el.labels ? [...el.labels] : []), el.nextElementSibling];
  const parents = [el.parentElement, el.parentElement && el.parentElement.parentElement];
  const hit = candidates.find(shows) || parents.find(outlined);
  return { ok: Boolean(hit), why: 'no visible outline or box-shadow on it, its label or its field' };
})()`;

async function focusDescription(page: Page): Promise<string> {
  return page.evaluate<string>(DESCRIBE_FOCUS);
}

async function assertFocusVisible(page: Page): Promise<void> {
  const r = await page.evaluate<{ ok: boolean; why: string }>(FOCUS_VISIBLE);
  if (!r.ok) throw new Error(`focus is not visible on ${await focusDescription(page)}: ${r.why}`);
}

async function isFocused(target: Locator): Promise<boolean> {
  return target.evaluateAll((els) => els.includes(document.activeElement as never));
}

/**
 * Presses Tab (or Shift+Tab) until `target` has focus, checking on every stop that focus is
 * visible. Fails naming the target and the last focused element when it is not reached within
 * `max` presses (a trap, a missing tab stop or a missing accessible name).
 */
async function tabTo(page: Page, target: Locator, what: string, opts: { back?: boolean; max?: number } = {}) {
  const key = opts.back ? 'Shift+Tab' : 'Tab';
  const max = opts.max ?? MAX_PRESSES;
  for (let i = 0; i < max; i++) {
    if (i > 0 || !(await isFocused(target))) await page.keyboard.press(key);
    if (await isFocused(target)) {
      await assertFocusVisible(page);
      return i + 1;
    }
    // Stops on the page itself (body) are allowed between regions; anything else must show focus.
    if ((await focusDescription(page)) !== 'body') await assertFocusVisible(page);
  }
  throw new Error(
    `could not reach ${what} with ${max} × ${key}; last focused: ${await focusDescription(page)}`,
  );
}

/**
 * Tabs into `region` (when focus is not there yet), through every stop in it, and out of it:
 * no trap keeps focus inside. Returns the number of stops inside.
 */
async function tabThrough(page: Page, region: Locator, what: string, max = MAX_PRESSES): Promise<number> {
  const inside = () => region.evaluateAll((els) => els.some((r) => r.contains(document.activeElement)));
  let stops = 0;
  for (let i = 0; i < max; i++) {
    if (await inside()) {
      stops++;
      await assertFocusVisible(page);
    } else if (stops > 0) return stops;
    await page.keyboard.press('Tab');
  }
  throw new Error(
    stops
      ? `focus is trapped in ${what}: ${max} × Tab; last focused: ${await focusDescription(page)}`
      : `Tab never reached ${what}; last focused: ${await focusDescription(page)}`,
  );
}

// The dashboard driven with the keyboard alone (no clicks, no mouse) after the page loads.
describe('dashboard by keyboard', () => {
  let gw: TestGateway;
  let browser: Browser;
  let page: Page;
  let client: Client;

  const api = adminApi(() => gw.url, ADMIN);

  const nav = () => page.getByRole('navigation', { name: 'Pages' });
  const main = () => page.getByRole('main');

  /** From anywhere: back to the top of the page, then Tab along the navigation to a page. */
  async function goTo(label: string, heading: string | RegExp) {
    await page.keyboard.press('Shift+Tab'); // leave any text field before the shortcut-less walk
    await tabTo(page, nav().getByRole('link', { name: label }), `the "${label}" link`, { back: true });
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: heading, level: 2 }).waitFor();
  }

  /** Review & save, then "Save and apply" in the dialog, all by keyboard. */
  async function reviewAndSave(name: string) {
    const review = page.getByRole('button', { name: 'Review & save' });
    await until(async () => !(await review.isDisabled()), 'Review & save to be enabled');
    await tabTo(page, review, 'Review & save', { back: true });
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Review changes' });
    await dialog.waitFor();
    // The dialog puts focus on its main action, and Tab stays inside it while it is open.
    const saveButton = dialog.getByRole('button', { name: 'Save and apply' });
    await until(() => isFocused(saveButton), 'focus on "Save and apply"');
    await assertFocusVisible(page);
    await screenshot(page, name);
    await page.keyboard.press('Enter');
    await page.getByText('Policy saved').first().waitFor({ timeout: 10_000 });
    await dialog.waitFor({ state: 'hidden' });
    // Focus comes back to the page, not to <body>, so the next Tab continues from the builder.
    await until(async () => (await focusDescription(page)) !== 'body', 'focus to return after the dialog');
    expect(await main().evaluate((m) => m.contains(document.activeElement))).toBe(true);
    await assertFocusVisible(page);
  }

  /** Tab to a tool's rule (radio group) and move the choice with the arrow keys. */
  async function setRule(tool: string, from: string, to: string) {
    const group = page.getByRole('radiogroup', { name: `Rule for ${tool}` });
    await tabTo(page, group.getByRole('radio', { name: from, exact: true }), `the ${from} rule of ${tool}`);
    const order = ['Default', 'Allow', 'Deny', 'Hide', 'Approval', 'Custom'];
    const steps = order.indexOf(to) - order.indexOf(from);
    for (let i = 0; i < Math.abs(steps); i++)
      await page.keyboard.press(steps > 0 ? 'ArrowRight' : 'ArrowLeft');
    const chosen = group.getByRole('radio', { name: to, exact: true });
    expect(await chosen.isChecked()).toBe(true);
    expect(await isFocused(chosen)).toBe(true);
    await assertFocusVisible(page);
  }

  beforeAll(async () => {
    ensureDashboardBuilt();
    gw = await startTestGateway(
      {
        admin: { token_env: 'TG_KEYBOARD_ADMIN' },
        servers: { everything: { ...EVERYTHING, policy: './everything.json' } },
      },
      {
        env: { ...process.env, TG_KEYBOARD_ADMIN: ADMIN },
        files: { 'everything.json': `${JSON.stringify({ version: '1', default: 'allow' }, null, 2)}\n` },
        probe: true,
      },
    );
    await gw.probed;
    client = await connectAgent(api, gw.url, 'keyboard-test-agent');
    browser = await launchChromium();
    const context = await browser.newContext({
      viewport: { width: 1400, height: 900 },
      colorScheme: 'light',
    });
    page = await context.newPage();
    page.setDefaultTimeout(8_000);
  });

  afterAll(async () => {
    await client?.close().catch(() => {});
    await browser?.close();
    await gw?.close();
  });

  it('signs in with the admin token typed and Enter', async () => {
    await page.goto(`${gw.url}/`);
    const token = page.getByLabel('Admin token');
    await token.waitFor();
    await tabTo(page, token, 'the admin token field');
    await page.keyboard.type(ADMIN);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Servers & tools' }).waitFor();
  });

  it('skips the header and navigation with a visible "Skip to main content" link', async () => {
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to main content' });
    expect(await isFocused(skip)).toBe(true);
    await assertFocusVisible(page);
    expect(await skip.isVisible()).toBe(true);
    await screenshot(page, 'keyboard-skip-link');
    await page.keyboard.press('Enter');
    expect(
      await main().evaluate((m) => m === document.activeElement || m.contains(document.activeElement)),
    ).toBe(true);
    // The next Tab lands on a control in the page, not in the header or navigation.
    await page.keyboard.press('Tab');
    expect(await main().evaluate((m) => m.contains(document.activeElement))).toBe(true);
    await assertFocusVisible(page);
  });

  it('sets a tool to Deny in the builder and saves; the next SDK call is denied', async () => {
    const before = await client.callTool({ name: 'echo', arguments: { message: 'hello' } });
    expect(before.isError).toBeFalsy();
    await goTo('Policies', 'Policy');
    await page.getByTestId('policy-row-echo').waitFor();
    // The server picker is a combobox: reachable, and opened and closed with the keyboard.
    const server = main().getByLabel('Server', { exact: true }).first();
    await tabTo(page, server, 'the Server picker');
    await page.keyboard.press('ArrowDown');
    await page.getByRole('option', { name: 'everything', exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await setRule('echo', 'Default', 'Deny');
    const reason = page.getByRole('textbox', { name: 'Deny reason for echo' });
    await tabTo(page, reason, 'the deny reason for echo', { max: 3 });
    await page.keyboard.type('echo is switched off by keyboard');
    await screenshot(page, 'keyboard-policy-builder');
    await reviewAndSave('keyboard-policy-diff');
    const after = await client.callTool({ name: 'echo', arguments: { message: 'hello again' } });
    expect(after.isError).toBe(true);
    expect(after.content).toEqual([
      { type: 'text', text: '[POLICY DENIED] echo is switched off by keyboard' },
    ]);
  });

  it('Tab moves through the whole builder and out of it (no trap)', async () => {
    expect(await tabThrough(page, main(), 'the policy page')).toBeGreaterThan(20);
  });

  it('approves a held call from the queue and the client call completes', async () => {
    await goTo('Policies', 'Policy');
    await page.getByTestId('policy-row-get-sum').waitFor();
    await tabTo(page, main().getByLabel('Server', { exact: true }).first(), 'the Server picker');
    await setRule('get-sum', 'Default', 'Approval');
    await reviewAndSave('keyboard-policy-approval-diff');
    const call = client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } });
    await goTo('Approvals', 'Approvals');
    const card = page.locator('[data-testid^="approval-"]').first();
    await card.waitFor({ timeout: 15_000 });
    await tabTo(page, card.getByRole('textbox', { name: /Note/ }), 'the note of the held call');
    await page.keyboard.type('looks fine');
    const approve = card.getByRole('button', { name: 'Approve' });
    await tabTo(page, approve, 'Approve', { max: 3 });
    await screenshot(page, 'keyboard-approvals');
    await page.keyboard.press('Space');
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(JSON.stringify(result.content)).toContain('5');
    const decided = await api<{ approvals: { status: string; note?: string }[] }>('/api/approvals');
    expect(decided.body.approvals.find((a) => a.note === 'looks fine')?.status).toBe('approved');
  });

  it('Tab moves through every page and back out of it (no trap in charts or forms)', async () => {
    for (const [label, heading] of [
      ['Servers & tools', 'Servers & tools'],
      ['Grants', 'Grants'],
      ['Activity', 'Activity'],
    ] as const) {
      await goTo(label, heading);
      await page.waitForTimeout(500);
      expect(await tabThrough(page, main(), `the ${label} page`)).toBeGreaterThan(0);
    }
    await screenshot(page, 'keyboard-activity');
  });
});
