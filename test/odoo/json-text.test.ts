/**
 * jsonTextKind must accept exactly what JSON.parse accepts: every case here is checked against
 * JSON.parse as well, a random differential test covers what the tables miss, and depth must
 * never cost stack.
 */
import { describe, expect, it } from 'vitest';
import { jsonTextKind, type JsonTextKind } from '../../src/odoo/json-text.js';

/** What JSON.parse says about a text: the kind of its top-level value, or null when it throws. */
function parseKind(text: string): JsonTextKind | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value as JsonTextKind;
}

const valid: [string, JsonTextKind][] = [
  // Every kind at the top level, with and without JSON whitespace around it.
  ['{}', 'object'],
  ['[]', 'array'],
  ['""', 'string'],
  ['0', 'number'],
  ['true', 'boolean'],
  ['false', 'boolean'],
  ['null', 'null'],
  [' \t\r\n{ \t\r\n} \t\r\n', 'object'],
  ['\n[ 1 , 2 ]\n', 'array'],
  [' "a" ', 'string'],
  ['\t-1\t', 'number'],
  ['\r\ntrue\r\n', 'boolean'],
  ['{ "a" : 1 , "b" : [ ] , "c" : { } }', 'object'],
  ['[[],{},[[]],[{}],{"a":[]},{"a":{}}]', 'array'],
  ['[{"a":[{"b":[1]}]},2]', 'array'],
  // Escapes: each single-character one, and \u in either case.
  ['"\\" \\\\ \\/ \\b \\f \\n \\r \\t"', 'string'],
  ['"\\u0041\\u00e9\\u00E9\\uFFFF\\uabcd"', 'string'],
  ['"\\u0000"', 'string'],
  ['"\\u001f"', 'string'],
  // Lone surrogates, escaped or raw, as JSON.parse takes them.
  ['"\\ud800"', 'string'],
  ['"\\udc00\\ud800"', 'string'],
  ['"\ud800"', 'string'],
  ['"x\udfff"', 'string'],
  // Non-ASCII text, U+007F and the line separators JavaScript once disliked.
  ['"Azure Interior — café 日本 😀"', 'string'],
  ['{"é":"\u00a0"}', 'object'],
  ['"\u007f\u2028\u2029"', 'string'],
  // Numbers.
  ['-0', 'number'],
  ['0.5', 'number'],
  ['-0.0', 'number'],
  ['123', 'number'],
  ['1E5', 'number'],
  ['1e5', 'number'],
  ['1e+5', 'number'],
  ['1e-5', 'number'],
  ['-1.25E-07', 'number'],
  ['1e400', 'number'],
  ['-1e-400', 'number'],
  ['123456789012345678901234567890', 'number'],
  ['[0,-0,10,1.0e0]', 'array'],
  // Duplicate names are valid JSON (the last one wins in JSON.parse).
  ['{"a":1,"a":2}', 'object'],
  ['{"__proto__":1}', 'object'],
  ['{"":""}', 'object'],
];

const invalid: string[] = [
  // Nothing, or only whitespace.
  '',
  ' ',
  ' \t\r\n',
  // Whitespace JSON does not know, around or inside values.
  '\u00a01',
  '1\u00a0',
  '\v1',
  '1\v',
  '\f1',
  '\ufeff{}',
  '[1,\u00a02]',
  '{"a"\u00a0:1}',
  // Literals: truncated, misspelt, wrong case, glued to something.
  'tru',
  'nul',
  'fals',
  't',
  'True',
  'NULL',
  'truex',
  'nulll',
  '[true false]',
  'undefined',
  'NaN',
  'Infinity',
  '-Infinity',
  // Numbers.
  '-',
  '+1',
  '01',
  '-01',
  '00',
  '1.',
  '.5',
  '-.5',
  '1.e5',
  '1e',
  '1e+',
  '1e-',
  'e5',
  '1ee5',
  '1e5.0',
  '1.2.3',
  '0x10',
  '1_000',
  '- 1',
  // Strings: unterminated, raw control characters, bad escapes.
  '"',
  '"abc',
  '"abc\\"',
  '"\u0000"',
  '"\u001f"',
  '"a\nb"',
  '"\t"',
  '"\\a"',
  '"\\x41"',
  '"\\U0041"',
  '"\\\'"',
  '"\\0"',
  '"\\\u0000"',
  '"\\',
  '"\\u"',
  '"\\u004"',
  '"\\u004"x',
  '"\\u004g"',
  '"\\u{41}"',
  "'a'",
  // Arrays and objects.
  '[',
  ']',
  '{',
  '}',
  '[1,]',
  '[,1]',
  '[,]',
  '[1 2]',
  '[1,,2]',
  '{"a":1,}',
  '{,}',
  '{"a" 1}',
  '{"a"}',
  '{"a":}',
  '{"a"::1}',
  '{a:1}',
  '{1:1}',
  '{null:1}',
  "{'a':1}",
  '{"a":1 "b":2}',
  '[}',
  '{]',
  '[1}',
  '{"a":1]',
  '[[]',
  '[]]',
  '{}}',
  '[[[]]]]',
  '[{"a":[}]',
  // Two values, or a value and junk, at the top level.
  '1 2',
  '{}{}',
  '[] []',
  '"a""b"',
  'null,',
  '1,2',
  // Comments.
  '/* c */ 1',
  '1 // c',
  '[1 /* c */]',
];

describe('jsonTextKind', () => {
  it.each(valid)('%j is valid JSON: %s', (text, kind) => {
    expect(parseKind(text)).toBe(kind); // the table itself agrees with JSON.parse
    expect(jsonTextKind(text)).toBe(kind);
  });

  it.each(invalid)('%j is not valid JSON', (text) => {
    expect(parseKind(text)).toBeNull();
    expect(jsonTextKind(text)).toBeNull();
  });

  it('never sees a previous, longer text past the end of the current one', () => {
    // The char codes are copied into an array reused between calls; only what was copied counts.
    for (const [longer, shorter] of [['true', 'tru'], ['[1]', '[1'], ['"ab"', '"a'], ['1e5', '1e'], ['{"a":1}', '{"a":']]) {
      expect(jsonTextKind(longer)).not.toBeNull();
      expect(jsonTextKind(shorter)).toBeNull();
    }
    // A raw U+0000, which ends the copied codes internally, is still just an invalid character.
    for (const text of ['1\u0000', '"a"\u0000', '[1]\u0000', '\u0000', '"a\u0000"', '[1,\u0000]']) expect(jsonTextKind(text)).toBeNull();
  });

  it('takes texts longer than its reused buffer, before and after short ones', () => {
    const row = '{"id": 7, "name": "Azure Interior", "email": "azure.Interior24@example.com"}';
    for (const count of [10, 200, 20_000, 3, 20_000]) {
      const text = `[${Array(count).fill(row).join(', ')}]`;
      expect(jsonTextKind(text)).toBe('array');
      expect(jsonTextKind(text.slice(0, -1))).toBeNull();
      expect(jsonTextKind(`${text.slice(0, -1)},]`)).toBeNull();
    }
  });

  it('takes any depth without recursing', () => {
    const depth = 1_000_000;
    const open = '['.repeat(depth);
    const close = ']'.repeat(depth);
    expect(jsonTextKind(open + close)).toBe('array');
    expect(jsonTextKind(open + close.slice(1))).toBeNull();
    expect(jsonTextKind(open + close + ']')).toBeNull();
    // Objects in arrays in objects…: each closer must match the level it closes.
    const mixedOpen = '[{"a":'.repeat(depth / 10);
    const mixedClose = '}]'.repeat(depth / 10);
    expect(jsonTextKind(mixedOpen + '1' + mixedClose)).toBe('array');
    expect(jsonTextKind(mixedOpen + '1' + '])'.repeat(depth / 10))).toBeNull();
    expect(jsonTextKind(mixedOpen + '1' + mixedClose.slice(0, -2) + '}}')).toBeNull();
  });

  it('agrees with JSON.parse on random texts and their mutations', () => {
    const random = mulberry32(0x0d00);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const STRING_CHARS = ['a', 'Z', ' ', '"', '\\', '/', '\n', '\t', '\u0000', '\u001f', '\u007f', 'é', '€', '😀', '\ud800', '\udc00', '\u2028'];
    const NUMBERS = [0, -0, 1, -1, 7, 42, 0.5, -3.25, 1e-7, 1.5e21, -2e-300, 1e300, 123456789, Number.MAX_SAFE_INTEGER];

    const randomString = (): string => {
      let s = '';
      for (let n = Math.floor(random() * 6); n > 0; n--) s += pick(STRING_CHARS);
      return s;
    };
    const randomValue = (depth: number): unknown => {
      const roll = Math.floor(random() * (depth > 3 ? 6 : 8));
      switch (roll) {
        case 0: return null;
        case 1: return random() < 0.5;
        case 2: return random() < 0.5 ? pick(NUMBERS) : Math.floor((random() - 0.5) * 2000) / (random() < 0.5 ? 1 : 8);
        case 3: case 4: case 5: return randomString();
        case 6: return Array.from({ length: Math.floor(random() * 4) }, () => randomValue(depth + 1));
        default: return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [randomString(), randomValue(depth + 1)]));
      }
    };
    const MUTATION_CHARS = [...'{}[],:"\\ 0123456789eE+-.tfnul\t\n\r\u0000\u001f\u00a0\u000béZ\ud800'];
    const mutate = (text: string): string => {
      const at = Math.floor(random() * (text.length + 1));
      switch (Math.floor(random() * 4)) {
        case 0: return text.slice(0, at) + text.slice(at + 1); // delete
        case 1: return text.slice(0, at) + pick(MUTATION_CHARS) + text.slice(at); // insert
        case 2: return text.slice(0, at) + pick(MUTATION_CHARS) + text.slice(at + 1); // replace
        default: return text.slice(0, at); // truncate
      }
    };

    // Disagreements are collected rather than asserted one by one: 30,000 expect() calls would
    // cost more than the texts themselves, and a list shows every failing text at once.
    const disagreements: { text: string; jsonParse: JsonTextKind | null; jsonTextKind: JsonTextKind | null }[] = [];
    const check = (text: string): JsonTextKind | null => {
      const expected = parseKind(text);
      const actual = jsonTextKind(text);
      if (actual !== expected) disagreements.push({ text, jsonParse: expected, jsonTextKind: actual });
      return expected;
    };
    let mutants = 0;
    let validMutants = 0;
    for (let n = 0; n < 3000; n++) {
      const value = randomValue(0);
      for (const text of [JSON.stringify(value), JSON.stringify(value, null, random() < 0.5 ? 2 : '\t')]) {
        // Unmutated, the text is valid and of its value's kind.
        expect(check(text), text).not.toBeNull();
        for (let m = 0; m < 4; m++) {
          // One to three mutations, so that some mutants carry more than one fault.
          let mutant = mutate(text);
          for (let extra = Math.floor(random() * 3); extra > 0; extra--) mutant = mutate(mutant);
          if (check(mutant) !== null) validMutants++;
          mutants++;
        }
      }
    }
    expect(disagreements).toEqual([]);
    // The mutations must not be so destructive that only the invalid side gets tested.
    expect(mutants).toBe(24_000);
    expect(validMutants).toBeGreaterThan(mutants / 10);
  });
});

/** A small seeded PRNG, so that a failure can be replayed. */
function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
