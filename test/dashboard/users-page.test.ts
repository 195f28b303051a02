import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createUser } from '../../src/auth/users.js';
import { createApiKey } from '../../src/auth/api-keys.js';
import { httpPost } from '../helpers/relay.js';
import { DashboardClient, DASHBOARD_PASSWORD, launchChromium, openDashboardPage, SCREENSHOTS, startFreshRelay, until, type FreshRelay } from './helpers.js';

const ADMIN_PASSWORD = DASHBOARD_PASSWORD;
const NEW_PASSWORD = 'welcome aboard, colleague';

/**
 * The Users page in a real Chromium against a real relay: an administrator adds a colleague,
 * resets their password, disables and deletes them through the confirmation dialogs; a plain
 * user sees no Users entry. Screenshots go to docs/screenshots/ with UPDATE_SCREENSHOTS=1.
 */
describe('Users page in a browser', { timeout: 90_000 }, () => {
  let relay: FreshRelay;
  let browser: Browser;

  beforeAll(async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    [relay, browser] = await Promise.all([startFreshRelay(), launchChromium()]);
    // The first-run setup makes `admin`, as an operator's would (and as the screenshots show).
    const setup = await new DashboardClient(relay.url).call('POST', '/api/auth/setup', { username: 'admin', password: ADMIN_PASSWORD });
    expect(setup.status, setup.text).toBe(200);
  });
  afterAll(async () => {
    await browser?.close();
    await relay?.close();
  });

  const shot = (p: Page, name: string) => p.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const nav = (p: Page) => p.getByRole('navigation', { name: 'Dashboard' });

  async function signIn(p: Page, username: string, password: string) {
    await p.goto(relay.url);
    await until(() => p.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
    await p.getByLabel('Username').fill(username);
    await p.getByLabel('Password').fill(password);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await until(() => p.getByRole('heading', { name: 'Odoo connection' }).isVisible()).toBe(true);
  }

  it('lets an administrator add a user, reset their password, disable and delete them', async () => {
    const { page, problems } = await openDashboardPage(browser);
    const db = relay.ctx.storage.db;
    const admin = 'admin';
    await signIn(page, admin, ADMIN_PASSWORD);
    await nav(page).getByRole('link', { name: 'Users' }).click();
    await until(() => page.getByRole('heading', { name: 'Users', exact: true }).isVisible()).toBe(true);
    expect(new URL(page.url()).pathname).toBe('/users');
    const rowOf = (name: string) => page.locator('[data-testid="users-table"] tbody tr').filter({ has: page.getByRole('rowheader', { name: new RegExp(`^${name}`) }) });
    await until(() => rowOf(admin).count()).toBe(1);
    // The signed-in admin's own row offers nothing that could lock them out.
    expect(await rowOf(admin).textContent()).toContain('you');
    expect(await rowOf(admin).getByRole('button').count()).toBe(0);

    // Add a user: a weak password is refused on its field, then the account is created.
    await page.getByRole('button', { name: 'Add user' }).click();
    const create = page.getByRole('dialog', { name: 'Add user' });
    await until(() => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('username');
    await create.getByLabel('Username').fill('colleague');
    await create.getByLabel('Password', { exact: true }).fill('short');
    await create.getByLabel('Confirm password').fill('short');
    await create.getByRole('button', { name: 'Create user' }).click();
    await until(() => create.locator('.field.has-error').filter({ hasText: 'at least 10 characters' }).count()).toBe(1);
    await until(() => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('password');
    await create.getByLabel('Password', { exact: true }).fill('a first password here');
    await create.getByLabel('Confirm password').fill('a first password here');
    expect(await create.getByLabel('Role').inputValue()).toBe('user');
    await shot(page, 'user-create');
    await create.getByRole('button', { name: 'Create user' }).click();
    await until(() => page.getByText('Created user “colleague”').isVisible()).toBe(true);
    expect(await create.isVisible()).toBe(false);
    await until(() => rowOf('colleague').count()).toBe(1);
    const colleague = await db.selectFrom('users').select(['id', 'role', 'disabled_at']).where('username', '=', 'colleague').executeTakeFirstOrThrow();
    expect(colleague).toMatchObject({ role: 'user', disabled_at: null });
    expect(await rowOf('colleague').textContent()).toContain('Enabled');

    // Reset their password: their session ends, the new password signs in.
    const theirs = new DashboardClient(relay.url);
    await theirs.login('colleague', 'a first password here');
    await page.getByRole('button', { name: 'Reset the password of colleague' }).click();
    const reset = page.getByRole('dialog', { name: 'Reset the password of “colleague”' });
    expect(await reset.textContent()).toContain('Every session of this user ends');
    await reset.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await reset.getByLabel('Confirm new password').fill(NEW_PASSWORD);
    await reset.getByRole('button', { name: 'Set password' }).click();
    await until(() => page.getByText('Password of “colleague” set; their sessions have ended').isVisible()).toBe(true);
    expect((await theirs.call('GET', '/api/auth/me')).body.code).toBe('session_expired');
    await theirs.login('colleague', NEW_PASSWORD);

    // Disable, after a confirmation: their API key is refused, the row says since when.
    const { key } = await createApiKey(db, relay.ctx.box, { userId: colleague.id, name: 'their key' }, 100);
    await page.getByRole('button', { name: 'Disable colleague' }).click();
    const disable = page.getByRole('dialog', { name: 'Disable user?' });
    expect(await disable.textContent()).toContain('403 account_disabled');
    await disable.getByRole('button', { name: 'Disable user' }).click();
    await until(() => page.getByText('Disabled “colleague”: 1 session ended, 0 subscriptions paused.').isVisible()).toBe(true);
    await until(() => rowOf('colleague').textContent()).toContain('Disabled');
    expect(await rowOf('colleague').textContent()).toContain('since');
    expect(await page.getByRole('button', { name: 'Enable colleague' }).isVisible()).toBe(true);
    expect((await db.selectFrom('users').select('disabled_at').where('id', '=', colleague.id).executeTakeFirstOrThrow()).disabled_at).toEqual(expect.any(Number));
    const refused = await httpPost(`${relay.url}/api/n8n/webhook`, { action: 'get_config' }, { authorization: `Bearer ${key}` });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('account_disabled');
    await shot(page, 'users');

    // Delete through the confirmation, which says what goes with the account.
    await page.getByRole('button', { name: 'Delete colleague' }).click();
    const del = page.getByRole('dialog', { name: 'Delete user?' });
    await until(() => del.getByTestId('delete-holdings').textContent()).toContain('1 API key');
    expect(await del.getByTestId('delete-holdings').textContent()).toContain('0 Odoo connections');
    // A destructive dialog opens with the focus on Cancel.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await shot(page, 'user-delete');
    await del.getByRole('button', { name: 'Delete user' }).click();
    await until(() => page.getByText('Deleted “colleague” and what they owned.').isVisible()).toBe(true);
    await until(() => rowOf('colleague').count()).toBe(0);
    // The row's buttons went with it: the focus is on the page title, not lost to <body>.
    await until(() => page.evaluate(() => `${document.activeElement?.tagName} ${document.activeElement?.textContent}`)).toBe('H1 Users');
    expect(await db.selectFrom('users').select('id').where('id', '=', colleague.id).executeTakeFirst()).toBeUndefined();
    expect(await db.selectFrom('api_keys').select('id').where('user_id', '=', colleague.id).execute()).toEqual([]);
    expect((await httpPost(`${relay.url}/api/n8n/webhook`, { action: 'get_config' }, { authorization: `Bearer ${key}` })).body.code).toBe('invalid_api_key');

    // A user another administrator deleted meanwhile: the refusal shows in the dialog, and
    // closing it leaves the list as it is now.
    const { createUser } = await import('../../src/auth/users.js');
    const ghost = await createUser(db, { username: 'ghost', password: ADMIN_PASSWORD, role: 'user' });
    await page.reload();
    await until(() => rowOf('ghost').count()).toBe(1);
    await db.deleteFrom('users').where('id', '=', ghost.id).execute();
    await page.getByRole('button', { name: 'Disable ghost' }).click();
    const disableGhost = page.getByRole('dialog', { name: 'Disable user?' });
    await disableGhost.getByRole('button', { name: 'Disable user' }).click();
    await until(() => disableGhost.textContent()).toContain('not_found');
    await page.keyboard.press('Escape');
    await until(() => rowOf('ghost').count()).toBe(0);

    // 375 px wide: the table turns into cards, nothing forces a horizontal scroll.
    await page.setViewportSize({ width: 375, height: 812 });
    await page.reload();
    await until(() => page.locator('[data-testid="users-table"] tbody tr').allTextContents()).toEqual([expect.stringContaining('admin')]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);

    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('shows a plain user no Users entry, and the page says it is for administrators', async () => {
    await createUser(relay.ctx.storage.db, { username: 'plain', password: ADMIN_PASSWORD, role: 'user' });
    const { page, problems } = await openDashboardPage(browser);
    await signIn(page, 'plain', ADMIN_PASSWORD);
    await until(() => nav(page).getByRole('link', { name: 'API keys' }).isVisible()).toBe(true);
    expect(await nav(page).getByRole('link', { name: 'Users' }).count()).toBe(0);
    await page.goto(`${relay.url}/users`);
    await until(() => page.getByText('Only administrators manage users.').isVisible()).toBe(true);
    expect(await page.locator('[data-testid="users-table"]').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('takes the Users page away from an administrator demoted by another while it is open', async () => {
    const { setUserRole } = await import('../../src/auth/user-admin.js');
    const storage = relay.ctx.storage;
    const second = await createUser(storage.db, { username: 'second-admin', password: ADMIN_PASSWORD, role: 'admin' });
    const { page, problems } = await openDashboardPage(browser);
    await signIn(page, 'second-admin', ADMIN_PASSWORD);
    await nav(page).getByRole('link', { name: 'Users' }).click();
    await until(() => page.getByRole('button', { name: 'Disable plain' }).isVisible()).toBe(true);
    await setUserRole(storage, second.id, 'user');
    await page.getByRole('button', { name: 'Disable plain' }).click();
    await page.getByRole('dialog', { name: 'Disable user?' }).getByRole('button', { name: 'Disable user' }).click();
    // Refused admin_required: the page now shows the account as it is.
    await until(() => page.getByText('Only administrators manage users.').isVisible()).toBe(true);
    expect(await nav(page).getByRole('link', { name: 'Users' }).count()).toBe(0);
    expect((await storage.db.selectFrom('users').select('disabled_at').where('username', '=', 'plain').executeTakeFirstOrThrow()).disabled_at).toBeNull();
    expect(problems).toEqual([]);
    await page.context().close();
  });
});
