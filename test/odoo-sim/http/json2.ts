/**
 * JSON-2 (Odoo 19+): `POST /json/2/<model>/<method>` with `Authorization: bearer <api key>`,
 * named parameters in a JSON object body, the bare return value as the response, and errors as a
 * bare serialized exception with a meaningful HTTP status.
 */
import { OdooException } from '../contract.js';
import { injectedServerError, type Call, type SimState } from './context.js';
import { httpException, json2Status, serializeException, toOdooException, werkzeugStatus } from './error-envelope.js';
import { werkzeugErrorPage } from './not-found-page.js';
import { HTML_ERROR_TYPE, readCookie, send, sendJson } from './reply.js';

const NOT_AUTHENTICATED = 'User not authenticated, use an API Key with a Bearer Authorization header.';

/** `ir.http._auth_method_bearer`: API key first, else a web session, else 401. */
function authenticate(call: Call, state: SimState): number {
  const engine = state.engine();
  const header = call.req.headers.authorization;
  if (header) {
    const m = /^\s*bearer\s+(.+?)\s*$/i.exec(header);
    if (m) {
      const uid = engine.authenticateApiKey(m[1]);
      if (uid === false) throw httpException('werkzeug.exceptions.Unauthorized', 'Invalid apikey');
      return uid;
    }
  }
  const session = state.sessions.get(readCookie(call.req.headers.cookie, 'session_id'));
  if (session && session.db === engine.dbName) return session.uid;
  throw httpException('werkzeug.exceptions.Unauthorized', NOT_AUTHENTICATED);
}

function parseBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw httpException('werkzeug.exceptions.BadRequest', `could not parse the body as json: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw httpException('werkzeug.exceptions.BadRequest', 'could not parse the body, expecting a json object');
  }
  return parsed as Record<string, unknown>;
}

/** Rewrites engine exceptions the way the JSON-2 controller re-raises them. */
function asJson2Exception(err: unknown): OdooException {
  const exc = toOdooException(err);
  // get_public_method's AttributeError becomes NotFound(e) in json2.py.
  if (exc.odooName === 'builtins.AttributeError' && /^The method '.*' does not exist$/.test(exc.message)) {
    return httpException('werkzeug.exceptions.NotFound', exc.message);
  }
  // The JSON-RPC wording of an unknown model, should the engine use it here too.
  const unknownModel = /^Object (.+) doesn't exist$/.exec(exc.message);
  if (exc.odooName === 'odoo.exceptions.UserError' && unknownModel) {
    return httpException('werkzeug.exceptions.NotFound', `the model '${unknownModel[1]}' does not exist`);
  }
  const status = werkzeugStatus(exc.odooName);
  if (status !== undefined && exc.args.length < 2) return httpException(exc.odooName, exc.message);
  return exc;
}

/**
 * `X-Odoo-Database` picks the database for a stateless call. Naming another database than the
 * session cookie's is refused (403); naming one that does not exist leaves the request without a
 * database, where no JSON-2 route exists (werkzeug's 404 page). Answers and returns true then.
 */
function databaseHeaderRefused(call: Call, state: SimState): boolean {
  const header = call.req.headers['x-odoo-database'];
  const db = state.engine().dbName;
  if (typeof header !== 'string' || header === '' || header === db) return false;
  if (state.sessions.get(readCookie(call.req.headers.cookie, 'session_id'))) {
    send(call.res, 403, HTML_ERROR_TYPE, werkzeugErrorPage(403, 'Forbidden', 'Cannot use both the session_id cookie and the x-odoo-database header.'));
  } else {
    send(call.res, 404, HTML_ERROR_TYPE, werkzeugErrorPage(404, 'Not Found', 'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.'));
  }
  return true;
}

/** `/json/2/<model>/<method>`; `segments` is what follows `/json/2/`. */
export function handleJson2(call: Call, state: SimState, segments: string[]): void {
  // The database is chosen before any route is matched.
  if (databaseHeaderRefused(call, state)) return;
  try {
    if (segments.length !== 2 || !segments[0] || !segments[1]) {
      throw httpException('werkzeug.exceptions.NotFound', 'Did you mean POST /json/2/<model>/<method>?');
    }
    if (call.req.method !== 'POST') {
      throw httpException('werkzeug.exceptions.MethodNotAllowed', 'The method is not allowed for the requested URL.');
    }
    const engine = state.engine();
    if (call.injected === 'server_error') throw injectedServerError();
    if (call.injected === 'access_denied') throw httpException('werkzeug.exceptions.Unauthorized', 'Invalid apikey');
    const uid = authenticate(call, state);
    const params = parseBody(call.body);
    const [model, method] = segments.map(decodeURIComponent);
    const result = engine.executeNamed(uid, model, method, params);
    sendJson(call.res, 200, result);
  } catch (err) {
    const exc = asJson2Exception(err);
    const headers: Record<string, string> = {};
    if (exc.odooName === 'werkzeug.exceptions.Unauthorized') headers['www-authenticate'] = 'Bearer';
    sendJson(call.res, json2Status(exc), serializeException(exc, 'json2'), headers);
  }
}
