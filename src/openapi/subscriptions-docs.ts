/**
 * Documentation of the subscriptions API (src/events/subscriptions-routes.ts). Those routes
 * validate in their handlers; these schemas only describe them (see `documentOnly`).
 */
import { z } from 'zod';
import { subscriptionInputSchema, subscriptionPatchSchema } from '../events/subscriptions-store.js';
import { errorResponses, securityFor } from './components.js';
import { OPTIONAL_BODY } from './document.js';

const subscription = z
  .looseObject({
    id: z.string(),
    name: z.string(),
    model: z.string(),
    events: z.array(z.enum(['create', 'write', 'unlink'])),
    domain: z.array(z.unknown()).nullable(),
    changedFields: z.array(z.string()).nullable(),
    fields: z.array(z.string()).nullable(),
    targetUrl: z.string(),
    format: z.enum(['json', 'xml']),
    timeoutMs: z.number().int(),
    retries: z.number().int(),
    headerNames: z.array(z.string()).describe('Header names only: values may be credentials'),
    captureMode: z.enum(['auto', 'push', 'poll']),
    captureEffective: z.enum(['push', 'poll']),
    active: z.boolean(),
    consecutiveFailures: z.number().int(),
    disabledAt: z.number().nullable(),
    disabledReason: z.string().nullable(),
    appId: z.string().nullable().describe('The OAuth app whose token created it; revoking that app’s access pauses it.'),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .describe('An event subscription');

const idParams = z.object({ id: z.string().describe('Subscription id') });
const ok = z.literal(true);
const errors = (...extra: number[]) => errorResponses(400, 401, 403, 404, 429, ...extra);
const base = { tags: ['Subscriptions'], security: securityFor('subscriptions') };

const deliveryQuery = z.object({
  status: z.enum(['pending', 'in_flight', 'delivered', 'failed']).optional(),
  limit: z.string().optional().describe('1–1000'),
  before: z.string().optional().describe('Only deliveries created before this time (Unix ms)'),
  beforeId: z.string().optional().describe('With `before`: continue after this delivery (the last row of the previous page)'),
});

const replayBody = z.strictObject({
  deliveryIds: z.array(z.string()).max(1000).optional().describe('These deliveries (webhook-ids), failed or delivered; one still pending or in flight is left as it is'),
  status: z.enum(['failed', 'delivered']).optional().describe('Only deliveries that finished this way; default `failed`, or both with `deliveryIds`'),
  since: z.union([z.number().int(), z.iso.datetime()]).optional().describe('Only deliveries created at or after this time (Unix ms or ISO 8601)'),
});

/** One schema per subscriptions route, by `METHOD path`. */
export const subscriptionDocs = {
  create: {
    ...base,
    summary: 'Create a subscription',
    description: 'REST-hooks style: an n8n trigger creates one on activation. The answer carries the signing secret, once.',
    operationId: 'createSubscription',
    body: subscriptionInputSchema,
    response: { 201: z.object({ success: ok, subscription, secret: z.string().describe('Standard Webhooks signing secret (whsec_…), shown once') }).describe('Created; the secret is shown only here'), ...errors(409, 422) },
  },
  list: {
    ...base,
    summary: 'List subscriptions',
    operationId: 'listSubscriptions',
    response: { 200: z.object({ success: ok, subscriptions: z.array(subscription) }).describe('The caller’s subscriptions'), ...errors() },
  },
  get: {
    ...base,
    summary: 'Get a subscription',
    description: 'With delivery counts by status.',
    operationId: 'getSubscription',
    params: idParams,
    response: { 200: z.object({ success: ok, subscription, deliveries: z.record(z.string(), z.number()) }).describe('The subscription and its delivery counts'), ...errors() },
  },
  update: {
    ...base,
    summary: 'Update a subscription',
    description:
      '`active: true` re-enables a disabled subscription; the answer then says what was missed (`missed`). A change of what is captured (`events`, `domain`, `changedFields`, `captureMode`) waits up to 30 s for a poll or another change of the same subscription to finish, then answers 409 `conflict`: try again.',
    operationId: 'updateSubscription',
    params: idParams,
    body: subscriptionPatchSchema,
    response: { 200: z.looseObject({ success: ok, subscription }).describe('The updated subscription'), ...errors(409, 422) },
  },
  remove: {
    ...base,
    summary: 'Delete a subscription',
    description: 'Also removes the automation rules it installed in Odoo. Waits up to 30 s for a poll or a change of the same subscription to finish, then answers 409 `conflict`: try again.',
    operationId: 'deleteSubscription',
    params: idParams,
    response: { 200: z.object({ success: ok }).describe('Deleted'), ...errors(409) },
  },
  rotateSecret: {
    ...base,
    summary: 'Rotate the signing secret',
    description: 'The previous secret keeps signing too for 24 hours.',
    operationId: 'rotateSubscriptionSecret',
    params: idParams,
    response: {
      200: z
        .object({
          success: ok,
          secret: z.string(),
          previousSecretValidUntil: z.string().nullable().describe('Until when the replaced secret signs too; null when it could not be opened (sealed under another master key) and so signs no more'),
        })
        .describe('The new secret'),
      ...errors(),
    },
  },
  deliveries: {
    ...base,
    summary: 'List deliveries',
    description: 'Newest first.',
    operationId: 'listDeliveries',
    params: idParams,
    querystring: deliveryQuery,
    response: { 200: z.object({ success: ok, deliveries: z.array(z.record(z.string(), z.unknown())) }).describe('Deliveries, newest first'), ...errors() },
  },
  delivery: {
    ...base,
    summary: 'Get a delivery',
    description: 'With its payload and every attempt (status, duration, response headers and body).',
    operationId: 'getDelivery',
    params: idParams.extend({ deliveryId: z.string() }),
    response: { 200: z.object({ success: ok, delivery: z.record(z.string(), z.unknown()), attempts: z.array(z.record(z.string(), z.unknown())) }).describe('The delivery and its attempts'), ...errors() },
  },
  replay: {
    ...base,
    summary: 'Replay deliveries',
    description: 'Queues deliveries again with their webhook-id: every failed one, or those named in `deliveryIds` whether they failed or were delivered (pending and in-flight ones are on their way already and are not counted).',
    operationId: 'replayDeliveries',
    [OPTIONAL_BODY]: true,
    params: idParams,
    body: replayBody.optional(),
    response: {
      200: z
        .object({
          success: ok,
          replayed: z.number().int(),
          active: z.boolean(),
          skipped: z
            .array(z.object({ id: z.string(), status: z.enum(['pending', 'in_flight', 'delivered', 'failed', 'unknown']) }))
            .optional()
            .describe('With deliveryIds: the named deliveries left alone, with their status (unknown: not this subscription\'s, or pruned)'),
        })
        .describe('How many deliveries were queued again'),
      ...errors(),
    },
  },
  test: {
    ...base,
    summary: 'Send a test event',
    description: 'Queues one synthetic `<model>.test` event.',
    operationId: 'testSubscription',
    params: idParams,
    response: { 202: z.object({ success: ok, deliveryId: z.string(), eventId: z.string(), active: z.boolean() }).describe('Queued'), ...errors() },
  },
};
