/**
 * XML-RPC: `/xmlrpc/2/<service>` (faultCode as int) and the historical `/xmlrpc/<service>`
 * (faultCode as string). Both dispatch to the same services as `/jsonrpc`.
 */
import { OdooException } from '../contract.js';
import { injectedServerError, type Call, type SimState } from './context.js';
import { accessDenied, fakeTraceback, toOdooException } from './error-envelope.js';
import { XML_TYPE, send } from './reply.js';
import { dispatchRpc } from './rpc-services.js';
import { XmlRpcMarshalError, XmlRpcParseError, decodeMethodCall, encodeFault, encodeMethodResponse } from './xmlrpc-codec.js';

// Fault codes shared with Odoo's clients (odoo/addons/rpc/controllers/xmlrpc.py).
const FAULT_APPLICATION_ERROR = 1;
const FAULT_WARNING = 2;
const FAULT_ACCESS_DENIED = 3;
const FAULT_ACCESS_ERROR = 4;

const WARNINGS = new Set([
  'odoo.exceptions.UserError', 'odoo.exceptions.ValidationError', 'odoo.exceptions.MissingError', 'odoo.exceptions.RedirectWarning',
]);

/** `xmlrpc_handle_exception_int`. */
export function intFault(exc: OdooException): { faultCode: number; faultString: string } {
  if (exc.odooName === 'odoo.exceptions.AccessError') return { faultCode: FAULT_ACCESS_ERROR, faultString: exc.message };
  if (exc.odooName === 'odoo.exceptions.AccessDenied') return { faultCode: FAULT_ACCESS_DENIED, faultString: exc.message };
  if (WARNINGS.has(exc.odooName)) return { faultCode: FAULT_WARNING, faultString: exc.message };
  return { faultCode: FAULT_APPLICATION_ERROR, faultString: fakeTraceback(exc, 'xmlrpc') };
}

/** `xmlrpc_handle_exception_string` (legacy endpoint): the class goes in the faultCode text. */
export function stringFault(exc: OdooException): { faultCode: string; faultString: string } {
  const short = exc.odooName.split('.').pop()!;
  switch (exc.odooName) {
    case 'odoo.exceptions.RedirectWarning':
      return { faultCode: `warning -- Warning\n\n${exc.message}`, faultString: '' };
    case 'odoo.exceptions.MissingError':
    case 'odoo.exceptions.AccessError':
    case 'odoo.exceptions.UserError':
      return { faultCode: `warning -- ${short}\n\n${exc.message}`, faultString: '' };
    case 'odoo.exceptions.ValidationError':
      // ValidationError is a UserError: the isinstance chain reports it as one.
      return { faultCode: `warning -- UserError\n\n${exc.message}`, faultString: '' };
    case 'odoo.exceptions.AccessDenied':
      return { faultCode: 'AccessDenied', faultString: exc.message };
  }
  return { faultCode: exc.message, faultString: fakeTraceback(exc, 'xmlrpc') };
}

/** Python hands the ORM datetimes and Binary objects; the engine takes Odoo's string forms. */
function toEngineValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString().slice(0, 19).replace('T', ' ');
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(toEngineValue);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toEngineValue(v);
    return out;
  }
  return value;
}

export function handleXmlRpc(call: Call, state: SimState, service: string, legacy: boolean): void {
  let body: string;
  try {
    if (call.injected === 'server_error') throw injectedServerError();
    if (call.injected === 'access_denied') throw accessDenied();
    let request;
    try {
      request = decodeMethodCall(call.body.toString('utf8'));
    } catch (err) {
      if (err instanceof XmlRpcParseError) throw new OdooException('xml.parsers.expat.ExpatError', err.message);
      throw err;
    }
    const params = request.params.map(toEngineValue);
    const result = dispatchRpc({ engine: state.engine(), credentials: state.credentials }, service, request.methodName, params);
    try {
      // Odoo marshals with allow_none=False: a method returning None is a TypeError fault, the
      // well-known XML-RPC surprise (the change itself has been committed by then).
      body = encodeMethodResponse(result, { allowNone: false });
    } catch (err) {
      if (err instanceof XmlRpcMarshalError) throw new OdooException('builtins.TypeError', err.message);
      throw err;
    }
  } catch (err) {
    const exc = toOdooException(err);
    const fault = legacy ? stringFault(exc) : intFault(exc);
    body = encodeFault(fault.faultCode, fault.faultString);
  }
  send(call.res, 200, XML_TYPE, body);
}
