import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { call, logRows, type Method } from './helpers.js';

/**
 * The REST API end to end against the Odoo test server over HTTP: Odoo 19 over JSON-2 (API
 * key) and Odoo 17 over JSON-RPC, each route's happy path and Odoo's refusals passed through.
 */
const SIM_API_KEY = 'sim-admin-api-key-0123456789';
const cases = [
  { label: 'Odoo 19 over JSON-2', version: 19 as const, secret: SIM_API_KEY },
  { label: 'Odoo 17 over JSON-RPC', version: 17 as const, secret: 'admin' },
];

describe.each(cases)('REST API on $label', ({ version, secret }) => {
  let sim: OdooSim;
  let relay: TestRelay;
  let keyId: string;
  let auth: Record<string, string>;
  const api = (method: Method, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    call(relay, method, path, { ...auth, ...headers }, body);

  beforeAll(async () => {
    sim = await startOdooSim({ version, apiKey: SIM_API_KEY, automationNoise: 'none' });
    relay = await startTestRelay();
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret });
    const key = await relay.createKey();
    keyId = key.id;
    auth = { authorization: `Bearer ${key.key}` };
  });
  afterAll(async () => {
    await relay.close();
    await sim.close();
  });

  it('lists with a domain, fields, order and paging: total, links and a Link header', async () => {
    const domain = encodeURIComponent(JSON.stringify([['is_company', '=', true]]));
    const first = await api('GET', `/api/v1/models/res.partner?domain=${domain}&fields=name,email&order=name%20asc,%20id%20desc&limit=5`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ success: true, limit: 5, offset: 0 });
    expect(first.body.total).toBeGreaterThan(5);
    expect(first.body.data).toHaveLength(5);
    for (const row of first.body.data) expect(Object.keys(row).sort()).toEqual(['email', 'id', 'name']);
    const names = first.body.data.map((r: { name: string }) => r.name);
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
    expect(first.body.links.prev).toBeNull();
    expect(first.body.links.next).toContain('offset=5');
    expect(first.headers.link).toContain(`<${first.body.links.next}>; rel="next"`);

    // Following `next` to the end visits every company exactly once.
    const seen = new Set<number>(first.body.data.map((r: { id: number }) => r.id));
    let next: string | null = first.body.links.next;
    while (next) {
      const page = await api('GET', next);
      expect(page.status).toBe(200);
      expect(page.body.total).toBe(first.body.total);
      for (const row of page.body.data) seen.add(row.id);
      expect(page.body.links.prev).not.toBeNull();
      next = page.body.links.next;
    }
    expect(seen.size).toBe(first.body.total);
  });

  it('lists with the default page size of 80 and all records when no domain is given', async () => {
    const r = await api('GET', '/api/v1/models/res.country?fields=name');
    expect(r.status).toBe(200);
    expect(r.body.limit).toBe(80);
    expect(r.body.data.length).toBe(Math.min(80, r.body.total));
  });

  it('gets one record, and 404 odoo_missing_record for an id that does not exist', async () => {
    const r = await api('GET', '/api/v1/models/res.partner/9?fields=name,is_company');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ success: true, data: { id: 9, name: expect.any(String), is_company: true } });
    const gone = await api('GET', '/api/v1/models/res.partner/999999');
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ success: false, code: 'odoo_missing_record', details: { model: 'res.partner', id: 999999 } });
  });

  it('creates (201 + Location), updates, reads back and deletes (204) a record', async () => {
    const created = await api('POST', '/api/v1/models/res.partner', { name: 'REST Customer', email: 'rest@example.com' });
    expect(created.status).toBe(201);
    const id = created.body.data.id;
    expect(created.body).toEqual({ success: true, data: { id, name: 'REST Customer', email: 'rest@example.com' } });
    expect(created.headers.location).toBe(`/api/v1/models/res.partner/${id}`);

    const patched = await api('PATCH', `/api/v1/models/res.partner/${id}`, { phone: '+1234567890' });
    expect(patched.status).toBe(200);
    expect(patched.body).toEqual({ success: true, data: { id, phone: '+1234567890' } });
    const read = await api('GET', `/api/v1/models/res.partner/${id}?fields=name,phone`);
    expect(read.body.data).toEqual({ id, name: 'REST Customer', phone: '+1234567890' });

    const deleted = await api('DELETE', `/api/v1/models/res.partner/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await api('GET', `/api/v1/models/res.partner/${id}`)).status).toBe(404);
    const again = await api('DELETE', `/api/v1/models/res.partner/${id}`);
    expect(again.status).toBe(404);
    // The same answer as GET's, whichever route found the record gone.
    expect(again.body).toMatchObject({ code: 'odoo_missing_record', details: { model: 'res.partner', id } });
    const patchGone = await api('PATCH', `/api/v1/models/res.partner/${id}`, { name: 'x' });
    expect(patchGone.status).toBe(404);
    expect(patchGone.body).toMatchObject({ code: 'odoo_missing_record', details: { model: 'res.partner', id } });
    const methodGone = await api('POST', `/api/v1/models/res.partner/${id}/write`, { args: [{ name: 'x' }] });
    expect(methodGone.body).toMatchObject({ code: 'odoo_missing_record', details: { model: 'res.partner', id } });
    // A missing record an x2many command names is another record: Odoo's words, not the route's id.
    const category = await api('PATCH', '/api/v1/models/res.partner/9', { category_id: [[1, 999999, { name: 'x' }]] });
    expect(category.status).toBe(404);
    expect(category.body.details).not.toMatchObject({ model: 'res.partner', id: 9 });
  });

  it('confirms a quotation through the business method route', async () => {
    const draft = await api('GET', `/api/v1/models/sale.order?domain=${encodeURIComponent('[["state","=","draft"]]')}&fields=name&limit=1`);
    const orderId = draft.body.data[0].id;
    const r = await api('POST', `/api/v1/models/sale.order/${orderId}/action_confirm`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ success: true, result: true });
    const after = await api('GET', `/api/v1/models/sale.order/${orderId}?fields=state`);
    expect(after.body.data.state).toBe('sale');
    // With a body: positional args after the ids and kwargs.
    const access = await api('POST', `/api/v1/models/sale.order/${orderId}/has_access`, { args: ['read'] });
    if (version >= 18) expect(access.body).toEqual({ success: true, result: true });
    else expect(access.body.code).toBe('odoo_unknown_method');
  });

  it('describes fields with the documented attributes', async () => {
    const r = await api('GET', '/api/v1/models/sale.order/fields');
    expect(r.status).toBe(200);
    expect(r.body.data.partner_id).toMatchObject({ type: 'many2one', relation: 'res.partner', string: expect.any(String), required: true });
    expect(r.body.data.state.type).toBe('selection');
    expect(Array.isArray(r.body.data.state.selection)).toBe(true);
    for (const attrs of Object.values<Record<string, unknown>>(r.body.data)) {
      for (const name of Object.keys(attrs)) expect(['string', 'type', 'required', 'readonly', 'relation', 'selection', 'help']).toContain(name);
    }
  });

  it.each([
    ['a create without the required name', 'POST', '/api/v1/models/res.partner', { email: 'no-name@example.com' }, 422, 'odoo_validation_error'],
    ['an unknown model', 'GET', '/api/v1/models/no.such.model', undefined, 404, 'odoo_unknown_model'],
    ['an unknown field', 'GET', '/api/v1/models/res.partner?fields=no_such_field', undefined, 400, 'odoo_bad_request'],
    ['a bad domain operator', 'GET', `/api/v1/models/res.partner?domain=${encodeURIComponent('[["name","bogus-op","x"]]')}`, undefined, 400, 'odoo_bad_request'],
    ['an unknown method', 'POST', '/api/v1/models/res.partner/9/no_such_method', undefined, 400, 'odoo_unknown_method'],
  ] as const)('passes Odoo refusals through: %s', async (_label, method, path, body, status, code) => {
    const r = await api(method, path, body);
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ success: false, code });
  });

  it('writes one request log row per call with action, model, method, status and Odoo time', async () => {
    const rows = await logRows(relay, keyId);
    const actions = new Set(rows.map((r) => r.action));
    for (const a of ['rest.list', 'rest.get', 'rest.create', 'rest.update', 'rest.delete', 'rest.method', 'rest.fields']) expect(actions).toContain(a);
    const create = rows.find((r) => r.action === 'rest.create' && r.status === 201)!;
    expect(create).toMatchObject({ model: 'res.partner', method: 'create', code: null });
    expect(create.odoo_ms).toBeGreaterThan(0);
    const missing = rows.find((r) => r.action === 'rest.get' && r.status === 404)!;
    expect(missing.code).toBe('odoo_missing_record');
    expect(rows.find((r) => r.action === 'rest.method' && r.status === 200)).toMatchObject({ model: 'sale.order', method: 'action_confirm' });
  });
});
