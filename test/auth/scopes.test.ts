import { describe, expect, it } from 'vitest';
import { matchesAllowList, scopesAllowMethod } from '../../src/auth/scopes.js';

describe('scopes', () => {
  it.each([
    [['webhook'], 'create', true],
    [['webhook'], 'action_confirm', true],
    [['read'], 'search_read', true],
    [['read'], 'read_group', true],
    [['read'], 'fields_get', true],
    [['read'], 'create', false],
    [['read'], 'write', false],
    [['read'], 'unlink', false],
    [['read'], 'action_confirm', false],
    [[], 'search_read', false],
  ])('%j allows %s: %s', (scopes, method, allowed) => {
    expect(scopesAllowMethod(scopes, method)).toBe(allowed);
  });
});

describe('allow-lists', () => {
  it.each([
    [null, 'res.partner', true],
    [[], 'res.partner', true],
    [['res.partner'], 'res.partner', true],
    [['res.partner'], 'res.partner.bank', false],
    [['sale.*'], 'sale.order', true],
    [['sale.*'], 'sale.order.line', true],
    [['sale.*'], 'sales.report', false],
    [['sale.*'], 'sale', false],
    [['*'], 'anything', true],
  ])('%j matches %s: %s', (list, name, expected) => {
    expect(matchesAllowList(list, name)).toBe(expected);
  });
});
