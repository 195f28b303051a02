import { describe, expect, it } from 'vitest';
import { parsePythonLiteral, pythonRepr } from './python-literal.js';

describe('parsePythonLiteral', () => {
  const cases: [string, unknown][] = [
    ["[('state', '=', 'sale')]", [['state', '=', 'sale']]],
    ['[("name", "ilike", "it\'s")]', [['name', 'ilike', "it's"]]],
    ["['|', ('a', '=', True), ('b', '!=', None)]", ['|', ['a', '=', true], ['b', '!=', null]]],
    ["[('x', 'in', (1, 2.5, -3))]", [['x', 'in', [1, 2.5, -3]]]],
    ["[('x', 'in', (1,))]", [['x', 'in', [1]]]],
    ["{'a': [1, 2], 'b': False}", { a: [1, 2], b: false }],
    ['[]', []],
    ["  [ ( 'a' , '=' , 'b' ) , ]  ", [['a', '=', 'b']]],
    ["'esc\\'aped\\n'", "esc'aped\n"],
  ];
  it.each(cases)('%s', (source, expected) => {
    expect(parsePythonLiteral(source)).toEqual(expected);
  });

  it('rejects names it cannot evaluate', () => {
    expect(() => parsePythonLiteral("[('user_id', '=', uid)]")).toThrow(/unsupported name 'uid'/);
    expect(() => parsePythonLiteral("[('a', '=', 1)")).toThrow();
  });
});

describe('pythonRepr', () => {
  it('prints leaves as Python tuples, the way Odoo quotes them in errors', () => {
    expect(pythonRepr(['name', 'bogus-op', 'x'], true)).toBe("('name', 'bogus-op', 'x')");
    expect(pythonRepr(['a', 'in', [1, false, null]], true)).toBe("('a', 'in', [1, False, None])");
    expect(pythonRepr("it's")).toBe('"it\'s"');
    expect(pythonRepr([5], true)).toBe('(5,)');
  });
});
