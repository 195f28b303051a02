import type { FastifyInstance, FastifyRequest } from 'fastify';
import cors from '@fastify/cors';
import type { AppContext } from '../context.js';
import { TtlCache } from '../cache/ttl-cache.js';
import { appsChanged } from '../apps/store.js';

/**
 * Routes a browser app on another origin may call: the token endpoints a public client needs
 * for code + PKCE, discovery, the REST API and its description. Everything else (the dashboard,
 * the webhook, MCP) stays same-origin.
 */
const CORS_PATHS = [/^\/oauth\/(token|revoke)$/, /^\/\.well-known\/oauth-authorization-server$/, /^\/api\/v1\//, /^\/api\/openapi\.json$/];

/** Origins of the redirect URIs registered by public clients: the single-page apps that exist. */
export function publicClientOrigins(apps: { clientType: string; redirectUris: string[] }[]): Set<string> {
  const origins = new Set<string>();
  for (const app of apps) {
    if (app.clientType !== 'public') continue;
    for (const uri of app.redirectUris) origins.add(new URL(uri).origin);
  }
  return origins;
}

/**
 * CORS for browser single-page apps (OAuth 2.0 public clients). An origin is allowed when a
 * public app registered a redirect URI on it — registering the app is the owner's consent to
 * that origin. Credentials mode is never allowed: cross-origin calls carry a token in the
 * Authorization header, never the dashboard's cookie.
 */
export async function registerCors(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const cache = new TtlCache<Set<string>>(ctx.config.authCacheSeconds * 1000, 1);
  appsChanged.subscribe(() => cache.clear());
  const allowed = async () =>
    cache.getOrLoad('origins', async () => {
      const rows = await ctx.storage.db.selectFrom('apps').select(['client_type', 'redirect_uris']).where('client_type', '=', 'public').execute();
      return publicClientOrigins(rows.map((r) => ({ clientType: r.client_type, redirectUris: JSON.parse(r.redirect_uris) as string[] })));
    });

  await app.register(cors, {
    delegator: (request: FastifyRequest, callback) => {
      const origin = request.headers.origin;
      // n8n and servers send no Origin: they leave at the first test.
      if (!origin || !CORS_PATHS.some((p) => p.test(request.url.split('?')[0]!))) return callback(null, { origin: false });
      allowed().then(
        (origins) =>
          callback(null, {
            origin: origins.has(origin) ? origin : false,
            credentials: false,
            methods: ['GET', 'POST', 'PATCH', 'DELETE'],
            allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-api-key'],
            exposedHeaders: ['x-request-id', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'retry-after', 'link', 'location', 'www-authenticate', 'idempotent-replayed'],
            maxAge: 600,
          }),
        (err: Error) => callback(err, { origin: false }),
      );
    },
  });
}
