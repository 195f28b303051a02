/**
 * REST API over subscriptions, REST-hooks style: an n8n trigger node POSTs a subscription when
 * its workflow is activated and DELETEs it on deactivation.
 *
 *   POST   /api/v1/subscriptions                         create (answer carries the secret, once)
 *   GET    /api/v1/subscriptions                         list the caller's
 *   GET    /api/v1/subscriptions/:id                     one, with delivery counts
 *   PATCH  /api/v1/subscriptions/:id                     change; `active: true` re-enables
 *   DELETE /api/v1/subscriptions/:id                     remove (and its rules in Odoo)
 *   POST   /api/v1/subscriptions/:id/rotate-secret       new secret; the old one signs too for 24 h
 *   GET    /api/v1/subscriptions/:id/deliveries          delivery log (newest first)
 *   GET    /api/v1/subscriptions/:id/deliveries/:did     one delivery with its attempts
 *   POST   /api/v1/subscriptions/:id/replay              queue failed (or chosen finished) deliveries again
 *   POST   /api/v1/subscriptions/:id/test                queue one synthetic `<model>.test` event
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import type { SubscriptionsTable } from '../storage/schema.js';
import { credentialName, grantOf, type Caller } from '../auth/caller.js';
import { authenticateRestCaller } from '../rest/guard.js';
import { matchesAllowList } from '../auth/scopes.js';
import { verifyRequestHmac } from '../auth/request-hmac.js';
import { RelayError } from '../errors/index.js';
import { resolveConnection } from '../connections/store.js';
import { hasModelAllowList, linkedModelsRefusal, relationsLoader } from '../actions/linked-models.js';
import { isPlainObject } from '../actions/linked-reads.js';
import { parseInput } from '../http/parse-input.js';
import { integerParam } from '../http/query-params.js';
import { getSubscriptionRow, listSubscriptions, rotateSigningSecret, toSubscription } from './subscriptions-store.js';
import { enqueueTestEvent } from './test-send.js';
import { deliveryCounts, listAttempts, listDeliveries, replayDeliveries } from './delivery-log.js';
import { documentOnly } from '../openapi/webhook-docs.js';
import { subscriptionDocs } from '../openapi/subscriptions-docs.js';

/**
 * As the REST API over models admits its callers (an API key or OAuth grant rate limited like
 * the webhook; a dashboard session same-site only, with its CSRF token for a change), and a
 * key or grant needs the `subscriptions` scope.
 */
async function authorize(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<Caller> {
  const caller = await authenticateRestCaller(ctx, request, reply);
  if (caller.kind !== 'session' && !caller.grant.scopes.includes('subscriptions')) {
    throw new RelayError('forbidden_scope', `This ${credentialName(caller)} lacks the subscriptions scope`, { required: 'subscriptions' });
  }
  return caller;
}

/**
 * A key or app limited to some models sees and manages only subscriptions to those: a
 * subscription reads its model's records and sends them on, so it is bound by the same
 * allow-list as the webhook's calls. Others' subscriptions look like none at all (404).
 */
function modelAllowed(caller: Caller, model: string): boolean {
  const grant = grantOf(caller);
  return !grant || matchesAllowList(grant.allowedModels, model);
}

/** A key pinned to one Odoo connection subscribes on that one only, as its calls go there only. */
function connectionAllowed(caller: Caller, connectionId: string): boolean {
  const pinned = grantOf(caller)?.connectionId;
  return !pinned || pinned === connectionId;
}

/** Whether the caller may see and manage `row`: its model in the allow-list, on the connection the caller is pinned to. */
function rowAllowed(caller: Caller, row: Pick<SubscriptionsTable, 'model' | 'connection_id'>): boolean {
  return modelAllowed(caller, row.model) && connectionAllowed(caller, row.connection_id);
}

/**
 * A new subscription's connection: a pinned key's own (naming another is refused), else the
 * one asked for (the default when none is). A subscription reads its records, so a method
 * allow-list must allow reading them.
 */
function checkNewSubscription(caller: Caller, body: unknown): unknown {
  const grant = grantOf(caller);
  if (!grant) return body;
  if (grant.allowedMethods && !['read', 'search_read'].some((m) => matchesAllowList(grant.allowedMethods, m))) {
    throw new RelayError('method_not_allowed', `A subscription reads its model's records: this ${credentialName(caller)}'s method allow-list must allow 'read' or 'search_read'`, {
      method: 'read',
      allowed: grant.allowedMethods,
    });
  }
  // A body that is no object is the service's to refuse, naming what is wrong with it.
  if (!grant.connectionId || !isPlainObject(body)) return body;
  if (body.connectionId !== undefined && body.connectionId !== grant.connectionId) {
    throw new RelayError('connection_not_allowed', `This ${credentialName(caller)} acts on its own Odoo connection only; leave connectionId out or name that one`, {
      field: 'connectionId',
      connectionId: grant.connectionId,
    });
  }
  return { ...body, connectionId: grant.connectionId };
}

/** The model a create asks for (a subscription's model never changes), refused when the caller's allow-list lacks it. */
function checkRequestedModel(caller: Caller, body: unknown): void {
  const model = typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
  if (typeof model !== 'string' || modelAllowed(caller, model)) return;
  const grant = grantOf(caller)!;
  throw new RelayError('model_not_allowed', `Model '${model.slice(0, 128)}' is not in this ${credentialName(caller)}'s allow-list`, {
    model: model.slice(0, 128),
    allowed: grant.allowedModels,
  });
}

const replaySchema = z.strictObject({
  deliveryIds: z.array(z.string().min(1).max(64)).max(1000).optional(),
  status: z.enum(['failed', 'delivered']).optional(),
  since: z.union([z.number().int(), z.iso.datetime()]).optional(),
});

const listQuery = z.object({
  status: z.enum(['pending', 'in_flight', 'delivered', 'failed']).optional(),
  limit: integerParam('limit', 1, 1000).optional(),
  before: integerParam('before', 0, Number.MAX_SAFE_INTEGER).optional(),
  /** With `before`: continue after the delivery (before, beforeId), the last row of the previous page. */
  beforeId: z.string().min(1).max(64).optional(),
});

export function registerSubscriptionRoutes(app: FastifyInstance, ctx: AppContext): void {
  const events = ctx.events;
  const onRequest = async (request: FastifyRequest, reply: FastifyReply) => {
    request.caller = await authorize(ctx, request, reply);
  };
  // A signing key's signature: the JSON parser checks it when there is a body; this covers the
  // bodiless calls (GET, DELETE, rotate-secret, test), which a key with HMAC on must sign too.
  const preHandler = async (request: FastifyRequest) => {
    await verifyRequestHmac(ctx, request, request.caller!);
  };
  // The schemas only document the routes (OpenAPI); the handlers validate, as before.
  const doc = (schema: object) => ({ onRequest, preHandler, schema, ...documentOnly });
  const userOf = (request: FastifyRequest) => request.caller!.userId;
  const idOf = (request: FastifyRequest) => (request.params as { id: string }).id;
  /** The caller's subscription named in the path: its own, and to a model its allow-list has. */
  const rowOf = async (request: FastifyRequest): Promise<SubscriptionsTable> => {
    const row = await getSubscriptionRow(ctx.storage.db, idOf(request), userOf(request));
    if (!rowAllowed(request.caller!, row)) throw new RelayError('not_found', `No subscription ${idOf(request).slice(0, 64)}`);
    return row;
  };

  /**
   * A domain that reaches models outside the caller's allow-list is refused as a webhook call's
   * would be: which records a subscription delivers answers what a search would.
   */
  const checkDomainReach = async (caller: Caller, model: unknown, domain: unknown, connectionId: unknown) => {
    if (!hasModelAllowList(caller) || !Array.isArray(domain) || typeof model !== 'string') return;
    const resolved = await resolveConnection(ctx.storage.db, caller.userId, typeof connectionId === 'string' ? connectionId : null);
    if (!resolved) return; // creating it answers no_odoo_connection
    const fieldsOf = relationsLoader(ctx.caches.fieldRelations, resolved.connection.id, ctx.odooClients.get(resolved.connection, resolved.secretEnc));
    const refused = await linkedModelsRefusal(caller, model, 'search', [domain], {}, fieldsOf);
    if (refused) throw refused;
  };

  app.post('/api/v1/subscriptions', doc(subscriptionDocs.create), async (request, reply) => {
    const caller = request.caller!;
    checkRequestedModel(caller, request.body);
    const body = checkNewSubscription(caller, request.body);
    if (isPlainObject(body)) await checkDomainReach(caller, body.model, body.domain, body.connectionId);
    // Made by a third-party app: revoking the app's access pauses it.
    const appId = caller.kind === 'oauth2' || caller.kind === 'oauth1' ? caller.appId : null;
    const { subscription, secret } = await events.createSubscription(caller.userId, body, appId);
    return reply.code(201).send({ success: true, subscription, secret });
  });

  app.get('/api/v1/subscriptions', doc(subscriptionDocs.list), async (request) => ({
    success: true,
    subscriptions: (await listSubscriptions({ db: ctx.storage.db, box: ctx.box }, userOf(request))).filter(
      (sub) => modelAllowed(request.caller!, sub.model) && connectionAllowed(request.caller!, sub.connectionId),
    ),
  }));

  app.get('/api/v1/subscriptions/:id', doc(subscriptionDocs.get), async (request) => {
    const row = await rowOf(request);
    return { success: true, subscription: toSubscription(row, ctx.box), deliveries: await deliveryCounts(ctx.storage.db, row.id) };
  });

  app.patch('/api/v1/subscriptions/:id', doc(subscriptionDocs.update), async (request) => {
    const before = await rowOf(request);
    if (isPlainObject(request.body)) await checkDomainReach(request.caller!, before.model, request.body.domain, before.connection_id);
    const subscription = await events.updateSubscription(userOf(request), before.id, request.body);
    const answer: Record<string, unknown> = { success: true, subscription };
    if (before.active === 0 && subscription.active) {
      // Re-enabled: say what was missed and how to send it again.
      const counts = await deliveryCounts(ctx.storage.db, before.id);
      answer.missed = { failed: counts.failed, replay: `POST /api/v1/subscriptions/${before.id}/replay` };
    }
    return answer;
  });

  app.delete('/api/v1/subscriptions/:id', doc(subscriptionDocs.remove), async (request) => {
    await rowOf(request);
    await events.deleteSubscription(userOf(request), idOf(request));
    return { success: true };
  });

  app.post('/api/v1/subscriptions/:id/rotate-secret', doc(subscriptionDocs.rotateSecret), async (request) => {
    await rowOf(request);
    const r = await rotateSigningSecret({ db: ctx.storage.db, box: ctx.box }, userOf(request), idOf(request));
    return { success: true, secret: r.secret, previousSecretValidUntil: r.previousValidUntil === null ? null : new Date(r.previousValidUntil).toISOString() };
  });

  app.get('/api/v1/subscriptions/:id/deliveries', doc(subscriptionDocs.deliveries), async (request) => {
    const row = await rowOf(request);
    const q = parseInput(listQuery, request.query);
    return { success: true, deliveries: await listDeliveries(ctx.storage.db, row.id, q) };
  });

  app.get('/api/v1/subscriptions/:id/deliveries/:deliveryId', doc(subscriptionDocs.delivery), async (request) => {
    const row = await rowOf(request);
    const deliveryId = (request.params as { deliveryId: string }).deliveryId;
    const delivery = await ctx.storage.db.selectFrom('deliveries').selectAll().where('id', '=', deliveryId).where('subscription_id', '=', row.id).executeTakeFirst();
    if (!delivery) throw new RelayError('not_found', 'No such delivery');
    const event = await ctx.storage.db.selectFrom('events').select('payload').where('id', '=', delivery.event_id).executeTakeFirst();
    const attempts = (await listAttempts(ctx.storage.db, deliveryId)).map((a) => ({
      attempt: a.attempt,
      startedAt: a.started_at,
      durationMs: a.duration_ms,
      status: a.status,
      error: a.error,
      errorMessage: a.error_message,
      responseHeaders: a.response_headers ? JSON.parse(a.response_headers) : {},
      responseBody: a.response_body,
    }));
    return { success: true, delivery: { id: delivery.id, status: delivery.status, attempts: delivery.attempts, payload: event ? JSON.parse(event.payload) : null }, attempts };
  });

  app.post('/api/v1/subscriptions/:id/replay', doc(subscriptionDocs.replay), async (request) => {
    const row = await rowOf(request);
    const body = parseInput(replaySchema, request.body);
    const since = body.since === undefined ? undefined : typeof body.since === 'number' ? body.since : Date.parse(body.since);
    const { replayed, skipped } = await replayDeliveries(ctx.storage.db, row.id, {
      deliveryIds: body.deliveryIds,
      statuses: body.status ? [body.status] : undefined,
      since,
    });
    if (replayed) events.worker.wake();
    return { success: true, replayed, active: row.active === 1, ...(skipped ? { skipped } : {}) };
  });

  app.post('/api/v1/subscriptions/:id/test', doc(subscriptionDocs.test), async (request, reply) => {
    const row = await rowOf(request);
    const { deliveryId, eventId } = await enqueueTestEvent(ctx.storage.db, row);
    events.worker.wake();
    // A disabled subscription keeps the delivery pending until it is enabled again.
    return reply.code(202).send({ success: true, deliveryId, eventId, active: row.active === 1 });
  });
}
