import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { FAST_EVENTS_ENV } from '../events/helpers.js';
import { createApp, deleteApp } from '../../src/apps/store.js';
import { launchChromium, DASHBOARD_PASSWORD, SCREENSHOTS, until, openDashboardPage, setUpAdminAndOdoo, startFreshRelay, type FreshRelay } from './helpers.js';

// The committed screenshots change only on purpose: `UPDATE_SCREENSHOTS=1 npx vitest run test/dashboard/events-pages.test.ts`.
const PASSWORD = DASHBOARD_PASSWORD;
const NAME = 'Partners to n8n';

/**
 * Subscriptions and Deliveries in a real Chromium, against a relay with events on, the Odoo test
 * server and a loopback receiver: create (secret once) → test-send → signed delivery → attempt
 * detail → receiver fails → subscription disabled (banner) → enable → replay → delivered.
 */
describe('events pages in a browser', { timeout: 120_000 }, () => {
  let relay: FreshRelay;
  let sim: OdooSim;
  let receiver: WebhookReceiver;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    [relay, sim, receiver, browser] = await Promise.all([
      // One failed delivery (retries used up) disables the subscription, so the banner shows quickly.
      startFreshRelay({ ...FAST_EVENTS_ENV, EVENTS_DISABLE_AFTER_FAILURES: '1' }),
      startOdooSim({ version: 19, automationNoise: 'none' }),
      startReceiver(),
      launchChromium(),
    ]);
    ({ page, problems } = await openDashboardPage(browser, { clipboardOrigin: relay.url }));
  });

  afterAll(async () => {
    await browser?.close();
    await relay?.close();
    await receiver?.close();
    await sim?.close();
  });

  const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const nav = (label: string) => page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: label }).click();
  const rowStatus = (n: number) => page.locator('[data-testid=deliveries-table] tbody tr').nth(n).getAttribute('data-status');

  it('creates a subscription, test-sends, follows deliveries, recovers from a failing receiver', async () => {
    // First run: set up the admin in the browser; the Odoo connection through the dashboard API.
    const client = await setUpAdminAndOdoo(page, relay.url, PASSWORD, sim.url, until);

    // The nav entries are links now, not "soon".
    const sidebar = page.getByRole('navigation', { name: 'Dashboard' });
    expect(await sidebar.getByText('Subscriptions soon').count()).toBe(0);
    await nav('Subscriptions');
    await until(() => page.getByRole('heading', { name: 'No subscriptions yet' }).isVisible()).toBe(true);
    expect(new URL(page.url()).pathname).toBe('/subscriptions');

    // Keyboard: Enter opens the form with focus inside, Escape closes it and focus returns.
    await page.getByRole('button', { name: 'New subscription' }).focus();
    await page.keyboard.press('Enter');
    await until(() => page.evaluate(() => document.activeElement?.closest('dialog')?.getAttribute('open'))).toBe('');
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).name)).toBe('model');
    await page.keyboard.press('Escape');
    await until(() => page.evaluate(() => document.activeElement?.textContent)).toBe('New subscription');

    // Create: a bad domain is refused in the form, with the field named.
    await page.getByRole('button', { name: 'New subscription' }).click();
    const dialog = page.getByRole('dialog', { name: 'New subscription' });
    await dialog.getByLabel('Model', { exact: true }).fill('res.partner');
    await dialog.getByLabel('Name (optional)').fill(NAME);
    await dialog.getByLabel('write (update)').uncheck();
    await dialog.getByLabel('unlink (delete)').uncheck();
    await dialog.getByLabel('Target URL').fill(receiver.url);
    await dialog.getByLabel('Domain (optional, JSON)').fill('[["name", "=", ');
    await dialog.getByLabel('Retries').fill('1');
    await dialog.getByLabel('Capture mode').selectOption('poll');
    await dialog.getByLabel('Custom headers (optional)').fill('X-Receiver-Token: t0k3n');
    await dialog.getByRole('button', { name: 'Create subscription' }).click();
    await until(() => dialog.getByText('not valid JSON').isVisible()).toBe(true);
    expect(await dialog.getByLabel('Domain (optional, JSON)').getAttribute('aria-invalid')).toBe('true');
    // A domain pasted from Odoo is Python: the form says how to write it as JSON.
    await dialog.getByLabel('Domain (optional, JSON)').fill("[('is_company', '=', True)]");
    await dialog.getByRole('button', { name: 'Create subscription' }).click();
    await until(() => dialog.getByText('write the domain as JSON, as in [["is_company", "=", true]]', { exact: false }).isVisible()).toBe(true);
    // Matches no real partner: only test events are sent.
    await dialog.getByLabel('Domain (optional, JSON)').fill('[["name", "=", "nobody-matches-this"]]');
    // The relay's own validation reaches the field too.
    await dialog.getByLabel('Timeout (ms)').fill('5');
    await dialog.getByRole('button', { name: 'Create subscription' }).click();
    await until(() => dialog.locator('.field.has-error').filter({ hasText: 'Timeout (ms)' }).count()).toBe(1);
    await until(() => dialog.getByRole('alert').textContent()).toContain('invalid_request');
    await dialog.getByLabel('Timeout (ms)').fill('5000');
    await dialog.getByRole('button', { name: 'Create subscription' }).click();

    // The signing secret, once, with a copy button.
    const once = page.getByTestId('secret-once');
    await until(() => once.isVisible()).toBe(true);
    const secret = await page.getByTestId('signing-secret').inputValue();
    expect(secret).toMatch(/^whsec_/);
    await once.getByRole('button', { name: 'Copy' }).click();
    await until(() => page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await page.getByRole('button', { name: 'I have saved it' }).click();
    const row = page.locator('[data-testid=subscriptions-table] tbody tr', { hasText: NAME });
    await until(() => row.textContent()).toContain('Active');
    expect(await row.textContent()).toContain('res.partner');
    expect(await row.textContent()).toContain(receiver.url);
    expect(await page.content()).not.toContain(secret);

    // Test-send: the receiver gets a signed <model>.test event.
    await page.getByRole('button', { name: `Send a test event to ${NAME}` }).click();
    await until(() => page.getByTestId('test-sent').isVisible()).toBe(true);
    const [first] = await receiver.waitFor(1, 15_000);
    const payload = new Webhook(secret).verify(first!.rawBody.toString('utf8'), first!.headers as Record<string, string>) as any;
    expect(payload).toMatchObject({ type: 'res.partner.test', model: 'res.partner', data: { test: true } });
    expect(first!.headers['x-receiver-token']).toBe('t0k3n');
    const firstId = String(first!.headers['webhook-id']);
    expect(await page.getByTestId('test-sent').textContent()).toContain(firstId);

    // Deliveries: delivered, with the attempt's status, headers and body.
    await page.getByRole('link', { name: 'See it in Deliveries' }).click();
    await until(() => page.getByRole('heading', { name: 'Deliveries' }).isVisible()).toBe(true);
    expect(new URL(page.url()).searchParams.get('subscription')).toBeTruthy();
    await until(() => rowStatus(0)).toBe('delivered');
    await page.getByRole('button', { name: `Attempts of delivery ${firstId}` }).click();
    const detail = page.getByTestId('delivery-detail');
    await until(() => detail.getByTestId('attempt').count()).toBe(1);
    expect(await detail.getByTestId('attempt').textContent()).toContain('HTTP 200');
    await detail.getByText('Response body (first bytes)').click();
    expect(await detail.getByTestId('attempt').textContent()).toContain('received');
    await page.keyboard.press('Escape');
    await until(() => detail.isVisible()).toBe(false);

    // The receiver fails: the retries are used up, the delivery fails, the subscription is disabled.
    receiver.setMode('fail500');
    await nav('Subscriptions');
    await page.getByRole('button', { name: `Send a test event to ${NAME}` }).click();
    await until(() => page.getByTestId('test-sent').isVisible()).toBe(true);
    await receiver.waitFor(3, 15_000); // one attempt + one retry
    await nav('Deliveries');
    await until(() => rowStatus(0)).toBe('failed');
    await page.getByLabel('Status').selectOption('failed');
    await until(() => page.locator('[data-testid=deliveries-table] tbody tr').count()).toBe(1);
    // The filter is in the page's URL, as the request log's are: a reload keeps it.
    expect(new URL(page.url()).searchParams.get('status')).toBe('failed');
    await page.reload();
    await until(() => page.getByLabel('Status').inputValue()).toBe('failed');
    await until(() => page.locator('[data-testid=deliveries-table] tbody tr').count()).toBe(1);
    const failedId = await page.locator('[data-testid=deliveries-table] tbody tr').first().getAttribute('data-delivery-id');
    await page.getByRole('button', { name: `Attempts of delivery ${failedId}` }).click();
    await until(() => detail.getByTestId('attempt').count()).toBe(2);
    expect(await detail.textContent()).toContain('HTTP 500');
    await detail.getByRole('button', { name: 'Close', exact: true }).click();

    await nav('Subscriptions');
    const banner = page.getByTestId('disabled-banner');
    await until(() => banner.isVisible()).toBe(true);
    expect(await banner.textContent()).toMatch(/1 subscription is disabled.*consecutive deliveries failed/);
    expect(await row.textContent()).toContain('Disabled');
    await shot('subscriptions');

    // The receiver recovers: enabling offers the replay of what failed.
    receiver.setMode('ok');
    await page.getByRole('button', { name: `Enable ${NAME}` }).click();
    await until(() => page.getByTestId('missed-count').textContent()).toContain('1 delivery');
    await page.getByRole('button', { name: 'Replay failed deliveries' }).click();
    await until(() => page.getByText('Queued 1 delivery again.').isVisible()).toBe(true);
    await until(() => banner.count()).toBe(0);
    await receiver.waitFor(4, 15_000);
    expect(receiver.requests[3]!.headers['webhook-id']).toBe(failedId);
    await nav('Deliveries');
    await until(() => rowStatus(0)).toBe('delivered');
    await until(() => rowStatus(1)).toBe('delivered');

    // Replay one by hand from the list; it keeps its webhook-id.
    await page.getByLabel(`Select delivery ${firstId}`).check();
    await page.getByRole('button', { name: 'Replay selected (1)' }).click();
    await until(() => page.getByText('Queued 1 delivery again.').isVisible()).toBe(true);
    await receiver.waitFor(5, 15_000);
    expect(receiver.requests[4]!.headers['webhook-id']).toBe(firstId);
    await until(() => rowStatus(1)).toBe('delivered');
    await page.getByRole('button', { name: `Attempts of delivery ${firstId}` }).click();
    await until(() => detail.getByTestId('attempt').count()).toBe(2);
    expect(await detail.getByTestId('attempt').nth(1).textContent()).toContain('try 1 after a replay');
    await detail.getByText('Response body (first bytes)').first().click();
    await shot('delivery-detail');
    await page.keyboard.press('Escape');
    await until(() => detail.isVisible()).toBe(false);
    await shot('deliveries');

    // 375 px: nothing wider than the screen.
    await page.setViewportSize({ width: 375, height: 800 });
    await until(() => page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await nav('Subscriptions');
    await until(() => row.isVisible()).toBe(true);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await shot('subscriptions-mobile');
    await page.setViewportSize({ width: 1280, height: 820 });

    // Edit: the model is fixed, the rest changes.
    await page.getByRole('button', { name: `Edit ${NAME}` }).click();
    const edit = page.getByRole('dialog', { name: `Edit “${NAME}”` });
    expect(await edit.getByLabel('Model', { exact: true }).isDisabled()).toBe(true);
    expect(await edit.getByLabel('Domain (optional, JSON)').inputValue()).toContain('nobody-matches-this');
    // An emptied name or timeout is named on its field, not dropped or called too small.
    await edit.getByLabel('Name (optional)').fill('');
    await edit.getByLabel('Timeout (ms)').fill('');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await until(() => edit.getByText(`give it a name (it was “${NAME}”)`).isVisible()).toBe(true);
    expect(await edit.textContent()).toContain('enter the timeout in milliseconds');
    await edit.getByLabel('Name (optional)').fill(NAME);
    await edit.getByLabel('Timeout (ms)').fill('4000');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await until(() => page.getByText(`Saved “${NAME}”.`).isVisible()).toBe(true);
    const stored = await client.call('GET', '/api/v1/subscriptions');
    expect(stored.body.subscriptions[0]).toMatchObject({ name: NAME, timeoutMs: 4000, events: ['create'] });
    expect(stored.body.subscriptions[0].headerNames.map((h: string) => h.toLowerCase())).toEqual(['x-receiver-token']);

    // Rotate: a new secret, shown once; deliveries verify with it.
    await page.getByRole('button', { name: `Rotate the secret of ${NAME}` }).click();
    await page.getByRole('button', { name: 'Rotate secret', exact: true }).click();
    await until(() => page.getByTestId('signing-secret').isVisible()).toBe(true);
    const rotated = await page.getByTestId('signing-secret').inputValue();
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await page.getByRole('button', { name: `Send a test event to ${NAME}` }).click();
    const after = await receiver.waitFor(6, 15_000);
    expect(new Webhook(rotated).verify(after[5]!.rawBody.toString('utf8'), after[5]!.headers as Record<string, string>)).toMatchObject({ type: 'res.partner.test' });

    // The custom headers can be removed (their values are never shown, so an empty box keeps them).
    await page.getByRole('button', { name: `Edit ${NAME}` }).click();
    await edit.getByLabel(/Remove the custom headers/).check();
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await until(() => page.getByText(`Saved “${NAME}”.`).isVisible()).toBe(true);
    expect((await client.call('GET', '/api/v1/subscriptions')).body.subscriptions[0].headerNames).toEqual([]);

    // Delete, after confirming.
    await page.getByRole('button', { name: `Delete ${NAME}` }).click();
    await page.getByRole('dialog', { name: 'Delete subscription?' }).getByRole('button', { name: 'Delete subscription' }).click();
    await until(() => page.getByRole('heading', { name: 'No subscriptions yet' }).isVisible()).toBe(true);

    expect(problems).toEqual([]);
  });

  it('names the app that made a subscription, and shows its id once the app is gone', async () => {
    const db = relay.ctx.storage.db;
    const owner = await db.selectFrom('users').select('id').executeTakeFirstOrThrow();
    const { app } = await createApp(db, relay.ctx.box, { userId: owner.id, name: 'CRM sync', scopes: ['subscriptions'] }, 100);
    const body = { name: 'Made by an app', model: 'res.partner', targetUrl: receiver.url, captureMode: 'poll', events: ['create'] };
    await relay.ctx.events.createSubscription(owner.id, body, app.id);
    await relay.ctx.events.createSubscription(owner.id, { ...body, name: 'Made in the dashboard' }, null);

    await page.reload();
    const made = page.locator('[data-testid=subscriptions-table] tbody tr', { hasText: 'Made by an app' });
    await until(() => made.getByTestId('subscription-app').textContent()).toBe('made by the app “CRM sync”');
    const own = page.locator('[data-testid=subscriptions-table] tbody tr', { hasText: 'Made in the dashboard' });
    expect(await own.getByTestId('subscription-app').count()).toBe(0);

    // Once the app is deleted, its id is all that is left to show.
    await deleteApp(db, app.id, owner.id);
    await page.reload();
    await until(() => made.getByTestId('subscription-app').textContent()).toBe(`made by the app ${app.id}`);
    expect(problems).toEqual([]);
  });
});
