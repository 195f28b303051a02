/**
 * A model allow-list holds for every model a call reaches. For the records it changes: x2many
 * commands in create/write values reach other models, and a key allowed only res.partner must not
 * update sale orders or create tags through a partner. For the records it searches or reads: a key
 * allowed only sale.* must not filter, sort or group orders by their partners' fields, nor read
 * them through a nested specification. Through the webhook on Odoo 18 (JSON-RPC) and 19 (JSON-2),
 * and through the REST API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { call } from '../rest/helpers.js';

const SIM_API_KEY = 'sim-admin-api-key-0123456789';

describe.each([
  { label: 'Odoo 18 over JSON-RPC', version: 18 as const, secret: 'admin' },
  { label: 'Odoo 19 over JSON-2', version: 19 as const, secret: SIM_API_KEY },
])('values that reach other models, $label', ({ version, secret }) => {
  let sim: OdooSim;
  let relay: TestRelay;
  let partnersOnly: string;
  let salesOnly: string;
  const read = (model: string, ids: number[], fields: string[]) => sim.engine.execute(2, model, 'read', [ids, fields], {}) as Record<string, unknown>[];

  beforeAll(async () => {
    sim = await startOdooSim({ version, apiKey: SIM_API_KEY, automationNoise: 'none' });
    relay = await startTestRelay();
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret });
    partnersOnly = (await relay.createKey({ allowedModels: ['res.partner'] })).key;
    salesOnly = (await relay.createKey({ allowedModels: ['sale.*'] })).key;
  });
  afterAll(async () => {
    await relay.close();
    await sim.close();
  });

  const exec = (key: string, model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}) =>
    relay.post('/api/n8n/webhook', { action: 'execute_method', model, method, args, kwargs }, { authorization: `Bearer ${key}` });

  it('refuses updating a sale order through a partner, as calling sale.order itself is refused', async () => {
    const [order] = sim.engine.execute(2, 'sale.order', 'search_read', [[['partner_id', '!=', false]]], { fields: ['partner_id', 'client_order_ref'], limit: 1 }) as any[];
    const partnerId = order.partner_id[0];
    const r = await exec(partnersOnly, 'res.partner', 'write', [[partnerId], { sale_order_ids: [[1, order.id, { client_order_ref: 'through the partner' }]] }]);
    expect(r.status, r.text).toBe(403);
    expect(r.body).toMatchObject({ code: 'model_not_allowed', details: { model: 'sale.order', field: 'res.partner.sale_order_ids' } });
    expect(read('sale.order', [order.id], ['client_order_ref'])[0]!.client_order_ref).toBe(order.client_order_ref);
    // Keyword values, and linking an existing order to another partner (it writes the order's partner_id), the same.
    expect((await exec(partnersOnly, 'res.partner', 'write', [[9]], { vals: { sale_order_ids: [[4, order.id]] } })).body.code).toBe('model_not_allowed');
  });

  it('refuses creating a tag through a partner, and lets the partner be tagged with existing tags', async () => {
    const created = await exec(partnersOnly, 'res.partner', 'create', [{ name: 'Tagged', category_id: [[0, 0, { name: 'Made through a partner' }]] }]);
    expect(created.body).toMatchObject({ code: 'model_not_allowed', details: { model: 'res.partner.category' } });
    expect(sim.engine.execute(2, 'res.partner.category', 'search_count', [[['name', '=', 'Made through a partner']]], {})).toBe(0);
    const tag = (sim.engine.execute(2, 'res.partner.category', 'search', [[]], { limit: 1 }) as number[])[0]!;
    const tagged = await exec(partnersOnly, 'res.partner', 'create', [[{ name: 'Tagged', category_id: [[6, 0, [tag]]] }, { name: 'Also tagged', category_id: [tag] }]]);
    expect(tagged.status, tagged.text).toBe(200);
    // Contacts of a company are partners too: allowed.
    const company = await exec(partnersOnly, 'res.partner', 'create', [{ name: 'Company', is_company: true, child_ids: [[0, 0, { name: 'Its contact' }]] }]);
    expect(company.status, company.text).toBe(200);
  });

  it("refuses commands written with Python's booleans (False is create, True update), and values nested deeper than the check follows", async () => {
    const r = await exec(partnersOnly, 'res.partner', 'create', [{ name: 'Tagged', category_id: [[false, 0, { name: 'Made with False' }]] }]);
    expect(r.status, r.text).toBe(403);
    expect(r.body).toMatchObject({ code: 'model_not_allowed', details: { model: 'res.partner.category' } });
    let contact: Record<string, unknown> = { name: 'Deepest', category_id: [[0, 0, { name: 'Made deep down' }]] };
    for (let i = 0; i < 10; i++) contact = { name: `Level ${i}`, child_ids: [[0, 0, contact]] };
    const deep = await exec(partnersOnly, 'res.partner', 'create', [contact]);
    expect(deep.status, deep.text).toBe(403);
    expect(deep.body.details).toMatchObject({ reason: 'nesting_too_deep' });
    expect(sim.engine.execute(2, 'res.partner.category', 'search_count', [[['name', '=', 'Made deep down']]], {})).toBe(0);
  });

  it('lets sale.* create an order with its lines, and checks values nested in the lines', async () => {
    const product = (sim.engine.execute(2, 'product.product', 'search', [[]], { limit: 1 }) as number[])[0]!;
    const order = await exec(salesOnly, 'sale.order', 'create', [{ partner_id: 9, order_line: [[0, 0, { product_id: product, product_uom_qty: 2 }]] }]);
    expect(order.status, order.text).toBe(200);
    const nested = await exec(salesOnly, 'sale.order', 'write', [[order.body.result], { partner_id: 9, order_line: [[0, 0, { product_id: product, product_uom_qty: 1 }]], partner_shipping_id: 9 }]);
    expect(nested.status, nested.text).toBe(200);
  });

  describe('reads', () => {
    const refused = (r: { status: number; text: string; body: any }, model: string, field: string) => {
      expect(r.status, r.text).toBe(403);
      expect(r.body).toMatchObject({ success: false, code: 'model_not_allowed', details: { model, field, allowed: ['sale.*'] } });
    };

    it("refuses filtering orders on their partner's fields, or on the partner's name search, and allows comparing ids", async () => {
      // Each yes/no answer to a guess is a read of the partner's e-mail address.
      refused(await exec(salesOnly, 'sale.order', 'search_count', [[['partner_id.email', '=like', 'a%']]]), 'res.partner', 'sale.order.partner_id');
      refused(await exec(salesOnly, 'sale.order', 'search_read', [], { domain: ['|', ['state', '=', 'sale'], ['partner_id.credit_limit', '>', 1000]], fields: ['name'] }), 'res.partner', 'sale.order.partner_id');
      // Text against a many2one searches the partners' names, e-mails and references.
      refused(await exec(salesOnly, 'sale.order', 'search', [[['partner_id', 'ilike', 'azure']]]), 'res.partner', 'sale.order.partner_id');
      refused(await exec(salesOnly, 'sale.order', 'search', [[['partner_id', 'any', [['email', '=like', 'a%']]]]]), 'res.partner', 'sale.order.partner_id');

      const [order] = sim.engine.execute(2, 'sale.order', 'search_read', [[['partner_id', '!=', false]]], { fields: ['partner_id'], limit: 1 }) as any[];
      const byId = await exec(salesOnly, 'sale.order', 'search_count', [[['partner_id', 'in', [order.partner_id[0]]], ['state', '!=', 'cancel']]]);
      expect(byId.status, byId.text).toBe(200);
      expect(byId.body.result).toBe(sim.engine.execute(2, 'sale.order', 'search_count', [[['partner_id', 'in', [order.partner_id[0]]], ['state', '!=', 'cancel']]], {}));
    });

    it('follows paths and subdomains through allowed models, and refuses where they leave the allow-list', async () => {
      const viaLines = await exec(salesOnly, 'sale.order', 'search_count', [[['order_line', 'any', [['product_uom_qty', '>', 1]]], ['order_line.order_id.state', '!=', 'cancel']]]);
      expect(viaLines.status, viaLines.text).toBe(200);
      expect(viaLines.body.result).toBeGreaterThan(0);
      refused(await exec(salesOnly, 'sale.order', 'search_count', [[['order_line', 'any', [['product_id.name', 'ilike', 'desk']]]]]), 'product.product', 'sale.order.line.product_id');
      refused(await exec(salesOnly, 'sale.order', 'search_count', [[['order_line.product_id.list_price', '>', 100]]]), 'product.product', 'sale.order.line.product_id');
    });

    it("refuses sorting and grouping by the partner's fields, reading them nested, and exporting them", async () => {
      refused(await exec(salesOnly, 'sale.order', 'search_read', [[]], { fields: ['name'], order: 'partner_id.email desc', limit: 5 }), 'res.partner', 'sale.order.partner_id');
      refused(await exec(salesOnly, 'sale.order', 'read_group', [[], ['amount_total:sum'], ['partner_id.country_id']], { lazy: false }), 'res.partner', 'sale.order.partner_id');
      refused(await exec(salesOnly, 'sale.order', 'web_search_read', [], { domain: [], specification: { name: {}, partner_id: { fields: { email: {} } } }, limit: 2 }), 'res.partner', 'sale.order.partner_id');
      refused(await exec(salesOnly, 'sale.order', 'export_data', [[1], ['name', 'partner_id/email']]), 'res.partner', 'sale.order.partner_id');

      // The partner's id and display name come with every read of an order: allowed.
      const page = await exec(salesOnly, 'sale.order', 'web_search_read', [], { domain: [['state', '=', 'sale']], specification: { name: {}, partner_id: {} }, limit: 2 });
      expect(page.status, page.text).toBe(200);
      expect(page.body.result.records[0].partner_id).toEqual(expect.any(Number));
    });

    it('refuses a condition on another model hidden under more levels of nesting than the check follows', async () => {
      // Nine `any`s through allowed lines and orders, then the partner's e-mail.
      let domain: unknown[] = [['partner_id.email', '=like', 'a%']];
      for (let i = 0; i < 10; i++) domain = [[i % 2 ? 'order_id' : 'order_line', 'any', domain]];
      const r = await exec(salesOnly, 'sale.order', 'search_count', [domain]);
      expect(r.status, r.text).toBe(403);
      expect(r.body).toMatchObject({ code: 'model_not_allowed', details: { reason: 'nesting_too_deep', maxDepth: 8 } });
    });

    it("lets the web client's nested display names through, as every read shows them", async () => {
      const page = await exec(salesOnly, 'sale.order', 'web_search_read', [], {
        domain: [],
        specification: { name: {}, partner_id: { fields: { display_name: {} } }, order_line: { fields: { product_id: { fields: { display_name: {} } } } } },
        limit: 1,
      });
      expect(page.status, page.text).toBe(200);
      expect(page.body.result.records[0].partner_id).toMatchObject({ id: expect.any(Number), display_name: expect.any(String) });
      // Sorting the lines by their product's price is more than that.
      const ranked = await exec(salesOnly, 'sale.order', 'web_read', [[1], { order_line: { fields: { product_id: {} }, order: 'product_id.list_price desc' } }]);
      refused(ranked, 'product.product', 'sale.order.line.product_id');
    });

    it('leaves a key without a model allow-list free to follow any path', async () => {
      const anyModel = (await relay.createKey({})).key;
      const r = await exec(anyModel, 'sale.order', 'search_count', [[['partner_id.email', '!=', false]]]);
      expect(r.status, r.text).toBe(200);
      expect(r.body.result).toBe(sim.engine.execute(2, 'sale.order', 'search_count', [[['partner_id.email', '!=', false]]], {}));
    });

    it('holds for the REST API list', async () => {
      const domain = encodeURIComponent(JSON.stringify([['partner_id.email', '=like', 'a%']]));
      const r = await call(relay, 'GET', `/api/v1/models/sale.order?domain=${domain}`, { authorization: `Bearer ${salesOnly}` });
      refused(r, 'res.partner', 'sale.order.partner_id');
      const sorted = await call(relay, 'GET', `/api/v1/models/sale.order?order=${encodeURIComponent('partner_id.name')}`, { authorization: `Bearer ${salesOnly}` });
      refused(sorted, 'res.partner', 'sale.order.partner_id');
    });
  });

  it('holds through the REST API too', async () => {
    const [order] = sim.engine.execute(2, 'sale.order', 'search_read', [[['partner_id', '!=', false]]], { fields: ['partner_id'], limit: 1 }) as any[];
    const r = await call(relay, 'PATCH', `/api/v1/models/res.partner/${order.partner_id[0]}`, { authorization: `Bearer ${partnersOnly}` }, { sale_order_ids: [[2, order.id]] });
    expect(r.status, r.text).toBe(403);
    expect(r.body.code).toBe('model_not_allowed');
    expect(sim.engine.execute(2, 'sale.order', 'search_count', [[['id', '=', order.id]]], {})).toBe(1);
  });

  describe('a method allow-list', () => {
    let noUnlink: string;
    let createOnly: string;
    const contact = (name: string) => sim.engine.execute(2, 'res.partner', 'create', [{ name, parent_id: 9 }], {}) as number;
    const exists = (id: number) => sim.engine.execute(2, 'res.partner', 'search_count', [[['id', '=', id]]], {});

    beforeAll(async () => {
      noUnlink = (await relay.createKey({ allowedMethods: ['search_read', 'read', 'create', 'write'] })).key;
      createOnly = (await relay.createKey({ allowedMethods: ['create'] })).key;
    });

    it('refuses deleting records through x2many values, as calling unlink is refused', async () => {
      const doomed = contact('Doomed contact');
      const r = await exec(noUnlink, 'res.partner', 'create', [{ name: 'Innocent', child_ids: [[2, doomed]] }]);
      expect(r.status, r.text).toBe(403);
      expect(r.body).toMatchObject({ code: 'method_not_allowed', details: { method: 'unlink', field: 'res.partner.child_ids' } });
      // On a record that exists, taking lines out of a one2many (3, 5, 6, a list of ids, false or
      // null, which Odoo reads as 5) deletes those whose inverse cascades.
      for (const value of [[[3, doomed]], [[5]], [[6, 0, []]], [doomed + 1], false, null]) {
        const refused = await exec(noUnlink, 'res.partner', 'write', [[9], { child_ids: value }]);
        expect(refused.body, JSON.stringify(value)).toMatchObject({ code: 'method_not_allowed', details: { method: 'unlink' } });
      }
      // Nested: command 0 makes a new record, command 1 changes one that exists.
      const nested = await exec(noUnlink, 'res.partner', 'create', [{ name: 'Nested', child_ids: [[0, 0, { name: 'Its contact', child_ids: [[2, doomed]] }]] }]);
      expect(nested.body).toMatchObject({ code: 'method_not_allowed', details: { method: 'unlink' } });
      const cleared = await exec(noUnlink, 'res.partner', 'write', [[15], { child_ids: [[1, 9, { child_ids: false }]] }]);
      expect(cleared.body).toMatchObject({ code: 'method_not_allowed', details: { method: 'unlink' } });
      expect(exists(doomed)).toBe(1);
      expect((sim.engine.execute(2, 'res.partner', 'search_count', [[['parent_id', '=', 9]]], {}) as number) > 0).toBe(true);
    });

    it('needs write to link existing lines, and nothing more to make a record with new ones', async () => {
      const loose = sim.engine.execute(2, 'res.partner', 'create', [{ name: 'Loose contact' }], {}) as number;
      const linked = await exec(createOnly, 'res.partner', 'create', [{ name: 'Company', child_ids: [loose] }]);
      expect(linked.body).toMatchObject({ code: 'method_not_allowed', details: { method: 'write' } });
      const fresh = await exec(createOnly, 'res.partner', 'create', [{ name: 'Company', child_ids: [[0, 0, { name: 'New contact' }]], category_id: false }]);
      expect(fresh.status, fresh.text).toBe(200);
      // A new record has no lines to take out: clearing them deletes nothing.
      expect((await exec(createOnly, 'res.partner', 'create', [{ name: 'Empty company', child_ids: false }])).status).toBe(200);
      const tag = (sim.engine.execute(2, 'res.partner.category', 'search', [[]], { limit: 1 }) as number[])[0]!;
      const tagged = await exec(noUnlink, 'res.partner', 'write', [[9], { category_id: [[6, 0, [tag]], [3, tag], [4, tag]] }]);
      expect(tagged.status, tagged.text).toBe(200);
    });

    it('holds with a model allow-list too, and for write values given by keyword', async () => {
      // A one2many cleared with false changes the linked model's records.
      const cleared = await exec(partnersOnly, 'res.partner', 'write', [[9], { sale_order_ids: false }]);
      expect(cleared.body).toMatchObject({ code: 'model_not_allowed', details: { model: 'sale.order' } });
      const keyword = await exec(noUnlink, 'res.partner', 'write', [[9]], { values: { child_ids: [[2, 19]] } });
      expect(keyword.body).toMatchObject({ code: 'method_not_allowed', details: { method: 'unlink' } });
    });

    it('holds through the REST API too, and a key allowed unlink may', async () => {
      const doomed = contact('Doomed via REST');
      const refused = await call(relay, 'PATCH', '/api/v1/models/res.partner/9', { authorization: `Bearer ${noUnlink}` }, { child_ids: false });
      expect(refused.status, refused.text).toBe(403);
      expect(refused.body.code).toBe('method_not_allowed');
      const mayUnlink = (await relay.createKey({ allowedMethods: ['create', 'unlink'] })).key;
      expect((await exec(mayUnlink, 'res.partner', 'create', [{ name: 'Cleaner', child_ids: [[2, doomed]] }])).status).toBe(200);
      expect(exists(doomed)).toBe(0);
    });
  });
});
