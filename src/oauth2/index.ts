import type { FastifyError, FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import type { AppContext } from '../context.js';
import { OAuthError } from './oauth-error.js';
import { RelayError, statusOf } from '../errors/index.js';
import { isTextRefusedByDatabase } from '../storage/text-refusal.js';
import { registerAuthorizeRoute } from './authorize-route.js';
import { registerTokenRoute } from './token-route.js';
import { registerRevokeAndIntrospectRoutes } from './revoke-introspect-routes.js';
import { registerMetadataRoute } from './metadata-route.js';
import { registerConsentRoutes } from './consent-routes.js';
import { registerAppRoutes } from '../apps/routes.js';

/** Any failure at an OAuth endpoint as an OAuth error: the relay's own envelope would confuse OAuth clients. */
function asOAuthError(err: FastifyError | OAuthError | Error): OAuthError | null {
  if (err instanceof OAuthError) return err;
  // The relay's own refusals of the request itself (a JSON body that does not parse, too deep, too large).
  if (err instanceof RelayError && statusOf(err.code) < 500) return new OAuthError('invalid_request', err.message);
  // A form field holding a NUL, which PostgreSQL refused to look up: the client's input, not a server error.
  if (isTextRefusedByDatabase(err)) return new OAuthError('invalid_request', 'A parameter holds a character that cannot be looked up (such as %00)');
  const e = err as FastifyError;
  if (e.validation) return new OAuthError('invalid_request', e.message);
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return new OAuthError('invalid_request', e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'Content-Type must be application/x-www-form-urlencoded' : e.message);
  }
  return null;
}

/**
 * The relay as an OAuth 2.0 authorization server, plus the dashboard APIs for apps and
 * consent. The protocol endpoints live in an encapsulated plugin: form bodies and OAuth-shaped
 * errors apply to them only, not to the rest of the relay.
 */
export async function registerOAuth2(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(async (oauth) => {
    await oauth.register(formbody, { bodyLimit: 16 * 1024 });
    // A form field with a NUL (%00 in the body, which the URL check does not see): refused on
    // SQLite as PostgreSQL, which cannot look it up, refuses it.
    oauth.addHook('preValidation', (request, _reply, done) => {
      const form = request.body;
      const holdsNul = typeof form === 'object' && form !== null && Object.values(form).some((v) => [v].flat().some((s) => typeof s === 'string' && s.includes('\u0000')));
      done(holdsNul ? new OAuthError('invalid_request', 'A parameter holds %00 (NUL), which no id, secret or token may contain') : undefined);
    });
    oauth.setErrorHandler((err, request, reply) => {
      let refusal = asOAuthError(err as Error);
      if (!refusal) {
        request.log.error({ err, reqId: request.id }, 'OAuth endpoint failed');
        refusal = new OAuthError('server_error', 'Internal error');
      }
      request.trace.code = refusal.error;
      reply.code(refusal.status).header('cache-control', 'no-store').header('pragma', 'no-cache');
      // RFC 6749 §5.2: a 401 invalid_client names the scheme the client may authenticate with.
      if (refusal.status === 401) reply.header('www-authenticate', 'Basic realm="odoo-relay"');
      return reply.send({ error: refusal.error, error_description: refusal.description });
    });
    registerAuthorizeRoute(oauth, ctx);
    registerTokenRoute(oauth, ctx);
    registerRevokeAndIntrospectRoutes(oauth, ctx);
    registerMetadataRoute(oauth, ctx);
  });
  registerConsentRoutes(app, ctx);
  registerAppRoutes(app, ctx);
}
