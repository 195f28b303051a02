import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Security headers, chosen by helmet and computed once: they are the same for every answer,
 * and working them out per request cost a noticeable share of a pass-through call.
 */
export function securityHeaders(): Record<string, string> {
  const middleware = helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // The dashboard's CSS is a built file; nothing inline, nothing from other origins.
        styleSrc: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        // On plain HTTP (a private network) upgrading would send the dashboard's own assets to https:// and break it.
        upgradeInsecureRequests: null,
      },
    },
    // The relay may run on plain HTTP inside a private network; HSTS belongs to the TLS terminator.
    strictTransportSecurity: false,
  });
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  } as unknown as ServerResponse;
  middleware({} as IncomingMessage, res, () => {});
  return headers;
}
