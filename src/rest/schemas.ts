/** Request and response shapes of the REST API over Odoo models (validation and OpenAPI from one place). */
import { z } from 'zod';
import { integerParam } from '../http/query-params.js';
import { DEFAULT_LIMIT, MAX_LIMIT, ORDER, parseDomain, parseFieldList } from './query.js';
import { FIELD_NAME, METHOD_NAME, MODEL_NAME } from '../odoo/names.js';

const model = z
  .string()
  .max(128)
  .regex(MODEL_NAME, 'model must look like res.partner')
  .describe('Odoo model, e.g. res.partner or sale.order');

const recordId = z
  .string()
  .regex(/^[1-9][0-9]{0,14}$/, 'id must be a positive integer')
  .transform(Number)
  .describe('Record id (positive integer)');

const fields = z
  .string()
  .max(4000)
  .transform((text, ctx) => {
    const names = parseFieldList(text);
    if (!names) {
      ctx.addIssue({ code: 'custom', message: 'fields must be comma-separated field names, e.g. name,email' });
      return z.NEVER;
    }
    return names;
  })
  .describe('Comma-separated field names, e.g. `name,email,phone`; all readable fields when absent');

export const modelParams = z.object({ model });
export const recordParams = z.object({ model, id: recordId });
export const methodParams = z.object({
  model,
  id: recordId,
  method: z.string().max(128).regex(METHOD_NAME, 'method must be a Python identifier such as action_confirm').describe('Public method name, e.g. action_confirm; names starting with _ are refused'),
});

export const listQuery = z.object({
  domain: z
    .string()
    .max(20_000)
    .transform((text, ctx) => {
      const parsed = parseDomain(text);
      if (!parsed.ok) {
        ctx.addIssue({ code: 'custom', message: parsed.problem });
        return z.NEVER;
      }
      return parsed.domain;
    })
    .optional()
    .describe('Odoo domain as JSON, e.g. `[["is_company","=",true]]` (URL-encoded); all records when absent'),
  fields: fields.optional(),
  limit: integerParam('limit', 1, MAX_LIMIT).optional().describe(`Page size, 1–${MAX_LIMIT}, default ${DEFAULT_LIMIT}`),
  offset: integerParam('offset', 0, 1e9).optional().describe('Records to skip, default 0'),
  order: z
    .string()
    .max(500)
    .regex(ORDER, 'order must be comma-separated "field [asc|desc]" terms, e.g. name asc, id desc')
    .optional()
    .describe('Sort order, e.g. `name asc, id desc`; Odoo’s default order when absent'),
});

export const readQuery = z.object({ fields: fields.optional() });

export const valuesBody = z
  .record(z.string().regex(FIELD_NAME, 'field names must be identifiers'), z.unknown())
  .describe('Field values, e.g. `{"name": "Acme", "email": "info@acme.example"}`; relations as Odoo expects them (ids, command lists)');

export const methodBody = z
  .object({
    args: z.array(z.unknown()).default([]).describe('Positional arguments after the record ids'),
    kwargs: z.record(z.string(), z.unknown()).default({}).describe('Keyword arguments'),
  })
  // A misspelt key (`kwarg`, `arguments`) would otherwise run the method with no arguments at all.
  .strict()
  // Fastify hands a request without a body to the validator as null.
  .nullish()
  .describe('Optional; an empty body calls the method with no further arguments');

const record = z.record(z.string(), z.unknown()).describe('An Odoo record: `id` and the requested fields (many2one as `[id, name]`)');

export const listResponse = z.object({
  success: z.literal(true),
  data: z.array(record),
  total: z.number().int().describe('Records matching the domain, over all pages'),
  limit: z.number().int(),
  offset: z.number().int(),
  links: z.object({
    self: z.string(),
    next: z.string().nullable().describe('Next page, null on the last'),
    prev: z.string().nullable().describe('Previous page, null on the first'),
  }),
}).describe('One page of records, the total and paging links');

export const recordResponse = z
  .object({
    success: z.literal(true),
    data: record,
    readBackError: z
      .object({ code: z.string(), error: z.string() })
      .optional()
      .describe('After a create or write that Odoo made: reading the record back failed, so `data` holds only its id. The change itself is done; do not send it again.'),
  })
  .describe('The record');

export const methodResponse = z.object({
  success: z.literal(true),
  result: z.unknown().describe('Whatever the method returned (true, an action dictionary, a value…)'),
}).describe('The method’s return value');

// Odoo writes `false` where Python has no value, and add-ons put odd things in attributes; the
// response schema types what clients can rely on but must never turn Odoo's answer into a 500.
const orFalse = <T extends z.ZodType>(t: T) => z.union([t, z.literal(false)]).optional();
const fieldDescription = z.looseObject({
  string: orFalse(z.string()).describe('Label'),
  type: z.string().optional().describe('char, integer, many2one, selection…'),
  required: orFalse(z.boolean()),
  readonly: z.unknown().optional().describe('true/false (older versions: a domain-like expression)'),
  relation: orFalse(z.string()).describe('Related model of relational fields'),
  selection: z.unknown().optional().describe('`[[value, label], …]` of selection fields'),
  help: orFalse(z.string()),
});

export const fieldsResponse = z.object({
  success: z.literal(true),
  data: z.record(z.string(), fieldDescription).describe('Field name → description'),
}).describe('The model’s fields');

export const FIELD_ATTRIBUTES = ['string', 'type', 'required', 'readonly', 'relation', 'selection', 'help'];
