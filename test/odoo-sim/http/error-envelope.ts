/**
 * How Odoo serialises an exception on the wire. Pure functions: the protocol handlers decide the
 * transport (JSON-RPC envelope, JSON-2 body with an HTTP status, XML-RPC fault), this module
 * decides the content, so every protocol reports the same exception the same way.
 */
import { OdooException, type OdooMajorVersion } from '../contract.js';

/** `odoo.http.serialize_exception`: the `data` of a JSON-RPC error and the body of a JSON-2 error. */
export interface SerializedException {
  name: string;
  message: string;
  arguments: unknown[];
  context: Record<string, unknown>;
  debug: string;
}

/** HTTP status codes werkzeug attaches to its exceptions; Odoo puts them in `arguments[1]`. */
const WERKZEUG_STATUS: Record<string, number> = {
  'werkzeug.exceptions.BadRequest': 400,
  'werkzeug.exceptions.Unauthorized': 401,
  'werkzeug.exceptions.Forbidden': 403,
  'werkzeug.exceptions.NotFound': 404,
  'werkzeug.exceptions.MethodNotAllowed': 405,
  'werkzeug.exceptions.UnprocessableEntity': 422,
  'werkzeug.exceptions.InternalServerError': 500,
};
const WERKZEUG_PHRASE: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 422: 'Unprocessable Entity', 500: 'Internal Server Error',
};

/** Odoo exceptions carry an `http_code` that JSON-2 uses as the response status (UserError = 422). */
const ODOO_STATUS: Record<string, number> = {
  'odoo.exceptions.UserError': 422,
  'odoo.exceptions.ValidationError': 422,
  'odoo.exceptions.RedirectWarning': 422,
  'odoo.exceptions.AccessError': 403,
  'odoo.exceptions.MissingError': 404,
  'odoo.exceptions.AccessDenied': 401,
};

/** Odoo's exception hierarchy, as far as the protocols care (XML-RPC fault codes test `isinstance`). */
const USER_ERROR_FAMILY = new Set([
  'odoo.exceptions.UserError', 'odoo.exceptions.ValidationError', 'odoo.exceptions.RedirectWarning',
  'odoo.exceptions.AccessError', 'odoo.exceptions.MissingError', 'odoo.exceptions.AccessDenied',
]);

export function isUserErrorFamily(name: string): boolean {
  return USER_ERROR_FAMILY.has(name);
}

export function werkzeugStatus(name: string): number | undefined {
  return WERKZEUG_STATUS[name];
}

/** Builds a werkzeug HTTP exception the way Odoo raises them (`NotFound(e)`): args carry the code. */
export function httpException(name: keyof typeof WERKZEUG_STATUS | string, description: string): OdooException {
  const status = WERKZEUG_STATUS[name] ?? 500;
  return new OdooException(name, description, [description, status]);
}

export const sessionExpired = (): OdooException =>
  new OdooException('odoo.http.SessionExpiredException', 'Session expired');

export const accessDenied = (): OdooException =>
  new OdooException('odoo.exceptions.AccessDenied', 'Access Denied');

/** psycopg2's answer when the db named in an RPC does not exist (Odoo opens a registry per db). */
export function unknownDatabase(db: string): OdooException {
  return new OdooException(
    'psycopg2.OperationalError',
    `connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "${db}" does not exist\n`,
  );
}

/** Anything thrown by the engine or the front becomes an OdooException; JS bugs look like Python ones. */
export function toOdooException(err: unknown): OdooException {
  if (err instanceof OdooException) return err;
  if (err && typeof err === 'object' && 'odooName' in err && typeof (err as OdooException).odooName === 'string') {
    const e = err as OdooException;
    return new OdooException(e.odooName, e.message, Array.isArray(e.args) ? e.args : [e.message]);
  }
  if (err instanceof TypeError) return new OdooException('builtins.TypeError', err.message);
  if (err instanceof RangeError) return new OdooException('builtins.ValueError', err.message);
  const message = err instanceof Error ? err.message : String(err);
  return new OdooException('builtins.Exception', message);
}

/** The last line of a Python traceback: builtins print their bare class name, others their full path. */
export function exceptionLine(exc: OdooException): string {
  const name = exc.odooName.startsWith('builtins.') ? exc.odooName.slice('builtins.'.length) : exc.odooName;
  const status = WERKZEUG_STATUS[exc.odooName];
  if (status !== undefined) return `${name}: ${status} ${WERKZEUG_PHRASE[status]}: ${exc.message}`;
  return exc.message === '' ? name : `${name}: ${exc.message}`;
}

/**
 * A plausible Python traceback. Clients only ever display or log it; its frames are fixed text
 * (where the real server raised from the ORM, we say so generically) and the last line is exact.
 */
export function fakeTraceback(exc: OdooException, entry: 'jsonrpc' | 'json2' | 'xmlrpc' | 'web'): string {
  // Odoo hides the traceback of a failed login: the debug text is only the exception line.
  if (exc.odooName === 'odoo.exceptions.AccessDenied') return `${exceptionLine(exc)}\n`;
  const frames: Array<[string, number, string, string]> = [
    ['/opt/odoo/odoo/http.py', 2298, '_serve_db', 'return service_model.retrying(serve_func, env=self.env)'],
    ['/opt/odoo/odoo/service/model.py', 188, 'retrying', 'result = func()'],
  ];
  if (entry === 'jsonrpc') {
    frames.push(['/opt/odoo/addons/rpc/controllers/jsonrpc.py', 16, 'jsonrpc', 'return dispatch_rpc(service, method, args)']);
    frames.push(['/opt/odoo/odoo/service/model.py', 150, 'execute_cr', 'result = retrying(partial(call_kw, recs, method, args, kw), env)']);
  } else if (entry === 'json2') {
    frames.push(['/opt/odoo/addons/rpc/controllers/json2.py', 86, 'web_json_2_rpc', 'result = func(records, **kwargs)']);
  } else if (entry === 'xmlrpc') {
    frames.splice(0, frames.length, ['/opt/odoo/addons/rpc/controllers/xmlrpc.py', 162, 'xmlrpc_2', 'response = self._xmlrpc(service)']);
    frames.push(['/opt/odoo/addons/rpc/controllers/xmlrpc.py', 134, '_xmlrpc', 'result = dispatch_rpc(service, method, params)']);
  } else {
    frames.push(['/opt/odoo/addons/web/controllers/dataset.py', 40, 'call_kw', 'return call_kw(request.env[model], method, args, kwargs)']);
  }
  const body = frames
    .map(([file, line, fn, code]) => `  File "${file}", line ${line}, in ${fn}\n    ${code}\n`)
    .join('');
  return `Traceback (most recent call last):\n${body}${exceptionLine(exc)}\n`;
}

export function serializeException(exc: OdooException, entry: Parameters<typeof fakeTraceback>[1]): SerializedException {
  return {
    name: exc.odooName,
    message: exc.message,
    arguments: exc.args,
    context: {},
    debug: fakeTraceback(exc, entry),
  };
}

/**
 * The `error` member of a JSON-RPC response. Odoo 19 sends code 0 for every ordinary exception;
 * 17 and 18 sent 200 (a historical constant documented as "totally arbitrary"; odoo/odoo#183902
 * changed it in 18.1). All keep 100 for an expired session and 404 for NotFound.
 */
export function jsonRpcError(exc: OdooException, version: OdooMajorVersion, entry: 'jsonrpc' | 'web') {
  let code = version >= 19 ? 0 : 200;
  let message = 'Odoo Server Error';
  if (exc.odooName === 'odoo.http.SessionExpiredException') {
    code = 100;
    message = 'Odoo Session Expired';
  } else if (exc.odooName === 'werkzeug.exceptions.NotFound') {
    code = 404;
    message = '404: Not Found';
  }
  return { code, message, data: serializeException(exc, entry) };
}

/** JSON-2 answers with the exception's HTTP status: werkzeug's own, Odoo's `http_code`, else 500. */
export function json2Status(exc: OdooException): number {
  return WERKZEUG_STATUS[exc.odooName] ?? ODOO_STATUS[exc.odooName] ?? (exc.odooName === 'odoo.http.SessionExpiredException' ? 403 : 500);
}
