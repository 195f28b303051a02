import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Security headers for answers that are not HTML (JSON, static assets, plain text): what
 * matters for a resource that is never rendered as a page, after the OWASP REST Security Cheat
 * Sheet. Its CSP is stricter than the pages' (nothing may load, nothing may frame it), and
 * leaving out the page-only headers (opener policy, DNS prefetch, download options…) keeps the
 * webhook's answers short: every header is copied and validated on each call.
 */
export const NON_DOCUMENT_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});

/** Security headers for one answer: helmet's full set for HTML pages, the short set otherwise. */
export function securityHeadersFor(contentType: unknown, pages: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  return typeof contentType === 'string' && contentType.startsWith('text/html') ? pages : NON_DOCUMENT_HEADERS;
}

/**
 * Security headers for the dashboard's HTML pages, chosen by helmet and computed once: they are
 * the same for every page, and working them out per request cost a noticeable share of a call.
 */
export function pageSecurityHeaders(): Record<string, string> {
  const middleware = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // The dashboard's CSS is a built file; nothing inline, nothing from other origins.
        styleSrc: ["'self'"],
        // System font stack: no font is loaded from anywhere else (helmet's default allows any https: and data:).
        fontSrc: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        // On plain HTTP (a private network) upgrading would send the dashboard's own assets to https:// and break it.
        upgradeInsecureRequests: null,
      },
    },
    // The relay may run on plain HTTP inside a private network; HSTS belongs to the TLS terminator.
    strictTransportSecurity: false,
    // Matches frame-ancestors 'none' for browsers that only read the older header (helmet's default is SAMEORIGIN).
    xFrameOptions: { action: 'deny' },
  });
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  } as unknown as ServerResponse;
  middleware({} as IncomingMessage, res, () => {});
  return headers;
}
