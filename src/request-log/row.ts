import type { FastifyRequest } from 'fastify';
import type { RequestLogEntry } from './writer.js';

/** What a request did, besides who called: the columns a log row's writer supplies. */
export type OutcomeColumns = Pick<RequestLogEntry, 'action' | 'model' | 'method' | 'status' | 'code' | 'duration_ms' | 'odoo_ms'>;

/**
 * A request-log row: who called and from where (from the request's trace) plus the outcome.
 * Built as one flat literal: spreading a caller-columns object into the row took V8's slow
 * object-clone path, visible in the relay's CPU per call.
 */
export function requestLogRow(request: FastifyRequest, o: OutcomeColumns): RequestLogEntry {
  const t = request.trace;
  return {
    created_at: Date.now(),
    request_id: request.id,
    user_id: t.userId ?? null,
    api_key_id: t.apiKeyId ?? null,
    key_prefix: t.keyPrefix ?? null,
    auth_method: t.authMethod ?? null,
    ip: request.ip ?? null,
    app_id: t.appId ?? null,
    action: o.action,
    model: o.model,
    method: o.method,
    status: o.status,
    code: o.code,
    duration_ms: o.duration_ms,
    odoo_ms: o.odoo_ms,
  };
}
