import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { Caller } from '../auth/caller.js';
import { READ_METHODS } from '../auth/scopes.js';
import type { RequestTrace } from '../http/request-trace.js';
import { CLAIM_RENEW_MS, isValidIdempotencyKey, type StoredAnswer } from './idempotency.js';
import { errorBody, RelayError, statusOf, type ErrorCode } from '../errors/index.js';
import { toRelayError } from '../http/error-handler.js';

/**
 * Whether a failed request may have changed data in Odoo. A chat did once it sent a writing tool
 * call, however the run ended after it (the provider failing on the next turn, a timeout): its
 * retry would write again. A chat that sent none changed nothing, even when a read failed with
 * an unknown outcome. An ORM call did when it may have run and its method is not read-only;
 * test_connection and get_config cannot.
 */
function mayHaveWritten(error: RelayError | null, trace: RequestTrace): boolean {
  if (trace.action === 'chat') return trace.odooWriteSent === true;
  if ((error?.details as { mayHaveRun?: unknown } | null | undefined)?.mayHaveRun !== true) return false;
  return trace.method !== undefined && !READ_METHODS.has(trace.method);
}

/**
 * Refusals that mean "not now" rather than "no": nothing ran and the same request may succeed
 * a moment later, so storing them would replay the refusal to every retry with the key. A call
 * whose client left while it waited for a slot is one: that client's retry is the request.
 */
const NOT_NOW: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['conversation_busy', 'client_closed_request']);

/**
 * A stored answer as this request's: an error body names the request that answers it
 * (`requestId`, the X-Request-Id header and the request log row), not the first one.
 */
function asThisRequest(body: unknown, requestId: string): unknown {
  if (body === null || typeof body !== 'object' || !('requestId' in body)) return body;
  return { ...body, requestId };
}

/**
 * Runs a request under its Idempotency-Key header (without one, just runs it): the first
 * request with a key runs and its answer (or definite 4xx refusal) is stored; a repeat with the
 * same fingerprint gets the stored answer without reaching Odoo; a different fingerprint is
 * refused. The webhook fingerprints the raw body; the REST API adds method and path, so one key
 * cannot replay across routes. Keys are scoped to the credential's grant (or the session's user).
 */
export async function runIdempotent(
  ctx: AppContext,
  request: FastifyRequest,
  caller: Caller,
  fingerprint: Buffer,
  run: () => Promise<StoredAnswer>,
): Promise<StoredAnswer & { replayed: boolean }> {
  const raw = request.headers['idempotency-key'];
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key === undefined) return { ...(await run()), replayed: false };
  // Node joins repeated headers with ", ": two keys would silently become a third one.
  if (headerCount(request, 'idempotency-key') > 1) {
    throw new RelayError('invalid_request', 'Idempotency-Key was sent more than once; send one', { field: 'Idempotency-Key' });
  }
  if (!isValidIdempotencyKey(key)) {
    throw new RelayError('invalid_request', 'Idempotency-Key must be 1–255 printable ASCII characters', { field: 'Idempotency-Key' });
  }
  const scope = caller.kind === 'session' ? `user:${caller.userId}` : `key:${caller.grant.id}`;
  // The first request's relay instance stopped before it answered: it may have reached Odoo.
  const abandoned = (): StoredAnswer => {
    const outcome = new RelayError('idempotency_outcome_unknown', undefined, { firstError: 'relay_stopped', firstRequestId: null });
    return { status: statusOf(outcome.code), body: errorBody(outcome.code, request.id, outcome.message, outcome.details) };
  };
  const claim = await ctx.idempotency.claim(scope, key, fingerprint, abandoned);
  if (claim.kind === 'replay') return { status: claim.status, body: asThisRequest(claim.body, request.id), replayed: true };
  if (claim.kind === 'in_progress') throw new RelayError('idempotency_in_progress', undefined, null, { 'retry-after': '1' });
  if (claim.kind === 'mismatch') throw new RelayError('idempotency_key_reused');
  // The claim's lease is renewed while this request runs: a claim left without renewal is one
  // whose instance stopped, which repeats can then learn instead of waiting out the key's TTL.
  const renewal = setInterval(() => {
    ctx.idempotency.renew(scope, key).catch((err: unknown) => request.log.warn({ err, reqId: request.id }, 'renewing an Idempotency-Key claim failed'));
  }, CLAIM_RENEW_MS);
  renewal.unref();
  try {
    const answer = await run();
    await ctx.idempotency.complete(scope, key, answer.status, answer.body);
    return { ...answer, replayed: false };
  } catch (err) {
    const relayError = toRelayError(err);
    const status = relayError ? statusOf(relayError.code) : 500;
    if (relayError && status < 500 && !NOT_NOW.has(relayError.code)) {
      // A definite answer (4xx) is remembered.
      await ctx.idempotency.complete(scope, key, status, errorBody(relayError.code, request.id, relayError.message, relayError.details, relayError.extra));
    } else if (mayHaveWritten(relayError, request.trace)) {
      // The call reached Odoo and its outcome is unknown (a timeout: Odoo's worker goes on to
      // its commit). Freeing the key would let the retry create the record a second time, so
      // repeats are told to check Odoo instead.
      const outcome = new RelayError('idempotency_outcome_unknown', undefined, { firstError: relayError?.code ?? 'internal_error', firstRequestId: request.id });
      await ctx.idempotency.complete(scope, key, statusOf(outcome.code), errorBody(outcome.code, request.id, outcome.message, outcome.details));
    } else {
      // Nothing reached Odoo, or it refused and rolled back (down, busy, its own error), or the
      // request was told to come back later: the key is freed for the retry.
      await ctx.idempotency.release(scope, key);
    }
    throw err;
  } finally {
    clearInterval(renewal);
  }
}

/** How many times the request carried the header `name` (lower case), before Node joined them. */
function headerCount(request: FastifyRequest, name: string): number {
  const raw = request.raw.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) count++;
  return count;
}
