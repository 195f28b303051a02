import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { findAppByClientId, type App } from '../apps/store.js';
import { OAuthError } from './oauth-error.js';
import { requestedScopes } from './scopes.js';
import { isValidChallenge } from './pkce.js';
import { createAuthorizationRequest } from './store.js';
import { clientRedirect, isRegisteredRedirectUri } from './redirect.js';
import { issuerOf } from './issuer.js';
import { RelayError, statusOf } from '../errors/index.js';

const PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method'] as const;

const authorizeQuery = z.object({
  response_type: z.literal('code').describe('Only `code` (authorization code flow).'),
  client_id: z.string().describe('The app’s client id.'),
  redirect_uri: z.string().describe('One of the app’s registered redirect URIs, compared exactly — except the port of a loopback IP literal (`http://127.0.0.1`, `http://[::1]`), which may be any (RFC 8252 §7.3).'),
  scope: z.string().optional().describe('Space-separated scopes (`webhook`, `read`, `subscriptions`) within the app’s own; default: all of the app’s scopes.'),
  state: z.string().optional().describe('Opaque value echoed back to the redirect URI.'),
  code_challenge: z.string().optional().describe('PKCE challenge: BASE64URL(SHA256(code_verifier)). Required for public clients.'),
  code_challenge_method: z.literal('S256').optional().describe('Only S256.'),
});

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Shown when client_id or redirect_uri is wrong: redirecting then would make the relay an open redirector (RFC 6749 §4.1.2.1). */
function errorPage(reply: FastifyReply, message: string, status = 400) {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Authorization request refused — odoo-relay</title></head>
<body><main><h1>Authorization request refused</h1><p>${escapeHtml(message)}</p>
<p>The app that sent you here is misconfigured. Nothing was shared with it.</p></main></body></html>`;
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
}

/** Each parameter at most once (RFC 6749 §3.1): repeats are an invalid request. */
function single(query: Record<string, unknown>, name: string): string | undefined | null {
  const v = query[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' ? v : null;
}

/** The PKCE challenge to bind to the code: S256 only; required for public clients, accepted from confidential ones. */
function pkceChallenge(app: App, challenge: string | undefined, method: string | undefined): string | null {
  if (method !== undefined && method !== 'S256') throw new OAuthError('invalid_request', 'code_challenge_method must be S256');
  if (challenge === undefined) {
    if (method !== undefined) throw new OAuthError('invalid_request', 'code_challenge_method given without code_challenge');
    if (app.clientType === 'public') throw new OAuthError('invalid_request', 'Public clients must use PKCE (code_challenge with code_challenge_method=S256)');
    return null;
  }
  if (method === undefined) throw new OAuthError('invalid_request', 'code_challenge_method=S256 is required (plain is not supported)');
  if (!isValidChallenge(challenge)) throw new OAuthError('invalid_request', 'code_challenge must be 43 base64url characters (an S256 hash)');
  return challenge;
}

/**
 * GET /oauth/authorize: validates the client and its redirect URI (exact, or a loopback port) first (errors shown,
 * never redirected), then everything else (errors redirected with `error` and `state`), stores
 * the pending request and sends the browser to the dashboard's consent page.
 */
export function registerAuthorizeRoute(app: FastifyInstance, ctx: AppContext): void {
  app.get(
    '/oauth/authorize',
    {
      schema: {
        tags: ['OAuth 2.0'],
        summary: 'Authorization endpoint (RFC 6749 §4.1)',
        description:
          'Starts the authorization code flow. Bad client_id or redirect_uri answer an HTML error page; other errors redirect to the redirect URI with `error`, `state` and `iss`. On success, redirects the browser to the consent page, which redirects back with `code`, `state` and `iss` (RFC 9207).',
        querystring: authorizeQuery,
        // Never a 200: the browser is sent on (302), or shown why it cannot be (400, HTML).
        response: {
          302: z.null().describe('To the consent page, or back to the redirect URI with `error`, `state` and `iss` (the Location header).'),
          400: z.string().describe('An HTML page: the client_id or redirect_uri is unknown or wrong, so there is nowhere safe to redirect to.'),
        },
      },
      // A refusal before the handler (a %00 in the URL) is a page too: the browser is the
      // user's, and the schema's 400 is HTML (a JSON body failed its serialization, a 500).
      errorHandler(error, request, reply) {
        if (error instanceof RelayError && statusOf(error.code) < 500) return errorPage(reply, error.message);
        request.log.error({ err: error, reqId: request.id }, 'OAuth authorize failed');
        return errorPage(reply, 'The authorization request could not be processed.', 500);
      },
      // The schema documents the parameters; checks happen below, because which errors may be
      // redirected depends on which parameter is wrong.
      validatorCompiler: () => (value) => ({ value }),
    },
    async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const clientId = single(query, 'client_id');
      if (!clientId) return errorPage(reply, clientId === null ? 'client_id is repeated.' : 'client_id is missing.');
      const client = await findAppByClientId(ctx.storage.db, clientId);
      if (!client) return errorPage(reply, 'Unknown client_id.');
      const redirectUri = single(query, 'redirect_uri');
      if (!redirectUri) return errorPage(reply, redirectUri === null ? 'redirect_uri is repeated.' : 'redirect_uri is missing.');
      if (!isRegisteredRedirectUri(client.redirectUris, redirectUri)) return errorPage(reply, 'redirect_uri is not one of this app’s registered redirect URIs.');

      const issuer = issuerOf(ctx, request);
      const state = single(query, 'state');
      try {
        for (const name of PARAMS) if (single(query, name) === null) throw new OAuthError('invalid_request', `Parameter ${name} is repeated`);
        const responseType = single(query, 'response_type');
        if (responseType === undefined) throw new OAuthError('invalid_request', 'response_type is required');
        if (responseType !== 'code') throw new OAuthError('unsupported_response_type', 'Only response_type=code is supported');
        const scopes = requestedScopes(single(query, 'scope') ?? undefined, client);
        const codeChallenge = pkceChallenge(client, single(query, 'code_challenge') ?? undefined, single(query, 'code_challenge_method') ?? undefined);
        const pending = await createAuthorizationRequest(ctx.storage.db, { appId: client.id, redirectUri, scopes, state: state ?? null, codeChallenge });
        return reply.header('cache-control', 'no-store').redirect(`/oauth/consent?request=${pending.id}`, 302);
      } catch (err) {
        if (!(err instanceof OAuthError)) throw err;
        const to = clientRedirect(redirectUri, { error: err.error, error_description: err.description, state: state ?? undefined, iss: issuer });
        return reply.header('cache-control', 'no-store').redirect(to, 302);
      }
    },
  );
}
