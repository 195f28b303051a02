import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { authenticateCaller, checkPresentedCsrfToken, credentialName, crossSiteRefusal, isCrossSite, type Caller } from '../auth/caller.js';
import { enforceKeyRateLimit } from '../auth/rate-limit.js';
import { scopeFor } from '../auth/scopes.js';
import { verifyRequestHmac } from '../auth/request-hmac.js';
import { RelayError } from '../errors/index.js';
import { ACTIONS, actionSchemas, describeIssues, type ActionName } from './schema.js';
import { executeMethod } from './execute-method.js';
import { getConfig } from './get-config.js';
import { testConnection } from './test-connection.js';
import { chat } from './chat.js';
import { runIdempotent } from './idempotent-run.js';
import { ExecuteAnswer } from './answer-json.js';
import { documentOnly, webhookSchema } from '../openapi/webhook-docs.js';
import { thenMaybe, type MaybePromise } from '../async/maybe-promise.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}

/** Parses the action envelope, naming the offending field on refusal. */
function parseAction(body: unknown): { name: ActionName; input: any } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RelayError('invalid_request', 'Request body must be a JSON object with an "action" field', { field: 'action' });
  }
  const action = (body as Record<string, unknown>).action;
  if (typeof action !== 'string' || !(ACTIONS as readonly string[]).includes(action)) {
    throw new RelayError(
      action === undefined ? 'invalid_request' : 'unknown_action',
      action === undefined
        ? 'action is required'
        : typeof action === 'string'
          ? `Unknown action '${action.slice(0, 64)}'`
          : `action must be a string, got ${Array.isArray(action) ? 'array' : action === null ? 'null' : typeof action}`,
      { field: 'action', allowed: ACTIONS },
    );
  }
  const parsed = actionSchemas[action as ActionName].safeParse(body);
  if (!parsed.success) {
    const { message, fields } = describeIssues(parsed.error);
    throw new RelayError('invalid_request', message, { fields });
  }
  return { name: action as ActionName, input: parsed.data };
}

async function runAction(ctx: AppContext, request: FastifyRequest, caller: Caller) {
  const { name, input } = parseAction(request.body);
  request.trace.action = name;
  if (caller.kind !== 'session' && !caller.grant.scopes.some((s) => s === 'webhook' || s === 'read')) {
    // The narrowest scope that would do: a method's own, and for a chat that may write, a write's.
    const method = name === 'execute_method' ? input.method : undefined;
    const required = method !== undefined || (name === 'chat' && input.allow_writes === true) ? scopeFor(method) : 'read';
    throw new RelayError('forbidden_scope', `This ${credentialName(caller)} lacks the ${required} scope`, { required });
  }
  switch (name) {
    case 'execute_method':
      return executeMethod(ctx, caller, input, request.trace, request.raw.socket);
    case 'get_config':
      return getConfig(ctx, caller);
    case 'test_connection':
      return testConnection(ctx, caller);
    case 'chat':
      return chat(ctx, caller, input, request);
  }
}

/** Spends an API key's or OAuth grant's rate limit, or refuses a session cookie sent cross-site; then remembers the caller. */
function admit(ctx: AppContext, request: FastifyRequest, reply: FastifyReply, caller: Caller): MaybePromise<void> {
  request.caller = caller;
  if (caller.kind !== 'session') return enforceKeyRateLimit(ctx.rateLimiter, caller.grant, reply, () => ctx.metrics.rateLimited.inc());
  if (isCrossSite(request, ctx.config.publicUrl)) {
    throw crossSiteRefusal(request, ctx.config.publicUrl, 'cross_site_request', 'Cross-site requests with a session cookie are refused');
  }
  checkPresentedCsrfToken(request, caller.csrfToken);
}

/**
 * POST /api/n8n/webhook — the seed's endpoint. Order matters: who (API key or session, from
 * headers only, before the body is read) → rate limit → cross-site refusal for cookies →
 * HMAC over the raw bytes (in the JSON parser, before parsing) → body parse → action →
 * idempotent replay.
 */
export function registerWebhookRoute(app: FastifyInstance, ctx: AppContext): void {
  app.post(
    '/api/n8n/webhook',
    {
      // Documentation only: the handler validates, after the HMAC check on the raw body.
      schema: webhookSchema,
      ...documentOnly,
      // Callback style and synchronous when the key and its rate limit are in memory (the
      // usual case): an async hook costs a promise and microtask turns on every call.
      onRequest: (request, reply, done) => {
        request.hmacBodyOnly = true;
        let admitted: MaybePromise<void>;
        try {
          admitted = thenMaybe(authenticateCaller(ctx, request), (caller) => admit(ctx, request, reply, caller));
        } catch (err) {
          return done(err as Error);
        }
        if (admitted instanceof Promise) admitted.then(() => done(), done);
        else done();
      },
    },
    async (request, reply) => {
      const caller = request.caller!;
      // The JSON parser has checked the signature already (see app.ts); this covers a request
      // without a body, which no parser sees. Only a timestamped signature's nonce claim is awaited.
      const nonceClaim = verifyRequestHmac(ctx, request, caller);
      if (nonceClaim) await nonceClaim;
      // Most calls carry no Idempotency-Key: they skip the wrapper's allocations.
      if (request.headers['idempotency-key'] === undefined) {
        const answer = await runAction(ctx, request, caller);
        return answer instanceof ExecuteAnswer ? reply.type('application/json; charset=utf-8').send(answer.json()) : reply.send(answer);
      }
      const answer = await runIdempotent(ctx, request, caller, request.rawBody ?? Buffer.alloc(0), async () => ({
        status: 200,
        body: await runAction(ctx, request, caller),
      }));
      if (answer.replayed) reply.header('idempotent-replayed', 'true');
      // A replayed refusal keeps its stored 4xx status; the typed reply only knows the 200 shape.
      return (reply as FastifyReply).code(answer.status).send(answer.body);
    },
  );
}
