import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { OAuthError } from './oauth-error.js';
import { authenticateClient, param } from './client-auth.js';
import { findLiveToken, revokeToken } from './store.js';
import { clientAuthFields, documentOnly, oauthErrorBody } from './schemas.js';
import { scopeString } from './scopes.js';
import { scopesWithinApp } from '../apps/store.js';
import type { Scope } from '../auth/scopes.js';
import { requireForm } from './token-route.js';
import { issuerOf } from './issuer.js';
import { isUserDisabled } from '../auth/users.js';

const tokenParam = {
  token: z.string().describe('An access (`oat_…`) or refresh (`ort_…`) token.'),
  token_type_hint: z.enum(['access_token', 'refresh_token']).optional().describe('Accepted and not needed: the prefix says which kind a token is.'),
};

const introspection = z.object({
  active: z.boolean(),
  scope: z.string().optional().describe('The scopes the token can use now: those it was issued with, narrowed to the app’s current scopes.'),
  client_id: z.string().optional(),
  token_type: z.string().optional().describe('`Bearer` for access tokens, `refresh_token` for refresh tokens.'),
  exp: z.number().int().optional(),
  iat: z.number().int().optional(),
  sub: z.string().optional().describe('The relay user the token acts for.'),
  iss: z.string().optional(),
});

/** POST /oauth/revoke (RFC 7009) and POST /oauth/introspect (RFC 7662). */
export function registerRevokeAndIntrospectRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post(
    '/oauth/revoke',
    {
      schema: {
        tags: ['OAuth 2.0'],
        summary: 'Token revocation (RFC 7009)',
        description:
          'Revokes a token the authenticated client holds: a refresh token ends its whole authorization (every token issued from it), an access token ends alone. Answers 200 with an empty JSON object whether or not the token was known.',
        consumes: ['application/x-www-form-urlencoded'],
        body: z.object({ ...tokenParam, ...clientAuthFields }),
        response: { 200: z.object({}).describe('Nothing to report: the token no longer works, if it ever did.'), 400: oauthErrorBody, 401: oauthErrorBody },
      },
      validatorCompiler: documentOnly,
    },
    async (request, reply) => {
      requireForm(request);
      const client = await authenticateClient(ctx, request);
      const token = param(request.body, 'token');
      if (!token) throw new OAuthError('invalid_request', 'token is required');
      request.trace.appId = client.id;
      await revokeToken(ctx.storage.db, token, client.id);
      // RFC 7009 lets the body be empty, but client libraries (simple-oauth2) that parse every
      // answer as JSON then fail, and a failed revokeAll() left its refresh token alive.
      return reply.header('cache-control', 'no-store').send({});
    },
  );

  app.post(
    '/oauth/introspect',
    {
      schema: {
        tags: ['OAuth 2.0'],
        summary: 'Token introspection (RFC 7662)',
        description:
          'For confidential clients (client_secret_basic or client_secret_post). A token is reported active only to the client it was issued to; anything else answers `{"active": false}`.',
        consumes: ['application/x-www-form-urlencoded'],
        body: z.object({ ...tokenParam, ...clientAuthFields }),
        response: { 200: introspection, 400: oauthErrorBody, 401: oauthErrorBody },
      },
      validatorCompiler: documentOnly,
    },
    async (request, reply) => {
      requireForm(request);
      const client = await authenticateClient(ctx, request);
      // A public client proves nothing by its id alone, so it may not probe tokens.
      if (client.clientType !== 'confidential') throw new OAuthError('invalid_client', 'Introspection needs a confidential client');
      const token = param(request.body, 'token');
      if (!token) throw new OAuthError('invalid_request', 'token is required');
      request.trace.appId = client.id;
      reply.header('cache-control', 'no-store');
      const row = await findLiveToken(ctx.storage.db, token);
      // A disabled account's token is refused at use, so it is not active.
      if (!row || row.app_id !== client.id || (await isUserDisabled(ctx.storage.db, row.user_id))) return { active: false };
      return {
        active: true,
        // What the token can use now (the client is the token's app, so its scopes are the current ones).
        scope: scopeString(scopesWithinApp(JSON.parse(row.scopes) as Scope[], client)),
        client_id: client.clientId,
        token_type: row.kind === 'access' ? 'Bearer' : 'refresh_token',
        exp: Math.floor(row.expires_at / 1000),
        iat: Math.floor(row.created_at / 1000),
        sub: row.user_id,
        iss: issuerOf(ctx, request),
      };
    },
  );
}
