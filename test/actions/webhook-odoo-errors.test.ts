import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { startCountingProxy, type CountingProxy } from '../odoo/counting-proxy.js';

/**
 * Odoo's own refusals and the relay's round trips, through the webhook, with a counting proxy
 * between the relay and the Odoo test server so every request that reaches Odoo is seen.
 */
const SIM_API_KEY = 'sim-admin-api-key-0123456789';
const flavours = [
  { label: 'Odoo 18 over JSON-RPC', version: 18 as const, secret: 'admin', protocol: 'jsonrpc' },
  { label: 'Odoo 19 over JSON-2', version: 19 as const, secret: SIM_API_KEY, protocol: 'json2' },
];

describe.each(flavours)('$label', ({ version, secret, protocol }) => {
  let sim: OdooSim;
  let proxy: CountingProxy;
  let relay: TestRelay;
  let auth: Record<string, string>;
  const call = (body: unknown) => relay.post('/api/n8n/webhook', body, auth);
  const exec = (model: string, method: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}) =>
    call({ action: 'execute_method', model, method, args, kwargs });

  beforeAll(async () => {
    sim = await startOdooSim({ version, apiKey: SIM_API_KEY, automationNoise: 'none' });
    proxy = await startCountingProxy(sim.url);
    relay = await startTestRelay();
    await relay.connectOdoo({ url: proxy.url, database: 'odoo_demo', login: 'admin', secret });
    auth = { authorization: `Bearer ${(await relay.createKey({ rateLimit: 10_000 })).key}` };
    // Warm: login / version detection happen once, here.
    const warm = await exec('res.partner', 'search_count', [[]]);
    expect(warm.status).toBe(200);
    expect(warm.body.meta.protocol).toBe(protocol);
  });
  afterAll(async () => {
    await relay.close();
    await proxy.close();
    await sim.close();
  });

  it('passes a UserError through as 422 odoo_user_error (action_confirm on a confirmed order)', async () => {
    const confirmed = await exec('sale.order', 'search_read', [[['state', '=', 'sale']]], { fields: ['name'], limit: 1 });
    const { id, name } = confirmed.body.result[0];
    const before = proxy.count();
    const r = await exec('sale.order', 'action_confirm', [[id]]);
    expect(proxy.count() - before).toBe(1);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ success: false, code: 'odoo_user_error', details: { name: 'odoo.exceptions.UserError' } });
    expect(r.body.error).toContain(name);
    expect(r.body.requestId).toMatch(/^req_/);
    expect(r.text).not.toContain('Traceback');
    // Nothing changed in Odoo.
    const after = await exec('sale.order', 'read', [[id]], { fields: ['state'] });
    expect(after.body.result[0].state).toBe('sale');
  });

  it('an unknown method with positional args: 400 odoo_unmappable_args on JSON-2 without calling Odoo; passed to Odoo over JSON-RPC', async () => {
    const before = proxy.count();
    const r = await exec('res.partner', 'message_post_custom', [[1], 'hello']);
    if (protocol === 'json2') {
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ success: false, code: 'odoo_unmappable_args' });
      expect(r.body.error).toContain('message_post_custom');
      expect(r.body.error).toMatch(/kwargs/);
      expect(proxy.count() - before).toBe(0);
    } else {
      // Reached Odoo, which answered what it answers for a method it does not have.
      expect(proxy.count() - before).toBe(1);
      expect(proxy.requests.at(-1)!.rpc).toBe('object.execute_kw res.partner.message_post_custom');
      expect(r.body.code).not.toBe('odoo_unmappable_args');
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ success: false, code: 'odoo_unknown_method', details: { name: 'builtins.AttributeError' } });
    }
  });

  it('the same method with its arguments by name is not refused by the relay on JSON-2', async () => {
    const before = proxy.count();
    const r = await exec('res.partner', 'message_post_custom', [], { ids: [1], body: 'hello' });
    expect(proxy.count() - before).toBe(1);
    expect(r.body.code).not.toBe('odoo_unmappable_args');
  });

  it('makes exactly one Odoo round trip per execute_method once warm, and none for a warm get_config', async () => {
    const before = proxy.count();
    for (let i = 0; i < 5; i++) {
      const r = await exec('res.partner', 'search_read', [[['is_company', '=', true]]], { fields: ['name'], limit: 2 });
      expect(r.status).toBe(200);
    }
    expect(proxy.count() - before).toBe(5);
    if (protocol === 'json2') expect(proxy.requests.slice(-5).map((q) => q.path)).toEqual(Array(5).fill('/json/2/res.partner/search_read'));
    else expect(proxy.requests.slice(-5).map((q) => q.rpc)).toEqual(Array(5).fill('object.execute_kw res.partner.search_read'));

    const mid = proxy.count();
    const config = await call({ action: 'get_config' });
    expect(config.status).toBe(200);
    expect(config.body.result).toMatchObject({ url: proxy.url, version: `${version}.0`, protocol });
    expect(proxy.count() - mid).toBe(0);
  });
});
