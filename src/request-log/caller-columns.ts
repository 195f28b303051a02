import type { FastifyRequest } from 'fastify';
import type { RequestLogEntry } from './writer.js';

/** The request-log columns that say who called and from where, taken from the request's trace. */
export function callerColumns(
  request: FastifyRequest,
): Pick<RequestLogEntry, 'request_id' | 'user_id' | 'api_key_id' | 'key_prefix' | 'auth_method' | 'ip' | 'app_id'> {
  const t = request.trace;
  return {
    request_id: request.id,
    user_id: t.userId ?? null,
    api_key_id: t.apiKeyId ?? null,
    key_prefix: t.keyPrefix ?? null,
    auth_method: t.authMethod ?? null,
    ip: request.ip ?? null,
    app_id: t.appId ?? null,
  };
}
