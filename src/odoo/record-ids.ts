/**
 * Record ids as the ORM takes them: integers. A quoted n8n expression ("{{ $json.id }}") sends
 * `["6"]`. Odoo does not check: `browse` keeps the text, the SQL may still match, and what
 * follows depends on the method (a write that lands, a read that finds "missing" records). So
 * the relay refuses quoted ids on every Odoo version, with the fix, before anything is sent.
 */
import { OdooError } from './errors.js';

/** A list of integer ids, or one integer id. */
export function isIdsLike(value: unknown): boolean {
  return (
    (typeof value === 'number' && Number.isInteger(value)) ||
    (Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isInteger(v)))
  );
}

/** `["6"]` or `[3, "4"]`: ids, at least one of them given as digits in text. One pass. */
export function hasQuotedIds(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  let quoted = false;
  for (const v of value) {
    if (typeof v === 'string' && /^\d+$/.test(v)) quoted = true;
    else if (!Number.isInteger(v)) return false;
  }
  return quoted;
}

/** The refusal of quoted ids, naming the first one and the fix in n8n. */
export function quotedIds(method: string, ids: unknown[]): OdooError {
  const quoted = ids.find((v) => typeof v === 'string');
  return new OdooError(
    'odoo_bad_request',
    `${method}: record ids must be numbers, got the text "${String(quoted)}"; in n8n, write the expression without quotes ({{ $json.id }}, not "{{ $json.id }}")`,
  );
}
