import { beforeEach, describe, expect, it } from 'vitest';
import { odooError } from './testing.js';
import { createSimEngine, type SimEngineWithInternals } from '../engine.js';

type R = Record<string, any>;

let engine: SimEngineWithInternals;
let clock: Date;
const ADMIN = 2;
const call = (model: string, method: string, args: unknown[] = [], kwargs: R = {}, uid = ADMIN): any =>
  engine.execute(uid, model, method, args, kwargs);


beforeEach(() => {
  clock = new Date('2026-11-24T13:27:11.123Z');
  engine = createSimEngine({ version: 19, apiKey: 'admin-key', now: () => clock });
});

describe('demo data', () => {
  it('has the well-known records of an Odoo demo database', () => {
    const [company, admin] = call('res.partner', 'read', [[1, 3]], { fields: ['name', 'is_company'] });
    expect(company).toEqual({ id: 1, name: 'My Company (San Francisco)', is_company: true });
    expect(admin.name).toBe('Mitchell Admin');
    const [user] = call('res.users', 'read', [[2]], { fields: ['login', 'partner_id'] });
    expect(user).toEqual({ id: 2, login: 'admin', partner_id: [3, 'Mitchell Admin'] });
  });

  it('answers the documented business questions', () => {
    const debtors = call('account.move', 'search_read', [[['move_type', '=', 'out_invoice'], ['state', '=', 'posted'], ['amount_residual', '>', 1000]]], {
      fields: ['partner_id', 'amount_residual', 'amount_total', 'payment_state'],
    });
    expect(debtors.length).toBeGreaterThanOrEqual(2);
    for (const inv of debtors) {
      expect(inv.amount_residual).toBeGreaterThan(1000);
      expect(inv.amount_residual).toBeLessThanOrEqual(inv.amount_total);
      expect(inv.partner_id).toEqual([expect.any(Number), expect.any(String)]);
    }
    const confirmed = call('sale.order', 'search_read', [[['state', '=', 'sale'], ['date_order', '>=', '2025-01-01']]], { fields: ['date_order', 'state'] });
    expect(confirmed.length).toBeGreaterThan(0);
    expect(confirmed.every((o: R) => o.state === 'sale' && o.date_order >= '2025-01-01')).toBe(true);
    const low = call('product.product', 'search_read', [[['qty_available', '<', 10], ['type', '=', 'consu']]], { fields: ['qty_available'] });
    expect(low.length).toBeGreaterThan(0);
    expect(low.every((p: R) => p.qty_available < 10)).toBe(true);
    expect(call('account.move', 'search_count', [[['payment_state', '=', 'paid']]])).toBeGreaterThan(0);
    expect(call('account.move', 'search_count', [[['state', '=', 'draft']]])).toBeGreaterThan(0);
  });

  it('lists models and their fields in ir.model / ir.model.fields', () => {
    const models = call('ir.model', 'search_read', [[]], { fields: ['model'] }).map((m: R) => m.model);
    for (const m of ['res.partner', 'sale.order', 'stock.quant', 'base.automation', 'ir.actions.server', 'crm.lead']) expect(models).toContain(m);
    expect(call('crm.lead', 'search_count', [[['type', '=', 'opportunity'], ['stage_id.is_won', '=', false]]])).toBeGreaterThan(0);
    const fields = call('ir.model.fields', 'search_read', [[['model', '=', 'sale.order'], ['name', 'in', ['partner_id', 'state']]]], {
      fields: ['name', 'ttype', 'relation', 'model_id'],
      order: 'name',
    });
    expect(fields.map((f: R) => [f.name, f.ttype, f.relation])).toEqual([
      ['partner_id', 'many2one', 'res.partner'],
      ['state', 'selection', false],
    ]);
    expect(fields[0].model_id[1]).toBe('Sales Order');
  });
});

describe('read and search', () => {
  it('reads many2one as [id, display_name] and x2many as ids; drops missing ids', () => {
    const contact = call('res.partner', 'search_read', [[['name', '=', 'Douglas Fletcher']]], { fields: ['parent_id', 'display_name', 'category_id'] })[0];
    expect(contact.parent_id).toEqual([9, 'Acme Corporation']);
    expect(contact.display_name).toBe('Acme Corporation, Douglas Fletcher');
    expect(contact.category_id).toEqual([]);
    const [acme] = call('res.partner', 'read', [[9, 999999]], { fields: ['child_ids'] });
    expect(acme.child_ids).toEqual(expect.arrayContaining([contact.id]));
    expect(call('res.partner', 'read', [[999999]], { fields: ['name'] })).toEqual([]);
  });

  it('formats create_date/write_date as seconds-precision UTC strings', () => {
    const [p] = call('res.partner', 'read', [[3]], { fields: ['create_date', 'write_date'] });
    expect(p.create_date).toBe('2026-11-24 13:27:11');
    expect(p.write_date).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  it('reads every field when none are given', () => {
    const [p] = call('res.partner', 'read', [[3]]);
    expect(p).toHaveProperty('email');
    expect(p).toHaveProperty('display_name', 'Mitchell Admin');
    expect(p).toHaveProperty('child_ids');
  });

  it('rejects unknown fields in read', () => {
    const err = odooError(() => call('res.partner', 'read', [[3]], { fields: ['nope'] }));
    expect(err.odooName).toBe('builtins.ValueError');
    expect(err.message).toBe("Invalid field 'nope' on model 'res.partner'");
  });

  it('honours order on several keys, limit and offset', () => {
    const all = call('res.partner', 'search_read', [[['is_company', '=', true]]], { fields: ['name', 'country_id'], order: 'country_id desc, name asc' });
    const keys = all.map((p: R) => [p.country_id ? p.country_id[1] : '', p.name]);
    const sorted = [...keys].sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? 1 : -1));
    expect(keys).toEqual(sorted);
    const page = call('res.partner', 'search', [[['is_company', '=', true]]], { order: 'name asc', offset: 2, limit: 3 });
    const full = call('res.partner', 'search', [[['is_company', '=', true]]], { order: 'name asc' });
    expect(page).toEqual(full.slice(2, 5));
    expect(call('res.partner', 'search_count', [[['is_company', '=', true]]])).toBe(full.length);
  });

  it('sorts sale orders by their default order (date_order desc)', () => {
    const orders = call('sale.order', 'search_read', [[]], { fields: ['date_order'] });
    const dates = orders.map((o: R) => o.date_order);
    expect(dates).toEqual([...dates].sort().reverse());
  });

  it('filters archived records unless active_test is false or the domain mentions active', () => {
    const visible = call('res.partner', 'search', [[['name', 'ilike', 'Archived']]]);
    expect(visible).toEqual([]);
    expect(call('res.partner', 'search', [[['name', 'ilike', 'Archived']]], { context: { active_test: false } })).toHaveLength(1);
    expect(call('res.partner', 'search', [[['active', '=', false], ['name', 'ilike', 'Archived']]])).toHaveLength(1);
    expect(call('res.partner', 'search_count', [['|', ['active', '=', true], ['active', '=', false]]])).toBe(
      call('res.partner', 'search_count', [[]], { context: { active_test: false } }),
    );
    // read by id does not filter archived records
    expect(call('res.partner', 'read', [[2]], { fields: ['active'] })).toEqual([{ id: 2, active: false }]);
  });

  it('accepts dotted paths and child_of in searches', () => {
    const sm = call('res.partner', 'search_read', [[['country_id.code', '=', 'SM']]], { fields: ['name'] });
    expect(sm.map((p: R) => p.name)).toContain('Gemini Furniture');
    const family = call('res.partner', 'search', [[['id', 'child_of', 9]]]);
    expect(family.sort((a: number, b: number) => a - b)).toEqual([9, 19, 20, 36]);
    const orders = call('sale.order', 'search_read', [[['partner_id.country_id.code', '=', 'SM']]], { fields: ['partner_id'] });
    expect(orders.length).toBeGreaterThan(0);
    expect(orders.every((o: R) => o.partner_id[0] === 10)).toBe(true);
  });

  it('computes qty_available from internal quants only', () => {
    const quants = call('stock.quant', 'search_read', [[]], { fields: ['product_id', 'location_id', 'quantity'] });
    const locations = new Map(call('stock.location', 'search_read', [[]], { fields: ['usage'] }).map((l: R) => [l.id, l.usage]));
    const products = call('product.product', 'search_read', [[]], { fields: ['qty_available'] });
    expect(quants.some((q: R) => locations.get(q.location_id[0]) !== 'internal')).toBe(true);
    for (const p of products) {
      const expected = quants
        .filter((q: R) => q.product_id[0] === p.id && locations.get(q.location_id[0]) === 'internal')
        .reduce((s: number, q: R) => s + q.quantity, 0);
      expect(p.qty_available).toBe(expected);
    }
    expect(locations.size).toBeGreaterThan(0);
  });

  it('name_search matches display names', () => {
    const res = call('res.partner', 'name_search', ['gemini'], { limit: 10 });
    expect(res[0]).toEqual([10, 'Gemini Furniture']);
    expect(res.some((r: R) => r[1] === 'Gemini Furniture, Jesse Brown')).toBe(true);
    expect(call('res.partner', 'name_search', [''], { limit: 3 })).toHaveLength(3);
  });
});

describe('create, write, unlink', () => {
  it('creates one record from a dict (id) and several from a list (ids)', () => {
    const id = call('res.partner', 'create', [{ name: 'Fixture Customer', email: 'fixture@example.com' }]);
    expect(typeof id).toBe('number');
    const ids = call('res.partner', 'create', [[{ name: 'Fixture A' }, { name: 'Fixture B' }]]);
    expect(ids).toEqual([id + 1, id + 2]);
    expect(engine.executeNamed(ADMIN, 'res.partner', 'create', { vals_list: [{ name: 'Json2' }] })).toEqual([id + 3]);
    expect(engine.executeNamed(ADMIN, 'res.partner', 'create', { vals_list: { name: 'Json2 dict' } })).toEqual([id + 4]);
  });

  it('refuses a contact without a name the way Odoo does', () => {
    const err = odooError(() => call('res.partner', 'create', [{ email: 'no-name@example.com' }]));
    expect(err.odooName).toBe('odoo.exceptions.ValidationError');
    expect(err.message).toBe('The operation cannot be completed: Contacts require a name');
  });

  it('checks required fields and selection values', () => {
    const missing = odooError(() => call('sale.order', 'create', [{}]));
    expect(missing.odooName).toBe('odoo.exceptions.ValidationError');
    expect(missing.message).toContain('Field: Customer (partner_id)');
    const badSelection = odooError(() => call('res.partner', 'create', [{ name: 'x', type: 'bogus' }]));
    expect(badSelection.odooName).toBe('builtins.ValueError');
    expect(badSelection.message).toBe("Wrong value for res.partner.type: 'bogus'");
    const unknown = odooError(() => call('res.partner', 'write', [[3], { nope: 1 }]));
    expect(unknown.message).toBe("Invalid field 'nope' on model 'res.partner'");
  });

  it('maintains write_date on every write and leaves create_date alone', () => {
    const id = call('res.partner', 'create', [{ name: 'Timed' }]);
    clock = new Date('2026-11-25T08:00:05Z');
    expect(call('res.partner', 'write', [[id], { phone: '+1234567890' }])).toBe(true);
    const [p] = call('res.partner', 'read', [[id]], { fields: ['create_date', 'write_date', 'phone', 'write_uid'] });
    expect(p).toEqual({ id, create_date: '2026-11-24 13:27:11', write_date: '2026-11-25 08:00:05', phone: '+1234567890', write_uid: [2, 'Mitchell Admin'] });
  });

  it('propagates commercial fields from a company to its contacts', () => {
    clock = new Date('2026-12-01T10:00:00Z');
    call('res.partner', 'write', [[9], { vat: 'US123456789' }]);
    const contacts = call('res.partner', 'search_read', [[['parent_id', '=', 9]]], { fields: ['vat', 'write_date', 'commercial_partner_id'] });
    expect(contacts.length).toBe(3);
    for (const c of contacts) expect(c).toMatchObject({ vat: 'US123456789', write_date: '2026-12-01 10:00:00', commercial_partner_id: [9, 'Acme Corporation'] });
  });

  it('raises MissingError for write/unlink on missing ids', () => {
    const w = odooError(() => call('res.partner', 'write', [[999999], { phone: '1' }]));
    expect(w.odooName).toBe('odoo.exceptions.MissingError');
    expect(w.message).toBe('Record does not exist or has been deleted.\n(Record: res.partner(999999,), User: 2)');
    const u = odooError(() => call('res.partner', 'unlink', [[999999]]));
    expect(u.message).toBe('Record does not exist or has been deleted.\n(Record: res.partner(999999,), User: 2)');
  });

  it('unlinks records and cascades to required children', () => {
    const order = call('sale.order', 'create', [{ partner_id: 10, order_line: [[0, 0, { name: 'Line', price_unit: 5 }]] }]);
    const [line] = call('sale.order', 'read', [[order]], { fields: ['order_line'] })[0].order_line;
    expect(call('sale.order', 'unlink', [[order]])).toBe(true);
    expect(call('sale.order', 'read', [[order]])).toEqual([]);
    expect(call('sale.order.line', 'read', [[line]])).toEqual([]);
  });

  it('refuses to delete a record a required many2one points at, and clears optional links', () => {
    const err = odooError(() => call('res.partner', 'unlink', [[10]]));
    expect(err.odooName).toBe('odoo.exceptions.ValidationError');
    expect(err.message).toBe(
      'The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\n' +
        'Model: Sales Order (sale.order)\nConstraint: sale_order_partner_id_fkey',
    );
    const dangling = odooError(() => call('sale.order', 'create', [{ partner_id: 999999 }]));
    expect(dangling.message).toMatch(/Constraint: sale_order_partner_id_fkey$/);
    expect(call('res.partner', 'read', [[10]], { fields: ['name'] })).toHaveLength(1);
    const company = call('res.partner', 'create', [{ name: 'Short-lived Co', is_company: true, child_ids: [[0, 0, { name: 'Orphan' }]] }]);
    const [orphan] = call('res.partner', 'read', [[company]], { fields: ['child_ids'] })[0].child_ids;
    call('res.partner', 'unlink', [[company]]);
    expect(call('res.partner', 'read', [[orphan]], { fields: ['parent_id', 'display_name'] })).toEqual([{ id: orphan, parent_id: false, display_name: 'Orphan' }]);
  });

  it('rolls back the whole call when it fails half-way, like Odoo\'s request transaction', () => {
    const before = call('sale.order', 'search_count', [[]]);
    const linesBefore = call('sale.order.line', 'search_count', [[]]);
    const err = odooError(() => call('sale.order', 'create', [{ partner_id: 10, order_line: [[0, 0, { name: 'ok', price_unit: 1 }], [0, 0, { price_unit: 2 }]] }]));
    expect(err.message).toMatch(/Field: Description \(name\)$/);
    expect(call('sale.order', 'search_count', [[]])).toBe(before);
    expect(call('sale.order.line', 'search_count', [[]])).toBe(linesBefore);
    const partner = call('res.partner', 'create', [{ name: 'Stable', category_id: [[6, 0, [1]]] }]);
    odooError(() => call('res.partner', 'write', [[partner], { name: 'Changed', category_id: [[4, 2]], child_ids: [[0, 0, { email: 'nameless@example.com' }]] }]));
    expect(call('res.partner', 'read', [[partner]], { fields: ['name', 'category_id', 'child_ids'] })).toEqual([{ id: partner, name: 'Stable', category_id: [1], child_ids: [] }]);
    expect(call('res.partner', 'search_count', [[['email', '=', 'nameless@example.com']]], { context: { active_test: false } })).toBe(0);
  });

  it('honours all x2many commands', () => {
    const order = call('sale.order', 'create', [{
      partner_id: 10,
      order_line: [[0, 0, { name: 'A', product_uom_qty: 2, price_unit: 10 }], [0, 0, { name: 'B', product_uom_qty: 1, price_unit: 5 }]],
    }]);
    const lines = () => call('sale.order', 'read', [[order]], { fields: ['order_line', 'amount_total', 'amount_untaxed'] })[0];
    const [a, b] = lines().order_line;
    expect(lines().amount_total).toBe(25);
    expect(lines().amount_untaxed).toBe(25);
    call('sale.order', 'write', [[order], { order_line: [[1, a, { price_unit: 20 }]] }]);
    expect(lines().amount_total).toBe(45);
    call('sale.order', 'write', [[order], { order_line: [[2, b]] }]);
    expect(lines().order_line).toEqual([a]);
    expect(call('sale.order.line', 'read', [[b]])).toEqual([]);

    const partner = call('res.partner', 'create', [{ name: 'Tagged', category_id: [[6, 0, [1, 2]]] }]);
    const tags = () => call('res.partner', 'read', [[partner]], { fields: ['category_id'] })[0].category_id;
    expect(tags()).toEqual([1, 2]);
    call('res.partner', 'write', [[partner], { category_id: [[3, 1]] }]);
    expect(tags()).toEqual([2]);
    call('res.partner', 'write', [[partner], { category_id: [[4, 3], [4, 2]] }]);
    expect(tags()).toEqual([2, 3]);
    call('res.partner', 'write', [[partner], { category_id: [[5]] }]);
    expect(tags()).toEqual([]);
    call('res.partner', 'write', [[partner], { category_id: [[0, 0, { name: 'Fresh' }]] }]);
    const [fresh] = tags();
    expect(call('res.partner.category', 'read', [[fresh]], { fields: ['name'] })[0].name).toBe('Fresh');
    // one2many: link (4), unlink (3) and set (6) move children between parents
    const company = call('res.partner', 'create', [{ name: 'Parent Co', is_company: true }]);
    const kid = call('res.partner', 'create', [{ name: 'Kid' }]);
    call('res.partner', 'write', [[company], { child_ids: [[4, kid]] }]);
    expect(call('res.partner', 'read', [[kid]], { fields: ['parent_id', 'display_name'] })[0]).toEqual({ id: kid, parent_id: [company, 'Parent Co'], display_name: 'Parent Co, Kid' });
    call('res.partner', 'write', [[company], { child_ids: [[3, kid]] }]);
    expect(call('res.partner', 'read', [[kid]], { fields: ['parent_id'] })[0].parent_id).toBe(false);
    call('res.partner', 'write', [[company], { child_ids: [[6, 0, [kid]]] }]);
    expect(call('res.partner', 'read', [[company]], { fields: ['child_ids'] })[0].child_ids).toEqual([kid]);
    call('res.partner', 'write', [[company], { child_ids: [[5]] }]);
    expect(call('res.partner', 'read', [[company]], { fields: ['child_ids'] })[0].child_ids).toEqual([]);
  });

  it('name_create and default_get', () => {
    const [id, name] = call('res.partner', 'name_create', ['Quick Partner']);
    expect(name).toBe('Quick Partner');
    expect(call('res.partner', 'read', [[id]], { fields: ['name'] })[0].name).toBe('Quick Partner');
    expect(call('sale.order', 'default_get', [['state', 'name', 'company_id']])).toEqual({ state: 'draft', name: 'New', company_id: 1 });
    expect(call('res.partner', 'default_get', [['active', 'type']], { context: { default_type: 'invoice' } })).toEqual({ active: true, type: 'invoice' });
  });
});

describe('business methods', () => {
  it('sale.order.action_confirm moves a quotation to sale', () => {
    const order = call('sale.order', 'create', [{ partner_id: 15, order_line: [[0, 0, { name: 'x', price_unit: 3, product_uom_qty: 3 }]] }]);
    expect(call('sale.order', 'read', [[order]], { fields: ['state', 'name'] })[0].state).toBe('draft');
    expect(call('sale.order', 'action_confirm', [[order]])).toBe(true);
    expect(call('sale.order', 'read', [[order]], { fields: ['state'] })[0].state).toBe('sale');
    const again = odooError(() => call('sale.order', 'action_confirm', [[order]]));
    expect(again.odooName).toBe('odoo.exceptions.UserError');
  });

  it('account.move.action_post numbers the invoice and opens its residual', () => {
    const move = call('account.move', 'create', [{ move_type: 'out_invoice', partner_id: 9, invoice_line_ids: [[0, 0, { name: 'Work', quantity: 3, price_unit: 500 }]] }]);
    expect(call('account.move', 'action_post', [[move]])).toBe(false);
    const [m] = call('account.move', 'read', [[move]], { fields: ['state', 'name', 'amount_total', 'amount_residual', 'payment_state'] });
    expect(m).toMatchObject({ state: 'posted', amount_total: 1500, amount_residual: 1500, payment_state: 'not_paid' });
    expect(m.name).toMatch(/^INV\/\d{4}\/\d{5}$/);
  });

  it('business methods exist only on their model', () => {
    const err = odooError(() => call('res.partner', 'action_confirm', [[3]]));
    expect(err.odooName).toBe('builtins.AttributeError');
    expect(err.message).toBe("The method 'res.partner.action_confirm' does not exist");
  });
});

describe('fields_get', () => {
  it('answers the requested attributes like the recorded fixture', () => {
    const res = call('sale.order', 'fields_get', [['name', 'partner_id', 'state']], { attributes: ['string', 'type', 'relation', 'required', 'readonly', 'selection'] });
    expect(res).toEqual({
      name: { readonly: false, required: true, string: 'Order Reference', type: 'char' },
      partner_id: { readonly: false, relation: 'res.partner', required: true, string: 'Customer', type: 'many2one' },
      state: {
        readonly: true, required: false, string: 'Status', type: 'selection',
        selection: [['draft', 'Quotation'], ['sent', 'Quotation Sent'], ['sale', 'Sales Order'], ['cancel', 'Cancelled']],
      },
    });
    const all = call('res.partner', 'fields_get');
    expect(all.parent_id).toMatchObject({ type: 'many2one', relation: 'res.partner', string: 'Related Company' });
  });
});

describe('read_group', () => {
  it('groups with counts, sums and per-group domains that select the group', () => {
    const groups = call('sale.order', 'read_group', [[['state', '!=', 'cancel']], ['amount_total:sum'], ['partner_id']]);
    const orders = call('sale.order', 'search_read', [[['state', '!=', 'cancel']]], { fields: ['partner_id', 'amount_total'] });
    expect(groups.reduce((s: number, g: R) => s + g.partner_id_count, 0)).toBe(orders.length);
    for (const g of groups) {
      const mine = orders.filter((o: R) => o.partner_id[0] === g.partner_id[0]);
      expect(g.partner_id_count).toBe(mine.length);
      expect(g.amount_total).toBeCloseTo(mine.reduce((s: number, o: R) => s + o.amount_total, 0), 2);
      expect(call('sale.order', 'search', [g.__domain]).length).toBe(mine.length);
    }
  });

  it('groups dates by month with labels and ranges; lazy=false gives __count', () => {
    const groups = call('sale.order', 'read_group', [[], ['amount_total:sum'], ['date_order:month', 'state']], { lazy: false });
    expect(groups[0]).toHaveProperty('__count');
    expect(groups[0]['date_order:month']).toMatch(/^(January|February|March|April|May|June|July|August|September|October|November|December) \d{4}$/);
    for (const g of groups) expect(call('sale.order', 'search_count', [g.__domain])).toBe(g.__count);
    const lazy = call('sale.order', 'read_group', [[], ['amount_total:sum'], ['state', 'partner_id']]);
    expect(lazy[0].__context).toEqual({ group_by: ['partner_id'] });
    expect(lazy[0]).toHaveProperty('state_count');
  });

  it('formatted_read_group (19) returns aggregates keyed by spec and __extra_domain', () => {
    const groups = call('sale.order', 'formatted_read_group', [[['state', '=', 'sale']], ['partner_id'], ['__count', 'amount_total:sum']], { order: 'amount_total:sum desc' });
    const totals = groups.map((g: R) => g['amount_total:sum']);
    expect(totals).toEqual([...totals].sort((a, b) => b - a));
    for (const g of groups) {
      expect(call('sale.order', 'search_count', [['&', ['state', '=', 'sale'], ...g.__extra_domain]])).toBe(g.__count);
    }
    const big = call('sale.order', 'formatted_read_group', [[], ['partner_id'], ['__count']], { having: [['__count', '>=', 3]] });
    const all = call('sale.order', 'formatted_read_group', [[], ['partner_id'], ['__count']]);
    expect(big.length).toBeGreaterThan(0);
    expect(big).toEqual(all.filter((g: R) => g.__count >= 3));
    const v17 = createSimEngine({ version: 17 });
    const err = odooError(() => v17.execute(2, 'sale.order', 'formatted_read_group', [[], ['partner_id'], ['__count']], {}));
    expect(err.odooName).toBe('builtins.AttributeError');
  });
});

describe('RPC errors and binding', () => {
  it('uses Odoo exception names and texts', () => {
    const cases: [() => unknown, string, string][] = [
      [() => call('res.partner', 'search', [[['name', 'bogus-op', 'x']]]), 'builtins.ValueError', "Invalid operator in condition ('name', 'bogus-op', 'x')"],
      [() => call('res.partner', 'search_read', [[['no_such_field', '=', 1]]], { limit: 1 }), 'builtins.ValueError', "Invalid field res.partner.no_such_field in condition ('no_such_field', '=', 1)"],
      [() => call('res.partner', 'no_such_method', [[]]), 'builtins.AttributeError', "The method 'res.partner.no_such_method' does not exist"],
      [() => call('res.partner', '_compute_display_name', [[1]]), 'odoo.exceptions.AccessError', "Private methods (such as 'res.partner._compute_display_name') cannot be called remotely."],
      [() => call('no.such.model', 'search_read', [[]], { limit: 1 }), 'odoo.exceptions.UserError', "Object no.such.model doesn't exist"],
      [() => call('res.partner', 'name_get', [[1]]), 'builtins.AttributeError', "The method 'res.partner.name_get' does not exist"], // removed in 18
      [() => engine.executeNamed(ADMIN, 'no.such.model', 'search_read', { domain: [], limit: 1 }), 'werkzeug.exceptions.NotFound', "the model 'no.such.model' does not exist"],
      [() => engine.executeNamed(ADMIN, 'res.partner', 'search_read', { args: [[['is_company', '=', true]]] }), 'builtins.TypeError', "BaseModel._read_format() got an unexpected keyword argument 'args'"],
      [() => engine.executeNamed(ADMIN, 'res.partner', 'write', { ids: [999999], vals: { phone: '1' } }), 'odoo.exceptions.MissingError', 'Record does not exist or has been deleted.\n(Record: res.partner(999999,), User: 2)'],
      // Python's signatures: search_count's domain has no default; search_read takes five positional parameters (load is a keyword).
      [() => call('res.partner', 'search_count', []), 'builtins.TypeError', "BaseModel.search_count() missing 1 required positional argument: 'domain'"],
      // JSON-2 binds the body to the signature before calling: its refusals are 422s with inspect's texts.
      [() => engine.executeNamed(ADMIN, 'res.partner', 'search_count', {}), 'werkzeug.exceptions.UnprocessableEntity', "missing a required argument: 'domain'"],
      [() => engine.executeNamed(ADMIN, 'res.partner', 'write', { ids: [1], vals: {}, colour: 'red' }), 'werkzeug.exceptions.UnprocessableEntity', "got an unexpected keyword argument 'colour'"],
      [() => engine.executeNamed(ADMIN, 'res.partner', 'check_access', { ids: [1], colour: 'red' }), 'werkzeug.exceptions.UnprocessableEntity', "missing a required argument: 'operation'"],
      [() => engine.executeNamed(ADMIN, 'res.partner', 'search', { ids: [1], domain: [] }), 'werkzeug.exceptions.UnprocessableEntity', 'cannot call res.partner.search with ids'],
      [() => call('res.partner', 'search_read', [[], ['name'], 0, 1, 'id', '_classic_read']), 'builtins.TypeError', 'BaseModel.search_read() takes from 1 to 6 positional arguments but 7 were given'],
      [() => call('res.partner', 'write', [[1]]), 'builtins.TypeError', "BaseModel.write() missing 1 required positional argument: 'vals'"],
      // Python says "argument", singular, when it takes one (self).
      [() => call('res.partner', 'unlink', [[1], 'extra']), 'builtins.TypeError', 'BaseModel.unlink() takes 1 positional argument but 2 were given'],
    ];
    for (const [fn, name, message] of cases) {
      const err = odooError(fn);
      expect([err.odooName, err.message]).toEqual([name, message]);
    }
    expect(odooError(() => engine.executeNamed(ADMIN, 'no.such.model', 'search', {})).args).toEqual(["the model 'no.such.model' does not exist", 404]);
  });

  it('binds positional args and kwargs to the same parameters', () => {
    const positional = call('res.partner', 'search_read', [[['is_company', '=', true]], ['name'], 1, 2, 'name asc']);
    const named = call('res.partner', 'search_read', [], { domain: [['is_company', '=', true]], fields: ['name'], offset: 1, limit: 2, order: 'name asc' });
    const json2 = engine.executeNamed(ADMIN, 'res.partner', 'search_read', { domain: [['is_company', '=', true]], fields: ['name'], offset: 1, limit: 2, order: 'name asc' });
    expect(positional).toEqual(named);
    expect(json2).toEqual(named);
    expect(positional).toHaveLength(2);
    expect(engine.executeNamed(ADMIN, 'res.partner', 'read', { ids: [1, 3], fields: ['name', 'parent_id'] })).toEqual([
      { id: 1, name: 'My Company (San Francisco)', parent_id: false },
      { id: 3, name: 'Mitchell Admin', parent_id: false },
    ]);
    const dup = odooError(() => call('res.partner', 'search', [[]], { domain: [] }));
    expect(dup.odooName).toBe('builtins.TypeError');
  });
});

describe('versions', () => {
  it.each([17, 18, 19] as const)('Odoo %i: create returns an id for a dict and ids for a list', (version) => {
    const e = createSimEngine({ version });
    expect(e.version).toBe(version);
    expect(typeof e.execute(2, 'res.partner', 'create', [{ name: 'One' }], {})).toBe('number');
    expect(e.execute(2, 'res.partner', 'create', [[{ name: 'A' }, { name: 'B' }]], {})).toHaveLength(2);
    expect(e.sessionInfo(2).server_version).toBe(`${version}.0`);
    // name_search's domain parameter was called `args` before 18; both spellings work.
    expect(e.execute(2, 'res.partner', 'name_search', [], { name: 'Acme', args: [['is_company', '=', true]] })).toEqual([[9, 'Acme Corporation']]);
    expect(e.execute(2, 'res.partner', 'name_search', [], { name: 'Acme', domain: [['is_company', '=', true]] })).toEqual([[9, 'Acme Corporation']]);
  });

  it("takes default_get's fields_list up to 18 and fields from 19, refusing the other version's name as Odoo does", () => {
    for (const version of [17, 18] as const) {
      const e = createSimEngine({ version });
      expect(e.execute(2, 'res.partner', 'default_get', [], { fields_list: ['active'] })).toMatchObject({ active: true });
      expect(odooError(() => e.execute(2, 'res.partner', 'default_get', [], { fields: ['active'] })).message).toMatch(/unexpected keyword argument 'fields'/);
    }
    const e19 = createSimEngine({ version: 19 });
    expect(e19.execute(2, 'res.partner', 'default_get', [], { fields: ['active'] })).toMatchObject({ active: true });
    expect(odooError(() => e19.execute(2, 'res.partner', 'default_get', [], { fields_list: ['active'] })).message).toMatch(/unexpected keyword argument 'fields_list'/);
  });

  it('reads limit and offset given as digits, as PostgreSQL does with the query parameter', () => {
    const e = createSimEngine({ version: 18 });
    expect(e.execute(2, 'res.partner', 'search_read', [[['is_company', '=', true]]], { fields: ['name'], limit: '2', offset: '1' })).toHaveLength(2);
  });

  it('keeps the deprecated name_get on 17 only', () => {
    expect(createSimEngine({ version: 17 }).execute(2, 'res.partner', 'name_get', [[19, 999999]], {})).toEqual([[19, 'Acme Corporation, Douglas Fletcher']]);
    expect(odooError(() => createSimEngine({ version: 18 }).execute(2, 'res.partner', 'name_get', [[19]], {})).odooName).toBe('builtins.AttributeError');
  });

  it('read with load=_classic_write gives bare many2one ids', () => {
    expect(call('res.partner', 'read', [[19]], { fields: ['parent_id'], load: '_classic_write' })).toEqual([{ id: 19, parent_id: 9 }]);
  });
});

describe('users and access', () => {
  it('authenticates with password or API key', () => {
    expect(engine.authenticate('admin', 'admin')).toBe(2);
    expect(engine.authenticate('admin', 'admin-key')).toBe(2);
    expect(engine.authenticate('admin', 'wrong')).toBe(false);
    expect(engine.authenticate('nobody', 'admin')).toBe(false);
    expect(engine.authenticateApiKey('admin-key')).toBe(2);
    expect(engine.authenticateApiKey('nope')).toBe(false);
    expect(engine.authenticate('portal_reader', 'reader')).toBe(7);
    expect(engine.authenticate('demo', 'demo')).toBe(6);
    expect(engine.authenticate('sales', 'sales-api-key')).toBe(8);
    expect(engine.authenticateApiKey('demo-api-key')).toBe(6);
    // an internal user may sell but not configure
    expect(call('sale.order', 'check_access_rights', ['create'], {}, 8)).toBe(true);
    expect(call('res.company', 'check_access_rights', ['write'], { raise_exception: false }, 8)).toBe(false);
    expect(odooError(() => call('base.automation', 'search', [[]], {}, 8)).odooName).toBe('odoo.exceptions.AccessError');
  });

  it('lets the restricted reader read partners but not change them', () => {
    const reader = engine.authenticate('portal_reader', 'reader') as number;
    expect(call('res.partner', 'search_count', [[]], {}, reader)).toBeGreaterThan(10);
    const write = odooError(() => call('res.partner', 'write', [[3], { name: 'x' }], {}, reader));
    expect(write.odooName).toBe('odoo.exceptions.AccessError');
    expect(write.message).toMatch(/^You are not allowed to modify 'Contact' \(res\.partner\) records\.\n\nThis operation is allowed for the following groups:\n/);
    expect(odooError(() => call('res.partner', 'create', [{ name: 'x' }], {}, reader)).message).toMatch(/not allowed to create 'Contact'/);
    expect(odooError(() => call('res.partner', 'unlink', [[3]], {}, reader)).message).toMatch(/not allowed to delete 'Contact'/);
    expect(odooError(() => call('sale.order', 'search', [[]], {}, reader)).message).toMatch(/not allowed to access 'Sales Order' \(sale\.order\)/);
    expect(call('res.partner', 'check_access_rights', ['write'], { raise_exception: false }, reader)).toBe(false);
    expect(call('res.partner', 'check_access_rights', ['read'], {}, reader)).toBe(true);
    expect(odooError(() => call('res.partner', 'check_access_rights', ['unlink'], {}, reader)).odooName).toBe('odoo.exceptions.AccessError');
  });

  it('refuses unknown uids', () => {
    expect(odooError(() => call('res.partner', 'search', [[]], {}, 999)).odooName).toBe('odoo.exceptions.AccessDenied');
  });

  it('builds session info like /web/session/authenticate', () => {
    const info = engine.sessionInfo(2);
    expect(info).toMatchObject({
      uid: 2, is_admin: true, is_system: true, db: 'odoo_demo', server_version: '19.0', server_version_info: [19, 0, 0, 'final', 0, ''],
      name: 'Mitchell Admin', username: 'admin', partner_id: 3, user_context: { lang: 'en_US', tz: 'Europe/Brussels', uid: 2 },
    });
    expect((info.user_companies as R).allowed_companies['1'].name).toBe('My Company (San Francisco)');
    expect(engine.sessionInfo(7)).toMatchObject({ is_admin: false, is_internal_user: false, username: 'portal_reader' });
  });
});

describe('scale', () => {
  // How fast seeding and searching are is bench/odoo-sim.ts's to measure, not a test's.
  it('seeds 100k partners, and a small search among them finds the right ones', () => {
    const { firstId, lastId } = engine.seedPartners(100_000);
    expect(lastId - firstId + 1).toBe(100_000);
    expect(call('res.partner', 'read', [[lastId]], { fields: ['name'] })[0].name).toBe(`Scale Partner ${lastId}`);
    const res = call('res.partner', 'search_read', [[['id', '>', lastId - 50]]], { fields: ['name'], limit: 5, order: 'id desc' });
    expect(res.map((r: R) => r.id)).toEqual([lastId, lastId - 1, lastId - 2, lastId - 3, lastId - 4]);
  });
});
