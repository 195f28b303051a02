/**
 * OAuth 1.0a for third-party apps (RFC 5849), three-legged:
 *
 *   POST /oauth1/request_token        signed by the consumer, oauth_callback → request token (10 min)
 *   GET  /oauth1/authorize            the user's consent page (dashboard session; login first)
 *   POST /api/dashboard/oauth1/authorize   the page's Approve/Deny (session + CSRF) → callback URL or oob verifier
 *   POST /oauth1/access_token         signed with the request token + oauth_verifier → access token
 *
 * Resource calls (the webhook, /api/v1/…) are verified by authenticateCaller (./caller.ts).
 * Token endpoints take and answer application/x-www-form-urlencoded, as RFC 5849 §2 says.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { RelayError } from '../errors/index.js';
import { requireSession } from '../auth/routes.js';
import { getApp, scopesWithinApp, type App } from '../apps/store.js';
import { defaultWebRoot, sendDashboardPage } from '../dashboard/static.js';
import { parseInput } from '../http/parse-input.js';
import { parseFormPairs, percentEncode, type ParamPairs } from './signature.js';
import { oauth1Error, realmOf, signedUrl, verifySignedRequest, type TokenUse, type VerifiedRequest } from './verify.js';
import {
  approveRequestToken,
  createRequestToken,
  deleteRequestToken,
  exchangeRequestToken,
  findToken,
  listAccessTokens,
  revokeAccessToken,
  tokenScopes,
  REQUEST_TOKEN_TTL_MS,
  type TokenRow,
} from './tokens.js';

const TAGS = ['OAuth 1.0a'];
const FORM = 'application/x-www-form-urlencoded';

/** The body's name/value pairs, kept beside the parsed object (a repeated name must stay a repeated pair to be signed). */
const FORM_PAIRS = Symbol('oauth1.formPairs');
type FormBody = Record<string, string> & { [FORM_PAIRS]?: ParamPairs | Error };

/** Content parser for form bodies: never throws (a parser exception would escape Fastify's error handling), keeps the pairs. */
function parseFormBody(text: string): FormBody {
  const body = Object.create(null) as FormBody;
  try {
    const pairs = parseFormPairs(text);
    for (const [n, v] of pairs) body[n] = v;
    Object.defineProperty(body, FORM_PAIRS, { value: pairs });
  } catch (err) {
    Object.defineProperty(body, FORM_PAIRS, { value: err as Error });
  }
  return body;
}

/** The pairs a token endpoint's body contributes to the signature: only a form-encoded body counts (RFC 5849 §3.4.1.3.1). */
function formPairsOf(request: FastifyRequest): ParamPairs {
  const type = String(request.headers['content-type'] ?? '');
  if (!type.toLowerCase().startsWith(FORM)) return [];
  const pairs = (request.body as FormBody | undefined)?.[FORM_PAIRS];
  if (pairs instanceof Error) throw pairs;
  return pairs ?? [];
}

/** A form-encoded answer (`a=1&b=2`), each name and value percent-encoded. */
function sendForm(reply: FastifyReply, values: Record<string, string>) {
  const body = Object.entries(values)
    .map(([n, v]) => `${percentEncode(n)}=${percentEncode(v)}`)
    .join('&');
  return reply.header('cache-control', 'no-store').type(FORM).send(body);
}

/** Absolute https URL, or http on a loopback host (RFC 8252 §7.3) — the only callbacks an app may register. */
function isAllowedCallbackUrl(value: string): boolean {
  try {
    const url = new URL(value);
    const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
    return url.protocol === 'https:' || (url.protocol === 'http:' && loopback);
  } catch {
    return false;
  }
}

/** The callback the user is sent back to: the registered URL plus oauth_token and oauth_verifier (RFC 5849 §2.2). */
export function callbackUrl(callback: string, params: Record<string, string>): string {
  const query = Object.entries(params)
    .map(([n, v]) => `${percentEncode(n)}=${percentEncode(v)}`)
    .join('&');
  return `${callback}${callback.includes('?') ? '&' : '?'}${query}`;
}

declare module 'fastify' {
  interface FastifyRequest {
    oauth1?: VerifiedRequest;
  }
}

const formResponse = (shape: z.ZodObject) => ({ description: 'Form-encoded answer', content: { [FORM]: { schema: shape } } });
const errorEnvelope = z
  .object({ success: z.literal(false), error: z.string(), code: z.string(), details: z.unknown(), requestId: z.string() })
  .describe('The relay’s error envelope; 401s carry WWW-Authenticate: OAuth realm="…"');

const AUTH_DESCRIPTION =
  'Signed with HMAC-SHA1 or HMAC-SHA256 in the `Authorization: OAuth …` header (RFC 5849 §3.5.1). The signed URL is ' +
  'PUBLIC_URL + path (or the scheme and Host the relay sees); query and form-encoded body parameters are signed. ' +
  '`oauth_timestamp` must be within 300 s of the relay’s clock and `oauth_nonce` unique per timestamp.';

/** Registers the OAuth 1.0a endpoints: token endpoints (form bodies, in their own scope), the consent page and its dashboard API. */
export async function registerOAuth1Routes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.storage.db;

  const verified = (use: TokenUse) => async (request: FastifyRequest) => {
    const authorization = request.headers.authorization;
    const realm = realmOf(request, ctx.config.publicUrl);
    if (!authorization || !/^OAuth(\s|$)/i.test(authorization)) {
      throw oauth1Error('unauthenticated', realm, 'Sign this request with OAuth 1.0a: Authorization: OAuth oauth_consumer_key="…", …');
    }
    request.oauth1 = await verifySignedRequest(
      ctx,
      { method: request.method, url: signedUrl(request, ctx.config.publicUrl), authorization, formPairs: formPairsOf(request), realm },
      use,
      request.trace,
    );
  };

  // Form bodies only here: the rest of the relay takes JSON (the webhook refuses anything else).
  await app.register(async (scope) => {
    await scope.register(formbody, { parser: parseFormBody, bodyLimit: 64 * 1024 });
    const routes = scope.withTypeProvider<ZodTypeProvider>();

    routes.post(
      '/oauth1/request_token',
      {
        schema: {
          tags: TAGS,
          summary: 'Obtain a request token (temporary credentials)',
          description:
            'RFC 5849 §2.1. Signed with the consumer key and secret only (no oauth_token). `oauth_callback` is required: `oob` ' +
            'or exactly one of the app’s registered redirect URIs. The request token is valid for 10 minutes. ' +
            AUTH_DESCRIPTION,
          response: {
            200: formResponse(
              z.object({
                oauth_token: z.string().describe('The request token; send the user to GET /oauth1/authorize?oauth_token=…'),
                oauth_token_secret: z.string().describe('Signs the access token request together with the consumer secret'),
                oauth_callback_confirmed: z.literal('true'),
              }),
            ),
            400: errorEnvelope,
            401: errorEnvelope,
          },
        },
        preHandler: verified('none'),
      },
      async (request, reply) => {
        const { app: consumer, params } = request.oauth1!;
        const callback = params.get('oauth_callback');
        const realm = realmOf(request, ctx.config.publicUrl);
        if (!callback) throw oauth1Error('oauth1_bad_request', realm, 'oauth_callback is required (a registered redirect URI, or oob)', { parameter: 'oauth_callback' });
        if (callback !== 'oob') {
          if (!isAllowedCallbackUrl(callback)) {
            throw oauth1Error('oauth1_callback_not_registered', realm, 'oauth_callback must be an absolute https URL (http only on localhost) or oob', { parameter: 'oauth_callback' });
          }
          if (!consumer.redirectUris.includes(callback)) {
            throw oauth1Error('oauth1_callback_not_registered', realm, 'oauth_callback is not one of this app’s registered redirect URIs (compared exactly)', { parameter: 'oauth_callback' });
          }
        }
        const issued = await createRequestToken(db, ctx.box, consumer.id, callback, consumer.scopes);
        return sendForm(reply, { oauth_token: issued.token, oauth_token_secret: issued.secret, oauth_callback_confirmed: 'true' });
      },
    );

    routes.post(
      '/oauth1/access_token',
      {
        schema: {
          tags: TAGS,
          summary: 'Exchange an approved request token for an access token',
          description:
            'RFC 5849 §2.3. Signed with the consumer secret and the request token secret, with `oauth_token` (the request ' +
            'token) and `oauth_verifier` (from the callback, or shown to the user for oob). A request token is exchanged once. ' +
            AUTH_DESCRIPTION,
          response: {
            200: formResponse(
              z.object({
                oauth_token: z.string().describe('The access token: sign API calls with it'),
                oauth_token_secret: z.string().describe('The access token secret'),
              }),
            ),
            400: errorEnvelope,
            401: errorEnvelope,
          },
        },
        preHandler: verified('request'),
      },
      async (request, reply) => {
        const { token, params } = request.oauth1!;
        const verifier = params.get('oauth_verifier');
        const realm = realmOf(request, ctx.config.publicUrl);
        if (!verifier) throw oauth1Error('oauth1_bad_request', realm, 'oauth_verifier is required', { parameter: 'oauth_verifier' });
        let issued;
        try {
          issued = await exchangeRequestToken(db, ctx.box, token!, verifier);
        } catch (err) {
          throw err instanceof RelayError ? oauth1Error(err.code, realm, err.message, err.details) : err;
        }
        return sendForm(reply, { oauth_token: issued.token, oauth_token_secret: issued.secret });
      },
    );
  });

  const routes = app.withTypeProvider<ZodTypeProvider>();

  // The consent page lives in the dashboard app at this very URL: the page asks for a login
  // first when there is no session and comes back here (the query is kept).
  routes.get(
    '/oauth1/authorize',
    {
      schema: {
        tags: TAGS,
        summary: 'Send the user here to approve a request token',
        description:
          'RFC 5849 §2.2. Opens the relay’s consent page, which asks the user to sign in to the dashboard if needed, shows ' +
          'the app and its scopes, and on Approve redirects to the app’s oauth_callback with `oauth_token` and ' +
          '`oauth_verifier` (for `oob` it shows the verifier). On Deny the callback receives `denied=<oauth_token>`.',
        querystring: z.object({ oauth_token: z.string().min(1).max(200).describe('The request token from POST /oauth1/request_token') }),
        response: { 200: { description: 'The consent page (HTML)', content: { 'text/html': { schema: z.string() } } } },
      },
    },
    // The consent page is the dashboard's; never cached, as it shows one request's details.
    async (_request, reply) => sendDashboardPage(reply, defaultWebRoot(), 'no-store'),
  );

  // Dashboard API behind the consent page (session; CSRF on POST).
  const guard = { preHandler: requireSession(ctx), schema: { hide: true } };
  const tokenQuery = z.object({ oauth_token: z.string().min(1, 'oauth_token is required').max(200) });
  const decisionBody = z.object({ oauth_token: z.string().min(1, 'oauth_token is required').max(200), approve: z.boolean({ error: 'approve must be true or false' }) });

  /**
   * What the consent page asks the user to approve, and what approving records: the request
   * token's scopes (the app's when the token was issued), narrowed to the app's scopes now — an
   * app edited meanwhile can lose scopes but never add any to a pending request.
   */
  const askedScopes = (token: TokenRow, consumer: App) => scopesWithinApp(tokenScopes(token) ?? consumer.scopes, consumer);

  /** A live request token nobody has answered yet, or a 404 the page can show. */
  const pendingRequest = async (value: string) => {
    const token = await findToken(db, value);
    if (!token || token.kind !== 'request' || token.authorized_at !== null) {
      throw new RelayError('not_found', 'This authorization request is unknown, has expired (after 10 minutes) or was already answered. Start again from the app.');
    }
    return { token, app: await getApp(db, token.app_id) };
  };

  app.get('/api/dashboard/oauth1/authorize', guard, async (request) => {
    const { oauth_token } = parseInput(tokenQuery, request.query);
    const { token, app: consumer } = await pendingRequest(oauth_token);
    return {
      success: true,
      app: { id: consumer.id, name: consumer.name },
      scopes: askedScopes(token, consumer),
      callback: token.callback === 'oob' ? 'oob' : new URL(token.callback!).origin,
      expiresAt: token.expires_at ?? token.created_at + REQUEST_TOKEN_TTL_MS,
    };
  });

  app.post('/api/dashboard/oauth1/authorize', guard, async (request, reply) => {
    const { oauth_token, approve } = parseInput(decisionBody, request.body);
    const { token, app: consumer } = await pendingRequest(oauth_token);
    reply.header('cache-control', 'no-store');
    const oob = token.callback === 'oob';
    if (!approve) {
      await deleteRequestToken(db, token.id);
      return { success: true, approved: false, redirectUrl: oob ? null : callbackUrl(token.callback!, { denied: oauth_token }) };
    }
    const verifier = await approveRequestToken(db, token.id, request.session!.user.id, askedScopes(token, consumer));
    if (oob) return { success: true, approved: true, redirectUrl: null, verifier };
    return { success: true, approved: true, redirectUrl: callbackUrl(token.callback!, { oauth_token, oauth_verifier: verifier }) };
  });

  // The user's apps holding an OAuth 1.0a access token, and revocation.
  app.get('/api/dashboard/oauth1/tokens', guard, async (request) => ({ success: true, tokens: await listAccessTokens(db, request.session!.user.id) }));

  app.post('/api/dashboard/oauth1/tokens/:id/revoke', guard, async (request) => {
    const { id } = parseInput(z.object({ id: z.string().min(1).max(64) }), request.params);
    await revokeAccessToken(db, id, request.session!.user.id);
    return { success: true };
  });
}
