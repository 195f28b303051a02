import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { signIn } from '../oauth2/helpers.js';
import type { DashboardClient } from '../dashboard/helpers.js';

/** One rule for whole numbers in query strings, on every route family (REST, subscriptions, request log). */
describe('whole-number query parameters', () => {
  let sim: OdooSim;
  let relay: TestRelay;
  let dashboard: DashboardClient;
  let key: string;
  let subscriptionId: string;
  beforeAll(async () => {
    sim = await startOdooSim({ version: 18, automationNoise: 'none' });
    relay = await startTestRelay({ env: { EVENTS_ALLOW_PRIVATE_TARGETS: '127.0.0.0/8' } });
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    key = (await relay.createKey({ scopes: ['read', 'subscriptions'] })).key;
    dashboard = await signIn(relay);
    const created = await get('POST', '/api/v1/subscriptions', { model: 'res.partner', targetUrl: 'http://127.0.0.1:9/x', captureMode: 'poll', events: ['create'] });
    subscriptionId = created.body.subscription.id;
  });
  afterAll(async () => {
    await relay.close();
    await sim.close();
  });

  async function get(method: 'GET' | 'POST', path: string, body?: unknown) {
    const res = await request(relay.url + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.statusCode, body: (await res.body.json()) as any };
  }

  it.each([' 1', '1.0', '1e1', '-5', '0', 'ten'])('limit=%j is refused 400 by every family, naming limit', async (value) => {
    const q = `limit=${encodeURIComponent(value)}`;
    const answers = [
      await get('GET', `/api/v1/models/res.partner?${q}`),
      await get('GET', `/api/v1/subscriptions/${subscriptionId}/deliveries?${q}`),
      await dashboard.call('GET', `/api/dashboard/request-log?${q}`),
    ];
    for (const answer of answers) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(400);
      expect(answer.body.code).toBe('invalid_request');
      expect(answer.body.error).toMatch(/limit must be (a whole number|from 1 to \d+)/);
    }
  });

  it('takes plain digits everywhere', async () => {
    expect((await get('GET', '/api/v1/models/res.partner?limit=2')).status).toBe(200);
    expect((await get('GET', `/api/v1/subscriptions/${subscriptionId}/deliveries?limit=2`)).status).toBe(200);
    expect((await dashboard.call('GET', '/api/dashboard/request-log?limit=2')).status).toBe(200);
    // A filter the dashboard's form left blank is no filter.
    expect((await dashboard.call('GET', '/api/dashboard/request-log?limit=&status=')).status).toBe(200);
  });
});
