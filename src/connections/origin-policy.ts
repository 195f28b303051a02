/**
 * Where users may point an Odoo connection. The relay calls whatever URL a connection names, and
 * answers with what it found there (refused, an HTTP status, a page's size), so on a relay shared
 * by several users anyone who may save a connection can map the relay's network: its metadata
 * service, internal ports. ODOO_ALLOWED_ORIGINS names the Odoo servers allowed; unset, any.
 */
import { RelayError } from '../errors/index.js';

/** The allowed origins from ODOO_ALLOWED_ORIGINS, or a message naming the entry that is not one. */
export function parseAllowedOrigins(text: string): { origins: string[] } | { problem: string } {
  const origins: string[] = [];
  for (const entry of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      return { problem: `'${entry}' is not a URL` };
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.pathname !== '/' || url.search || url.hash) {
      return { problem: `'${entry}' is not an origin (scheme://host[:port], nothing after it)` };
    }
    origins.push(url.origin);
  }
  return { origins };
}

/** Refuses a connection URL whose origin is not allowed (any is, when the list is empty). */
export function assertOdooOriginAllowed(url: string, allowed: readonly string[]): void {
  if (allowed.length === 0) return;
  const origin = new URL(url).origin;
  if (allowed.includes(origin)) return;
  throw new RelayError('odoo_url_not_allowed', `This relay may not call Odoo at ${origin}: ODOO_ALLOWED_ORIGINS lists the servers it may`, {
    field: 'url',
    allowed,
  });
}
