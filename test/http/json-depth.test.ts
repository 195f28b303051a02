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
  ])('%s with max %d → %s', (text, max, expected) => {
    expect(exceedsJsonDepth(text, max)).toBe(expected);
  });
});
