import { describe, expect, it } from 'vitest';
import { isStrictCompatible } from '../../src/chat/strict-schema.js';

describe('isStrictCompatible (OpenAI strict structured outputs)', () => {
  const closed = (properties: Record<string, unknown>) => ({ type: 'object', properties, required: Object.keys(properties), additionalProperties: false });

  it('takes schemas whose every object is closed with all its properties required', () => {
    expect(isStrictCompatible(closed({ total: { type: 'number' }, orders: { type: 'array', items: closed({ name: { type: 'string' } }) } }))).toBe(true);
    expect(isStrictCompatible({ type: 'array', items: { anyOf: [closed({ a: { type: 'string' } }), { type: 'null' }] } })).toBe(true);
    expect(isStrictCompatible({ ...closed({ x: { $ref: '#/$defs/x' } }), $defs: { x: closed({ y: { type: 'integer' } }) } })).toBe(true);
  });

  it('refuses an open object, an optional property, or either one nested anywhere', () => {
    expect(isStrictCompatible({ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] })).toBe(false);
    expect(isStrictCompatible({ type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, required: ['a'], additionalProperties: false })).toBe(false);
    expect(isStrictCompatible(closed({ list: { type: 'array', items: { type: 'object', properties: { a: { type: 'string' } } } } }))).toBe(false);
    expect(isStrictCompatible({ ...closed({ x: { $ref: '#/$defs/x' } }), $defs: { x: { type: 'object', properties: {} } } })).toBe(false);
    expect(isStrictCompatible({ oneOf: [closed({}), { type: 'object' }] })).toBe(false);
  });
});
