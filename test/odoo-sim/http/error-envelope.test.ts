import { describe, expect, it } from 'vitest';
import { OdooException } from '../contract.js';
import { exceptionLine, httpException, json2Status, jsonRpcError, serializeException, toOdooException } from './error-envelope.js';
import { pythonJsonDumps } from './python-json.js';
import { intFault, stringFault } from './xmlrpc.js';

describe('error envelopes', () => {
  const missing = new OdooException('odoo.exceptions.MissingError', 'Record does not exist or has been deleted.\n(Record: res.partner(9,), User: 2)');

  it('uses code 0 on Odoo 19 and 200 on 17/18, 100 for an expired session', () => {
    expect(jsonRpcError(missing, 19, 'jsonrpc')).toMatchObject({ code: 0, message: 'Odoo Server Error', data: { name: missing.odooName } });
    expect(jsonRpcError(missing, 18, 'jsonrpc').code).toBe(200);
    expect(jsonRpcError(missing, 17, 'jsonrpc').code).toBe(200);
    const expired = jsonRpcError(new OdooException('odoo.http.SessionExpiredException', 'Session expired'), 19, 'web');
    expect(expired).toMatchObject({ code: 100, message: 'Odoo Session Expired' });
  });

  it('serializes like odoo.http.serialize_exception', () => {
    const s = serializeException(missing, 'jsonrpc');
    expect(Object.keys(s)).toEqual(['name', 'message', 'arguments', 'context', 'debug']);
    expect(s.arguments).toEqual([missing.message]);
    expect(s.debug.startsWith('Traceback (most recent call last):\n')).toBe(true);
    expect(s.debug.endsWith(`odoo.exceptions.MissingError: ${missing.message}\n`)).toBe(true);
    // Odoo never shows where a login failed.
    expect(serializeException(new OdooException('odoo.exceptions.AccessDenied', 'Access Denied'), 'jsonrpc').debug)
      .toBe('odoo.exceptions.AccessDenied: Access Denied\n');
  });

  it('formats exception lines as Python prints them', () => {
    expect(exceptionLine(new OdooException('builtins.ValueError', 'bad'))).toBe('ValueError: bad');
    expect(exceptionLine(httpException('werkzeug.exceptions.Unauthorized', 'Invalid apikey')))
      .toBe('werkzeug.exceptions.Unauthorized: 401 Unauthorized: Invalid apikey');
  });

  it('maps exceptions to JSON-2 statuses', () => {
    const cases: Array<[string, number]> = [
      ['werkzeug.exceptions.Unauthorized', 401], ['odoo.exceptions.AccessError', 403], ['odoo.exceptions.MissingError', 404],
      ['werkzeug.exceptions.NotFound', 404], ['odoo.exceptions.ValidationError', 422], ['odoo.exceptions.UserError', 422],
      ['builtins.TypeError', 500], ['builtins.ValueError', 500],
    ];
    for (const [name, status] of cases) expect(json2Status(new OdooException(name, 'x')), name).toBe(status);
    expect(httpException('werkzeug.exceptions.NotFound', 'gone').args).toEqual(['gone', 404]);
  });

  it('maps exceptions to XML-RPC fault codes', () => {
    expect(intFault(new OdooException('odoo.exceptions.AccessError', 'no'))).toEqual({ faultCode: 4, faultString: 'no' });
    expect(intFault(new OdooException('odoo.exceptions.AccessDenied', 'Access Denied'))).toEqual({ faultCode: 3, faultString: 'Access Denied' });
    expect(intFault(missing)).toEqual({ faultCode: 2, faultString: missing.message });
    const app = intFault(new OdooException('builtins.ValueError', 'Invalid operator'));
    expect(app.faultCode).toBe(1);
    expect(app.faultString).toMatch(/^Traceback[\s\S]*ValueError: Invalid operator\n$/);
    expect(stringFault(missing)).toEqual({ faultCode: `warning -- MissingError\n\n${missing.message}`, faultString: '' });
    expect(stringFault(new OdooException('odoo.exceptions.AccessDenied', 'Access Denied'))).toEqual({ faultCode: 'AccessDenied', faultString: 'Access Denied' });
  });

  it('turns JS errors into Python-looking ones', () => {
    expect(toOdooException(new TypeError('x')).odooName).toBe('builtins.TypeError');
    expect(toOdooException('boom').odooName).toBe('builtins.Exception');
  });

  it('dumps JSON with Python requests\' spacing and ASCII escaping', () => {
    expect(pythonJsonDumps({ _action: 'A(#1)', _id: 3, email: false, name: 'Zoë', n: null, l: [1, 2] }))
      .toBe('{"_action": "A(#1)", "_id": 3, "email": false, "name": "Zo\\u00eb", "n": null, "l": [1, 2]}');
  });
});
