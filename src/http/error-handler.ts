import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody, RelayError, statusOf } from '../errors/index.js';
import { OdooError } from '../odoo/index.js';
import type { MaybePromise } from '../async/maybe-promise.js';
import { drainRefusedBody } from './unread-body.js';
import { isStorageUnavailable, unavailableReason } from '../storage/unavailable.js';
import { isTextRefusedByDatabase } from '../storage/text-refusal.js';

/**
 * A route schema refused the request (zod, through fastify-type-provider-zod): the same
 * `invalid_request` with `details.fields` naming each offending field as the webhook's own checks.
 */
function validationError(err: FastifyError): RelayError {
  const where = err.validationContext ?? 'body';
  const fields = (err.validation ?? []).map((v) => {
    const path = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
    return { field: path ? `${where}.${path}` : where, problem: v.message ?? 'invalid' };
  });
  const message = fields.length ? fields.map((f) => `${f.field}: ${f.problem}`).join('; ') : err.message;
  return new RelayError('invalid_request', message, { fields });
}

/** Maps Fastify's own errors (body limits, media types) onto relay codes. */
function fromFastify(err: FastifyError): RelayError | null {
  switch (err.code) {
    // The client went away, or REQUEST_TIMEOUT_MS cut it off, while its body was being read:
    // nobody is left to answer, and it is not the relay's error to log as one.
    case 'ECONNRESET':
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return new RelayError('invalid_request', 'The request ended before its body was complete');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RelayError('body_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new RelayError('unsupported_media_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new RelayError('invalid_json', 'Request body is empty or its length is wrong');
    case 'FST_ERR_VALIDATION':
      return validationError(err);
  }
  if (err.statusCode === 413) return new RelayError('body_too_large');
  if (err.statusCode === 415) return new RelayError('unsupported_media_type');
  return null;
}

/** Odoo's refusal as a relay error: Odoo's exception name and message travel in `details`. */
export function fromOdooError(err: OdooError): RelayError {
  const odoo = err.odooName ? { name: err.odooName, message: err.odooMessage ?? null } : null;
  // Said in the body too, so a workflow can tell "retry freely" from "check Odoo first".
  let details: Record<string, unknown> | null = err.mayHaveRun ? { ...odoo, mayHaveRun: true } : odoo;
  // A connection whose login is not its API key's user: the field to fix, and the right login.
  if (err.keyLogin !== undefined) details = { ...details, field: 'login', keyLogin: err.keyLogin };
  const headers = err.retryAfterSeconds !== undefined ? { 'retry-after': String(err.retryAfterSeconds) } : undefined;
  // No cast: a code the Odoo client may throw that the table lacks fails the build here.
  return new RelayError(err.code, err.odooMessage || err.message, details, headers);
}

/** How long a caller refused for the database's sake is asked to wait. */
const STORAGE_RETRY_AFTER_SECONDS = '5';

export function toRelayError(err: unknown): RelayError | null {
  if (err instanceof RelayError) return err;
  if (err instanceof OdooError) return fromOdooError(err);
  if (isStorageUnavailable(err)) return new RelayError('storage_unavailable', undefined, undefined, { 'retry-after': STORAGE_RETRY_AFTER_SECONDS });
  if (isTextRefusedByDatabase(err)) return new RelayError('invalid_request', 'The request holds a character that cannot be stored or looked up (such as \\u0000)');
  if (err && typeof err === 'object' && 'code' in err) return fromFastify(err as FastifyError);
  return null;
}

/**
 * RFC 6750 §3.1: an OAuth 2.0 client refused for want of a scope learns which one from the
 * challenge, so it can ask the user for it (the scope names are the relay's fixed vocabulary).
 */
function insufficientScope(err: RelayError): string {
  const required = (err.details as { required?: unknown } | null | undefined)?.required;
  const scope = typeof required === 'string' && /^[a-z_]+$/.test(required) ? `, scope="${required}"` : '';
  return `Bearer realm="odoo-relay", error="insufficient_scope"${scope}`;
}

/** Sends the one error envelope. Unknown errors are logged and answered as internal_error, never raw. */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const relayError = toRelayError(err);
  if (!relayError) {
    request.log.error({ err, reqId: request.id }, 'unhandled error');
    // For the request log and the webhook metric, which read a missing code as success.
    if (request.trace) request.trace.code = 'internal_error';
    return reply.code(500).send(errorBody('internal_error', request.id));
  }
  // Not the caller's fault nor a bug, but the operator must hear of it: one line, no stack.
  if (relayError.code === 'storage_unavailable') request.log.warn({ reqId: request.id, reason: unavailableReason(err) }, 'database unavailable');
  if (relayError.headers) reply.headers(relayError.headers);
  drainRefusedBody(request, reply);
  if (relayError.code === 'forbidden_scope' && request.trace?.authMethod === 'oauth2') reply.header('www-authenticate', insufficientScope(relayError));
  reply.code(statusOf(relayError.code));
  request.trace.code = relayError.code;
  return reply.send(errorBody(relayError.code, request.id, relayError.message, relayError.details, relayError.extra));
}

/**
 * `settle` may exchange a refusal for another before it is sent (the failed-signature budget
 * answering 429 instead); when it fails, the refusal goes out as it was.
 */
export function registerErrorHandling(app: FastifyInstance, settle?: (request: FastifyRequest, error: RelayError) => MaybePromise<RelayError>): void {
  app.setErrorHandler((err, request, reply) => {
    const relayError = settle && toRelayError(err);
    if (!relayError) return sendError(request, reply, err);
    const unsettled = (settleErr: unknown) => {
      request.log.error({ err: settleErr, reqId: request.id }, 'settling a refusal failed; sent as it was');
      return sendError(request, reply, relayError);
    };
    let settled: MaybePromise<RelayError>;
    try {
      settled = settle(request, relayError);
    } catch (settleErr) {
      return unsettled(settleErr);
    }
    if (!(settled instanceof Promise)) return sendError(request, reply, settled);
    return settled.then((final) => sendError(request, reply, final), unsettled);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const allowed = methodsFor(app, path);
    // A method the path does take (a missing file under a wildcard route) is a plain 404.
    if (allowed.length === 0 || allowed.includes(request.method)) return sendError(request, reply, new RelayError('not_found', `No route for ${request.method} ${path}`));
    // The path exists: say which methods it takes (RFC 9110 §15.5.6) rather than that it does not.
    reply.header('allow', allowed.join(', '));
    return sendError(
      request,
      reply,
      new RelayError('http_method_not_allowed', `${path} does not take ${request.method}; use ${allowed.join(' or ')}`, { allowed }),
    );
  });
}

/** Methods a route takes; OPTIONS is left out, as CORS answers it for any path. */
const ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The methods some route takes at `path` (the not-found path only: a router lookup per method). */
function methodsFor(app: FastifyInstance, path: string): string[] {
  return ROUTE_METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
}

/**
 * Fastify's `frameworkErrors`: refusals its router makes before any route or hook runs, which
 * it would otherwise answer in its own shape, without the envelope, the request id or the
 * security headers, and with the whole path echoed back.
 */
export function routerRefusal(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  // No hook has run: the trace the onRequest hook gives every request is not there yet.
  request.trace ??= {};
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return sendError(request, reply, new RelayError('not_found', 'No such resource: a path segment is longer than any id'));
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    return sendError(request, reply, new RelayError('invalid_request', 'The URL is not valid: a percent-escape does not decode to UTF-8'));
  }
  return sendError(request, reply, error);
}
