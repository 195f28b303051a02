import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { Caller } from './caller.js';
import { verifyHmac } from './hmac.js';
import { RelayError } from '../errors/index.js';
import { thenMaybe, type MaybePromise } from '../async/maybe-promise.js';
import { rateLimitedError } from './rate-limit.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signature was checked (the JSON parser checks it first, the route's own check then passes). */
    hmacVerified?: boolean;
    /**
     * Set by the seed's webhook route: its signature covers the body alone (the body names the
     * action, model and method). Set by the route, not matched on the URL, which the router
     * also reaches with a trailing slash or percent-encoded letters.
     */
    hmacBodyOnly?: boolean;
  }
}

/**
 * For an API key created with HMAC: checks `X-HMAC-Signature` (and `X-HMAC-Timestamp`, once
 * per signature) over the exact raw body bytes. Shared by every route a key can call, so the
 * webhook and the REST API refuse the same requests with the same words. Other callers pass.
 *
 * Synchronous (throws on refusal) except for the timestamped variant, whose once-only nonce is
 * claimed in the database: then it returns the promise of that claim. The common case costs no
 * promise on every call.
 */
export function verifyRequestHmac(ctx: AppContext, request: FastifyRequest, caller: Caller): Promise<void> | undefined {
  if (caller.kind !== 'api_key' || !caller.hmacSecretEnc || request.hmacVerified) return undefined;
  const check = verifyHmac({
    key: ctx.caches.hmacKeys.get(caller.hmacSecretEnc),
    rawBody: request.rawBody ?? Buffer.alloc(0),
    // The seed's webhook signs the body alone (its action, model and method are in it); every
    // other route signs its request line too, or one signature would serve any route with that body.
    requestLine: request.hmacBodyOnly ? undefined : Buffer.from(`${request.method} ${request.url}\n`),
    signatureHeader: header(request, 'x-hmac-signature'),
    timestampHeader: header(request, 'x-hmac-timestamp'),
    nowSeconds: Math.floor(Date.now() / 1000),
    toleranceSeconds: ctx.config.hmacToleranceSeconds,
  });
  if (!check.ok) return refuse(ctx, caller, new RelayError('invalid_signature', hmacMessage(check.reason, request.hmacBodyOnly === true), { reason: check.reason }));
  if (!check.timestamped) {
    request.hmacVerified = true;
    return undefined;
  }
  return claimNonce(ctx, caller.apiKey.id, check.signature).then((claimed) => {
    if (!claimed) return refuse(ctx, caller, new RelayError('invalid_signature', 'This signature was already used (replay)', { reason: 'replayed' }));
    request.hmacVerified = true;
  });
}

/**
 * Refuses a request whose signature failed. It gives its request back to the key's rate limit:
 * whoever has the key but not the HMAC secret must not spend the budget of the workflow that
 * signs. Failed signatures are counted on a budget of their own, as large as the key's, over
 * which they are answered 429 instead of 401. Throws at once when both counters are in memory.
 * (The refused answer's X-RateLimit-Remaining was set before the refund and reads one low.)
 */
function refuse(ctx: AppContext, caller: SigningCaller, error: RelayError): Promise<never> | never {
  const outcome = thenMaybe(chargeUnsigned(ctx, caller, error), (final): never => {
    throw final;
  });
  // Only reached when a counter answered with a promise: its rejection carries the refusal.
  return outcome as Promise<never>;
}

type SigningCaller = Caller & { kind: 'api_key' };

/**
 * Moves a request that was not proved authentic from the key's budget to the failed-signature
 * budget: the refusal as it is while that budget lasts, 429 beyond it.
 */
function chargeUnsigned(ctx: AppContext, caller: SigningCaller, error: RelayError): MaybePromise<RelayError> {
  const { id, rateLimit } = caller.grant;
  return thenMaybe(
    thenMaybe(ctx.rateLimiter.refund(id, rateLimit), () => ctx.rateLimiter.consume(`bad-signature:${id}`, rateLimit)),
    (failures) => {
      if (failures.allowed) return error;
      ctx.metrics.rateLimited.inc();
      return rateLimitedError(failures);
    },
  );
}

/**
 * Refusals Fastify makes while it reads the body, before the JSON parser sees it and so before
 * the signature is checked: the media type, the size, a length that does not match.
 */
const REFUSED_BEFORE_CHECK: ReadonlySet<string> = new Set(['unsupported_media_type', 'body_too_large', 'invalid_json']);

/**
 * For the error handler: a signing key's request refused before its signature could be checked
 * (sent as text/plain, too large) is charged like one refused for its signature, or someone
 * with the key but not the secret could spend the workflow's budget that way. The refusal keeps
 * its own code while the failed-signature budget lasts; the caller learns what to fix.
 */
export function chargeRefusalBeforeCheck(ctx: AppContext, request: FastifyRequest, error: RelayError): MaybePromise<RelayError> {
  const caller = request.caller;
  if (caller?.kind !== 'api_key' || !caller.hmacSecretEnc || request.hmacVerified || !REFUSED_BEFORE_CHECK.has(error.code)) return error;
  return chargeUnsigned(ctx, caller, error);
}

async function claimNonce(ctx: AppContext, keyId: string, signature: string): Promise<boolean> {
  const now = Date.now();
  const result = await ctx.storage.db
    .insertInto('hmac_nonces')
    .values({ key_id: keyId, signature, expires_at: now + 2 * ctx.config.hmacToleranceSeconds * 1000 })
    .onConflict((oc) => oc.columns(['key_id', 'signature']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** What is signed: the body on the webhook; the request line and the body elsewhere. */
function hmacMessage(reason: string, bodyOnly: boolean): string {
  const signed = bodyOnly ? 'the raw body' : '"<METHOD> <path?query>\\n" and the raw body';
  switch (reason) {
    case 'missing_signature':
      return `This API key requires an X-HMAC-Signature header (hex HMAC-SHA256 of ${signed})`;
    case 'malformed_signature':
      return 'X-HMAC-Signature must be 64 hex characters (HMAC-SHA256)';
    case 'stale_timestamp':
      return 'X-HMAC-Timestamp is too far from the relay clock';
    case 'malformed_timestamp':
      return 'X-HMAC-Timestamp must be Unix seconds';
    default:
      return `HMAC signature does not match ${signed}`;
  }
}
