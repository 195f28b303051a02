import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { RequestTrace } from '../http/request-trace.js';
import { RelayError, type ErrorCode } from '../errors/index.js';
import { sha256Hex } from '../ids/random.js';
import { findAppByConsumerKey, type App } from '../apps/store.js';
import {
  parseAuthorizationHeader,
  parseFormPairs,
  queryOf,
  sign,
  signatureBaseString,
  signatureMatches,
  signatureMethodOf,
  type ParamPairs,
} from './signature.js';
import { claimNonce, MAX_NONCE_LENGTH, TIMESTAMP_WINDOW_SECONDS } from './nonces.js';
import { findToken, type TokenRow } from './tokens.js';

/**
 * The URL the client signed. Behind a reverse proxy the relay cannot see it, so PUBLIC_URL
 * (trailing slashes dropped) + the path and query as received is used; without PUBLIC_URL,
 * the scheme and Host the request arrived with (X-Forwarded-* when TRUST_PROXY is on).
 */
export function signedUrl(request: FastifyRequest, publicUrl: string | undefined): string {
  const base = publicUrl ? publicUrl.replace(/\/+$/, '') : `${request.protocol}://${request.host}`;
  return base + request.url;
}

/** The realm named in WWW-Authenticate: the relay's public origin. */
export function realmOf(request: FastifyRequest, publicUrl: string | undefined): string {
  return publicUrl ? new URL(publicUrl).origin : `${request.protocol}://${request.host}`;
}

/** A 401 that tells the client which scheme to use (RFC 7235 §3.1), or a 400 as is. */
export function oauth1Error(code: ErrorCode, realm: string, message?: string, details?: unknown): RelayError {
  const headers = code === 'unauthenticated' || code.startsWith('oauth1_') ? { 'www-authenticate': `OAuth realm="${realm.replace(/["\\]/g, '')}"` } : undefined;
  return new RelayError(code, message, details, headers);
}

/** What a request's token must be: none (request_token), a request token (access_token), or an optional access token (resource calls). */
export type TokenUse = 'none' | 'request' | 'access';

export interface SignedRequest {
  method: string;
  /** The absolute URL the client signed, query included (see signedUrl). */
  url: string;
  authorization: string;
  /** Body parameters, only for an `application/x-www-form-urlencoded` body (RFC 5849 §3.4.1.3.1). */
  formPairs?: ParamPairs;
  realm: string;
}

export interface VerifiedRequest {
  app: App;
  /** The protocol parameters (oauth_callback, oauth_verifier, …). */
  params: Map<string, string>;
  /** The request or access token the request was signed with; null for two-legged requests. */
  token: TokenRow | null;
  /** The user the request acts for: the token's, or for two-legged calls the app's owner. */
  userId: string | null;
}

const REQUIRED = ['oauth_consumer_key', 'oauth_signature_method', 'oauth_signature', 'oauth_timestamp', 'oauth_nonce'] as const;

/**
 * Verifies an OAuth 1.0a signed request, in an order that never lets an unauthenticated
 * caller write state: syntax → signature method → timestamp window → consumer → token →
 * signature → nonce (recorded only once the signature is right). Refusals are RelayErrors:
 * 400 for malformed requests, 401 with WWW-Authenticate otherwise (RFC 5849 §3.2).
 * `trace` is filled as the caller becomes known, so refused calls are attributed in the log.
 */
export async function verifySignedRequest(ctx: AppContext, req: SignedRequest, use: TokenUse, trace?: RequestTrace): Promise<VerifiedRequest> {
  const fail = (code: ErrorCode, message?: string, details?: unknown) => oauth1Error(code, req.realm, message, details);
  let header;
  try {
    header = parseAuthorizationHeader(req.authorization);
  } catch (err) {
    throw err instanceof RelayError ? fail(err.code, err.message, err.details) : err;
  }
  const params = header.params;
  for (const name of REQUIRED) {
    if (!params.get(name)) throw fail('oauth1_bad_request', `${name} is required`, { parameter: name });
  }
  const version = params.get('oauth_version');
  if (version !== undefined && version !== '1.0') throw fail('oauth1_bad_request', 'oauth_version must be 1.0', { parameter: 'oauth_version' });
  const method = signatureMethodOf(params.get('oauth_signature_method'));

  const queryPairs = parseFormPairs(queryOf(req.url));
  const formPairs = req.formPairs ?? [];
  // RFC 5849 §3.5: protocol parameters travel in exactly one place; here, the header.
  const elsewhere = [...queryPairs, ...formPairs].find(([name]) => name.startsWith('oauth_'));
  if (elsewhere) throw fail('oauth1_bad_request', `${elsewhere[0].slice(0, 64)} must be sent in the Authorization header only`, { parameter: elsewhere[0].slice(0, 64) });

  const timestampText = params.get('oauth_timestamp')!;
  if (!/^\d{1,12}$/.test(timestampText)) throw fail('oauth1_bad_request', 'oauth_timestamp must be seconds since the epoch', { parameter: 'oauth_timestamp' });
  const timestamp = Number(timestampText);
  const skew = timestamp - Math.floor(Date.now() / 1000);
  if (Math.abs(skew) > TIMESTAMP_WINDOW_SECONDS) {
    throw fail('oauth1_timestamp_out_of_window', `oauth_timestamp is ${Math.abs(skew)} s ${skew < 0 ? 'behind' : 'ahead of'} the relay's clock; at most ${TIMESTAMP_WINDOW_SECONDS} s are accepted`, {
      parameter: 'oauth_timestamp',
      serverTime: Math.floor(Date.now() / 1000),
      windowSeconds: TIMESTAMP_WINDOW_SECONDS,
    });
  }
  const nonce = params.get('oauth_nonce')!;
  if (nonce.length > MAX_NONCE_LENGTH) throw fail('oauth1_bad_request', `oauth_nonce must be at most ${MAX_NONCE_LENGTH} characters`, { parameter: 'oauth_nonce' });

  const consumerKey = params.get('oauth_consumer_key')!;
  const found = await findAppByConsumerKey(ctx.storage.db, consumerKey);
  if (!found) throw fail('oauth1_unknown_consumer');
  const { app } = found;
  if (trace) {
    trace.authMethod = 'oauth1';
    trace.appId = app.id;
  }

  const tokenValue = params.get('oauth_token') ?? '';
  let token: TokenRow | null = null;
  if (use === 'none') {
    if (tokenValue) throw fail('oauth1_bad_request', 'A request token is obtained without oauth_token', { parameter: 'oauth_token' });
  } else if (use === 'request' && !tokenValue) {
    throw fail('oauth1_bad_request', 'oauth_token (the request token) is required', { parameter: 'oauth_token' });
  } else if (tokenValue) {
    token = await findToken(ctx.storage.db, tokenValue);
    if (!token || token.kind !== use || token.app_id !== app.id) throw fail('oauth1_invalid_token');
  }
  const userId = token ? token.user_id : use === 'access' ? app.userId : null;
  if (trace && userId) trace.userId = userId;

  const pairs: ParamPairs = [...queryPairs, ...formPairs];
  for (const [name, value] of params) if (name !== 'oauth_signature') pairs.push([name, value]);
  const baseString = signatureBaseString(req.method, req.url, pairs);
  const consumerSecret = ctx.box.decryptCached(found.consumerSecretEnc);
  // Access token secrets sign every call and are memoized; request token secrets are used twice at most.
  const tokenSecret = token ? (token.kind === 'access' ? ctx.box.decryptCached(token.secret_enc) : ctx.box.decrypt(token.secret_enc)) : '';
  if (!signatureMatches(sign(method, baseString, consumerSecret, tokenSecret), params.get('oauth_signature')!)) {
    throw fail('oauth1_invalid_signature', undefined, { signatureMethod: method, hint: 'Sign METHOD&enc(URL without query)&enc(sorted query, form and oauth_* parameters); see docs/oauth1.md' });
  }

  const fresh = await claimNonce(ctx.storage.db, { consumerKey, tokenHash: tokenValue ? sha256Hex(tokenValue) : '', timestamp, nonce });
  if (!fresh) throw fail('oauth1_nonce_reused');
  return { app, params, token, userId };
}
