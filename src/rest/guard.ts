import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { authenticateCaller, checkSessionWrite, crossSiteRefusal, isCrossSite, type Caller } from '../auth/caller.js';
import { enforceKeyRateLimit } from '../auth/rate-limit.js';
import { verifyRequestHmac } from '../auth/request-hmac.js';
import { checkMethodAccess } from '../actions/execute-method.js';

/**
 * Who is calling, from headers only (before the body is read): an API key or OAuth grant,
 * rate limited like the webhook; or a dashboard session, refused cross-site and, for a
 * change, without its CSRF token (the REST API is not the seed's paste-the-cookie endpoint).
 */
export async function authenticateRestCaller(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<Caller> {
  const caller = await authenticateCaller(ctx, request);
  if (caller.kind !== 'session') {
    await enforceKeyRateLimit(ctx.rateLimiter, caller.grant, reply, () => ctx.metrics.rateLimited.inc());
    return caller;
  }
  checkSessionWrite(request, caller.csrfToken, ctx.config.publicUrl);
  // Reads too: a record read with the user's cookie on another site's behalf is refused.
  if (isCrossSite(request, ctx.config.publicUrl)) {
    throw crossSiteRefusal(request, ctx.config.publicUrl, 'cross_site_request', 'Cross-site requests with a session cookie are refused');
  }
  return caller;
}

/**
 * After the body is parsed and validated: the HMAC signature of a signing key (already checked
 * by the JSON parser when there was a body; this covers bodiless calls), then the caller's
 * scopes and allow-lists for each ORM method the route calls.
 */
export async function authorizeRestCall(ctx: AppContext, request: FastifyRequest, model: string, methods: string[]): Promise<Caller> {
  const caller = request.caller!;
  request.trace.model = model;
  request.trace.method = methods[0];
  await verifyRequestHmac(ctx, request, caller);
  for (const method of methods) {
    const refusal = checkMethodAccess(caller, model, method);
    if (refusal) throw refusal;
  }
  return caller;
}

/** Whether the caller may also read the model (create and update answer with the record read back). */
export function mayRead(caller: Caller, model: string): boolean {
  return checkMethodAccess(caller, model, 'read') === null;
}
