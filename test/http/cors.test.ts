import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { launchChromium } from '../dashboard/helpers.js';
import { postForm, basic, raw, registerApp } from '../oauth2/helpers.js';
import { publicClientOrigins } from '../../src/http/cors.js';

/** A page server standing in for a single-page app's origin (its content does not matter). */
async function startOrigin(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>spa</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

/**
 * CORS for browser single-page apps: allowed exactly for the origins of public clients'
 * registered redirect URIs, on the token endpoints and the REST API, never with credentials.
 * Chromium is the peer that enforces it.
 */
describe('CORS for OAuth public clients', () => {
  let sim: OdooSim;
  let relay: TestRelay;
  let browser: Browser;
  let spa: Awaited<ReturnType<typeof startOrigin>>;
  let stranger: Awaited<ReturnType<typeof startOrigin>>;
  let token: string;
  let server: Awaited<ReturnType<typeof registerApp>>;

  beforeAll(async () => {
    [sim, relay, spa, stranger, browser] = await Promise.all([
      startOdooSim({ version: 18, automationNoise: 'none' }),
      startTestRelay(),
      startOrigin(),
      startOrigin(),
      launchChromium(),
    ]);
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    await registerApp(relay, { name: 'Browser app', clientType: 'public', redirectUris: [`${spa.origin}/callback`], scopes: ['read'] });
    server = await registerApp(relay, { name: 'Server app', scopes: ['read'] });
    const cc = await postForm(`${relay.url}/oauth/token`, { grant_type: 'client_credentials', scope: 'read' }, { authorization: basic(server.client.client_id, server.clientSecret!) });
    token = cc.body.access_token;
  });
  afterAll(async () => {
    await browser?.close();
    await relay?.close();
    await sim?.close();
    await spa?.close();
    await stranger?.close();
  });

  it('takes origins only from public clients’ redirect URIs', () => {
    const origins = publicClientOrigins([
      { clientType: 'public', redirectUris: ['https://spa.example/cb', 'http://localhost:5173/auth'] },
      { clientType: 'confidential', redirectUris: ['https://server.example/cb'] },
    ]);
    expect([...origins]).toEqual(['https://spa.example', 'http://localhost:5173']);
  });

  it('answers a preflight for the REST API from a registered origin, without credentials', async () => {
    const r = await raw(`${relay.url}/api/v1/models/res.partner`, {
      method: 'OPTIONS',
      headers: { origin: spa.origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe(spa.origin);
    expect(String(r.headers['access-control-allow-headers'])).toContain('authorization');
    expect(r.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('gives no CORS headers to other origins or to the dashboard and webhook', async () => {
    const other = await raw(`${relay.url}/api/v1/models/res.partner`, { headers: { origin: stranger.origin, authorization: `Bearer ${token}` } });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    for (const path of ['/api/dashboard/apps', '/api/n8n/webhook', '/api/auth/me']) {
      const r = await raw(relay.url + path, { method: 'OPTIONS', headers: { origin: spa.origin, 'access-control-request-method': 'POST' } });
      expect(r.headers['access-control-allow-origin'], path).toBeUndefined();
    }
  });

  it('lets a page on the registered origin read the REST API and the token endpoint in Chromium', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(spa.origin);
      const listed = await page.evaluate(
        async ([url, bearer]) => {
          const res = await fetch(url, { headers: { authorization: `Bearer ${bearer}` } });
          return { status: res.status, total: (await res.json()).total as number, limit: res.headers.get('x-ratelimit-limit') };
        },
        [`${relay.url}/api/v1/models/res.partner?limit=1`, token] as const,
      );
      expect(listed.status).toBe(200);
      expect(listed.total).toBeGreaterThan(0);
      expect(listed.limit).toBe('100');

      const refused = await page.evaluate(async (url) => {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=nobody' });
        return { status: res.status, error: (await res.json()).error as string };
      }, `${relay.url}/oauth/token`);
      expect(refused).toEqual({ status: 401, error: 'invalid_client' });
    } finally {
      await page.close();
    }
  });

  it('lets a page on the registered origin list event subscriptions in Chromium (the preflight passes, and so must the answer)', async () => {
    const manager = await registerApp(relay, { name: 'Subscriptions app', scopes: ['subscriptions'] });
    const cc = await postForm(
      `${relay.url}/oauth/token`,
      { grant_type: 'client_credentials', scope: 'subscriptions' },
      { authorization: basic(manager.client.client_id, manager.clientSecret!) },
    );
    const page = await browser.newPage();
    try {
      await page.goto(spa.origin);
      const listed = await page.evaluate(
        async ([url, bearer]) => {
          const res = await fetch(url, { headers: { authorization: `Bearer ${bearer}` } });
          return { status: res.status, isList: Array.isArray((await res.json()).subscriptions) };
        },
        [`${relay.url}/api/v1/subscriptions`, cc.body.access_token as string] as const,
      );
      expect(listed).toEqual({ status: 200, isList: true });
    } finally {
      await page.close();
    }
  });

  it('blocks a page on an unregistered origin in Chromium', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(stranger.origin);
      const outcome = await page.evaluate(
        async ([url, bearer]) => {
          try {
            await fetch(url, { headers: { authorization: `Bearer ${bearer}` } });
            return 'read';
          } catch (err) {
            return (err as Error).name;
          }
        },
        [`${relay.url}/api/v1/models/res.partner?limit=1`, token] as const,
      );
      expect(outcome).toBe('TypeError');
    } finally {
      await page.close();
    }
  });
});
