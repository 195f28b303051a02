/**
 * Parsers of Odoo's two answer envelopes, as pure functions of (status, content type, body):
 * JSON-RPC (`{jsonrpc, id, result | error:{code, message, data:{name, message, debug…}}}`,
 * HTTP 200 even for errors) and JSON-2 (the bare result on 2xx, or
 * `{name, message, arguments, context, debug}` with a real HTTP status).
 */
import { OdooError, type OdooErrorCode } from './errors.js';
import { jsonTextKind } from './json-text.js';
import { parseRetryAfter } from '../http/retry-after.js';

/** An HTTP answer as the transport read it. */
export interface RawOdooResponse {
  status: number;
  contentType: string;
  text: string;
  /** Kept for answers that are not Odoo's own: a proxy's 429/503 (`Retry-After`), a redirect (`Location`). */
  retryAfter?: string;
  location?: string;
}

/**
 * Maps a Python exception Odoo raised to our closed code set. The message is consulted only
 * where Odoo reuses a generic class (unknown model as UserError/NotFound, unknown method as
 * AttributeError/NotFound).
 */
export function classifyOdooException(name: string, message: string, httpStatus?: number): OdooErrorCode {
  const short = name.split('.').pop() ?? name;
  switch (short) {
    case 'AccessDenied':
    case 'Unauthorized':
    case 'SessionExpiredException':
      return 'odoo_auth_failed';
    case 'AccessError':
    case 'Forbidden':
      return 'odoo_access_error';
    case 'MissingError':
      return 'odoo_missing_record';
    case 'ValidationError':
      return 'odoo_validation_error';
    case 'UserError':
    case 'RedirectWarning':
      // Before JSON-2, Odoo reports an unknown model as UserError("Object x doesn't exist").
      return /^Object \S+ doesn't exist/.test(message) ? 'odoo_unknown_model' : 'odoo_user_error';
    case 'NotFound':
      if (/^the model .* does not exist/i.test(message)) return 'odoo_unknown_model';
      if (/^The method .* does not exist/i.test(message)) return 'odoo_unknown_method';
      return 'odoo_bad_request';
    case 'AttributeError':
      return /^The method .* does not exist/.test(message) ? 'odoo_unknown_method' : 'odoo_server_error';
    case 'OperationalError':
      // psycopg2, when the database an RPC names does not exist (Odoo opens a registry per database).
      return /database ".*" does not exist/.test(message) ? 'odoo_unknown_database' : 'odoo_server_error';
    case 'ValueError':
    case 'TypeError':
    case 'KeyError':
    case 'IndexError':
    case 'UnprocessableEntity':
    case 'BadRequest':
      return 'odoo_bad_request';
    default:
      if (httpStatus === 401) return 'odoo_auth_failed';
      if (httpStatus === 403) return 'odoo_access_error';
      return 'odoo_server_error';
  }
}

/** Builds the OdooError for an exception Odoo reported (message never includes `debug`). */
export function odooExceptionToError(name: string, message: string, httpStatus?: number): OdooError {
  const code = classifyOdooException(name, message, httpStatus);
  const short = name.split('.').pop() ?? name;
  return new OdooError(code, `Odoo raised ${short}: ${message}`, {
    odooName: name,
    odooMessage: message,
    ...(httpStatus !== undefined && { httpStatus }),
  });
}

/** Parses and checks a JSON-RPC answer; returns `result` or throws an OdooError. */
export function parseJsonRpcResponse(raw: RawOdooResponse): unknown {
  const body = tryParseJson(raw.text);
  if (body.ok && isObject(body.value) && (body.value.jsonrpc === '2.0' || 'result' in body.value || 'error' in body.value)) {
    const envelope = body.value;
    if (isObject(envelope.error)) return throwJsonRpcError(envelope.error, raw.status);
    if (raw.status >= 200 && raw.status < 300) {
      if ('result' in envelope) return envelope.result;
      // Odoo adds `result` only when it is not None (JsonRPCDispatcher._response): a method that
      // returns nothing (check_access, some action_* buttons) answers {jsonrpc, id}, a success.
      if (envelope.jsonrpc === '2.0' && !('error' in envelope)) return null;
    }
  }
  throw badResponse(raw, body.ok ? 'not a JSON-RPC answer' : undefined);
}

function throwJsonRpcError(error: Record<string, unknown>, status: number): never {
  const data = isObject(error.data) ? error.data : undefined;
  const name = typeof data?.name === 'string' ? data.name : undefined;
  const message =
    typeof data?.message === 'string' ? data.message : typeof error.message === 'string' ? error.message : 'unknown error';
  // code 100 is Odoo's "session expired", whatever exception name accompanies it.
  if (error.code === 100) {
    throw new OdooError('odoo_auth_failed', `Odoo session expired: ${message}`, {
      odooName: name ?? 'odoo.http.SessionExpiredException',
      odooMessage: message,
    });
  }
  if (name) throw odooExceptionToError(name, message, status === 200 ? undefined : status);
  throw new OdooError('odoo_server_error', `Odoo returned an error: ${message}`, { odooMessage: message });
}

/** Parses a JSON-2 answer; returns the result on 2xx or throws an OdooError. */
export function parseJson2Response(raw: RawOdooResponse): unknown {
  const body = tryParseJson(raw.text);
  if (raw.status >= 200 && raw.status < 300) {
    if (body.ok && looksJson(raw)) {
      // Before 19, a JSON POST to an unknown route gets a JSON-RPC 404 envelope with HTTP 200.
      if (isObject(body.value) && body.value.jsonrpc === '2.0' && isObject(body.value.error)) {
        throw badResponse(raw, 'a JSON-RPC error instead of a JSON-2 answer: no JSON-2 endpoint here (is this Odoo 19 or later?)');
      }
      return body.value;
    }
    throw badResponse(raw);
  }
  if (body.ok && isObject(body.value) && typeof body.value.name === 'string') {
    const message = typeof body.value.message === 'string' ? body.value.message : body.value.name;
    const error = odooExceptionToError(body.value.name, message, raw.status);
    // The HTTP status is authoritative for auth on JSON-2: 401 is always a bad/missing key.
    if (raw.status === 401 && error.code !== 'odoo_auth_failed') {
      throw new OdooError('odoo_auth_failed', error.message, { odooName: error.odooName, odooMessage: error.odooMessage, httpStatus: 401 });
    }
    return throwError(error);
  }
  if (raw.status === 401) {
    throw new OdooError('odoo_auth_failed', 'Odoo refused the API key (HTTP 401)', { httpStatus: 401 });
  }
  if (raw.status === 404) {
    throw badResponse(raw, 'no JSON-2 endpoint here (is this Odoo 19 or later?)');
  }
  throw badResponse(raw);
}

/**
 * A JSON-2 answer's result as Odoo's own JSON text, proved to be JSON but not parsed: for
 * callers that pass the result on as it is. Refuses exactly what parseJson2Response refuses.
 */
export function json2ResultText(raw: RawOdooResponse): string {
  if (raw.status >= 200 && raw.status < 300 && looksJson(raw)) {
    const kind = jsonTextKind(raw.text);
    // An object may be a pre-19 server's JSON-RPC error envelope: telling that needs the parse below.
    if (kind !== null && kind !== 'object') return raw.text;
  }
  parseJson2Response(raw); // throws for everything but a valid result
  return raw.text;
}

function throwError(error: OdooError): never {
  throw error;
}

/**
 * An OdooError describing an answer that is not what Odoo sends (HTML page, proxy error, junk).
 * It never quotes the body: a proxy or login page may echo the request, and a JSON-RPC request
 * carries the connection secret — escaped or cut short where no exact-match masking finds it.
 * Status, content type and size are enough to recognise a proxy or login page in the way.
 */
export function badResponse(raw: RawOdooResponse, why?: string): OdooError {
  // A proxy or host in front of Odoo throttling or in maintenance (Odoo.sh, a load balancer):
  // the call was not run, and the caller should come back when it says, not read a broken server.
  if (raw.status === 429 || raw.status === 503) {
    const askedMs = parseRetryAfter(raw.retryAfter, Date.now());
    const seconds = Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil((askedMs ?? DEFAULT_RETRY_AFTER_MS) / 1000)));
    // The wait is in the message too: the dashboard shows messages, not headers.
    return new OdooError('odoo_unavailable', `Odoo's server answered HTTP ${raw.status} (${raw.status === 429 ? 'too many requests' : 'unavailable'}); retry in ${seconds} s`, {
      httpStatus: raw.status,
      retryAfterSeconds: seconds,
    });
  }
  const reason =
    why ??
    (raw.status >= 300 && raw.status < 400
      ? `a redirect${redirectTarget(raw.location)} (the relay does not follow redirects: set the connection's URL to where Odoo is)`
      : looksHtml(raw)
        ? 'an HTML page (a login or error page in front of Odoo?)'
        : raw.text.trim() === ''
          ? 'an empty body'
          : 'a non-JSON body');
  return new OdooError('odoo_bad_response', `Odoo answered HTTP ${raw.status} with ${reason} (${describeBody(raw)})`, {
    httpStatus: raw.status,
    // 502 and 504 come from a gateway in front of Odoo (nginx's proxy_read_timeout): the worker
    // behind it may still be running the call to its commit.
    ...(raw.status === 502 || raw.status === 504 ? { mayHaveRun: true } : {}),
  });
}

/** When a 429/503 names no time: soon, but not at once. */
const DEFAULT_RETRY_AFTER_MS = 5_000;
/** A proxy may ask for hours; the caller is told at most this, and may ask again. */
const MAX_RETRY_AFTER_SECONDS = 3_600;

/** " to https://odoo.example.com/odoo": where a redirect points, without its query (it may hold a token). */
function redirectTarget(location: string | undefined): string {
  const url = location ? URL.parse(location) : null;
  return url && /^https?:$/.test(url.protocol) ? ` to ${url.origin}${url.pathname}` : '';
}

function looksHtml(raw: RawOdooResponse): boolean {
  return /html/i.test(raw.contentType) || /^\s*<(!doctype|html)/i.test(raw.text);
}

/** "text/html, 5120 bytes": the media type only when it has a media type's shape, never free text. */
function describeBody(raw: RawOdooResponse): string {
  const mediaType = raw.contentType.split(';')[0]!.trim().toLowerCase();
  const type =
    mediaType === '' ? 'no content type' : /^[a-z0-9][a-z0-9.+-]{0,40}\/[a-z0-9][a-z0-9.+-]{0,60}$/.test(mediaType) ? mediaType : 'an unrecognised content type';
  return `${type}, ${Buffer.byteLength(raw.text, 'utf8')} bytes`;
}

function looksJson(raw: RawOdooResponse): boolean {
  return raw.contentType === '' || /json/i.test(raw.contentType);
}

function tryParseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
