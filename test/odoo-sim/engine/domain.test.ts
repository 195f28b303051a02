import { describe, expect, it } from 'vitest';
import { compileDomain, mentionsField, parseDomain, type DomainHost, type Row } from './domain.js';
import { OdooException } from './errors.js';

/**
 * A toy schema: people in a small org chart, each with an optional country and tags.
 *   country: 1 Belgium (BE), 2 France (FR)
 *   tag:     1 vip, 2 new
 */
const fields: Record<string, Record<string, { type: string; relation?: string }>> = {
  person: {
    name: { type: 'char' },
    age: { type: 'integer' },
    score: { type: 'float' },
    active: { type: 'boolean' },
    born: { type: 'date' },
    seen: { type: 'datetime' },
    parent_id: { type: 'many2one', relation: 'person' },
    country_id: { type: 'many2one', relation: 'country' },
    tag_ids: { type: 'many2many', relation: 'tag' },
    child_ids: { type: 'one2many', relation: 'person' },
  },
  country: { name: { type: 'char' }, code: { type: 'char' } },
  tag: { name: { type: 'char' } },
};

const people: Row[] = [
  { id: 1, name: 'Alice', age: 50, score: 9.5, active: true, born: '1975-03-01', seen: '2025-01-01 00:00:00', parent_id: false, country_id: 1, tag_ids: [1] },
  { id: 2, name: 'Bob', age: 30, score: 0, active: true, born: '1995-07-15', seen: '2024-12-31 23:59:59', parent_id: 1, country_id: 2, tag_ids: [1, 2] },
  { id: 3, name: 'carol', age: 25, score: 3, active: false, born: false, seen: false, parent_id: 2, country_id: false, tag_ids: [] },
  { id: 4, name: false, age: 0, score: 1, active: true, born: '2001-01-01', seen: '2025-06-01 12:00:00', parent_id: 2, country_id: 1, tag_ids: [2] },
  { id: 5, name: 'Dan_100%', age: 41, score: 2, active: false, born: '1984-02-29', seen: false, parent_id: false, country_id: 2, tag_ids: [] },
];
const tables: Record<string, Row[]> = {
  person: people,
  country: [{ id: 1, name: 'Belgium', code: 'BE' }, { id: 2, name: 'France', code: 'FR' }],
  tag: [{ id: 1, name: 'vip' }, { id: 2, name: 'new' }],
};

const host: DomainHost = {
  field: (model, name) => fields[model]?.[name],
  value: (model, row, name) => (model === 'person' && name === 'child_ids' ? people.filter((p) => p.parent_id === row.id).map((p) => p.id) : row[name]),
  row: (model, id) => tables[model]!.find((r) => r.id === id),
  displayName: (_model, row) => String(row.name || ''),
  rows: (model) => tables[model]!,
  parentField: (model) => (model === 'person' ? 'parent_id' : undefined),
};

const ids = (domain: unknown) => people.filter(compileDomain(domain, 'person', host)).map((p) => p.id);

describe('domain evaluation', () => {
  const cases: [string, unknown, number[]][] = [
    ['empty domain matches all', [], [1, 2, 3, 4, 5]],
    ['= on char', [['name', '=', 'Bob']], [2]],
    ['!= on char includes unset', [['name', '!=', 'Bob']], [1, 3, 4, 5]],
    ['= False matches unset', [['name', '=', false]], [4]],
    ['!= False matches set', [['name', '!=', false]], [1, 2, 3, 5]],
    ['< on integer', [['age', '<', 30]], [3, 4]],
    ['<= on integer', [['age', '<=', 30]], [2, 3, 4]],
    ['> on float', [['score', '>', 2]], [1, 3]],
    ['>= on float', [['score', '>=', 2]], [1, 3, 5]],
    ['comparison with False matches nothing', [['age', '>', false]], []],
    ['date comparison skips unset', [['born', '<', '1990-01-01']], [1, 5]],
    ['datetime vs date-only bound means midnight', [['seen', '>=', '2025-01-01']], [1, 4]],
    ['datetime <= date-only bound includes exact midnight', [['seen', '<=', '2025-01-01']], [1, 2]],
    ['in list', [['age', 'in', [25, 50]]], [1, 3]],
    ['not in list includes nothing extra', [['age', 'not in', [25, 50]]], [2, 4, 5]],
    ['in with False matches unset too', [['country_id', 'in', [false, 2]]], [2, 3, 5]],
    ['not in with False excludes unset', [['country_id', 'not in', [false]]], [1, 2, 4, 5]],
    ['like is case-sensitive substring', [['name', 'like', 'o']], [2, 3]],
    ['ilike is case-insensitive', [['name', 'ilike', 'AL']], [1]],
    ['not ilike includes unset', [['name', 'not ilike', 'a']], [2, 4]],
    ['not like', [['name', 'not like', 'o']], [1, 4, 5]],
    ['=like uses the raw pattern', [['name', '=like', 'B%']], [2]],
    ['=ilike uses the raw pattern, case-insensitive', [['name', '=ilike', 'c_rol']], [3]],
    ['% and _ are wildcards in like', [['name', 'like', 'Dan_1']], [5]],
    ['=? with False is always true', [['age', '=?', false]], [1, 2, 3, 4, 5]],
    ['=? with a value is =', [['age', '=?', 30]], [2]],
    ['boolean = False', [['active', '=', false]], [3, 5]],
    ['boolean != True', [['active', '!=', true]], [3, 5]],
    ['many2one = id', [['country_id', '=', 1]], [1, 4]],
    ['many2one = False', [['country_id', '=', false]], [3]],
    ['many2one compared with a name', [['country_id', '=', 'France']], [2, 5]],
    ['many2one ilike searches the target name', [['country_id', 'ilike', 'bel']], [1, 4]],
    ['dotted path through many2one', [['country_id.code', '=', 'FR']], [2, 5]],
    ['dotted path two levels', [['parent_id.country_id.code', '=', 'BE']], [2]],
    ['dotted path with != only on linked records', [['country_id.code', '!=', 'FR']], [1, 4]],
    ['x2many = id means contains', [['tag_ids', '=', 2]], [2, 4]],
    ['x2many in', [['tag_ids', 'in', [1]]], [1, 2]],
    ['x2many = False means empty', [['tag_ids', '=', false]], [3, 5]],
    ['x2many != False means non-empty', [['tag_ids', '!=', false]], [1, 2, 4]],
    ['x2many not in', [['tag_ids', 'not in', [1]]], [3, 4, 5]],
    ['x2many dotted path', [['tag_ids.name', '=', 'new']], [2, 4]],
    ['x2many ilike on names', [['tag_ids', 'ilike', 'vi']], [1, 2]],
    ['one2many = False', [['child_ids', '=', false]], [3, 4, 5]],
    ['any on many2one', [['country_id', 'any', [['code', '=', 'BE']]]], [1, 4]],
    ['not any on many2one includes unset', [['country_id', 'not any', [['code', '=', 'BE']]]], [2, 3, 5]],
    ['any on x2many', [['tag_ids', 'any', [['name', 'in', ['vip']]]]], [1, 2]],
    ['not any on x2many', [['tag_ids', 'not any', [['name', '=', 'vip']]]], [3, 4, 5]],
    ['child_of id', [['id', 'child_of', 2]], [2, 3, 4]],
    ['child_of through many2one', [['parent_id', 'child_of', 1]], [2, 3, 4]],
    ['child_of by name', [['id', 'child_of', 'Bob']], [2, 3, 4]],
    ['parent_of', [['id', 'parent_of', [3]]], [1, 2, 3]],
    ['implicit and', [['age', '>', 20], ['active', '=', true]], [1, 2]],
    ['explicit &', ['&', ['age', '>', 20], ['active', '=', true]], [1, 2]],
    ['|', ['|', ['name', '=', 'Bob'], ['age', '=', 0]], [2, 4]],
    ['!', ['!', ['age', '>', 30]], [2, 3, 4]],
    ['nested prefix', ['|', '&', ['age', '>', 40], ['active', '=', true], '!', ['country_id', '!=', false]], [1, 3]],
    ['| followed by implicit and', ['|', ['age', '=', 25], ['age', '=', 30], ['active', '=', true]], [2]],
    ['TRUE_LEAF', [[1, '=', 1]], [1, 2, 3, 4, 5]],
    ['FALSE_LEAF', [[0, '=', 1]], []],
    ['TRUE_LEAF in |', ['|', [0, '=', 1], ['age', '=', 25]], [3]],
    ['id in', [['id', 'in', [1, 5, 99]]], [1, 5]],
    ['<> alias of !=', [['age', '<>', 30]], [1, 3, 4, 5]],
  ];
  it.each(cases)('%s', (_label, domain, expected) => {
    expect(ids(domain)).toEqual(expected);
  });
});

describe('domain errors', () => {
  const errors: [string, unknown, string][] = [
    ['invalid operator', [['name', 'bogus-op', 'x']], "Invalid operator in condition ('name', 'bogus-op', 'x')"],
    ['unknown field', [['no_such_field', '=', 1]], "Invalid field person.no_such_field in condition ('no_such_field', '=', 1)"],
    ['unknown field in a path', [['country_id.nope', '=', 1]], "Invalid field country.nope in condition ('country_id.nope', '=', 1)"],
    ['leaf of wrong arity', [['name', '=']], "Invalid leaf ('name', '=')"],
    ['unbalanced |', ['|', ['name', '=', 'x']], "Domain ['|', ['name', '=', 'x']] is syntactically not correct."],
    ['dangling !', ['!'], "Domain ['!'] is syntactically not correct."],
    ['garbage token', ['name'], "Invalid leaf 'name'"],
  ];
  it.each(errors)('%s', (_label, domain, message) => {
    let caught: unknown;
    try {
      ids(domain);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(OdooException);
    expect((caught as OdooException).odooName).toBe('builtins.ValueError');
    expect((caught as OdooException).message).toBe(message);
  });
});

describe('parseDomain helpers', () => {
  it('detects a condition on active anywhere in the tree', () => {
    expect(mentionsField(parseDomain(['|', ['name', '=', 'x'], ['active', '=', false]]), 'active')).toBe(true);
    expect(mentionsField(parseDomain([['active_flag', '=', 1]]), 'active')).toBe(false);
    expect(mentionsField(parseDomain([['active.x', '=', 1]]), 'active')).toBe(true);
  });
});
