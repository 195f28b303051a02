import { describe, expect, it } from 'vitest';
import { linkHeader, ORDER, pageLinks, parseDomain, parseFieldList } from '../../src/rest/query.js';

describe('REST list query parsing (pure)', () => {
  it('parses JSON domains and refuses anything that is not a list of terms', () => {
    expect(parseDomain('[["is_company","=",true]]')).toEqual({ ok: true, domain: [['is_company', '=', true]] });
    expect(parseDomain('["|",["a","=",1],["b","=",2]]')).toMatchObject({ ok: true });
    expect(parseDomain('[]')).toEqual({ ok: true, domain: [] });
    expect(parseDomain('[["a","="]]')).toMatchObject({ ok: false });
    expect(parseDomain('{"a":1}')).toMatchObject({ ok: false, problem: expect.stringContaining('array') });
    expect(parseDomain("[('a','=',1)]")).toMatchObject({ ok: false, problem: expect.stringContaining('JSON') });
    expect(parseDomain('["&&"]')).toMatchObject({ ok: false });
  });

  it('splits field lists and refuses names that are not identifiers', () => {
    expect(parseFieldList('name, email,phone')).toEqual(['name', 'email', 'phone']);
    expect(parseFieldList('x_studio_note')).toEqual(['x_studio_note']);
    expect(parseFieldList('name;drop')).toBeNull();
    expect(parseFieldList('partner_id.name')).toBeNull();
  });

  it('accepts Odoo order clauses and refuses SQL-looking ones', () => {
    for (const ok of ['name', 'name asc, id desc', 'date_order DESC', 'partner_id.name asc', 'write_date desc nulls last']) expect(ORDER.test(ok), ok).toBe(true);
    for (const bad of ['name; drop table res_partner', 'name asc --', '(select 1)', "name'", 'name asc,', 'id desc desc']) expect(ORDER.test(bad), bad).toBe(false);
  });

  it('points prev at the last page that holds records when the offset is past the end', () => {
    expect(pageLinks('/x?limit=2&offset=500', { offset: 500, limit: 2, total: 40 }).prev).toBe('/x?limit=2&offset=38');
    expect(pageLinks('/x?limit=10&offset=45', { offset: 45, limit: 10, total: 41 }).prev).toBe('/x?limit=10&offset=35');
    expect(pageLinks('/x?limit=10&offset=30', { offset: 30, limit: 10, total: 0 }).prev).toBe('/x?limit=10&offset=0');
  });

  it('builds self/next/prev links that keep the other query parameters', () => {
    const links = pageLinks('/api/v1/models/res.partner?domain=%5B%5D&limit=10&offset=10', { offset: 10, limit: 10, total: 25 });
    expect(links.self).toBe('/api/v1/models/res.partner?domain=%5B%5D&limit=10&offset=10');
    expect(links.next).toBe('/api/v1/models/res.partner?domain=%5B%5D&limit=10&offset=20');
    expect(links.prev).toBe('/api/v1/models/res.partner?domain=%5B%5D&limit=10&offset=0');
    const last = pageLinks('/x?limit=10&offset=20', { offset: 20, limit: 10, total: 25 });
    expect(last.next).toBeNull();
    const first = pageLinks('/x', { offset: 0, limit: 80, total: 3 });
    expect(first).toEqual({ self: '/x?limit=80&offset=0', next: null, prev: null });
    // Spaces as %20, never '+': OAuth 1.0a libraries sign a '+' in a URL as a literal plus.
    const spaced = pageLinks('/x?order=name+asc&domain=%5B%5B%22name%22%2C%22%3D%22%2C%22a+%2B+b%22%5D%5D', { offset: 0, limit: 2, total: 5 });
    expect(spaced.next).toBe('/x?order=name%20asc&domain=%5B%5B%22name%22%2C%22%3D%22%2C%22a%20%2B%20b%22%5D%5D&limit=2&offset=2');
    expect(new URLSearchParams(spaced.next!.split('?')[1]).get('domain')).toBe('[["name","=","a + b"]]');
    expect(linkHeader(links)).toBe(`<${links.self}>; rel="self", <${links.next}>; rel="next", <${links.prev}>; rel="prev"`);
  });
});
