import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { RelayError } from '../errors/index.js';
import { lookupApiKey, type ApiKey, type KeyLookup } from './api-keys.js';
import { safeEqual, sha256Hex } from '../ids/random.js';
import { findSession, SESSION_COOKIE } from './sessions.js';
import type { Grant } from './grant.js';
import { isOAuthHeader } from '../oauth1/signature.js';
import { authenticateOAuth1 } from '../oauth1/caller.js';
import { isOAuth2Token } from '../oauth2/lifetimes.js';
import { authenticateAccessToken } from '../oauth2/access-token.js';
import { thenMaybe, type MaybePromise } from '../async/maybe-promise.js';

/**
 * Who is calling. Every kind except a dashboard session carries a Grant (scopes, allow-lists,
 * rate limit); a session is the user themself and is limited only by Odoo's own rights.
 */
export type Caller =
  | { kind: 'api_key'; userId: string; grant: Grant; apiKey: ApiKey; hmacSecretEnc: string | null }
  | { kind: 'oauth2' | 'oauth1'; userId: string; grant: Grant; appId: string }
  | { kind: 'session'; userId: string; csrfToken: string };

export type GrantCaller = Exclude<Caller, { kind: 'session' }>;

/** The caller's grant, or null for a dashboard session (unrestricted by scopes). */
export function grantOf(caller: Caller): Grant | null {
  return caller.kind === 'session' ? null : caller.grant;
}

/** How refusals name the credential: "API key", "OAuth 2.0 token", "OAuth 1.0a token". */
export function credentialName(caller: Caller): string {
  switch (caller.kind) {
    case 'api_key':
      return 'API key';
    case 'oauth2':
      return 'OAuth 2.0 token';
    case 'oauth1':
      return 'OAuth 1.0a token';
    case 'session':
      return 'session';
  }
}

/**
 * RFC 6750 §3: a request to a route that takes bearer credentials, refused for want of any (or
 * for a malformed Authorization header), is told which scheme to use. RFC 7235 §3.1 wants a
 * challenge on every 401: a refused API key is a bearer credential refused (`invalid_token`),
 * which is also what an OAuth client with a mangled token (read as a key) must hear.
 */
const BEARER_CHALLENGE = 'Bearer realm="odoo-relay"';
const REFUSED_KEY_CHALLENGE = { 'www-authenticate': `${BEARER_CHALLENGE}, error="invalid_token"` };

/** The API key a request presents: `Authorization: Bearer sk_live_…` or `X-API-Key: sk_live_…`. */
export function presentedApiKey(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  const header = request.headers['x-api-key'];
  // An empty header is no key (an n8n credential left blank), not a second one.
  const apiKeyHeader = (Array.isArray(header) ? header[0] : header) || undefined;
  // A Header Auth credential named X-API-Key is easily given Authorization's value.
  if (apiKeyHeader && /^Bearer\s/i.test(apiKeyHeader)) throw malformedKey('X-API-Key takes the key alone: leave out "Bearer "');
  if (auth) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match) {
      // Two credentials that disagree are a mistake to name, not one to pick silently.
      if (apiKeyHeader !== undefined && apiKeyHeader !== match[1]) throw malformedKey('Authorization and X-API-Key carry different keys: send one of them');
      return match[1];
    }
    if (!apiKeyHeader) throw malformedKey('Authorization header must be "Bearer <api key>"');
  }
  return apiKeyHeader;
}

function malformedKey(message: string): RelayError {
  return new RelayError('invalid_api_key', message, undefined, { 'www-authenticate': `${BEARER_CHALLENGE}, error="invalid_request"` });
}

/**
 * Whether a cookie-authenticated request comes from another site. Such requests carry the
 * cookie without the user's intent (CSRF); the webhook cannot demand a CSRF token because
 * the seed lets users paste the cookie into n8n, so it refuses by Sec-Fetch-Site and Origin.
 */
export function isCrossSite(request: FastifyRequest, publicUrl: string | undefined): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site && site !== 'same-origin' && site !== 'none') return true;
  const origin = request.headers.origin;
  if (!origin) return false;
  const expected = publicUrl ? new URL(publicUrl).origin : `${request.protocol}://${request.headers.host}`;
  return origin !== expected;
}

/**
 * The two origins behind a cross-site verdict that PUBLIC_URL caused: the page was opened at the
 * relay's own address (the browser says same-origin, or the Origin header is this host) while
 * PUBLIC_URL names another origin. Null when the request is cross-site for any other reason.
 */
export function publicUrlMismatch(request: FastifyRequest, publicUrl: string | undefined): { pageOrigin: string; publicOrigin: string } | null {
  const origin = request.headers.origin;
  if (!publicUrl || !origin) return null;
  const publicOrigin = new URL(publicUrl).origin;
  if (origin === publicOrigin) return null;
  const site = request.headers['sec-fetch-site'];
  // The browser's own word that page and relay share an origin is worth more than the Host header (proxies rewrite it).
  const sameOrigin = site ? site === 'same-origin' : origin === `${request.protocol}://${request.headers.host}`;
  return sameOrigin ? { pageOrigin: origin, publicOrigin } : null;
}

/**
 * A cross-site refusal with `code`: `message`, or when PUBLIC_URL is the cause, both origins and
 * what to do, since "cross-site" alone sends an operator looking for an attacker.
 */
export function crossSiteRefusal(request: FastifyRequest, publicUrl: string | undefined, code: 'cross_site_request' | 'csrf_failed', message?: string): RelayError {
  const mismatch = publicUrlMismatch(request, publicUrl);
  if (!mismatch) return new RelayError(code, message);
  const { pageOrigin, publicOrigin } = mismatch;
  return new RelayError(
    code,
    `This page's origin ${pageOrigin} differs from PUBLIC_URL (${publicOrigin}): open the dashboard at ${publicOrigin}, or set PUBLIC_URL to the address you use`,
    { origin: pageOrigin, publicUrl: publicOrigin },
  );
}

/** Methods that change nothing: a session cookie needs its CSRF token on every other one. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * What a dashboard session needs to change state on a route that is not the webhook: the
 * session's CSRF token in `X-CSRF-Token` (compared in constant time) and a same-origin request.
 * Reads pass. One place for the dashboard API, the REST API and the subscriptions API, which
 * used to carry a copy each (with different lists of methods that change state).
 */
export function checkSessionWrite(request: FastifyRequest, csrfToken: string, publicUrl: string | undefined): void {
  if (SAFE_METHODS.has(request.method)) return;
  const presented = request.headers['x-csrf-token'];
  if (typeof presented !== 'string' || !safeEqual(presented, csrfToken)) throw new RelayError('csrf_failed');
  if (isCrossSite(request, publicUrl)) throw crossSiteRefusal(request, publicUrl, 'csrf_failed');
}

/**
 * The webhook's check of a session's CSRF token: optional there (see isCrossSite), but when the
 * dashboard sends one it must be this session's. A page whose session another tab replaced (a
 * new sign-in, possibly as someone else) then learns so, instead of acting for the new session.
 */
export function checkPresentedCsrfToken(request: FastifyRequest, csrfToken: string): void {
  const presented = request.headers['x-csrf-token'];
  if (presented === undefined) return;
  if (typeof presented !== 'string' || !safeEqual(presented, csrfToken)) {
    throw new RelayError('csrf_failed', 'The X-CSRF-Token does not belong to this session: it was replaced by a sign-in elsewhere');
  }
}

/**
 * Key lookups are cached when found (revocations in this process clear the cache); unknown
 * keys always ask the database. A cache hit comes back without a promise.
 */
function cachedKeyLookup(ctx: AppContext, presented: string): MaybePromise<KeyLookup> {
  const hash = sha256Hex(presented);
  const cached = ctx.caches.apiKeys.getOrLoad(hash, () => lookupApiKey(ctx.storage.db, presented));
  if (!(cached instanceof Promise)) return cached;
  return cached.then((found) => {
    if (!found.ok && found.code === 'invalid_api_key') ctx.caches.apiKeys.delete(hash);
    return found;
  });
}

/**
 * Who is calling, by OAuth 1.0a signature, OAuth 2.0 access token, API key or dashboard session.
 * Refusals throw RelayError with a 401 code (or reject, when the answer needed the database).
 * An API key found in the cache is answered at once, without a promise.
 */
export function authenticateCaller(ctx: AppContext, request: FastifyRequest): MaybePromise<Caller> {
  // OAuth 1.0a signed request (before presentedApiKey, which refuses non-Bearer schemes).
  const authorization = request.headers.authorization;
  if (isOAuthHeader(authorization)) return authenticateOAuth1(ctx, request, authorization);
  const presented = presentedApiKey(request);
  // OAuth 2.0 access tokens are told from API keys by their prefix (oat_…; a refresh token
  // presented here is refused as invalid_token). Anything else stays an API key, as before.
  if (presented !== undefined && isOAuth2Token(presented)) return authenticateAccessToken(ctx, request, presented);
  if (presented !== undefined) return thenMaybe(cachedKeyLookup(ctx, presented), (found) => apiKeyCaller(ctx, request, found));
  return sessionCaller(ctx, request);
}

/** The caller behind a looked-up API key, or the refusal. */
function apiKeyCaller(ctx: AppContext, request: FastifyRequest, found: KeyLookup): Caller {
  const known = found.ok || found.code !== 'invalid_api_key' ? found.apiKey : null;
  if (known) {
    // Refused or not, a known key's calls are attributed to it in the request log.
    request.trace.authMethod = 'api_key';
    request.trace.apiKeyId = known.id;
    request.trace.keyPrefix = known.prefix;
    request.trace.userId = known.userId;
  }
  // A disabled owner's key is a valid credential that may not act now: 403, no challenge.
  if (!found.ok) throw new RelayError(found.code, undefined, undefined, found.code === 'account_disabled' ? undefined : REFUSED_KEY_CHALLENGE);
  // Expiry is checked against now, not the time the lookup was cached.
  if (found.apiKey.expiresAt !== null && found.apiKey.expiresAt <= Date.now()) throw new RelayError('api_key_expired', undefined, undefined, REFUSED_KEY_CHALLENGE);
  void ctx.lastUsed.touch(found.apiKey.id)?.catch((err) => request.log.warn({ err, reqId: request.id }, 'last-used update failed'));
  return { kind: 'api_key', userId: found.apiKey.userId, grant: found.apiKey, apiKey: found.apiKey, hmacSecretEnc: found.hmacSecretEnc };
}

async function sessionCaller(ctx: AppContext, request: FastifyRequest): Promise<Caller> {
  const token = request.cookies?.[SESSION_COOKIE];
  if (token) {
    const session = await findSession(ctx.storage.db, token);
    if (!session) throw new RelayError('session_expired', undefined, undefined, { 'www-authenticate': BEARER_CHALLENGE });
    request.trace.authMethod = 'session';
    request.trace.userId = session.userId;
    return { kind: 'session', userId: session.userId, csrfToken: session.csrfToken };
  }
  throw new RelayError('unauthenticated', 'Not authenticated: send an API key (Authorization: Bearer sk_live_…) or a session cookie', undefined, {
    'www-authenticate': BEARER_CHALLENGE,
  });
}
