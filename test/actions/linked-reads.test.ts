/** Where a call's domain, order, groupby, specification or export fields reach other models (pure). */
import { describe, expect, it } from 'vitest';
import { domainReaches, exportReaches, fieldSpecReaches, orderReaches, readReaches, specificationReaches, type Reach } from '../../src/actions/linked-reads.js';

describe('readReaches', () => {
  it('finds nothing in the usual calls: plain fields compared with numbers, booleans or nothing', () => {
    expect(readReaches('search_read', [[['is_company', '=', true], ['partner_id', 'in', [1, 2]], ['id', '>', 5], '|', ['user_id', '=', false], ['amount_total', '>=', 10]]], { fields: ['name', 'partner_id'], limit: 10, order: 'name desc, id' })).toEqual([]);
    expect(readReaches('read', [[1, 2], ['name']], {})).toEqual([]);
    expect(readReaches('create', [{ name: 'x' }], {})).toEqual([]);
  });

  it('takes a domain positionally or by keyword, and a name_search domain under either of its names', () => {
    const dotted = [['partner_id.email', '=like', 'a%']];
    const reach = { path: ['partner_id', 'email'], full: true };
    expect(readReaches('search_count', [dotted], {})).toEqual([reach]);
    expect(readReaches('search_read', [], { domain: dotted })).toEqual([reach]);
    expect(readReaches('name_search', ['a', dotted], {})).toEqual([reach]);
    expect(readReaches('name_search', [], { name: 'a', args: dotted })).toEqual([reach]);
    expect(readReaches('my_custom_report', [], { domain: dotted })).toEqual([reach]);
    expect(readReaches('search_panel_select_range', ['partner_id'], { search_domain: dotted, category_domain: [] })).toEqual([reach]);
    expect(readReaches('web_read_group', [[], ['partner_id']], { unfold_read_specification: { partner_id: { fields: { email: {} } } } })).toEqual([{ path: ['partner_id'], full: true, then: [] }]);
    // A domain where a method does not take one is not read as one.
    expect(readReaches('write', [dotted, { name: 'x' }], {})).toEqual([]);
  });

  it("finds order, groupby and aggregates in read_group's places, and web_read's specification after the ids", () => {
    expect(readReaches('read_group', [[], ['amount_total:sum', 'total:sum(order_line.price_total)'], ['partner_id.country_id', 'date_order:month'], 0, 10, 'partner_id.name desc'], {})).toEqual([
      { path: ['partner_id', 'name'], full: false },
      { path: ['order_line', 'price_total'], full: false },
      { path: ['partner_id', 'country_id'], full: false },
    ]);
    expect(readReaches('web_read', [[1], { partner_id: { fields: { email: {} } } }], {})).toEqual([{ path: ['partner_id'], full: true, then: [] }]);
    expect(readReaches('web_save', [[1], { name: 'x' }], { specification: { partner_id: { fields: { email: {} } } } })).toEqual([{ path: ['partner_id'], full: true, then: [] }]);
    expect(readReaches('export_data', [[1], ['name', 'partner_id/email', 'partner_id/id', 'order_line/.id']], {})).toEqual([{ path: ['partner_id', 'email'], full: false }]);
  });
});

describe('domainReaches', () => {
  it('reaches the comodel of a relational field compared with text (its name search), and of any / not any, with their subdomains', () => {
    expect(domainReaches([['partner_id', 'ilike', 'acme'], ['tag_ids', 'in', ['vip', 3]]], 0)).toEqual([
      { path: ['partner_id'], full: true },
      { path: ['tag_ids'], full: true },
    ]);
    expect(domainReaches(['!', ['order_line', 'NOT ANY', [['product_id.name', 'ilike', 'desk'], ['product_uom_qty', '>', 1]]]], 0)).toEqual([
      { path: ['order_line'], full: true, then: [{ path: ['product_id', 'name'], full: true }] },
    ]);
  });

  it('ignores what is not a condition, follows eight levels of nesting and refuses a ninth rather than skip it', () => {
    expect(domainReaches('partner_id.email', 0)).toEqual([]);
    expect(domainReaches([[1, '=', 1], ['a.b'], [null, 'ilike', 'x'], '&', 7], 0)).toEqual([]);
    const nested = (levels: number) => {
      let d: unknown[] = [['user_id.login', '=like', 'a%']];
      for (let i = 0; i < levels; i++) d = [['child_ids', 'any', d]];
      return d;
    };
    let depth = 0;
    for (let reach: Reach | undefined = domainReaches(nested(8), 0)[0]; reach; reach = reach.then?.[0]) depth++;
    expect(depth).toBe(9);
    expect(() => domainReaches(nested(9), 0)).toThrow(expect.objectContaining({ code: 'model_not_allowed', details: { reason: 'nesting_too_deep', maxDepth: 8 } }));
    let spec: Record<string, unknown> = { email: {} };
    for (let i = 0; i < 10; i++) spec = { parent_id: { fields: spec } };
    expect(() => specificationReaches(spec, 0)).toThrow(expect.objectContaining({ code: 'model_not_allowed' }));
  });
});

describe('the other parts', () => {
  it('reads order terms with directions and nulls placement', () => {
    expect(orderReaches(' partner_id.name DESC NULLS LAST , id asc,date_order:month')).toEqual([{ path: ['partner_id', 'name'], full: false }]);
    expect(orderReaches(['partner_id.name'])).toEqual([]);
  });

  it('reads a single groupby string like a list of one', () => {
    expect(fieldSpecReaches('partner_id.country_id:day')).toEqual([{ path: ['partner_id', 'country_id'], full: false }]);
    expect(fieldSpecReaches([7, null, 'name'])).toEqual([]);
  });

  it("lets a nested read of a record's id and display name through, as every read shows them, and reaches for anything more", () => {
    expect(specificationReaches({ partner_id: { fields: { display_name: {} } }, order_line: { fields: { product_id: { fields: { display_name: {}, id: {} } } } } }, 0)).toEqual([
      { path: ['order_line'], full: true, then: [] },
    ]);
    // Odoo reads `fields` through dict(): pairs count; a form it cannot read is taken to reach.
    expect(specificationReaches({ partner_id: { fields: [['email', {}]] }, user_id: { fields: 'email' } }, 0)).toEqual([
      { path: ['partner_id'], full: true, then: [] },
      { path: ['user_id'], full: true, then: [] },
    ]);
    // A nested order sorts the comodel's records: it reaches them without reading a field.
    expect(specificationReaches({ sale_order_ids: { order: 'amount_total desc', limit: 1 }, child_ids: { limit: 3 } }, 0)).toEqual([{ path: ['sale_order_ids'], full: true, then: [] }]);
  });

  it('reads the places of onchange, web_name_search, load and web_read_group on Odoo 19', () => {
    const emailSpec = { partner_id: { fields: { email: {} } } };
    const reach = [{ path: ['partner_id'], full: true, then: [] }];
    expect(readReaches('onchange', [[], {}, ['partner_id'], emailSpec], {})).toEqual(reach);
    expect(readReaches('onchange', [[], {}, ['partner_id']], { fields_spec: emailSpec })).toEqual(reach);
    expect(readReaches('web_name_search', ['a', emailSpec, [['partner_id.email', '!=', false]]], {})).toEqual([{ path: ['partner_id', 'email'], full: false }, ...reach]);
    expect(readReaches('web_read_group', [[], ['partner_id']], { groupby_read_specification: { partner_id: { email: {} } } })).toEqual(reach);
    expect(readReaches('web_read_group', [[], ['partner_id']], { groupby_read_specification: { partner_id: { display_name: {} } } })).toEqual([]);
    expect(readReaches('load', [['name', 'sale_order_ids/client_order_ref', 'category_id/id'], [['x', 'y', 'z']]], {})).toEqual([{ path: ['sale_order_ids', 'client_order_ref'], full: false }]);
    expect(readReaches('load', [], { fields: ['sale_order_ids/client_order_ref'], data: [] })).toEqual([{ path: ['sale_order_ids', 'client_order_ref'], full: false }]);
  });

  it('reads quoted names in orders and groupbys', () => {
    expect(orderReaches('"partner_id".email desc')).toEqual([{ path: ['partner_id', 'email'], full: false }]);
    expect(fieldSpecReaches(['"partner_id".country_id'])).toEqual([{ path: ['partner_id', 'country_id'], full: false }]);
  });

  it('follows nested specifications and their orders', () => {
    expect(specificationReaches({ name: {}, order_line: { fields: { product_id: { fields: { name: {} } } }, order: 'product_id.name' }, partner_id: { context: {} } }, 0)).toEqual([
      { path: ['order_line'], full: true, then: [{ path: ['product_id'], full: true, then: [] }, { path: ['product_id', 'name'], full: false }] },
    ]);
  });

  it('reads export paths, leaving a trailing id to the field before it', () => {
    expect(exportReaches(['order_line/product_id/name', 'partner_id/.id', 'name', 3])).toEqual([{ path: ['order_line', 'product_id', 'name'], full: false }]);
  });
});
