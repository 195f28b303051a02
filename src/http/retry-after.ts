/**
 * `Retry-After` (RFC 9110 §10.2.3) in ms from `now`, or `null` when absent or unparsable: in a
 * webhook receiver's answer (events), and in a proxy's in front of Odoo (the Odoo client).
 */
export function parseRetryAfter(header: string | null | undefined, now: number): number | null {
  if (header == null) return null;
  const value = header.trim();
  if (value === '') return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // Only the IMF-fixdate-like forms Date.parse understands; a bare number was handled above.
  if (!/[a-z]/i.test(value)) return null;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
