import { describe, expect, it } from 'vitest';
import { shapeDiff } from './shape.js';

describe('shapeDiff', () => {
  it('accepts same keys and types, rejects differences', () => {
    expect(shapeDiff({ id: 1, name: 'a', m2o: [1, 'x'] }, { id: 9, name: 'b', m2o: false })).toEqual([]);
    expect(shapeDiff({ id: 1 }, { id: '1' })).toHaveLength(1);
    expect(shapeDiff({ id: 1 }, { id: 1, extra: 2 })[0]).toMatch(/unexpected keys extra/);
    expect(shapeDiff([1, 2], [1])[0]).toMatch(/expected 2 items/);
    expect(shapeDiff([1, 2], [1], { lengthFree: ['$'] })).toEqual([]);
  });

  it('compares error identities exactly and tracebacks by their last line', () => {
    const e = { name: 'builtins.ValueError', message: 'm', debug: 'Traceback (most recent call last):\n  File "x"\nValueError: m\n' };
    expect(shapeDiff(e, { ...e, debug: 'Traceback (most recent call last):\n  File "y"\nValueError: m\n' })).toEqual([]);
    expect(shapeDiff(e, { ...e, message: 'n' })).toHaveLength(1);
    expect(shapeDiff(e, { ...e, debug: 'Traceback:\nValueError: other\n' })).toHaveLength(1);
  });

  it('treats id-keyed maps as maps', () => {
    expect(shapeDiff({ 1: { name: 'USD' } }, { 1: { name: 'EUR' }, 2: { name: 'USD' } })).toEqual([]);
    expect(shapeDiff({ 1: { name: 'USD' } }, { 1: { nom: 'EUR' } })).toHaveLength(2);
  });
});
