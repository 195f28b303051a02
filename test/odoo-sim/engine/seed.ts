/**
 * Builds the demo database: reference data, partners, users, products with stock, sale orders
 * and invoices — enough for the documented scenarios (customers owing more than 1000, confirmed
 * orders since 2025-01-01, products with less than 10 on hand). Deterministic: no randomness.
 */
import type { AccessControl } from './access.js';
import type { ModelDef } from './model.js';
import type { Orm } from './orm.js';
import { moveTotal } from './models/account.js';
import { COMPANIES, CONTACTS, COUNTRIES, INDIVIDUALS, MESSAGE_SUBTYPES, PRODUCTS, XMLIDS } from './seed-data.js';

/** Seed records are created by the superuser (uid 1), as Odoo's data loading does. */
const SUPERUSER = 1;

type Vals = Record<string, unknown>;

function createAt(orm: Orm, model: string, id: number, vals: Vals): number {
  orm.model(model).table.nextId = id;
  return orm.create(model, [vals], SUPERUSER)[0]!;
}

const create = (orm: Orm, model: string, vals: Vals) => orm.create(model, [vals], SUPERUSER)[0]!;

export interface SeedOptions {
  adminApiKey?: string;
}

/** Fixed logins of the simulator; see README "Engine". */
export const DEMO_USERS = {
  admin: { uid: 2, login: 'admin', password: 'admin' },
  demo: { uid: 6, login: 'demo', password: 'demo', apiKey: 'demo-api-key' },
  reader: { uid: 7, login: 'portal_reader', password: 'reader', apiKey: 'reader-api-key' },
  sales: { uid: 8, login: 'sales', password: 'sales', apiKey: 'sales-api-key' },
} as const;

export function seedDemoData(orm: Orm, access: AccessControl, models: ModelDef[], options: SeedOptions = {}): void {
  seedTechnical(orm, models);
  seedReference(orm);
  seedPartnersAndUsers(orm, access, options);
  const productIds = seedProducts(orm);
  seedSales(orm, productIds);
  seedInvoices(orm, productIds);
  seedCrm(orm);
  seedMail(orm);
  seedModelData(orm);
}

function seedMail(orm: Orm): void {
  for (const [id, , name, sequence, internal, isDefault] of MESSAGE_SUBTYPES) {
    createAt(orm, 'mail.message.subtype', id, { name, sequence, internal, default: isDefault });
  }
}

/** ir.model.data rows, as Odoo's module data files leave them: the xmlids of the records above. */
function seedModelData(orm: Orm): void {
  const rows: [string, string, string, number, boolean][] = [
    ...XMLIDS,
    ...COUNTRIES.map(([id, , code]): [string, string, string, number, boolean] => ['base', code.toLowerCase(), 'res.country', id, false]),
    ...MESSAGE_SUBTYPES.map(([id, name]): [string, string, string, number, boolean] => ['mail', name, 'mail.message.subtype', id, false]),
  ];
  for (const [module, name, model, resId, noupdate] of rows) create(orm, 'ir.model.data', { module, name, model, res_id: resId, noupdate });
}

function seedCrm(orm: Orm): void {
  const stages = ['New', 'Qualified', 'Proposition', 'Won'].map((name, i) =>
    create(orm, 'crm.stage', { name, sequence: i + 1, is_won: name === 'Won' }),
  );
  const leads: [string, number, number, number, string][] = [
    ['Office Design Project', 15, 24000, 1, '2'],
    ['Furniture for new office', 10, 3800, 2, '1'],
    ['Quote for 150 carpets', 12, 40000, 0, '0'],
    ['Open Space Design', 9, 11000, 3, '3'],
    ['Distributor Contract', 17, 19800, 1, '1'],
  ];
  for (const [name, partner, revenue, stage, priority] of leads) {
    const p = orm.row('res.partner', partner)!;
    create(orm, 'crm.lead', { name, partner_id: partner, email_from: p.email, phone: p.phone, expected_revenue: revenue, stage_id: stages[stage], priority, probability: stage === 3 ? 100 : 10 + stage * 20 });
  }
  create(orm, 'crm.lead', { name: 'Interest in your products', type: 'lead', contact_name: 'Jeff Lawson', email_from: 'jeff.lawson52@example.com' });
}

function seedTechnical(orm: Orm, models: ModelDef[]): void {
  for (const def of models) {
    const modelId = create(orm, 'ir.model', { name: def.description, model: def.name, state: 'base' });
    for (const f of def.fields) {
      create(orm, 'ir.model.fields', {
        name: f.name,
        field_description: f.string,
        model: def.name,
        model_id: modelId,
        ttype: f.type,
        relation: f.relation ?? false,
        required: Boolean(f.required),
        readonly: Boolean(f.readonly || f.compute),
        store: !f.compute && f.type !== 'one2many',
        state: 'base',
      });
    }
  }
}

function seedReference(orm: Orm): void {
  createAt(orm, 'res.currency', 1, { name: 'USD', symbol: '$', full_name: 'United States dollar', position: 'before' });
  create(orm, 'res.currency', { name: 'EUR', symbol: '€', full_name: 'Euro', position: 'after' });
  create(orm, 'res.currency', { name: 'GBP', symbol: '£', full_name: 'Pound sterling', position: 'before', active: false });
  for (const [id, name, code] of [...COUNTRIES].sort((a, b) => a[0] - b[0])) {
    createAt(orm, 'res.country', id, { name, code, currency_id: code === 'US' ? 1 : 2 });
  }
  create(orm, 'res.country.state', { name: 'California', code: 'CA', country_id: 233 });
  create(orm, 'res.country.state', { name: 'New Hampshire', code: 'NH', country_id: 233 });
  create(orm, 'res.partner.category', { name: 'Customer' });
  create(orm, 'res.partner.category', { name: 'Vendor' });
  create(orm, 'res.partner.category', { name: 'VIP' });
}

function seedPartnersAndUsers(orm: Orm, access: AccessControl, options: SeedOptions): void {
  const P = 'res.partner';
  createAt(orm, P, 1, {
    name: 'My Company (San Francisco)', is_company: true, email: 'info@yourcompany.com', phone: '+1 555-555-5556',
    street: '250 Executive Park Blvd, Suite 3400', city: 'San Francisco', zip: '94134', country_id: 233, state_id: 1,
  });
  createAt(orm, P, 2, { name: 'OdooBot', email: 'odoobot@example.com', active: false });
  createAt(orm, P, 3, {
    name: 'Mitchell Admin', email: 'admin@yourcompany.example.com', phone: '+1 555-555-5555', function: 'Chief Executive Officer',
    city: 'Scranton', country_id: 233,
  });
  createAt(orm, P, 4, { name: 'Public user', active: false });
  createAt(orm, P, 5, { name: 'My US Company', is_company: true, city: 'New York', country_id: 233 });
  createAt(orm, P, 6, { name: 'My Company (Chicago)', is_company: true, city: 'Chicago', country_id: 233 });
  createAt(orm, P, 7, { name: 'Marc Demo', parent_id: 1, email: 'mark.brown23@example.com', function: 'Consultant' });
  createAt(orm, P, 8, { name: 'Joel Willis', email: 'joel.willis63@example.com', city: 'Tracy', country_id: 233 });
  for (const [id, name, email, phone, country, city] of COMPANIES) {
    createAt(orm, P, id, { name, is_company: true, email, phone, country_id: country, city, customer_rank: 1, category_id: [[6, 0, [1]]] });
  }
  for (const [id, name, parent, email, fn] of [...CONTACTS].sort((a, b) => a[0] - b[0])) {
    const company = orm.row(P, parent)!;
    createAt(orm, P, id, { name, parent_id: parent, email, function: fn, country_id: company.country_id, city: company.city });
  }
  for (const [id, name, email, country] of INDIVIDUALS) createAt(orm, P, id, { name, email, country_id: country, customer_rank: 1 });
  // An archived customer, to exercise active filtering.
  createAt(orm, P, 43, { name: 'Archived Customer Ltd', is_company: true, email: 'old@example.com', active: false, country_id: 21 });

  createAt(orm, 'res.company', 1, { name: 'My Company (San Francisco)', partner_id: 1, sequence: 0 });
  createAt(orm, 'res.company', 2, { name: 'My US Company', partner_id: 5 });
  createAt(orm, 'res.company', 3, { name: 'My Company (Chicago)', partner_id: 6 });
  for (const id of [1, 3, 5, 6, 7]) orm.model(P).table.update(orm.row(P, id)!, { company_id: id === 5 ? 2 : id === 6 ? 3 : 1 });

  createAt(orm, 'res.users', 1, { login: '__system__', partner_id: 2, active: false, company_ids: [[6, 0, [1]]] });
  createAt(orm, 'res.users', 2, { login: 'admin', partner_id: 3, company_ids: [[6, 0, [1, 2, 3]]] });
  createAt(orm, 'res.users', 6, { login: 'demo', partner_id: 7, company_ids: [[6, 0, [1]]] });
  createAt(orm, 'res.users', 7, { login: 'portal_reader', partner_id: 8, share: true, company_ids: [[6, 0, [1]]] });
  const salesPartner = createAt(orm, P, 44, { name: 'Jane Sales', parent_id: 1, email: 'jane.sales@yourcompany.example.com', function: 'Sales Manager' });
  createAt(orm, 'res.users', 8, { login: 'sales', partner_id: salesPartner, company_ids: [[6, 0, [1]]] });
  access.add({ uid: 1, login: '__system__', password: '', apiKeys: [], role: 'admin' });
  access.add({ uid: 2, login: 'admin', password: 'admin', apiKeys: options.adminApiKey ? [options.adminApiKey] : [], role: 'admin' });
  access.add({ uid: 6, login: 'demo', password: 'demo', apiKeys: [DEMO_USERS.demo.apiKey], role: 'user' });
  access.add({ uid: 7, login: 'portal_reader', password: 'reader', apiKeys: [DEMO_USERS.reader.apiKey], role: 'reader' });
  access.add({ uid: 8, login: 'sales', password: 'sales', apiKeys: [DEMO_USERS.sales.apiKey], role: 'user' });
}

function seedProducts(orm: Orm): number[] {
  const all = create(orm, 'product.category', { name: 'All' });
  const saleable = create(orm, 'product.category', { name: 'Saleable', parent_id: all });
  const categories = {
    office: create(orm, 'product.category', { name: 'Office Furniture', parent_id: saleable }),
    furniture: create(orm, 'product.category', { name: 'Furniture', parent_id: saleable }),
    services: create(orm, 'product.category', { name: 'Services', parent_id: all }),
  };

  const L = 'stock.location';
  const physical = create(orm, L, { name: 'Physical Locations', usage: 'view' });
  const partners = create(orm, L, { name: 'Partners', usage: 'view' });
  create(orm, L, { name: 'Vendors', usage: 'supplier', location_id: partners });
  const customers = create(orm, L, { name: 'Customers', usage: 'customer', location_id: partners });
  const wh = create(orm, L, { name: 'WH', usage: 'view', location_id: physical });
  const stock = create(orm, L, { name: 'Stock', usage: 'internal', location_id: wh, company_id: 1 });
  const shelf = create(orm, L, { name: 'Shelf 1', usage: 'internal', location_id: stock, company_id: 1 });
  const warehouse = create(orm, 'stock.warehouse', { name: 'YourCompany', code: 'WH', partner_id: 1, lot_stock_id: stock });
  for (const id of [wh, stock, shelf]) orm.model(L).table.update(orm.row(L, id)!, { warehouse_id: warehouse });

  const productIds: number[] = [];
  PRODUCTS.forEach(([code, name, price, cost, categ, qty, type], i) => {
    const tmpl = create(orm, 'product.template', {
      name, default_code: code, list_price: price, standard_price: cost, categ_id: categories[categ], type,
      is_storable: type === 'consu', is_favorite: i === 0,
    });
    const product = create(orm, 'product.product', { product_tmpl_id: tmpl, default_code: code });
    productIds.push(product);
    if (qty > 0) {
      // Split stock over two internal locations for some products so qty_available must add them up.
      const onShelf = i % 3 === 0 ? Math.floor(qty / 3) : 0;
      create(orm, 'stock.quant', { product_id: product, location_id: stock, quantity: qty - onShelf });
      if (onShelf) create(orm, 'stock.quant', { product_id: product, location_id: shelf, quantity: onShelf });
    }
    // Goods already delivered sit in the customers location and must not count as on hand.
    if (type === 'consu' && i % 4 === 1) create(orm, 'stock.quant', { product_id: product, location_id: customers, quantity: 25 });
  });
  return productIds;
}

const CUSTOMERS = [10, 15, 12, 9, 11, 13, 14, 16, 17, 39, 40];
const pad2 = (n: number) => String(n).padStart(2, '0');

function seedSales(orm: Orm, productIds: number[]): void {
  const states = ['draft', 'sent', 'sale', 'sale', 'sale', 'draft', 'sale', 'cancel', 'sale', 'sent', 'sale', 'sale'];
  for (let i = 0; i < 24; i++) {
    // Dates walk through 2024-2026 so there are confirmed orders before and after 2025-01-01.
    const month = (i * 5) % 12;
    const year = 2024 + Math.floor(i / 9);
    const dateOrder = `${year}-${pad2(month + 1)}-${pad2(1 + ((i * 7) % 27))} ${pad2(8 + (i % 9))}:${pad2((i * 13) % 60)}:00`;
    const lines = [0, 1, 2].slice(0, 1 + (i % 3)).map((k) => {
      const product = productIds[(i * 3 + k * 5) % productIds.length]!;
      const tmpl = orm.row('product.template', orm.row('product.product', product)!.product_tmpl_id as number)!;
      return [0, 0, { product_id: product, name: String(tmpl.name), product_uom_qty: 1 + ((i + k) % 5), price_unit: tmpl.list_price }];
    });
    create(orm, 'sale.order', {
      partner_id: CUSTOMERS[i % CUSTOMERS.length],
      date_order: dateOrder,
      state: states[i % states.length],
      order_line: lines,
      client_order_ref: i % 4 === 0 ? `PO-${1000 + i}` : false,
    });
  }
}

function seedInvoices(orm: Orm, productIds: number[]): void {
  const M = 'account.move';
  // [customer, year, lines [product index, qty], state, payment]
  const invoices: [number, number, [number, number][], 'posted' | 'draft', 'not_paid' | 'paid' | 'partial'][] = [
    [10, 2025, [[6, 1], [0, 2]], 'posted', 'not_paid'], // 3250 due
    [15, 2025, [[8, 1]], 'posted', 'not_paid'], // 4000 due
    [12, 2025, [[4, 2]], 'posted', 'partial'], // 1500 total, 750 due
    [9, 2025, [[1, 4]], 'posted', 'paid'],
    [11, 2026, [[15, 1], [2, 3]], 'posted', 'not_paid'], // 1620 due
    [13, 2026, [[7, 10]], 'posted', 'not_paid'], // 250 due
    [14, 2026, [[13, 2]], 'posted', 'paid'],
    [16, 2026, [[3, 2]], 'draft', 'not_paid'],
    [39, 2026, [[9, 5]], 'draft', 'not_paid'],
  ];
  let seq = 0;
  invoices.forEach(([partner, year, lines, state, payment], i) => {
    const date = `${year}-${pad2(1 + ((i * 4) % 12))}-${pad2(3 + i)}`;
    const id = create(orm, M, {
      move_type: 'out_invoice',
      partner_id: partner,
      date,
      invoice_date: date,
      invoice_date_due: `${year}-${pad2(1 + ((i * 4 + 1) % 12))}-${pad2(3 + i)}`,
      invoice_line_ids: lines.map(([p, qty]) => {
        const tmpl = orm.row('product.template', orm.row('product.product', productIds[p]!)!.product_tmpl_id as number)!;
        return [0, 0, { product_id: productIds[p], name: String(tmpl.name), quantity: qty, price_unit: tmpl.list_price }];
      }),
    });
    const row = orm.row(M, id)!;
    const total = moveTotal(row, orm);
    const residual = state === 'draft' ? total : payment === 'paid' ? 0 : payment === 'partial' ? total / 2 : total;
    orm.model(M).table.update(row, {
      state,
      name: state === 'posted' ? `INV/${year}/${String(++seq).padStart(5, '0')}` : '/',
      amount_residual: residual,
      payment_state: state === 'draft' ? 'not_paid' : payment,
    });
  });
  orm.setSequence('account.move/INV', seq);
  const bill = create(orm, M, {
    move_type: 'in_invoice', partner_id: 17, date: '2026-02-10', invoice_date: '2026-02-10',
    invoice_line_ids: [[0, 0, { name: 'Wood planks', quantity: 100, price_unit: 12.5 }]],
  });
  orm.model(M).table.update(orm.row(M, bill)!, { state: 'posted', name: 'BILL/2026/02/0001', amount_residual: 1250 });
}

/** Bulk partners for scale tests: rows go straight into the table (no automation rules fire). */
export function seedManyPartners(orm: Orm, count: number): { firstId: number; lastId: number } {
  const table = orm.model('res.partner').table;
  const now = orm.now();
  const firstId = table.nextId;
  const countries = COUNTRIES.map((c) => c[0]);
  for (let i = 0; i < count; i++) {
    const id = table.allocateId();
    table.insert({
      id,
      name: `Scale Partner ${id}`,
      email: `partner${id}@scale.example.com`,
      phone: `+1 555 ${String(id % 10000).padStart(4, '0')}`,
      city: `City ${id % 100}`,
      country_id: countries[id % countries.length],
      is_company: id % 10 === 0,
      active: true,
      type: 'contact',
      parent_id: false,
      lang: 'en_US',
      customer_rank: id % 3 === 0 ? 1 : 0,
      supplier_rank: 0,
      category_id: [],
      create_uid: SUPERUSER,
      write_uid: SUPERUSER,
      create_date: now,
      write_date: now,
    });
  }
  return { firstId, lastId: table.nextId - 1 };
}
