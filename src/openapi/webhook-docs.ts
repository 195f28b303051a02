/**
 * Documentation-only schemas for routes that validate in their handlers (the webhook, whose
 * HMAC check must see the raw body before any parsing refusal, and the subscriptions API).
 * They describe the contract in the OpenAPI document; `documentOnly` keeps the routes' own
 * validation and serialization exactly as they were.
 */
import { z } from 'zod';
import { chatSchema, executeMethodSchema, getConfigSchema, testConnectionSchema } from '../actions/schema.js';
import { errorResponses, securityFor } from './components.js';

/** Route options that let a schema document a route without validating or serializing anything. */
export const documentOnly = {
  validatorCompiler: () => (data: unknown) => ({ value: data }),
  serializerCompiler: () => (data: unknown) => JSON.stringify(data),
};

const webhookBody = z
  .discriminatedUnion('action', [
    executeMethodSchema.describe('Call any ORM method: `{action, model, method, args, kwargs}`'),
    chatSchema.describe('Ask in natural language; an LLM answers by querying Odoo'),
    getConfigSchema.describe('The Odoo connection this key acts on (no secret)'),
    testConnectionSchema.describe('Check Odoo answers: version, uid, protocol, latency'),
  ])
  .meta({ description: 'One of four actions, chosen by `action`', discriminator: { propertyName: 'action' } });

const webhookSuccess = z
  .looseObject({
    success: z.literal(true),
    result: z.unknown().optional().describe('execute_method, get_config, test_connection: the answer'),
    meta: z
      .object({ odooVersion: z.string(), protocol: z.string(), odooMs: z.number() })
      .optional()
      .describe('execute_method: Odoo version, protocol (jsonrpc | json2) and Odoo time'),
    answer: z.string().optional().describe('chat (text): Markdown answer'),
    output: z.unknown().optional().describe('chat (json): the object matching `schema`'),
    data: z.array(z.unknown()).optional().describe('chat: the records the answer is built from'),
    conversation_id: z.string().optional().describe('chat: send it back to continue the conversation'),
  })
  .describe('`success: true` and the action’s answer');

export const webhookSchema = {
  tags: ['Webhook'],
  summary: 'Run an action (the n8n webhook)',
  description:
    'The endpoint of the n8n integration. API key, OAuth token or (testing) a dashboard session cookie; optional `X-HMAC-Signature` over the raw body for keys with HMAC; `Idempotency-Key` makes retries safe. Rate limited per key with `X-RateLimit-*` headers.',
  operationId: 'webhook',
  security: securityFor('webhook'),
  body: webhookBody,
  response: { 200: webhookSuccess, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 502, 503, 504) },
};
