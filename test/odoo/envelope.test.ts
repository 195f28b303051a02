import { describe, expect, it } from 'vitest';
import { OdooError, type OdooErrorCode } from '../../src/odoo/errors.js';
import { classifyOdooException, json2ResultText, parseJson2Response, parseJsonRpcResponse, type RawOdooResponse } from '../../src/odoo/envelope.js';
import { parseOdooVersion } from '../../src/odoo/version.js';
import { fixtures, responseText, type RecordedExchange } from './fixtures.js';

/** What each recorded Odoo answer must parse to: a result, or an error code. */
const EXPECTED: Record<string, { code: OdooErrorCode } | 'result' | 'version' | 'not-json-api'> = {
  'http-unknown-route': { code: 'odoo_bad_response' },
  'json2-create': 'result',
  'json2-invalid-key': { code: 'odoo_auth_failed' },
  'json2-missing-record': { code: 'odoo_missing_record' },
  'json2-no-auth': { code: 'odoo_auth_failed' },
  'json2-positional-args': { code: 'odoo_bad_request' },
  'json2-private-method': { code: 'odoo_access_error' },
  'json2-read': 'result',
  'json2-search-read': 'result',
  'json2-unknown-model': { code: 'odoo_unknown_model' },
  'json2-validation-error': { code: 'odoo_validation_error' },
  'json2-write': 'result',
  'jsonrpc-bad-domain': { code: 'odoo_bad_request' },
  'jsonrpc-common-authenticate': 'result',
  'jsonrpc-common-login-bad-password': 'result',
  'jsonrpc-common-login-ok': 'result',
  'jsonrpc-common-version': 'result',
  'jsonrpc-create-invalid': { code: 'odoo_validation_error' },
  'jsonrpc-create-list': 'result',
  'jsonrpc-create-one': 'result',
  'jsonrpc-db-list': 'result',
  'jsonrpc-fields-get-sale-order': 'result',
  'jsonrpc-malformed-envelope': { code: 'odoo_bad_response' },
  'jsonrpc-private-method': { code: 'odoo_access_error' },
  'jsonrpc-read-missing': 'result',
  'jsonrpc-read': 'result',
  'jsonrpc-sale-orders-confirmed': 'result',
  'jsonrpc-search-count': 'result',
  'jsonrpc-search-read-companies': 'result',
  'jsonrpc-unknown-field': { code: 'odoo_bad_request' },
  'jsonrpc-unknown-method': { code: 'odoo_unknown_method' },
  'jsonrpc-unknown-model': { code: 'odoo_unknown_model' },
  'jsonrpc-unlink-missing': { code: 'odoo_missing_record' },
  'jsonrpc-write-missing': { code: 'odoo_missing_record' },
  'jsonrpc-write': 'result',
  'jsonrpc-wrong-password': { code: 'odoo_auth_failed' },
  'web-session-authenticate-bad': { code: 'odoo_auth_failed' },
  'web-session-authenticate': 'result',
  'web-version': 'version',
  'xmlrpc-fault': 'not-json-api',
  'xmlrpc-version': 'not-json-api',
};

function raw(exchange: RecordedExchange): RawOdooResponse {
  return {
    status: exchange.response.status,
    contentType: exchange.response.headers['content-type'] ?? '',
    text: responseText(exchange),
  };
}

function parserFor(exchange: RecordedExchange) {
  return exchange.request.path.startsWith('/json/2/') ? parseJson2Response : parseJsonRpcResponse;
}

function catchError(fn: () => unknown): OdooError {
  try {
    fn();
  } catch (error) {
    if (error instanceof OdooError) return error;
    throw error;
  }
  throw new Error('expected an OdooError');
}

describe('envelope parsing of every recorded Odoo 19 answer', () => {
  it('has an expectation for every fixture', () => {
    expect([...fixtures.keys()].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, exchange] of fixtures) {
    const expected = EXPECTED[name];
    it(name, () => {
      if (expected === 'version') {
        expect(parseOdooVersion(exchange.response.body)).toEqual({ serverVersion: '19.0', major: 19, minor: 0, serie: '19.0' });
        return;
      }
      if (expected === 'not-json-api') {
        // XML-RPC is not spoken; if one reached the JSON-RPC parser it must be a clean bad_response.
        expect(catchError(() => parseJsonRpcResponse(raw(exchange))).code).toBe('odoo_bad_response');
        return;
      }
      const parse = parserFor(exchange);
      if (expected === 'result') {
        const body = exchange.response.body as { result?: unknown };
        const want = exchange.request.path.startsWith('/json/2/') ? body : body.result;
        expect(parse(raw(exchange))).toEqual(want);
        return;
      }
      const error = catchError(() => parse(raw(exchange)));
      expect(error.code).toBe(expected!.code);
      const odooBody = (exchange.response.body as { error?: { data?: { name: string; message: string } } })?.error?.data ??
        (exchange.response.body as { name?: string; message?: string });
      if (typeof odooBody === 'object' && odooBody?.name) {
        expect(error.odooName).toBe(odooBody.name);
        expect(error.odooMessage).toBe(odooBody.message);
      }
      // Odoo's traceback stays out of everything we expose.
      expect(error.message).not.toMatch(/Traceback|File "/);
      expect(JSON.stringify(error)).not.toMatch(/Traceback|debug|File \\"/);
      expect(error.message.length).toBeLessThan(400);
    });
  }

  it("json2ResultText passes each recorded JSON-2 result's text on as it is, and refuses the rest with parseJson2Response's errors", () => {
    let checked = 0;
    for (const [name, exchange] of fixtures) {
      if (!exchange.request.path.startsWith('/json/2/')) continue;
      checked++;
      const answer = raw(exchange);
      if (EXPECTED[name] === 'result') {
        expect(json2ResultText(answer), name).toBe(answer.text);
        expect(JSON.parse(json2ResultText(answer)), name).toEqual(parseJson2Response(answer));
      } else {
        const error = catchError(() => json2ResultText(answer));
        expect(error.code, name).toBe(catchError(() => parseJson2Response(answer)).code);
        expect(error.message, name).toBe(catchError(() => parseJson2Response(answer)).message);
      }
    }
    expect(checked).toBeGreaterThan(5);
  });

  it.each([
    ['truncated JSON', '[{"id": 1, "name": "Azure'],
    ['two values', '[1] [2]'],
    ['a trailing comma', '[1, 2,]'],
    ['a JSON-RPC error envelope (an Odoo before 19 answering 200)', '{"jsonrpc": "2.0", "id": null, "error": {"code": 404, "message": "404: Not Found"}}'],
  ])('json2ResultText refuses %s in a 200 answer as odoo_bad_response', (_name, text) => {
    expect(catchError(() => json2ResultText({ status: 200, contentType: 'application/json', text })).code).toBe('odoo_bad_response');
  });

  it('json2ResultText passes on objects, strings, numbers and literals that are results', () => {
    for (const text of ['{"id": 1, "name": "x"}', '"text"', '42', 'true', 'false', 'null', '[]']) {
      expect(json2ResultText({ status: 200, contentType: 'application/json; charset=utf-8', text })).toBe(text);
    }
  });

  it('treats JSON-RPC code 100 as an expired session', () => {
    const text = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      error: { code: 100, message: 'Odoo Session Expired', data: { name: 'odoo.http.SessionExpiredException', message: 'Session expired' } },
    });
    expect(catchError(() => parseJsonRpcResponse({ status: 200, contentType: 'application/json', text })).code).toBe('odoo_auth_failed');
  });

  it('reads an answer without result as None: Odoo leaves result out when the method returned None', () => {
    expect(parseJsonRpcResponse({ status: 200, contentType: 'application/json', text: '{"jsonrpc":"2.0","id":1}' })).toBeNull();
    expect(parseJsonRpcResponse({ status: 200, contentType: 'application/json', text: '{"jsonrpc":"2.0","id":1,"result":false}' })).toBe(false);
  });

  it('accepts the older error code 200 like 0', () => {
    const text = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      error: { code: 200, message: 'Odoo Server Error', data: { name: 'odoo.exceptions.UserError', message: 'Not allowed' } },
    });
    const error = catchError(() => parseJsonRpcResponse({ status: 200, contentType: 'application/json', text }));
    expect(error.code).toBe('odoo_user_error');
    expect(error.odooMessage).toBe('Not allowed');
  });

  it.each([
    ['JSON-RPC 200 without jsonrpc, result or error', () => parseJsonRpcResponse({ status: 200, contentType: 'application/json', text: '{"id":1}' })],
    ['JSON-RPC 502 without result or error', () => parseJsonRpcResponse({ status: 502, contentType: 'application/json', text: '{"jsonrpc":"2.0","id":1}' })],
    ['JSON-RPC garbage', () => parseJsonRpcResponse({ status: 200, contentType: 'application/json', text: '{"jsonr' })],
    ['JSON-RPC proxy 502 page', () => parseJsonRpcResponse({ status: 502, contentType: 'text/html', text: '<html>Bad Gateway</html>' })],
    ['JSON-2 500 without Odoo body', () => parseJson2Response({ status: 500, contentType: 'text/plain', text: 'Internal Server Error' })],
    ['JSON-2 200 HTML login page', () => parseJson2Response({ status: 200, contentType: 'text/html', text: '<!DOCTYPE html><html>' })],
    ['JSON-2 404 HTML (Odoo < 19)', () => parseJson2Response({ status: 404, contentType: 'text/html', text: '<html>404</html>' })],
    [
      'JSON-2 path answered by the JSON-RPC dispatcher (Odoo < 19)',
      () =>
        parseJson2Response({
          status: 200,
          contentType: 'application/json',
          text: JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: 404, message: '404: Not Found', data: { name: 'werkzeug.exceptions.NotFound' } } }),
        }),
    ],
  ])('%s → odoo_bad_response', (_label, fn) => {
    expect(catchError(fn).code).toBe('odoo_bad_response');
  });

  it.each<[string, RawOdooResponse, RegExp]>([
    ['a plain-text echo', { status: 200, contentType: 'text/plain; charset=utf-8', text: 'POST /jsonrpc {"args":["db","u","Tr4ce\\"Me"]}' }, /HTTP 200 with a non-JSON body \(text\/plain, \d+ bytes\)$/],
    ['a login page', { status: 200, contentType: 'text/html', text: '<!DOCTYPE html><title>Tr4ce\\"Me</title>' }, /HTTP 200 with an HTML page .*\(text\/html, \d+ bytes\)$/],
    ['a proxy error page without a content type', { status: 502, contentType: '', text: '<html>Tr4ce\\"Me</html>' }, /HTTP 502 with an HTML page .*\(no content type, \d+ bytes\)$/],
    ['junk in the content type', { status: 500, contentType: 'text/Tr4ce\\"Me x', text: 'Tr4ce' }, /HTTP 500 with a non-JSON body \(an unrecognised content type, \d+ bytes\)$/],
  ])('describes %s by status, content type and size, and quotes none of it', (_label, raw, description) => {
    const error = catchError(() => parseJsonRpcResponse(raw));
    expect(error.code).toBe('odoo_bad_response');
    expect(error.message).toMatch(description);
    expect(error.message).toContain(`, ${Buffer.byteLength(raw.text)} bytes)`);
    expect(JSON.stringify(error)).not.toMatch(/Tr4ce/);
  });

  it.each<[string, string, OdooErrorCode]>([
    ['odoo.exceptions.AccessDenied', 'Access Denied', 'odoo_auth_failed'],
    ['odoo.exceptions.UserError', "Object x.y doesn't exist", 'odoo_unknown_model'],
    ['odoo.exceptions.UserError', 'Please set a customer', 'odoo_user_error'],
    ['werkzeug.exceptions.NotFound', "The method 'res.partner.nope' does not exist", 'odoo_unknown_method'],
    ['werkzeug.exceptions.UnprocessableEntity', "missing a required argument: 'vals'", 'odoo_bad_request'],
    ['psycopg2.errors.SerializationFailure', 'could not serialize access', 'odoo_server_error'],
    ['builtins.AttributeError', "'NoneType' object has no attribute 'id'", 'odoo_server_error'],
  ])('classifies %s (%s)', (name, message, code) => {
    expect(classifyOdooException(name, message)).toBe(code);
  });
});
