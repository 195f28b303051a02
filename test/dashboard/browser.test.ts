import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { computeHmacHex } from '../../src/auth/hmac.js';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { httpPost } from '../helpers/relay.js';
import { launchChromium, DASHBOARD_PASSWORD, SCREENSHOTS, until, openDashboardPage, startFreshRelay, type FreshRelay } from './helpers.js';

// The committed screenshots change only on purpose: `UPDATE_SCREENSHOTS=1 npx vitest run test/dashboard`.
const PASSWORD = DASHBOARD_PASSWORD;
// Generous: password hashing and a busy CI machine (other test files run in parallel) are slow.

/**
 * The whole first-run journey in a real Chromium against a real relay and the Odoo test server:
 * setup → Odoo connection → API key with HMAC → signed webhook call → request log → revoke.
 * Screenshots of each page (desktop, and 375 px wide) go to docs/screenshots/ with UPDATE_SCREENSHOTS=1.
 */
describe('dashboard in a browser', { timeout: 90_000 }, () => {
  let relay: FreshRelay;
  let sim: OdooSim;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    [relay, sim, browser] = await Promise.all([
      startFreshRelay(),
      startOdooSim({ version: 19, automationNoise: 'none' }),
      launchChromium(),
    ]);
    // CSP violations and script errors surface in `problems`; the dashboard must have none.
    ({ context, page, problems } = await openDashboardPage(browser, { clipboardOrigin: relay.url }));
  });

  afterAll(async () => {
    await browser?.close();
    await relay?.close();
    await sim?.close();
  });

  const shot = (name: string, p: Page = page) => p.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const nav = (label: string) => page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: label }).click();

  it('walks from first-run setup to a revoked key', async () => {
    // First run: no account exists, the setup page shows.
    await page.goto(relay.url);
    await until(() => page.getByRole('heading', { name: 'Welcome to odoo-relay' }).isVisible()).toBe(true);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill('something else!!');
    await page.getByRole('button', { name: 'Create account' }).click();
    await until(() => page.getByText('The two passwords differ').isVisible()).toBe(true);
    await page.getByLabel('Confirm password').fill(PASSWORD);
    await shot('setup');
    await page.getByRole('button', { name: 'Create account' }).click();

    // Odoo connection against the sim: load databases, save, test.
    await until(() => page.getByRole('heading', { name: 'Odoo connection' }).isVisible()).toBe(true);
    expect(new URL(page.url()).pathname).toBe('/connection');
    await page.getByLabel('Odoo URL').fill(sim.url);
    await page.getByRole('button', { name: 'Load databases' }).click();
    await until(() => page.getByLabel('Database').inputValue()).toBe('odoo_demo');
    await page.getByLabel('Login').fill('admin');
    await page.getByLabel('Password or Odoo API key').fill('wrong password');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await until(() => page.getByTestId('connection-test').textContent()).toContain('odoo_auth_failed');
    // Save logs in first: a password Odoo refuses is not saved, and the form says so.
    await page.getByRole('button', { name: 'Save connection' }).click();
    await until(() => page.locator('form .notice-error').textContent()).toContain('odoo_auth_failed');
    expect(await page.locator('form .notice-error').textContent()).toContain('nothing was saved');
    expect(await relay.ctx.storage.db.selectFrom('odoo_connections').select('id').execute()).toEqual([]);
    // An Odoo that cannot be reached cannot say no: the connection is saved, with a visible warning.
    await page.getByLabel('Odoo URL').fill('http://127.0.0.1:9');
    await page.getByLabel('Password or Odoo API key').fill('admin');
    await page.getByRole('button', { name: 'Save connection' }).click();
    await until(() => page.getByTestId('save-warning').textContent()).toContain('odoo_unreachable');
    await page.getByLabel('Odoo URL').fill(sim.url);
    await page.getByLabel('Password or Odoo API key').fill('admin');
    // The concurrency cap: a bad value is named on its field, a good one is saved.
    expect(await page.getByLabel('Max concurrent calls').inputValue()).toBe('4');
    await page.getByLabel('Max concurrent calls').fill('0');
    await page.getByRole('button', { name: 'Save connection' }).click();
    await until(() => page.locator('.field.has-error').filter({ hasText: 'Max concurrent calls' }).count()).toBe(1);
    // Editing the field takes its refusal back: it was about the old value.
    await page.getByLabel('Max concurrent calls').fill('6');
    await until(() => page.locator('.field.has-error').count()).toBe(0);
    await page.getByRole('button', { name: 'Save connection' }).click();
    await until(() => page.getByText('Connection saved').isVisible()).toBe(true);
    expect(await page.getByLabel('Password or Odoo API key').inputValue()).toBe('');
    expect((await relay.ctx.storage.db.selectFrom('odoo_connections').select('max_concurrent').executeTakeFirstOrThrow()).max_concurrent).toBe(6);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await until(() => page.getByTestId('odoo-version').textContent()).toMatch(/^19/);
    expect(Number(await page.getByTestId('odoo-uid').textContent())).toBeGreaterThan(0);
    await shot('connection');

    // API keys: empty state, then generate one with HMAC.
    await nav('API keys');
    await until(() => page.getByRole('heading', { name: 'No API keys yet' }).isVisible()).toBe(true);
    // Keyboard: the dialog opens on Enter with focus inside, Escape closes it and focus returns.
    await page.getByRole('button', { name: 'Generate new API key' }).focus();
    await page.keyboard.press('Enter');
    await until(() => page.evaluate(() => document.activeElement?.closest('dialog')?.getAttribute('open'))).toBe('');
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement).name)).toBe('name');
    await page.keyboard.press('Escape');
    await until(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Generate new API key');
    await page.getByRole('button', { name: 'Generate new API key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Generate new API key' });
    await dialog.getByLabel('Name').fill('n8n production');
    expect(await dialog.getByRole('switch').isChecked()).toBe(true);
    await dialog.getByLabel('Allowed models (optional)').fill('res.partner, sale.*');
    await shot('key-create');
    await dialog.getByRole('button', { name: 'Generate key' }).click();

    const once = page.getByTestId('secret-once');
    await until(() => once.isVisible()).toBe(true);
    const keyField = page.getByTestId('new-api-key');
    await once.getByRole('button', { name: 'Copy' }).first().click();
    const key = await page.evaluate(() => navigator.clipboard.readText());
    expect(key).toMatch(/^sk_live_/);
    expect(key).toBe(await keyField.inputValue());
    const firstHmacSecret = await page.getByTestId('new-hmac-secret').inputValue();
    expect(firstHmacSecret).toMatch(/^hmac_/);
    await shot('key-created');
    await once.getByRole('button', { name: 'I have saved them' }).click();
    const row = page.locator('[data-testid="keys-table"] tbody tr').first();
    await until(() => row.textContent()).toContain('n8n production');
    expect(await page.content()).not.toContain(key);
    await shot('keys');

    // Rotate the HMAC secret from the key's Edit dialog (the seed's path): the new one is shown once.
    await page.getByRole('button', { name: 'Edit n8n production' }).click();
    await page.getByRole('dialog', { name: 'Edit “n8n production”' }).getByRole('button', { name: 'Rotate or turn off…' }).click();
    await page.getByRole('dialog', { name: 'HMAC signature verification' }).getByRole('button', { name: 'Rotate secret' }).click();
    await until(() => page.getByTestId('new-hmac-secret').isVisible()).toBe(true);
    const hmacSecret = await page.getByTestId('new-hmac-secret').inputValue();
    expect(hmacSecret).toMatch(/^hmac_/);
    expect(hmacSecret).not.toBe(firstHmacSecret);
    await page.getByRole('button', { name: 'I have saved it' }).click();

    // n8n's call: the seed's execute_method, signed over the exact body bytes.
    const body = JSON.stringify({
      action: 'execute_method',
      model: 'res.partner',
      method: 'search_read',
      args: [[['is_company', '=', true]]],
      kwargs: { fields: ['name', 'email'], limit: 10 },
    });
    const ok = await httpPost(`${relay.url}/api/n8n/webhook`, body, {
      authorization: `Bearer ${key}`,
      'x-hmac-signature': computeHmacHex(hmacSecret, body),
    });
    expect(ok.status).toBe(200);
    const stale = await httpPost(`${relay.url}/api/n8n/webhook`, body, {
      authorization: `Bearer ${key}`,
      'x-hmac-signature': computeHmacHex(firstHmacSecret, body),
    });
    expect(stale.body.code).toBe('invalid_signature');
    expect(ok.body.success).toBe(true);
    expect(ok.body.result.length).toBeGreaterThan(0);

    // Webhook page: endpoint and snippets for this key.
    await nav('Webhook');
    expect(await page.getByTestId('webhook-endpoint').inputValue()).toBe(`${relay.url}/api/n8n/webhook`);
    await until(() => page.locator('.snippet pre').textContent()).toContain('n8n-nodes-base.crypto');
    const snippet = (await page.locator('.snippet pre').textContent()) ?? '';
    expect(snippet).toContain(`${relay.url}/api/n8n/webhook`);
    expect(snippet).not.toContain(key);
    expect(snippet).not.toContain(hmacSecret);
    await shot('webhook');
    await page.getByRole('tab', { name: 'Python' }).click();
    expect(await page.locator('.snippet pre').textContent()).toContain("separators=(',', ':')");
    await shot('webhook-python');

    // Request log: the call is there, with its detail.
    await nav('Request log');
    // Newest first: the stale-signature refusal, then the signed call.
    const rows = page.locator('[data-testid="log-table"] tbody tr');
    await until(() => rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toContain('invalid_signature');
    const logRow = rows.nth(1);
    expect(await logRow.textContent()).toContain('res.partner.search_read');
    expect(await logRow.textContent()).toContain('200');
    await shot('request-log');
    await logRow.getByRole('button', { name: /Details/ }).click();
    await until(() => page.getByTestId('log-detail').textContent()).toContain(ok.headers['x-request-id'] as string);
    await shot('request-detail');
    await page.keyboard.press('Escape');

    // Filter that matches nothing shows its own empty state.
    await page.getByLabel('Model').fill('sale.order');
    await page.getByRole('button', { name: 'Apply' }).click();
    await until(() => page.getByRole('heading', { name: 'No requests match these filters' }).isVisible()).toBe(true);

    // REST calls are logged as rest.* actions, and the Action filter offers each of them.
    expect(await page.locator('.page-header .intro').textContent()).toContain('/api/v1/models/');
    const actions = await page.getByLabel('Action').locator('option').allTextContents();
    expect(actions).toEqual(expect.arrayContaining(['execute_method', 'chat', 'rest.list', 'rest.get', 'rest.create', 'rest.update', 'rest.delete', 'rest.method']));
    const listed = await page.evaluate(async () => (await fetch('/api/v1/models/res.partner?limit=1')).status);
    expect(listed).toBe(200);
    await page.getByLabel('Model').fill('');
    await page.getByLabel('Action').selectOption('rest.list');
    await page.getByRole('button', { name: 'Apply' }).click();
    await until(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('rest.list');
    // The applied filters are the page's URL: Back and Forward move between them, a reload keeps them.
    expect(new URL(page.url()).search).toBe('?action=rest.list');
    await page.goBack();
    await until(() => page.getByLabel('Model').inputValue()).toBe('sale.order');
    await until(() => page.getByRole('heading', { name: 'No requests match these filters' }).isVisible()).toBe(true);
    await page.goForward();
    await until(() => rows.count()).toBe(1);
    await page.reload();
    await until(() => page.getByLabel('Action').inputValue()).toBe('rest.list');
    await until(() => rows.count()).toBe(1);
    // Back then Forward at once, the first page's answer held back: the rows shown are those of
    // the filters on screen, not of the answer that came last.
    let heldOnce = false;
    await page.route('**/api/dashboard/request-log?*model=sale.order*', async (route) => {
      if (!heldOnce) {
        heldOnce = true;
        await new Promise((r) => setTimeout(r, 1_000));
      }
      await route.continue();
    });
    await page.goBack();
    await page.goForward();
    await until(() => page.getByLabel('Action').inputValue()).toBe('rest.list');
    await new Promise((r) => setTimeout(r, 1_300));
    expect(await rows.count()).toBe(1);
    expect(await page.getByRole('heading', { name: 'No requests match these filters' }).count()).toBe(0);
    await page.unroute('**/api/dashboard/request-log?*model=sale.order*');

    // Revoke with confirmation; the next call is refused.
    // With the keyboard: the row's buttons go away with the revocation, so the focus goes to the
    // page title instead of falling to <body>.
    await nav('API keys');
    await page.getByRole('button', { name: 'Revoke n8n production' }).focus();
    await page.keyboard.press('Enter');
    const confirm = page.getByRole('dialog', { name: 'Revoke API key?' });
    await until(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Revoke key');
    await page.keyboard.press('Enter');
    await until(() => page.locator('[data-testid="keys-table"] tbody tr').first().textContent()).toContain('Revoked');
    expect(await confirm.isVisible()).toBe(false);
    await until(() => page.evaluate(() => `${document.activeElement?.tagName} ${document.activeElement?.textContent}`)).toBe('H1 API keys');
    const refused = await httpPost(`${relay.url}/api/n8n/webhook`, body, {
      authorization: `Bearer ${key}`,
      'x-hmac-signature': computeHmacHex(hmacSecret, body),
    });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('api_key_revoked');

    // The refusal shows in the log too: the key's own requests, from its row (revoked keys keep the link).
    await page.getByRole('link', { name: 'Requests made with n8n production' }).click();
    await until(() => rows.count()).toBe(3);
    expect(await rows.first().textContent()).toContain('api_key_revoked');
    expect(new URL(page.url()).searchParams.get('apiKeyId')).toMatch(/^key_/);
    expect(await page.getByLabel('API key').inputValue()).toBe(new URL(page.url()).searchParams.get('apiKeyId'));

    // Account page, then log out and back in.
    await page.getByRole('link', { name: /admin/ }).click();
    await until(() => page.getByRole('heading', { name: 'Change password' }).isVisible()).toBe(true);
    await shot('account');
    const NEW_PASSWORD = 'a brand new passphrase';
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await until(() => page.getByText('Password changed').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Log out' }).click();
    await until(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await until(() => page.getByRole('alert').first().textContent()).toContain('invalid_credentials');
    await shot('login');
    await page.getByLabel('Password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await until(() => page.getByRole('heading', { name: 'Odoo connection' }).isVisible()).toBe(true);

    expect(problems).toEqual([]);
  });

  it('works 375 px wide', async () => {
    const mobile = await context.newPage();
    mobile.on('pageerror', (e) => problems.push(String(e)));
    await mobile.setViewportSize({ width: 375, height: 812 });
    for (const [pathname, name, heading] of [
      ['/keys', 'keys-mobile', 'API keys'],
      ['/connection', 'connection-mobile', 'Odoo connection'],
      ['/logs', 'request-log-mobile', 'Request log'],
      ['/webhook', 'webhook-mobile', 'Webhook'],
      ['/account', 'account-mobile', 'Account'],
    ] as const) {
      await mobile.goto(relay.url + pathname);
      await until(() => mobile.getByRole('heading', { name: heading, exact: true }).isVisible()).toBe(true);
      await mobile.waitForLoadState('networkidle');
      // Nothing may force a horizontal scroll of the page.
      const overflow = await mobile.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, pathname).toBeLessThanOrEqual(0);
      await shot(name, mobile);
    }
    await mobile.close();
    expect(problems).toEqual([]);
  });
});
