import { describe, expect, it } from 'vitest';
import { OdooError } from '../../src/odoo/errors.js';
import { shapeJson2Result, toJson2Call } from '../../src/odoo/json2-params.js';

const D = [['is_company', '=', true]];

describe('execute_kw args → JSON-2 named params', () => {
  it.each<[string, unknown[], Record<string, unknown>, Record<string, unknown>]>([
    ['search_read', [D], { fields: ['name'], limit: 10 }, { domain: D, fields: ['name'], limit: 10 }],
    ['search_read', [D, ['name'], 5, 10, 'name desc'], {}, { domain: D, fields: ['name'], offset: 5, limit: 10, order: 'name desc' }],
    ['search', [D, 0, 3, 'id'], {}, { domain: D, offset: 0, limit: 3, order: 'id' }],
    ['search_count', [D, 100], {}, { domain: D, limit: 100 }],
    ['read', [[1, 3], ['name']], {}, { ids: [1, 3], fields: ['name'] }],
    ['read', [7], { fields: ['name'] }, { ids: [7], fields: ['name'] }],
    ['write', [[3], { phone: '1' }], {}, { ids: [3], vals: { phone: '1' } }],
    ['unlink', [[4, 5]], {}, { ids: [4, 5] }],
    ['create', [[{ name: 'A' }, { name: 'B' }]], {}, { vals_list: [{ name: 'A' }, { name: 'B' }] }],
    ['create', [{ name: 'A' }], {}, { vals_list: [{ name: 'A' }] }],
    ['copy', [[9], { name: 'Copy' }], {}, { ids: [9], default: { name: 'Copy' } }],
    ['fields_get', [['name'], ['string', 'type']], {}, { allfields: ['name'], attributes: ['string', 'type'] }],
    ['fields_get', [], { attributes: ['type'] }, { attributes: ['type'] }],
    ['name_search', ['Az', D, 'ilike', 5], {}, { name: 'Az', domain: D, operator: 'ilike', limit: 5 }],
    ['name_create', ['New Co'], {}, { name: 'New Co' }],
    ['default_get', [['name', 'lang']], {}, { fields: ['name', 'lang'] }],
    [
      'read_group',
      [D, ['amount_total:sum'], ['partner_id'], 0, 10, 'partner_id', false],
      {},
      { domain: D, fields: ['amount_total:sum'], groupby: ['partner_id'], offset: 0, limit: 10, orderby: 'partner_id', lazy: false },
    ],
    ['formatted_read_group', [D, ['state'], ['__count']], {}, { domain: D, groupby: ['state'], aggregates: ['__count'] }],
    ['check_access_rights', ['write', false], {}, { operation: 'write', raise_exception: false }],
    ['action_confirm', [[12]], {}, { ids: [12] }],
    ['button_validate', [[1, 2]], { context: { lang: 'fr_FR' } }, { ids: [1, 2], context: { lang: 'fr_FR' } }],
    ['message_post', [], { ids: [3], body: 'hi' }, { ids: [3], body: 'hi' }],
    ['search_read', [], { domain: D, context: { active_test: false } }, { domain: D, context: { active_test: false } }],
  ])('%s %j %j', (method, args, kwargs, expected) => {
    expect(toJson2Call(method, args, kwargs).params).toEqual(expected);
  });

  it.each<[string, unknown[], Record<string, unknown>, RegExp]>([
    ['search_read', [D], { domain: [] }, /'domain' given both/],
    ['write', [[1], { a: 1 }], { vals: {} }, /'vals' given both/],
    ['read', [[1]], { ids: [2] }, /'ids' given both/],
    ['search', [D, 0, 1, 'id', 'extra'], {}, /at most 4 positional/],
    ['unlink', [[1], 'extra'], {}, /at most 1 positional/],
    ['write', ['not ids', {}], {}, /list of ids/],
    ['message_post', [[3], 'hello'], {}, /not a method whose positional arguments are known/],
    // The advice works over JSON-RPC too: kwargs.ids would be an unexpected keyword there.
    ['some_custom', [D], {}, /pass the record ids as the only positional argument \(args: \[\[ids\]\]\) and everything else in kwargs by name/],
  ])('%s %j %j → odoo_unmappable_args', (method, args, kwargs, message) => {
    let error: unknown;
    try {
      toJson2Call(method, args, kwargs);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OdooError);
    expect((error as OdooError).code).toBe('odoo_unmappable_args');
    expect((error as OdooError).message).toMatch(message);
  });

  it.each<[string, unknown[], RegExp]>([
    // What a quoted n8n expression sends: said as such, not as an unknown signature; the same
    // refusal as the client gives over JSON-RPC (odoo_bad_request), for one answer on 18 and 19.
    ['action_confirm', [['6']], /action_confirm: record ids must be numbers, got the text "6"; in n8n, write the expression without quotes/],
    ['write', [[3, '4'], { phone: 'x' }], /write: record ids must be numbers, got the text "4"/],
    ['some_custom', [['7']], /some_custom: record ids must be numbers, got the text "7"/],
  ])('%s %j → odoo_bad_request (quoted ids)', (method, args, message) => {
    expect(() => toJson2Call(method, args, {})).toThrow(expect.objectContaining({ code: 'odoo_bad_request', message: expect.stringMatching(message) }));
  });

  it('unwraps create of one dict to an id, keeps lists as lists', () => {
    const one = toJson2Call('create', [{ name: 'A' }], {});
    expect(one.unwrapSingleCreate).toBe(true);
    expect(shapeJson2Result(one, [53])).toBe(53);
    const many = toJson2Call('create', [[{ name: 'A' }]], {});
    expect(many.unwrapSingleCreate).toBe(false);
    expect(shapeJson2Result(many, [53])).toEqual([53]);
    const kw = toJson2Call('create', [], { vals_list: { name: 'A' } });
    expect(kw.params).toEqual({ vals_list: [{ name: 'A' }] });
    expect(shapeJson2Result(kw, [7])).toBe(7);
  });

  it('does not mutate its inputs', () => {
    const args = [{ name: 'A' }];
    const kwargs = { context: {} };
    toJson2Call('create', args, kwargs);
    expect(args).toEqual([{ name: 'A' }]);
    expect(kwargs).toEqual({ context: {} });
  });
});

describe('toJson2Call keyword names', () => {
  it('takes keyword arguments named like Object.prototype members (only a positional duplicate is refused)', () => {
    expect(toJson2Call('search_read', [[]], { toString: 1, constructor: 2 }).params).toEqual({ domain: [], toString: 1, constructor: 2 });
    expect(() => toJson2Call('search_read', [[]], { domain: [] })).toThrow(/given both positionally/);
  });

  it('maps a method named like an Object.prototype member as any unknown method, not as a known signature', () => {
    for (const method of ['toString', 'constructor', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__proto__']) {
      expect(toJson2Call(method, [[1, 2]], {}).params).toEqual({ ids: [1, 2] });
      expect(toJson2Call(method, [], { context: { lang: 'en_US' } }).params).toEqual({ context: { lang: 'en_US' } });
      expect(() => toJson2Call(method, [[1], 'write'], {})).toThrow(expect.objectContaining({ code: 'odoo_unmappable_args' }));
    }
  });
});
