/**
 * Pure parsing and building for the REST list route: the query parameters an n8n HTTP Request
 * node sends as text, and the paging links of the answer.
 */

import { exceedsJsonDepth } from '../http/json-depth.js';
import { jsonHoldsNul } from '../http/nul-text.js';
import { FIELD_NAME } from '../odoo/names.js';

export const DEFAULT_LIMIT = 80;
export const MAX_LIMIT = 1000;

/**
 * `order`: comma-separated `field [asc|desc] [nulls first|last]` terms, dotted paths allowed.
 * Odoo builds SQL from this text, so anything beyond names, spaces and commas is refused here.
 */
const ORDER_TERM = String.raw`[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?:\s+(?:asc|desc))?(?:\s+nulls\s+(?:first|last))?`;
export const ORDER = new RegExp(String.raw`^\s*${ORDER_TERM}(?:\s*,\s*${ORDER_TERM})*\s*$`, 'i');

/**
 * How deep a domain's arrays may nest: the default JSON_MAX_DEPTH of request bodies. Real
 * domains nest three or four levels; a query parameter of thousands of `[` parsed fine but
 * overflowed the stack when the call to Odoo was serialized.
 */
export const DOMAIN_MAX_DEPTH = 64;

/** A JSON Odoo domain from its query-parameter text; a message naming the problem otherwise. */
export function parseDomain(text: string): { ok: true; domain: unknown[] } | { ok: false; problem: string } {
  if (exceedsJsonDepth(text, DOMAIN_MAX_DEPTH)) return { ok: false, problem: `domain nests deeper than ${DOMAIN_MAX_DEPTH} levels` };
  // JSON text in a query parameter: its \u0000 is no %00, which the URL check catches.
  if (jsonHoldsNul(text)) return { ok: false, problem: 'domain holds \\u0000 (NUL), which no value may contain' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'domain must be JSON, e.g. [["is_company","=",true]]' };
  }
  if (!Array.isArray(value)) return { ok: false, problem: 'domain must be a JSON array of conditions, e.g. [["is_company","=",true]]' };
  for (const term of value) {
    const isOperator = term === '&' || term === '|' || term === '!';
    const isLeaf = Array.isArray(term) && term.length === 3 && typeof term[0] === 'string' && typeof term[1] === 'string';
    if (!isOperator && !isLeaf) {
      return { ok: false, problem: 'each domain term must be "&", "|", "!" or [field, operator, value]' };
    }
  }
  return { ok: true, domain: value };
}

/** `name,email` → ['name', 'email']; null when a name is not a field name. */
export function parseFieldList(text: string): string[] | null {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return names.every((n) => FIELD_NAME.test(n)) ? names : null;
}

export interface PageLinks {
  self: string;
  next: string | null;
  prev: string | null;
}

/**
 * Links to this page and its neighbours: the request's own path and query with `offset` (and
 * `limit`) replaced, so filters carry over. Relative references, valid in a Link header.
 */
export function pageLinks(requestUrl: string, page: { offset: number; limit: number; total: number }): PageLinks {
  const [path, search = ''] = requestUrl.split('?', 2);
  const at = (offset: number) => {
    const params = new URLSearchParams(search);
    params.set('limit', String(page.limit));
    params.set('offset', String(offset));
    // URLSearchParams writes a space as '+'. Read back as form data that is right, but OAuth
    // 1.0a libraries (oauth-1.0a) sign a '+' in a URL as a plus, and a client following its
    // own next link then failed the signature check. '%20' means a space to every reader; a
    // literal plus is already '%2B', so every '+' here is a space.
    return `${path}?${params.toString().replaceAll('+', '%20')}`;
  };
  // Past the end, the previous page is the last one that holds records, not another empty one.
  const lastStart = page.total > 0 ? Math.floor((page.total - 1) / page.limit) * page.limit : 0;
  return {
    self: at(page.offset),
    next: page.offset + page.limit < page.total ? at(page.offset + page.limit) : null,
    prev: page.offset > 0 ? at(Math.max(0, Math.min(page.offset - page.limit, lastStart))) : null,
  };
}

/** RFC 8288 Link header value for the links that exist. */
export function linkHeader(links: PageLinks): string {
  const parts = [`<${links.self}>; rel="self"`];
  if (links.next) parts.push(`<${links.next}>; rel="next"`);
  if (links.prev) parts.push(`<${links.prev}>; rel="prev"`);
  return parts.join(', ');
}
