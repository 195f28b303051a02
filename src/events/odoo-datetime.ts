/**
 * Odoo datetimes are naive UTC strings: `2026-11-24 13:31:09` from RPC reads, with
 * microseconds (`… 13:31:09.420766`) in webhook-action posts. These helpers give one
 * canonical form so values from both paths compare equal.
 */

const ODOO_DATETIME = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?Z?$/;

/** `YYYY-MM-DD HH:MM:SS`, fractional seconds dropped; `null` when not an Odoo datetime. */
export function normalizeOdooDatetime(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = ODOO_DATETIME.exec(value.trim());
  return match ? `${match[1]} ${match[2]}` : null;
}

/** ISO 8601 UTC (`2026-11-24T13:31:09Z`) for an Odoo datetime, seconds precision. */
export function odooDatetimeToIso(value: string): string {
  const normalized = normalizeOdooDatetime(value);
  if (normalized === null) throw new RangeError(`not an Odoo datetime: ${value}`);
  return `${normalized.replace(' ', 'T')}Z`;
}
