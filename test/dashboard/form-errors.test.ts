import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { FAST_EVENTS_ENV } from '../events/helpers.js';
import { launchChromium, DASHBOARD_PASSWORD, until, openDashboardPage, setUpAdminAndOdoo, startFreshRelay, type FreshRelay } from './helpers.js';

/**
 * A refusal of a long dialog's form is brought into view on a laptop-sized screen: the notice at
 * the dialog's top scrolls into view, and the focus goes to the field the relay names (else to the
 * notice) instead of falling to <body>.
 */
describe('form refusals in a browser', { timeout: 90_000 }, () => {
  let relay: FreshRelay;
  let sim: OdooSim;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];

  beforeAll(async () => {
    [relay, sim, browser] = await Promise.all([startFreshRelay({ ...FAST_EVENTS_ENV }), startOdooSim({ version: 19, automationNoise: 'none' }), launchChromium()]);
    ({ page, problems } = await openDashboardPage(browser));
    await page.setViewportSize({ width: 1366, height: 768 });
  });
  afterAll(async () => {
    await browser?.close();
    await relay?.close();
    await sim?.close();
  });

  /** Whether the dialog's error notice is inside both the dialog's visible box and the window. */
  const noticeInView = (p: Page) =>
    p.getByRole('dialog').locator('.notice-error').evaluate((el) => {
      const r = el.getBoundingClientRect();
      const d = el.closest('dialog')!.getBoundingClientRect();
      return r.top >= Math.max(0, d.top) && r.bottom <= Math.min(window.innerHeight, d.bottom);
    });
  const focused = (p: Page) => p.evaluate(() => ({ name: (document.activeElement as HTMLInputElement | null)?.name ?? null, role: document.activeElement?.getAttribute('role') ?? null }));

  it('marks an unknown model and a refused domain on their fields, and focuses the notice for a refusal without a field', async () => {
    await setUpAdminAndOdoo(page, relay.url, DASHBOARD_PASSWORD, sim.url, until);
    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'Subscriptions' }).click();
    await until(() => page.getByRole('heading', { name: 'No subscriptions yet' }).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'New subscription' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New subscription' });
    const model = dialog.getByLabel('Model', { exact: true });
    await model.fill('no.such.model');
    // The submit button is at the bottom: the dialog scrolls down to reach it, as a user's would.
    await dialog.getByLabel('Target URL').fill('http://127.0.0.1:9/hook');
    await dialog.getByRole('button', { name: 'Create subscription' }).click();

    await until(() => model.getAttribute('aria-invalid')).toBe('true');
    expect(await dialog.locator('.notice-error').textContent()).toContain('odoo_unknown_model');
    await until(() => focused(page)).toEqual({ name: 'model', role: null });
    expect(await noticeInView(page)).toBe(true);

    // Odoo refusing the domain marks the Domain box (details.field: domain).
    await model.fill('res.partner');
    const domain = dialog.getByLabel('Domain (optional, JSON)');
    await domain.fill('[["no_such_field", "=", "x"]]');
    await dialog.getByRole('button', { name: 'Create subscription' }).click();
    await until(() => dialog.locator('.notice-error').textContent()).toContain('odoo_bad_request');
    await until(() => domain.getAttribute('aria-invalid')).toBe('true');
    await until(() => focused(page)).toEqual({ name: 'domain', role: null });
    expect(await noticeInView(page)).toBe(true);

    // A refusal that names no field (push capture without an ingest URL Odoo can reach): the notice itself takes the focus.
    await domain.fill('');
    await dialog.getByLabel('Capture mode').selectOption('push');
    await dialog.getByRole('button', { name: 'Create subscription' }).click();
    await until(() => dialog.locator('.notice-error').textContent()).toContain('push_capture_unavailable');
    await until(() => focused(page)).toEqual({ name: null, role: 'alert' });
    expect(await noticeInView(page)).toBe(true);
    expect(problems).toEqual([]);
  });

  it('names an emptied number field on the connection page instead of calling it too small', async () => {
    await page.goto(`${relay.url}/connection`);
    await until(() => page.getByLabel('Timeout (seconds)').inputValue()).toBe('30');
    await page.getByLabel('Timeout (seconds)').fill('');
    await page.getByRole('button', { name: 'Save connection' }).click();
    await until(() => page.getByText('enter the timeout in seconds, e.g. 30').isVisible()).toBe(true);
    expect(await page.locator('main').textContent()).not.toContain('at least 100 ms');
    expect(problems).toEqual([]);
  });
});
