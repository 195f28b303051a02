import { beforeEach, describe, expect, it } from 'vitest';
import { createSimEngine, type SimEngineWithInternals } from '../engine.js';
import { raised } from './testing.js';

type R = Record<string, any>;
const ADMIN = 2;
const READER = 7;

let engine: SimEngineWithInternals;
const call = (model: string, method: string, args: unknown[] = [], kwargs: R = {}, uid = ADMIN): any => engine.execute(uid, model, method, args, kwargs);

beforeEach(() => {
  engine = createSimEngine({ version: 19 });
});

describe('web_read', () => {
  it('reads plain fields, a many2one as its id or as the dict asked for, an x2many as ids or dicts', () => {
    // Douglas Fletcher (19) works at Acme (9); Mitchell Admin (3) has no company.
    const rows = call('res.partner', 'web_read', [[19, 3]], {
      specification: {
        name: {},
        parent_id: { fields: { display_name: {} } },
        country_id: {},
        state_id: { fields: {} },
        category_id: {},
      },
    });
    expect(rows).toEqual([
      { id: 19, name: 'Douglas Fletcher', parent_id: { id: 9, display_name: 'Acme Corporation' }, country_id: 233, state_id: false, category_id: [] },
      { id: 3, name: 'Mitchell Admin', parent_id: false, country_id: 233, state_id: false, category_id: [] },
    ]);
    const [acme] = call('res.partner', 'web_read', [[9]], {
      specification: { child_ids: { fields: { name: {}, email: {} }, order: 'name desc', limit: 1 }, country_id: { fields: { code: {}, display_name: {} } } },
    });
    // Ids past the limit stay {id}; the order applies to the whole list.
    expect(acme.child_ids[0]).toEqual({ id: expect.any(Number), name: expect.any(String), email: expect.any(String) });
    expect(acme.child_ids.slice(1).every((c: R) => Object.keys(c).join() === 'id')).toBe(true);
    const names = call('res.partner', 'read', [acme.child_ids.map((c: R) => c.id)], { fields: ['name'] }).map((c: R) => c.name);
    expect(acme.child_ids[0].name).toBe([...names].sort().reverse()[0]);
    expect(acme.country_id).toEqual({ id: 233, code: 'US', display_name: 'United States' });
  });

  it('answers ids alone without reading (missing records included) and drops missing records once it reads', () => {
    expect(call('res.partner', 'web_read', [[3, 999999]], { specification: {} })).toEqual([{ id: 3 }, { id: 999999 }]);
    expect(call('res.partner', 'web_read', [[3, 999999]], { specification: { name: {} } })).toEqual([{ id: 3, name: 'Mitchell Admin' }]);
    expect(engine.executeNamed(ADMIN, 'res.partner', 'web_read', { ids: [3], specification: { display_name: {} } })).toEqual([{ id: 3, display_name: 'Mitchell Admin' }]);
  });

  it('refuses what Odoo refuses', () => {
    expect(raised(() => call('res.partner', 'web_read', [[3]], { specification: { no_such_field: {} } }))).toEqual(['builtins.ValueError', "Invalid field 'no_such_field' on model 'res.partner'"]);
    expect(raised(() => call('res.partner', 'web_read', [[3]], { specification: ['name'] }))).toEqual(['builtins.AttributeError', "'list' object has no attribute 'items'"]);
    expect(raised(() => call('res.partner', 'web_read', [[19]], { specification: { parent_id: true } }))).toEqual(['builtins.TypeError', "argument of type 'bool' is not iterable"]);
    expect(raised(() => call('res.partner', 'web_read', [[3]]))).toEqual(['builtins.TypeError', "Base.web_read() missing 1 required positional argument: 'specification'"]);
    // Reading a co-model's fields needs read access on it.
    expect(call('res.partner', 'web_read', [[1]], { specification: { company_id: { fields: { display_name: {} } } } }, READER)).toEqual([
      { id: 1, company_id: { id: 1, display_name: 'My Company (San Francisco)' } },
    ]);
    expect(raised(() => call('res.partner', 'web_read', [[10]], { specification: { sale_order_ids: { fields: { name: {} } } } }, READER))[0]).toBe('odoo.exceptions.AccessError');
  });
});

describe('web_search_read', () => {
  const spec = { name: {}, partner_id: { fields: { display_name: {} } }, amount_total: {} };

  it('answers {length, records}, counting past a full page', () => {
    const domain = [['state', '=', 'sale']];
    const total = call('sale.order', 'search_count', [domain]);
    const page = call('sale.order', 'web_search_read', [domain, spec], { limit: 3, order: 'id asc' });
    expect(page.length).toBe(total);
    expect(page.records).toHaveLength(3);
    expect(page.records[0]).toEqual({ id: expect.any(Number), name: expect.any(String), partner_id: { id: expect.any(Number), display_name: expect.any(String) }, amount_total: expect.any(Number) });
    expect(page.records.map((r: R) => r.id)).toEqual(call('sale.order', 'search', [domain], { limit: 3, order: 'id asc' }));
    // count_limit caps the count; a page that is not full counts itself and the offset.
    expect(call('sale.order', 'web_search_read', [domain, spec], { limit: 3, count_limit: 5 }).length).toBe(5);
    expect(call('sale.order', 'web_search_read', [domain, spec], { offset: total - 2, limit: 3 }).length).toBe(total);
    expect(call('sale.order', 'web_search_read', [domain, spec]).length).toBe(total);
    // No records: length 0 whatever the offset.
    expect(call('sale.order', 'web_search_read', [[['id', '<', 0]], spec], { offset: 10 })).toEqual({ length: 0, records: [] });
  });

  it('binds the same over execute_kw positions, keywords and JSON-2', () => {
    const domain = [['is_company', '=', true]];
    const positional = call('res.partner', 'web_search_read', [domain, { name: {} }, 1, 2, 'name asc']);
    const named = engine.executeNamed(ADMIN, 'res.partner', 'web_search_read', { domain, specification: { name: {} }, offset: 1, limit: 2, order: 'name asc' });
    expect(named).toEqual(positional);
    expect(positional.records).toHaveLength(2);
  });

  it('refuses what Odoo refuses', () => {
    expect(raised(() => call('res.partner', 'web_search_read', [[], { nope: {} }]))).toEqual(['builtins.ValueError', "Invalid field 'nope' on model 'res.partner'"]);
    expect(raised(() => call('res.partner', 'web_search_read', [[], ['name']]))).toEqual(['builtins.AttributeError', "'list' object has no attribute 'keys'"]);
    expect(raised(() => call('res.partner', 'web_search_read', [[]]))).toEqual(['builtins.TypeError', "Base.web_search_read() missing 1 required positional argument: 'specification'"]);
    expect(raised(() => call('sale.order', 'web_search_read', [[], { name: {} }], {}, READER))[0]).toBe('odoo.exceptions.AccessError');
  });
});
