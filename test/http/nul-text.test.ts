import { describe, expect, it } from 'vitest';
import { jsonHoldsNul, urlHoldsNul } from '../../src/http/nul-text.js';

describe('NUL in requests', () => {
  it.each([
    ['{"name":"a\\u0000b"}', true],
    ['"\\u0000"', true],
    // An escaped backslash then the text u0000: no NUL.
    ['{"path":"C:\\\\u0000"}', false],
    // An escaped backslash, then a NUL escape.
    ['{"path":"C:\\\\\\u0000"}', true],
    ['{"name":"\\u00001"}', true],
    ['{"name":"u0000 and \\u0001"}', false],
    ['{"a\\u0000":1}', true],
    ['', false],
  ])('JSON %s holds a NUL: %s', (text, holds) => {
    // JSON.parse itself says which texts hold one (in a key or a string).
    let parsed = false;
    JSON.parse(text || '""', (key, value) => {
      if (key.includes('\u0000') || (typeof value === 'string' && value.includes('\u0000'))) parsed = true;
      return value;
    });
    expect(parsed).toBe(holds);
    expect(jsonHoldsNul(text)).toBe(holds);
  });

  it('finds an encoded NUL in a URL', () => {
    expect(urlHoldsNul('/api/v1/subscriptions/sub_%00')).toBe(true);
    expect(urlHoldsNul('/api/v1/models/res.partner?domain=%5B%5D')).toBe(false);
  });
});
