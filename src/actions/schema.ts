import { z } from 'zod';
import { WEBHOOK_ACTIONS } from '../request-log/actions.js';
import { METHOD_NAME, MODEL_NAME } from '../odoo/names.js';

/** The webhook's request shapes: exactly the seed's, with optional extras that default away. */
export const ACTIONS = WEBHOOK_ACTIONS;
export type ActionName = (typeof ACTIONS)[number];

/** A string field's type error: "is required" when it is missing, "must be a string" when it is something else. */
const stringField = (name: string) => ({
  error: (issue: { input: unknown }) => (issue.input === undefined ? `${name} is required` : `${name} must be a string`),
});

const modelName = z
  .string(stringField('model'))
  .min(1, 'model is required')
  .max(128, 'model must be at most 128 characters')
  .regex(MODEL_NAME, 'model must look like res.partner');
const methodName = z
  .string(stringField('method'))
  .min(1, 'method is required')
  .max(128, 'method must be at most 128 characters')
  .regex(METHOD_NAME, 'method must be a Python identifier such as search_read');

export const executeMethodSchema = z.object({
  action: z.literal('execute_method'),
  model: modelName,
  method: methodName,
  args: z.array(z.unknown(), { error: 'args must be an array of positional arguments' }).default([]),
  // A loose object rather than a record: JSON keys are strings already, and checking each
  // one as a string doubled the cost of validating a whole call.
  // null or absent means none; executeMethod reads it as {} (a transform here would add a
  // pipe to every call's validation).
  kwargs: z.looseObject({}, { error: 'kwargs must be an object of keyword arguments' }).nullish(),
});

export const chatSchema = z
  .object({
    action: z.literal('chat'),
    message: z.string(stringField('message')).min(1, 'message is required').max(10_000, 'message must be at most 10000 characters'),
    conversation_id: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'conversation_id must be 1–128 letters, digits or _.:-')
      .optional(),
    // Writes need both a key with the webhook scope and this explicit opt-in per request.
    allow_writes: z.boolean({ error: 'allow_writes must be true or false' }).default(false),
    format: z.enum(['text', 'json'], { error: 'format must be "text" or "json"' }).default('text'),
    schema: z.record(z.string(), z.unknown(), { error: 'schema must be a JSON Schema object' }).optional(),
  })
  .superRefine((v, issue) => {
    if (v.format === 'json' && !v.schema) issue.addIssue({ code: 'custom', path: ['schema'], message: 'schema is required when format is "json"' });
    if (v.format !== 'json' && v.schema) issue.addIssue({ code: 'custom', path: ['format'], message: 'format must be "json" when a schema is sent' });
  });

export const getConfigSchema = z.object({ action: z.literal('get_config') });
export const testConnectionSchema = z.object({ action: z.literal('test_connection') });

export type ExecuteMethodRequest = z.infer<typeof executeMethodSchema>;
export type ChatRequest = z.infer<typeof chatSchema>;

export const actionSchemas = {
  execute_method: executeMethodSchema,
  chat: chatSchema,
  get_config: getConfigSchema,
  test_connection: testConnectionSchema,
} as const;

/** Human summary of zod issues that names the offending fields. */
export function describeIssues(error: z.ZodError): { message: string; fields: { field: string; problem: string }[] } {
  const fields = error.issues.map((i) => ({ field: i.path.join('.') || '(body)', problem: i.message }));
  return { message: fields.map((f) => `${f.field}: ${f.problem}`).join('; '), fields };
}
