/**
 * REST API over Odoo models (`/api/v1/models/...`): each route is one or two ORM calls, checked
 * against the caller's scopes and allow-lists for exactly those ORM methods, so a key may do
 * here what it may do through the webhook and nothing more.
 *
 *   GET    /api/v1/models/:model                 search_read + search_count   rest.list
 *   GET    /api/v1/models/:model/fields          fields_get                   rest.fields
 *   GET    /api/v1/models/:model/:id             read                         rest.get
 *   POST   /api/v1/models/:model                 create (+ read)              rest.create
 *   PATCH  /api/v1/models/:model/:id             write (+ read)               rest.update
 *   DELETE /api/v1/models/:model/:id             unlink                       rest.delete
 *   POST   /api/v1/models/:model/:id/:method     that method                  rest.method
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { RelayError } from '../errors/index.js';
import { BODY_ERRORS, errorResponses, ODOO_CALL_ERRORS, securityFor } from '../openapi/components.js';
import { OPTIONAL_BODY } from '../openapi/document.js';
import { authenticateRestCaller, authorizeRestCall, mayRead } from './guard.js';
import { callOdoo } from './odoo-call.js';
import type { RestAction } from '../request-log/actions.js';
import { runIdempotent } from '../actions/idempotent-run.js';
import { toRelayError } from '../http/error-handler.js';
import { isOdooError } from '../odoo/index.js';
import { DEFAULT_LIMIT, linkHeader, pageLinks } from './query.js';
import {
  FIELD_ATTRIBUTES,
  fieldsResponse,
  listQuery,
  listResponse,
  methodBody,
  methodParams,
  methodResponse,
  modelParams,
  readQuery,
  recordParams,
  recordResponse,
  valuesBody,
} from './schemas.js';

/** Routes whose calls the request log records (app.ts logs these besides the webhook). */
export const REST_ROUTES = [
  '/api/v1/models/:model',
  '/api/v1/models/:model/fields',
  '/api/v1/models/:model/:id',
  '/api/v1/models/:model/:id/:method',
];

const TAG = 'Models';
/** A record as Odoo's read answers it: `id` and the requested fields. */
type OdooRecord = Record<string, unknown>;

function missing(model: string, id: number): RelayError {
  return new RelayError('odoo_missing_record', `Record ${model}(${id}) does not exist or has been deleted`, { model, id });
}

/**
 * Odoo's MissingError about the route's own record, answered as a GET answers it (details
 * `{model, id}`). One about another record (an x2many command's) passes as Odoo said it: it is
 * told apart by the record Odoo names, `(Record: res.partner(42,), …)`.
 */
function ownRecordMissing(model: string, id: number): (err: unknown) => never {
  return (err) => {
    if (isOdooError(err) && err.code === 'odoo_missing_record' && err.odooMessage?.includes(`(Record: ${model}(${id},)`)) throw missing(model, id);
    throw err;
  };
}

export function registerRestRoutes(fastify: FastifyInstance, ctx: AppContext): void {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  /** Authentication runs on headers alone, before the body is read; the action names the log row even when refused. */
  const authenticate = (action: RestAction) => async (request: FastifyRequest, reply: FastifyReply) => {
    request.trace.action = action;
    request.caller = await authenticateRestCaller(ctx, request, reply);
  };

  app.get(
    '/api/v1/models/:model',
    {
      onRequest: authenticate('rest.list'),
      schema: {
        tags: [TAG],
        summary: 'Search records',
        description: `One page of records matching a domain (search_read) and the total count (search_count). Default page size ${DEFAULT_LIMIT}, at most 1000. Paging links are in \`links\` and in an RFC 8288 \`Link\` header.`,
        operationId: 'listRecords',
        security: securityFor('read'),
        params: modelParams,
        querystring: listQuery,
        response: { 200: listResponse, ...errorResponses(...ODOO_CALL_ERRORS) },
      },
    },
    async (request, reply) => {
      const { model } = request.params;
      const q = request.query;
      const caller = await authorizeRestCall(ctx, request, model, ['search_read', 'search_count']);
      const limit = q.limit ?? DEFAULT_LIMIT;
      const offset = q.offset ?? 0;
      const domain = q.domain ?? [];
      const kwargs: OdooRecord = { domain, limit, offset };
      if (q.fields) kwargs.fields = q.fields;
      if (q.order) kwargs.order = q.order;
      const [data, total] = await callOdoo<[OdooRecord[], number]>(ctx, request, caller, [
        { model, method: 'search_read', kwargs },
        { model, method: 'search_count', args: [domain] },
      ]);
      const links = pageLinks(request.url, { offset, limit, total });
      reply.header('link', linkHeader(links));
      return { success: true as const, data, total, limit, offset, links };
    },
  );

  app.get(
    '/api/v1/models/:model/fields',
    {
      onRequest: authenticate('rest.fields'),
      schema: {
        tags: [TAG],
        summary: 'Describe fields',
        description: `fields_get with the attributes ${FIELD_ATTRIBUTES.map((a) => `\`${a}\``).join(', ')}.`,
        operationId: 'describeFields',
        security: securityFor('read'),
        params: modelParams,
        response: { 200: fieldsResponse, ...errorResponses(...ODOO_CALL_ERRORS) },
      },
    },
    async (request) => {
      const { model } = request.params;
      const caller = await authorizeRestCall(ctx, request, model, ['fields_get']);
      const [data] = await callOdoo<[Record<string, OdooRecord>]>(ctx, request, caller, [
        { model, method: 'fields_get', kwargs: { attributes: FIELD_ATTRIBUTES } },
      ]);
      return { success: true as const, data };
    },
  );

  app.get(
    '/api/v1/models/:model/:id',
    {
      onRequest: authenticate('rest.get'),
      schema: {
        tags: [TAG],
        summary: 'Read one record',
        description: 'read of one id; 404 `odoo_missing_record` when it does not exist (or is archived away from the caller).',
        operationId: 'getRecord',
        security: securityFor('read'),
        params: recordParams,
        querystring: readQuery,
        response: { 200: recordResponse, ...errorResponses(...ODOO_CALL_ERRORS) },
      },
    },
    async (request) => {
      const { model, id } = request.params;
      const caller = await authorizeRestCall(ctx, request, model, ['read']);
      const [rows] = await callOdoo<[OdooRecord[]]>(ctx, request, caller, [
        { model, method: 'read', args: [[id]], kwargs: request.query.fields ? { fields: request.query.fields } : {} },
      ]);
      if (!rows[0]) throw missing(model, id);
      return { success: true as const, data: rows[0] };
    },
  );

  /** The record as it now is, when the caller may read it; otherwise just its id. */
  const readBack = async (request: FastifyRequest, model: string, id: number, fields: string[] | undefined): Promise<OdooRecord> => {
    const caller = request.caller!;
    if (!mayRead(caller, model)) return { id };
    const [rows] = await callOdoo<[OdooRecord[]]>(ctx, request, caller, [{ model, method: 'read', args: [[id]], kwargs: fields ? { fields } : {} }]);
    if (!rows[0]) throw missing(model, id);
    return rows[0];
  };

  /**
   * The record after a create or write Odoo has made. A failed read must not answer the change
   * as failed: the client would send it again (and an Idempotency-Key would be given back, as for
   * a call that did not run), creating the record twice. It answers the id and why the rest is missing.
   */
  const changedRecord = async (request: FastifyRequest, model: string, id: number, fields: string[]) => {
    try {
      return { success: true as const, data: await readBack(request, model, id, fields.length ? fields : ['display_name']) };
    } catch (err) {
      const error = toRelayError(err);
      if (!error) throw err;
      request.log.warn({ reqId: request.id, model, id, code: error.code }, 'reading a changed record back failed');
      return { success: true as const, data: { id }, readBackError: { code: error.code, error: error.message } };
    }
  };

  app.post(
    '/api/v1/models/:model',
    {
      onRequest: authenticate('rest.create'),
      schema: {
        tags: [TAG],
        summary: 'Create a record',
        description:
          'create with the body as field values; answers 201 with the record read back (the fields sent, or `?fields=`) and a Location header. An `Idempotency-Key` header makes retries safe.',
        operationId: 'createRecord',
        security: securityFor('webhook'),
        params: modelParams,
        querystring: readQuery,
        body: valuesBody,
        response: { 201: recordResponse, ...errorResponses(...ODOO_CALL_ERRORS, ...BODY_ERRORS, 409) },
      },
    },
    async (request, reply) => {
      const { model } = request.params;
      const caller = await authorizeRestCall(ctx, request, model, ['create']);
      const values = request.body;
      const answer = await runIdempotent(ctx, request, caller, routeFingerprint(request), async () => {
        const [id] = await callOdoo<[number]>(ctx, request, caller, [{ model, method: 'create', args: [values] }]);
        return { status: 201, body: await changedRecord(request, model, id, request.query.fields ?? Object.keys(values)) };
      });
      if (answer.replayed) reply.header('idempotent-replayed', 'true');
      const id = (answer.body as { data?: { id?: unknown } }).data?.id;
      if (answer.status === 201 && typeof id === 'number') reply.header('location', `/api/v1/models/${model}/${id}`);
      return reply.code(answer.status as 201).send(answer.body as z.infer<typeof recordResponse>);
    },
  );

  app.patch(
    '/api/v1/models/:model/:id',
    {
      onRequest: authenticate('rest.update'),
      schema: {
        tags: [TAG],
        summary: 'Update a record',
        description: 'write of the body’s field values on one record; answers with the record read back (the fields sent, or `?fields=`).',
        operationId: 'updateRecord',
        security: securityFor('webhook'),
        params: recordParams,
        querystring: readQuery,
        body: valuesBody,
        response: { 200: recordResponse, ...errorResponses(...ODOO_CALL_ERRORS, ...BODY_ERRORS) },
      },
    },
    async (request) => {
      const { model, id } = request.params;
      const caller = await authorizeRestCall(ctx, request, model, ['write']);
      await callOdoo(ctx, request, caller, [{ model, method: 'write', args: [[id], request.body] }]).catch(ownRecordMissing(model, id));
      return changedRecord(request, model, id, request.query.fields ?? Object.keys(request.body));
    },
  );

  app.delete(
    '/api/v1/models/:model/:id',
    {
      onRequest: authenticate('rest.delete'),
      schema: {
        tags: [TAG],
        summary: 'Delete a record',
        description: 'unlink of one record; 204 with no body, 404 `odoo_missing_record` when it does not exist.',
        operationId: 'deleteRecord',
        security: securityFor('webhook'),
        params: recordParams,
        response: { 204: z.undefined().describe('Deleted'), ...errorResponses(...ODOO_CALL_ERRORS) },
      },
    },
    async (request, reply) => {
      const { model, id } = request.params;
      const caller = await authorizeRestCall(ctx, request, model, ['unlink']);
      await callOdoo(ctx, request, caller, [{ model, method: 'unlink', args: [[id]] }]).catch(ownRecordMissing(model, id));
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/v1/models/:model/:id/:method',
    {
      onRequest: authenticate('rest.method'),
      schema: {
        tags: [TAG],
        summary: 'Call a business method',
        description:
          'Calls a public method on one record, e.g. `sale.order` `action_confirm`: `method([id], *args, **kwargs)`. Needs the `webhook` scope unless the method only reads. An `Idempotency-Key` header makes retries safe.',
        operationId: 'callMethod',
        [OPTIONAL_BODY]: true,
        security: securityFor('webhook'),
        params: methodParams,
        body: methodBody,
        response: { 200: methodResponse, ...errorResponses(...ODOO_CALL_ERRORS, ...BODY_ERRORS, 409) },
      },
    },
    async (request, reply) => {
      const { model, id, method } = request.params;
      const caller = await authorizeRestCall(ctx, request, model, [method]);
      const body = request.body ?? { args: [], kwargs: {} };
      const answer = await runIdempotent(ctx, request, caller, routeFingerprint(request), async () => {
        const [result] = await callOdoo<[unknown]>(ctx, request, caller, [{ model, method, args: [[id], ...body.args], kwargs: body.kwargs }]).catch(
          ownRecordMissing(model, id),
        );
        return { status: 200, body: { success: true, result } };
      });
      if (answer.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(answer.status as 200).send(answer.body as z.infer<typeof methodResponse>);
    },
  );
}

/** REST idempotency fingerprint: method and path with the body, so one key cannot replay on another route. */
function routeFingerprint(request: FastifyRequest): Buffer {
  return Buffer.concat([Buffer.from(`${request.method} ${request.url}\n`), request.rawBody ?? Buffer.alloc(0)]);
}
