import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { launchChromium, DASHBOARD_PASSWORD, until, openDashboardPage, setUpAdminAndOdoo, startFreshRelay, type FreshRelay } from './helpers.js';

/**
 * A session that ends while the dashboard is in use: the user is told, signs in again in place,
 * and finds the page and what they typed as they left them (or, when only a page load was refused,
 * the page loaded again).
 */
describe('session expiry in a browser', { timeout: 90_000 }, () => {
  let relay: FreshRelay;
  let sim: OdooSim;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];

  beforeAll(async () => {
    [relay, sim, browser] = await Promise.all([startFreshRelay(), startOdooSim({ version: 19, automationNoise: 'none' }), launchChromium()]);
    ({ page, problems } = await openDashboardPage(browser));
  });
  afterAll(async () => {
    await browser?.close();
    await relay?.close();
    await sim?.close();
  });

  const expireSessions = () => relay.ctx.storage.db.updateTable('sessions').set({ expires_at: 1 }).execute();
  const nav = (label: string) => page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: label }).click();
  const signInAgain = async () => {
    const again = page.getByRole('dialog', { name: 'Your session expired' });
    await until(() => again.isVisible()).toBe(true);
    expect(await again.getByLabel('Username').inputValue()).toBe('admin');
    // The username is known: the password field has the focus.
    await until(() => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('password');
    await again.getByLabel('Password').fill(DASHBOARD_PASSWORD);
    await again.getByRole('button', { name: 'Sign in' }).click();
    await until(() => again.isVisible()).toBe(false);
  };

  it('keeps the connection form as typed, and saves it after signing in again', async () => {
    await setUpAdminAndOdoo(page, relay.url, DASHBOARD_PASSWORD, sim.url, until);
    await page.reload();
    await until(() => page.getByLabel('Timeout (seconds)').inputValue()).toBe('30');
    await page.getByLabel('Timeout (seconds)').fill('45');
    await expireSessions();
    await page.getByRole('button', { name: 'Save connection' }).click();
    const again = page.getByRole('dialog', { name: 'Your session expired' });
    await until(() => again.isVisible()).toBe(true);
    expect(await again.textContent()).toContain('what you typed stays');
    // The form is still there under the dialog, as typed, and shows no error of its own.
    expect(await page.getByLabel('Timeout (seconds)').inputValue()).toBe('45');
    expect(await page.locator('form.card .notice-error').count()).toBe(0);
    await signInAgain();
    expect(await page.getByLabel('Timeout (seconds)').inputValue()).toBe('45');
    // The focus is back on the button the user pressed, to press it again.
    await until(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Save connection');
    await page.getByRole('button', { name: 'Save connection' }).click();
    await until(() => page.getByText('Connection saved').isVisible()).toBe(true);
    expect((await relay.ctx.storage.db.selectFrom('odoo_connections').select('timeout_ms').executeTakeFirstOrThrow()).timeout_ms).toBe(45_000);
  });

  it('keeps an open dialog and its input, and generates the key after signing in again', async () => {
    await nav('API keys');
    await page.getByRole('button', { name: 'Generate new API key' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Generate new API key' });
    await dialog.getByLabel('Name').fill('typed before expiry');
    await dialog.getByLabel('Allowed models (optional)').fill('res.partner');
    await expireSessions();
    await dialog.getByRole('button', { name: 'Generate key' }).click();
    await signInAgain();
    expect(await dialog.isVisible()).toBe(true);
    expect(await dialog.getByLabel('Name').inputValue()).toBe('typed before expiry');
    expect(await dialog.locator('.notice-error').count()).toBe(0);
    await until(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Generate key');
    await page.keyboard.press('Enter');
    await until(() => page.getByTestId('secret-once').isVisible()).toBe(true);
    await page.getByRole('button', { name: /I have saved/ }).click();
    const row = page.locator('[data-testid="keys-table"] tbody tr').first();
    await until(() => row.textContent()).toContain('typed before expiry');
    expect(await row.textContent()).toContain('res.partner');
  });

  it('loads a page again whose data was refused, once signed in', async () => {
    await expireSessions();
    await nav('Request log');
    await signInAgain();
    await until(() => page.locator('[data-testid="log-table"], .card.empty').count()).toBe(1);
    expect(new URL(page.url()).pathname).toBe('/logs');
  });

  it('says why on the sign-in page when the session ran out while the dashboard was closed', async () => {
    await expireSessions();
    await page.reload();
    await until(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(await page.locator('main').textContent()).toContain('Your session expired');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(DASHBOARD_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await until(() => page.getByRole('heading', { name: 'Request log' }).isVisible()).toBe(true);
    expect(problems).toEqual([]);
  });

  /** Signs in from another tab of the same browser: the session (and its CSRF token) this page holds is replaced. */
  const signInFromAnotherTab = async (username: string, password: string) => {
    const other = await page.context().newPage();
    await other.goto(`${relay.url}/account`);
    const answer = await other.evaluate(
      async ([u, p]) => {
        const r = await fetch('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u, password: p }) });
        return `${r.status} ${await r.text()}`;
      },
      [username, password] as const,
    );
    expect(answer).toMatch(/^200 /);
    await other.close();
  };
  const keyRows = () => page.locator('[data-testid="keys-table"] tbody tr').allTextContents();

  it('goes on working after another tab signed in again as the same account (a fresh CSRF token, fetched once)', async () => {
    await nav('API keys');
    await until(() => page.locator('[data-testid="keys-table"]').count()).toBe(1);
    await signInFromAnotherTab('admin', DASHBOARD_PASSWORD);
    await page.getByRole('button', { name: 'Generate new API key' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Generate new API key' });
    await dialog.getByLabel('Name').fill('after the other tab');
    await dialog.getByRole('button', { name: 'Generate key' }).click();
    await until(() => page.getByTestId('secret-once').isVisible()).toBe(true);
    await page.getByRole('button', { name: /I have saved/ }).click();
    await until(keyRows).toContainEqual(expect.stringContaining('after the other tab'));
  });

  it('logs out for real when its CSRF token went stale in another tab', async () => {
    await signInFromAnotherTab('admin', DASHBOARD_PASSWORD);
    await page.getByRole('button', { name: 'Log out' }).click();
    await until(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
    // The browser's session ended too: reloading does not sign anyone back in.
    expect(await relay.ctx.storage.db.selectFrom('sessions').select('id_hash').where('expires_at', '>', Date.now()).execute()).toEqual([]);
    await page.reload();
    await until(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
  });

  it("shows the other account, not this one's name over its data, when another tab signed in as someone else", async () => {
    const { createUser } = await import('../../src/auth/users.js');
    await createUser(relay.ctx.storage.db, { username: 'bob', password: DASHBOARD_PASSWORD, role: 'user' });
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(DASHBOARD_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await nav('API keys');
    await until(keyRows).toContainEqual(expect.stringContaining('after the other tab'));
    await signInFromAnotherTab('bob', DASHBOARD_PASSWORD);
    await page.getByRole('button', { name: 'Generate new API key' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Generate new API key' });
    await dialog.getByLabel('Name').fill('meant for admin');
    await dialog.getByRole('button', { name: 'Generate key' }).click();
    // Nothing was created for either account; the page now shows bob, with bob's (no) keys.
    await until(() => page.locator('.user-name').textContent()).toBe('bob');
    await until(() => page.getByRole('dialog', { name: 'Generate new API key' }).count()).toBe(0);
    expect(await page.locator('[data-testid="keys-table"]').count()).toBe(0);
    const names = (await relay.ctx.storage.db.selectFrom('api_keys').select('name').execute()).map((k) => k.name);
    expect(names).not.toContain('meant for admin');
  });

  it('asks nothing as the other account when another tab signed in as someone else while Chat was open', async () => {
    await signInFromAnotherTab('admin', DASHBOARD_PASSWORD);
    await page.reload();
    await until(() => page.locator('.user-name').textContent()).toBe('admin');
    await nav('Chat');
    await page.getByRole('textbox').first().fill('Create a partner called Tab Trouble');
    await signInFromAnotherTab('bob', DASHBOARD_PASSWORD);
    await relay.ctx.requestLog.flush();
    const lastId = (await relay.ctx.storage.db.selectFrom('request_log').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow()).id ?? 0;
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await until(() => page.locator('.user-name').textContent()).toBe('bob');
    await relay.ctx.requestLog.flush();
    // The one webhook request sent was refused for its token (before its body was read): no chat ran for bob.
    const since = await relay.ctx.storage.db.selectFrom('request_log').select(['action', 'code']).where('id', '>', Number(lastId)).execute();
    expect(since).toContainEqual({ action: null, code: 'csrf_failed' });
    expect(since.filter((r) => r.action === 'chat')).toEqual([]);
  });

  it('gives a chat question back to its box when the session ended before it was asked', async () => {
    await nav('Chat');
    const box = page.getByRole('textbox').first();
    await box.fill('How many customers do we have?');
    await expireSessions();
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    const again = page.getByRole('dialog', { name: 'Your session expired' });
    await until(() => again.isVisible()).toBe(true);
    await again.getByLabel('Password').fill(DASHBOARD_PASSWORD);
    await again.getByRole('button', { name: 'Sign in' }).click();
    await until(() => again.isVisible()).toBe(false);
    expect(await box.inputValue()).toBe('How many customers do we have?');
    expect(await page.locator('main').textContent()).not.toContain('session_expired');
    expect(problems).toEqual([]);
  });
});
