import { describe, expect, it } from 'vitest';
import { exceedsJsonDepth } from '../../src/http/json-depth.js';

describe('exceedsJsonDepth', () => {
  it.each([
    ['{}', 1, false],
    ['{"a":[1,2]}', 2, false],
    ['{"a":[1,2]}', 1, true],
    ['[[[[]]]]', 4, false],
    ['[[[[]]]]', 3, true],
    // Brackets inside strings do not count, escaped quotes do not end strings.
    ['{"a":"[[[[[[\\"[[["}', 1, false],
    ['[' .repeat(100_000), 64, true],
    // Many brackets, little depth: the exact count runs and finds the depth allowed.
    [`[${'[],'.repeat(200)}[]]`, 2, false],
    [`[${'{},'.repeat(200)}{"a":[[]]}]`, 3, true],
    // Exactly maxDepth + 1 openers, all nested / one of them quoted.
    ['{"a":{"b":{"c":[]}}}', 3, true],
    ['{"a":{"b":{"c":"["}}}', 3, false],
  ])('%s with max %d → %s', (text, max, expected) => {
    expect(exceedsJsonDepth(text, max)).toBe(expected);
  });
});
