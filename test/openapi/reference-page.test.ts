import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { httpGet } from '../helpers/relay.js';
import { launchChromium, DASHBOARD_PASSWORD, until, openDashboardPage, startFreshRelay, type FreshRelay } from '../dashboard/helpers.js';

const PASSWORD = DASHBOARD_PASSWORD;

/** The dashboard's API reference page in a real Chromium: the relay's own OpenAPI document, rendered without errors. */
describe('API reference page in a browser', { timeout: 90_000 }, () => {
  let relay: FreshRelay;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];

  beforeAll(async () => {
    [relay, browser] = await Promise.all([startFreshRelay(), launchChromium()]);
    ({ page, problems } = await openDashboardPage(browser));
  });
  afterAll(async () => {
    await browser?.close();
    await relay?.close();
  });

  it('renders tags, operations with anchors, parameters, bodies, responses and scopes', async () => {
    await page.goto(relay.url);
    await until(() => page.getByRole('heading', { name: 'Welcome to odoo-relay' }).isVisible()).toBe(true);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await until(() => page.getByRole('heading', { name: 'Odoo connection' }).isVisible()).toBe(true);

    await page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: 'API reference' }).click();
    await until(() => page.getByRole('heading', { name: 'API reference', level: 1 }).isVisible()).toBe(true);
    expect(new URL(page.url()).pathname).toBe('/api-reference');

    // One article per operation in the document.
    const doc = (await httpGet(`${relay.url}/api/openapi.json`)).body;
    const expected = Object.values<Record<string, unknown>>(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    await until(() => page.getByTestId('api-operation').count()).toBe(expected);
    for (const tag of ['Webhook', 'Models', 'Subscriptions', 'Operations']) {
      expect(await page.getByRole('heading', { name: tag, level: 2 }).isVisible(), tag).toBe(true);
    }

    // The list operation: anchor, parameters, scopes, responses with the error codes.
    const list = page.locator('#listRecords');
    expect(await list.locator('h3').textContent()).toContain('/api/v1/models/{model}');
    expect(await list.getByRole('row', { name: /domain/ }).count()).toBe(1);
    expect(await list.textContent()).toContain('OAuth 2.0 (scope read)');
    expect(await list.textContent()).toContain('odoo_unknown_model');
    // The webhook body shows its four actions.
    const webhook = page.locator('#webhook');
    for (const action of ['"execute_method"', '"chat"', '"get_config"', '"test_connection"']) expect(await webhook.textContent()).toContain(action);

    // The table of contents links to the anchors.
    await page.getByRole('navigation', { name: 'API operations' }).getByRole('link', { name: /DELETE \/api\/v1\/models\/\{model\}\/\{id\}/ }).click();
    expect(new URL(page.url()).hash).toBe('#deleteRecord');
    await until(() => page.locator('#deleteRecord').isVisible()).toBe(true);

    // A deep link straight to an operation loads the page there.
    await page.goto(`${relay.url}/api-reference#callMethod`);
    await until(() => page.locator('#callMethod').isVisible()).toBe(true);
    expect(await page.locator('#callMethod').textContent()).toContain('(optional)');

    if (process.env.API_REFERENCE_SHOT) await page.screenshot({ path: process.env.API_REFERENCE_SHOT, fullPage: false });
    expect(problems).toEqual([]);
  });
});
