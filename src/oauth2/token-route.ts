import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { newId } from '../ids/random.js';
import { scopesWithinApp, type App } from '../apps/store.js';
import type { Scope } from '../auth/scopes.js';
import { OAuthError } from './oauth-error.js';
import { authenticateClient, param } from './client-auth.js';
import { requestedScopes, scopeString } from './scopes.js';
import { verifierMatches } from './pkce.js';
import { issueTokens, redeemCode, rotateRefreshToken, type IssuedTokens } from './store.js';
import { clientAuthFields, documentOnly, oauthErrorBody } from './schemas.js';

const tokenBody = z.object({
  grant_type: z.enum(['authorization_code', 'refresh_token', 'client_credentials']),
  code: z.string().optional().describe('authorization_code: the code from the redirect.'),
  redirect_uri: z.string().optional().describe('authorization_code: exactly the redirect URI of the authorization request (a loopback port included).'),
  code_verifier: z.string().optional().describe('authorization_code: the PKCE verifier, when a code_challenge was sent.'),
  refresh_token: z.string().optional().describe('refresh_token: the current refresh token (each use returns a new one).'),
  scope: z.string().optional().describe('refresh_token / client_credentials: narrower scopes, space-separated.'),
  ...clientAuthFields,
});

const tokenResponse = z.object({
  access_token: z.string().describe('Opaque `oat_…` token; send as `Authorization: Bearer`.'),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int().describe('Seconds (3600).'),
  refresh_token: z.string().optional().describe('Opaque `ort_…` token, single use, 30 days (not issued for client_credentials).'),
  scope: z.string().describe('The scopes the access token can use (narrowed to the app’s current scopes).'),
});

/** Form posts only: RFC 6749 §3.2 says application/x-www-form-urlencoded. */
export function requireForm(request: FastifyRequest): void {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
    throw new OAuthError('invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
  }
}

function required(request: FastifyRequest, name: string): string {
  const value = param(request.body, name);
  if (!value) throw new OAuthError('invalid_request', `${name} is required`);
  return value;
}

/** Tokens, or invalid_grant when the authorization was revoked while they were being issued. */
function issuedOrRevoked(issued: IssuedTokens | null): IssuedTokens {
  if (!issued) throw new OAuthError('invalid_grant', 'This authorization was revoked');
  return issued;
}

async function authorizationCodeGrant(ctx: AppContext, request: FastifyRequest, client: App): Promise<IssuedTokens> {
  const code = required(request, 'code');
  const redirectUri = required(request, 'redirect_uri');
  const verifier = param(request.body, 'code_verifier');
  const redeemed = await redeemCode(ctx.storage.db, code);
  if (!redeemed.ok) {
    const why = { unknown: 'Unknown authorization code', expired: 'The authorization code has expired', reused: 'The authorization code was already used; any tokens issued from it are revoked. Start a new authorization' };
    throw new OAuthError('invalid_grant', why[redeemed.reason]);
  }
  const bound = redeemed.code;
  if (bound.app_id !== client.id) throw new OAuthError('invalid_grant', 'The authorization code was issued to another client');
  // Exactly the URI used at /oauth/authorize (RFC 6749 §4.1.3): a loopback redirect's port too, not just any registered form.
  if (bound.redirect_uri !== redirectUri) throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
  if (bound.code_challenge) {
    if (!verifier || !verifierMatches(verifier, bound.code_challenge)) throw new OAuthError('invalid_grant', 'PKCE verification failed');
  } else if (verifier !== undefined) {
    // A verifier for a code issued without a challenge is a PKCE downgrade attempt (RFC 9700 §2.1.1).
    throw new OAuthError('invalid_grant', 'code_verifier sent, but the authorization request had no code_challenge');
  }
  return issuedOrRevoked(
    await issueTokens(ctx.storage.db, { appId: client.id, userId: bound.user_id, familyId: bound.family_id, scopes: JSON.parse(bound.scopes), withRefresh: true }),
  );
}

async function refreshTokenGrant(ctx: AppContext, request: FastifyRequest, client: App): Promise<IssuedTokens> {
  const presented = required(request, 'refresh_token');
  const scopeParam = param(request.body, 'scope');
  // The scope is checked before the refresh token is spent: a refused request must leave it valid.
  let granted: Scope[] = [];
  let scopes: Scope[] = [];
  const rotated = await rotateRefreshToken(ctx.storage.db, presented, client.id, (token) => {
    granted = JSON.parse(token.scopes) as Scope[];
    // What the token can use now: the grant narrowed to the app's current scopes (an owner may have removed some).
    scopes = requestedScopes(scopeParam, client, scopesWithinApp(granted, client));
  });
  if (!rotated.ok) {
    const why = {
      unknown: 'Unknown or revoked refresh token',
      expired: 'The refresh token has expired',
      other_client: 'The refresh token was issued to another client',
      reused: 'The refresh token was already used; every token of this authorization is revoked',
    };
    throw new OAuthError('invalid_grant', why[rotated.reason]);
  }
  // The new refresh token keeps the original grant (RFC 6749 §6), so a scope the app regains is
  // usable again from the next refresh; only the access token is narrowed.
  return issuedOrRevoked(
    await issueTokens(ctx.storage.db, {
      appId: client.id,
      userId: rotated.token.user_id,
      familyId: rotated.token.family_id,
      scopes,
      withRefresh: true,
      refreshScopes: granted,
    }),
  );
}

async function clientCredentialsGrant(ctx: AppContext, request: FastifyRequest, client: App): Promise<IssuedTokens> {
  if (client.clientType !== 'confidential') throw new OAuthError('unauthorized_client', 'Public clients cannot use client_credentials');
  const scopes = requestedScopes(param(request.body, 'scope'), client);
  // Server-to-server: the app acts for its owner; no refresh token, it can simply ask again.
  return issuedOrRevoked(await issueTokens(ctx.storage.db, { appId: client.id, userId: client.userId, familyId: newId('fam'), scopes, withRefresh: false }));
}

/** POST /oauth/token: authorization_code (+PKCE), refresh_token (rotating), client_credentials. */
export function registerTokenRoute(app: FastifyInstance, ctx: AppContext): void {
  app.post(
    '/oauth/token',
    {
      schema: {
        tags: ['OAuth 2.0'],
        summary: 'Token endpoint (RFC 6749 §3.2)',
        description:
          'application/x-www-form-urlencoded. Client authentication: client_secret_basic or client_secret_post; public clients send client_id only. Errors follow RFC 6749 §5.2. Responses carry Cache-Control: no-store.',
        consumes: ['application/x-www-form-urlencoded'],
        body: tokenBody,
        response: { 200: tokenResponse, 400: oauthErrorBody, 401: oauthErrorBody },
      },
      validatorCompiler: documentOnly,
    },
    async (request, reply) => {
      requireForm(request);
      const grantType = param(request.body, 'grant_type');
      if (!grantType) throw new OAuthError('invalid_request', 'grant_type is required');
      const client = await authenticateClient(ctx, request);
      let issued: IssuedTokens;
      if (grantType === 'authorization_code') issued = await authorizationCodeGrant(ctx, request, client);
      else if (grantType === 'refresh_token') issued = await refreshTokenGrant(ctx, request, client);
      else if (grantType === 'client_credentials') issued = await clientCredentialsGrant(ctx, request, client);
      else throw new OAuthError('unsupported_grant_type', 'grant_type must be authorization_code, refresh_token or client_credentials');
      request.trace.appId = client.id;
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      return {
        access_token: issued.accessToken,
        token_type: 'Bearer' as const,
        expires_in: issued.expiresIn,
        ...(issued.refreshToken ? { refresh_token: issued.refreshToken } : {}),
        // The scopes the token can use, as resource calls will judge them (appGrant narrows the same way).
        scope: scopeString(scopesWithinApp(issued.scopes, client)),
      };
    },
  );
}
