import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import * as oauth from 'oauth4webapi';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { httpPost } from '../helpers/relay.js';
import { launchChromium, DASHBOARD_PASSWORD, until, openDashboardPage, setUpAdminAndOdoo, startFreshRelay, type FreshRelay } from '../dashboard/helpers.js';

const PASSWORD = DASHBOARD_PASSWORD;
const INSECURE = { [oauth.allowInsecureRequests]: true } as const;
// Look at them when changing the pages: written to the temp dir, not committed.
const SHOTS = path.join(os.tmpdir(), 'odoo-relay-apps-screenshots');

/** A stand-in for the third-party app's callback: records where the browser was sent back to. */
async function startCallbackServer() {
  const hits: URL[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, `http://${req.headers.host}`);
    // Chromium also asks for /favicon.ico; only the redirects back count.
    if (url.pathname === '/callback') hits.push(url);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Callback</title><h1>Back at the app</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  return { url, hits, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * The Apps page and the consent page in Chromium: register an app (secrets shown once), run
 * code + PKCE with oauth4webapi as the app while a signed-out browser logs in and approves,
 * use the token on the webhook against the Odoo test server, then deny, revoke access, edit,
 * rotate and delete from the page.
 */
describe('apps and consent pages in a browser', { timeout: 120_000 }, () => {
  let relay: FreshRelay;
  let sim: OdooSim;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let callback: Awaited<ReturnType<typeof startCallbackServer>>;

  beforeAll(async () => {
    [relay, sim, browser, callback] = await Promise.all([
      startFreshRelay(),
      startOdooSim({ version: 18, automationNoise: 'none' }),
      launchChromium(),
      startCallbackServer(),
    ]);
    ({ page, problems } = await openDashboardPage(browser, { clipboardOrigin: relay.url }));
  });
  afterAll(async () => {
    await browser?.close();
    await relay?.close();
    await sim?.close();
    await callback?.close();
  });

  const nav = (label: string) => page.getByRole('navigation', { name: 'Dashboard' }).getByRole('link', { name: label }).click();

  it('registers an app, authorizes it through login + consent, uses the token, and manages it', async () => {
    await setUpAdminAndOdoo(page, relay.url, PASSWORD, sim.url, until);
    // Register: the secrets appear once, with copy buttons.
    await nav('Apps');
    await until(() => page.getByRole('heading', { name: 'Apps', level: 1 }).isVisible()).toBe(true);
    expect(await page.getByRole('navigation', { name: 'Dashboard' }).getByText('Apps soon').count()).toBe(0);
    await page.getByRole('button', { name: 'Register your first app' }).click();
    const form = page.getByRole('dialog', { name: 'Register new app' });
    await form.getByLabel('Name').fill('Acme sync');
    await form.getByLabel('Redirect URIs').fill(callback.url);
    await form.getByRole('checkbox', { name: /webhook/ }).check();
    await form.getByRole('button', { name: 'Register app' }).click();
    const once = page.getByTestId('app-secrets-once');
    await until(() => once.isVisible()).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'app-secrets.png'), fullPage: true });
    const clientId = await page.getByTestId('client-id').inputValue();
    const clientSecret = await page.getByTestId('client-secret').inputValue();
    expect(clientId).toMatch(/^client_/);
    expect(clientSecret).toMatch(/^cs_/);
    expect(await page.getByTestId('consumer-secret').inputValue()).toMatch(/^ck_secret_/);
    await once.getByRole('button', { name: 'Copy' }).nth(1).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(clientSecret);
    await page.getByRole('button', { name: 'I have saved them' }).click();
    const row = page.getByTestId('apps-table').getByRole('row', { name: /Acme sync/ });
    await until(() => row.isVisible()).toBe(true);
    expect(await page.content()).not.toContain(clientSecret);

    // The app starts the flow; a signed-out browser lands on the login page, then on consent.
    const issuer = new URL(relay.url);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...INSECURE, algorithm: 'oauth2' }));
    const client: oauth.Client = { client_id: clientId };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const authorizeUrl = new URL(as.authorization_endpoint!);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: callback.url,
      scope: 'read webhook',
      state,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }))
      authorizeUrl.searchParams.set(k, v);

    const visitor = await openDashboardPage(browser);
    const v = visitor.page;
    await v.goto(authorizeUrl.toString());
    await until(() => v.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
    expect(new URL(v.url()).pathname).toBe('/oauth/consent');
    await v.getByLabel('Username').fill('admin');
    await v.getByLabel('Password').fill(PASSWORD);
    await v.getByRole('button', { name: 'Sign in' }).click();
    await until(() => v.getByRole('heading', { name: 'Authorize Acme sync?' }).isVisible()).toBe(true);
    expect(await v.getByText('registered by admin').isVisible()).toBe(true);
    await v.screenshot({ path: path.join(SHOTS, 'consent.png'), fullPage: true });
    expect((await v.getByTestId('consent-scopes').innerText()).replace(/\s+/g, ' ')).toMatch(/^read — .*webhook — /);
    await v.getByRole('button', { name: 'Approve' }).click();
    await until(() => callback.hits.length).toBe(1);
    await until(() => v.getByRole('heading', { name: 'Back at the app' }).isVisible()).toBe(true);

    const params = oauth.validateAuthResponse(as, client, callback.hits[0]!, state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretBasic(clientSecret), params, callback.url, verifier, INSECURE),
    );
    expect(tokens.scope).toBe('read webhook');
    const call = await httpPost(`${relay.url}/api/n8n/webhook`, { action: 'execute_method', model: 'res.partner', method: 'search_count', args: [[]] }, { authorization: `Bearer ${tokens.access_token}` });
    expect(call.status).toBe(200);
    expect(call.body.result).toBeGreaterThan(0);

    // Deny: back to the app with access_denied, no code.
    await v.goto(authorizeUrl.toString());
    await until(() => v.getByRole('button', { name: 'Deny' }).isVisible()).toBe(true);
    await v.getByRole('button', { name: 'Deny' }).click();
    await until(() => callback.hits.length).toBe(2);
    expect(callback.hits[1]!.searchParams.get('error')).toBe('access_denied');
    expect(callback.hits[1]!.searchParams.get('state')).toBe(state);
    expect(callback.hits[1]!.searchParams.get('code')).toBeNull();
    expect(visitor.problems).toEqual([]);
    await visitor.context.close();

    // The admin's Apps page lists the authorization; revoking it kills the token.
    await page.reload();
    const grant = page.getByTestId('authorized-table').getByRole('row', { name: /Acme sync/ });
    await until(() => grant.isVisible()).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, 'apps.png'), fullPage: true });
    await grant.getByRole('button', { name: 'Revoke access of Acme sync' }).click();
    await page.getByRole('dialog', { name: 'Revoke access?' }).getByRole('button', { name: 'Revoke access' }).click();
    await until(() => page.getByText('Revoked the access of “Acme sync”.').isVisible()).toBe(true);
    const refused = await httpPost(`${relay.url}/api/n8n/webhook`, { action: 'get_config' }, { authorization: `Bearer ${tokens.access_token}` });
    expect(refused.body.code).toBe('invalid_token');
    await until(() => page.getByTestId('authorized-table').count()).toBe(0);

    // Edit, rotate (new secrets once; the old one is refused), delete with confirmation.
    await row.getByRole('button', { name: 'Edit Acme sync' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit “Acme sync”' });
    await edit.getByLabel('Name').fill('Acme sync v2');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    const renamed = page.getByTestId('apps-table').getByRole('row', { name: /Acme sync v2/ });
    await until(() => renamed.isVisible()).toBe(true);

    await renamed.getByRole('button', { name: 'Rotate secrets of Acme sync v2' }).click();
    await page.getByRole('dialog', { name: 'Rotate secrets?' }).getByRole('button', { name: 'Rotate secrets' }).click();
    await until(() => page.getByTestId('app-secrets-once').isVisible()).toBe(true);
    const rotated = await page.getByTestId('client-secret').inputValue();
    expect(rotated).not.toBe(clientSecret);
    await page.getByRole('button', { name: 'I have saved them' }).click();
    const stale = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(clientSecret), {}, INSECURE);
    expect(stale.status).toBe(401);
    const fresh = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(rotated), {}, INSECURE);
    expect(fresh.status).toBe(200);

    await renamed.getByRole('button', { name: 'Delete Acme sync v2' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete app?' });
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await renamed.isVisible()).toBe(true);
    await renamed.getByRole('button', { name: 'Delete Acme sync v2' }).click();
    await confirm.getByRole('button', { name: 'Delete app' }).click();
    await until(() => page.getByRole('heading', { name: 'No apps registered' }).isVisible()).toBe(true);
    expect(problems).toEqual([]);
  });

  it('the consent page explains an unknown request, and /oauth/authorize shows bad clients an error page', async () => {
    await page.goto(`${relay.url}/oauth/consent?request=oar_unknown`);
    await until(() => page.getByRole('alert').filter({ hasText: 'unknown or has expired' }).isVisible()).toBe(true);
    await page.goto(`${relay.url}/oauth/authorize?response_type=code&client_id=client_nope&redirect_uri=${encodeURIComponent(callback.url)}`);
    await until(() => page.getByRole('heading', { name: 'Authorization request refused' }).isVisible()).toBe(true);
    expect(new URL(page.url()).pathname).toBe('/oauth/authorize');
    expect(problems).toEqual([]);
  });
});
