/**
 * What every credential that acts for a user may be given (an API key, an OAuth app): scopes,
 * a rate limit and allow-lists, checked alike wherever one is created or changed.
 */
import { RelayError } from '../errors/index.js';
import { SCOPES, type Scope } from './scopes.js';

/** Known scopes, at least one; each kept once, in the order given. */
export function checkScopes(scopes: readonly string[]): Scope[] {
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length || scopes.length === 0) {
    throw new RelayError('invalid_request', `Scopes must be a non-empty subset of: ${SCOPES.join(', ')}`, { field: 'scopes', unknown });
  }
  return [...new Set(scopes)] as Scope[];
}

export function checkRateLimit(rateLimit: number): number {
  if (!Number.isInteger(rateLimit) || rateLimit < 1 || rateLimit > 1_000_000) {
    throw new RelayError('invalid_request', 'Rate limit must be an integer from 1 to 1000000 per minute', { field: 'rateLimit' });
  }
  return rateLimit;
}

/** The entries the dashboard's form accepts too: names like res.partner, sale.* or search_read. */
const ALLOW_ENTRY = /^[A-Za-z0-9_.*]{1,128}$/;

/** An allow-list as stored: null for none; refused when an entry could never match a name. */
export function allowListColumn(list: readonly string[] | null | undefined, field: 'allowedModels' | 'allowedMethods'): string | null {
  if (!list?.length) return null;
  const bad = list.find((entry) => !ALLOW_ENTRY.test(entry));
  if (bad !== undefined) {
    throw new RelayError('invalid_request', `Allow-list entries are names like res.partner, sale.* or search_read, got '${bad.slice(0, 64)}'`, { field });
  }
  if (list.length > 200) throw new RelayError('invalid_request', 'An allow-list holds at most 200 entries', { field });
  return JSON.stringify([...new Set(list)]);
}
