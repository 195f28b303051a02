import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { launchChromium, until, openDashboardPage } from '../dashboard/helpers.js';
import { formOf, oauthClient, registerApp } from './client.js';


/** The app's callback: a loopback server that records where the browser was sent. */
async function startCallbackServer(): Promise<{ url: string; hits: URL[]; close(): Promise<void> }> {
  const hits: URL[] = [];
  const server = http.createServer((req, res) => {
    const hit = new URL(req.url!, 'http://127.0.0.1');
    // The browser also asks for /favicon.ico; only the callback path counts.
    if (hit.pathname !== '/oauth/callback') return void res.writeHead(404).end();
    hits.push(hit);
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>App</title><h1>Back in the app</h1>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/oauth/callback`, hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/**
 * The consent page in Chromium: the app sends a signed-out user to GET /oauth1/authorize, the
 * dashboard asks them to sign in and comes back to the page (query kept), shows the app and its
 * scopes; Approve lands on the app's callback with the verifier, which the app exchanges for an
 * access token that works; Deny lands there with `denied`.
 */
describe('OAuth 1.0a consent page in a browser', { timeout: 120_000 }, () => {
  let relay: TestRelay;
  let callback: Awaited<ReturnType<typeof startCallbackServer>>;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    [relay, callback, browser] = await Promise.all([startTestRelay(), startCallbackServer(), launchChromium()]);
    ({ page, problems } = await openDashboardPage(browser));
  });
  afterAll(async () => {
    await browser?.close();
    await relay?.close();
    await callback?.close();
  });

  it('signs in, shows the app and scopes, approves, and the verifier yields a working access token', async () => {
    const { consumer } = await registerApp(relay, { name: 'Invoice Sync', redirectUris: [callback.url], scopes: ['read', 'subscriptions'] });
    const client = oauthClient(consumer, 'HMAC-SHA256');
    const rt = formOf((await client.send('POST', `${relay.url}/oauth1/request_token`, undefined, { oauthParams: { oauth_callback: callback.url } })).text);
    expect(rt.oauth_token).toMatch(/^o1r_/);

    await page.goto(`${relay.url}/oauth1/authorize?oauth_token=${rt.oauth_token}`);
    await until(() => page.getByRole('heading', { name: 'Sign in' }).isVisible()).toBe(true);
    await page.getByLabel('Username').fill(relay.admin.username);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();

    await until(() => page.getByRole('heading', { name: 'Authorize Invoice Sync?' }).isVisible()).toBe(true);
    expect(new URL(page.url()).searchParams.get('oauth_token')).toBe(rt.oauth_token);
    const scopes = await page.getByTestId('oauth1-scopes').innerText();
    expect(scopes).toContain('read');
    expect(scopes).toContain('subscriptions');
    expect(scopes).not.toContain('webhook');
    expect(await page.locator('main').innerText()).toContain(relay.admin.username);
    expect(await page.getByRole('navigation', { name: 'Dashboard' }).count()).toBe(0);
    await page.screenshot({ path: path.join(os.tmpdir(), 'oauth1-authorize.png') });

    await page.getByRole('button', { name: 'Approve' }).click();
    await until(() => callback.hits.length).toBe(1);
    await until(() => page.getByRole('heading', { name: 'Back in the app' }).isVisible()).toBe(true);
    const hit = callback.hits[0]!;
    expect(hit.pathname).toBe('/oauth/callback');
    expect(hit.searchParams.get('oauth_token')).toBe(rt.oauth_token);
    const verifier = hit.searchParams.get('oauth_verifier')!;

    const at = await client.send('POST', `${relay.url}/oauth1/access_token`, { key: rt.oauth_token!, secret: rt.oauth_token_secret! }, { oauthParams: { oauth_verifier: verifier } });
    expect(at.status, at.text).toBe(200);
    const access = formOf(at.text);
    const list = await client.send('GET', `${relay.url}/api/v1/subscriptions?limit=3`, { key: access.oauth_token!, secret: access.oauth_token_secret! });
    expect(list.status, list.text).toBe(200);
    expect(problems).toEqual([]);
  });

  it('Deny sends the browser back with denied=<token>, and an unknown token shows an error', async () => {
    const { consumer } = await registerApp(relay, { name: 'Nosy App', redirectUris: [callback.url] });
    const client = oauthClient(consumer, 'HMAC-SHA1');
    const rt = formOf((await client.send('POST', `${relay.url}/oauth1/request_token`, undefined, { oauthParams: { oauth_callback: callback.url } })).text);

    await page.goto(`${relay.url}/oauth1/authorize?oauth_token=${rt.oauth_token}`);
    await until(() => page.getByRole('heading', { name: 'Authorize Nosy App?' }).isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Deny' }).click();
    await until(() => callback.hits.length).toBe(2);
    expect(callback.hits[1]!.searchParams.get('denied')).toBe(rt.oauth_token);
    // The callback server saw the request before the browser finished landing there; a new
    // navigation started now would be interrupted by that one.
    await page.waitForURL((url) => url.origin === new URL(callback.url).origin);

    // The same (now forgotten) request: the page says so instead of offering Approve.
    await page.goto(`${relay.url}/oauth1/authorize?oauth_token=${rt.oauth_token}`);
    await until(() => page.getByRole('heading', { name: 'Cannot authorize this app' }).isVisible()).toBe(true);
    expect(await page.getByRole('alert').innerText()).toContain('not_found');
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
