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

  it('ignores what is not a condition, and stops at a depth no real domain has', () => {
    expect(domainReaches('partner_id.email', 0)).toEqual([]);
    expect(domainReaches([[1, '=', 1], ['a.b'], [null, 'ilike', 'x'], '&', 7], 0)).toEqual([]);
    let deep: unknown[] = [['x.y', '=', 1]];
    for (let i = 0; i < 20; i++) deep = [['line_ids', 'any', deep]];
    let depth = 0;
    for (let reach: Reach | undefined = domainReaches(deep, 0)[0]; reach; reach = reach.then?.[0]) depth++;
    expect(depth).toBe(9);
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

  it('follows nested specifications and their orders', () => {
    expect(specificationReaches({ name: {}, order_line: { fields: { product_id: { fields: { name: {} } } }, order: 'product_id.name' }, partner_id: { context: {} } }, 0)).toEqual([
      { path: ['order_line'], full: true, then: [{ path: ['product_id'], full: true, then: [] }, { path: ['product_id', 'name'], full: false }] },
    ]);
  });

  it('reads export paths, leaving a trailing id to the field before it', () => {
    expect(exportReaches(['order_line/product_id/name', 'partner_id/.id', 'name', 3])).toEqual([{ path: ['order_line', 'product_id', 'name'], full: false }]);
  });
});
