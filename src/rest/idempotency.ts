import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import type { Caller } from '../auth/caller.js';
import { isValidIdempotencyKey } from '../actions/idempotency.js';
import { errorBody, RelayError, statusOf } from '../errors/index.js';
import { toRelayError } from '../http/error-handler.js';

export interface RestAnswer {
  status: number;
  body: unknown;
}

/**
 * Idempotency-Key on POST, as the webhook does it: the first request with a key runs and its
 * answer (or definite 4xx refusal) is stored; a repeat gets the stored answer without reaching
 * Odoo. The method and path are hashed with the body, so one key cannot replay across routes.
 */
export async function runIdempotent(
  ctx: AppContext,
  request: FastifyRequest,
  caller: Caller,
  run: () => Promise<RestAnswer>,
): Promise<RestAnswer & { replayed: boolean }> {
  const raw = request.headers['idempotency-key'];
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key === undefined) return { ...(await run()), replayed: false };
  if (!isValidIdempotencyKey(key)) {
    throw new RelayError('invalid_request', 'Idempotency-Key must be 1–255 printable ASCII characters', { field: 'Idempotency-Key' });
  }
  const scope = caller.kind === 'session' ? `user:${caller.userId}` : `key:${caller.grant.id}`;
  const fingerprint = Buffer.concat([Buffer.from(`${request.method} ${request.url}\n`), request.rawBody ?? Buffer.alloc(0)]);
  const claim = await ctx.idempotency.claim(scope, key, fingerprint);
  if (claim.kind === 'replay') return { status: claim.status, body: claim.body, replayed: true };
  if (claim.kind === 'in_progress') throw new RelayError('idempotency_in_progress', undefined, null, { 'retry-after': '1' });
  if (claim.kind === 'mismatch') throw new RelayError('idempotency_key_reused');
  try {
    const answer = await run();
    await ctx.idempotency.complete(scope, key, answer.status, answer.body);
    return { ...answer, replayed: false };
  } catch (err) {
    const relayError = toRelayError(err);
    const status = relayError ? statusOf(relayError.code) : 500;
    // A definite answer (4xx) is remembered; a failure worth retrying (5xx) frees the key.
    if (relayError && status < 500) {
      await ctx.idempotency.complete(scope, key, status, errorBody(relayError.code, request.id, relayError.message, relayError.details, relayError.extra));
    } else {
      await ctx.idempotency.release(scope, key);
    }
    throw err;
  }
}
