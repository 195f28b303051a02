/**
 * The web client's session flow: `/web/session/authenticate` sets the `session_id` cookie, then
 * `/web/dataset/call_kw[/<model>/<method>]`, `/web/session/get_session_info` and
 * `/web/session/destroy` run as that user. Without a valid session Odoo raises
 * SessionExpiredException, which the JSON-RPC envelope reports with code 100.
 */
import { OdooException } from '../contract.js';
import type { Call, SimState } from './context.js';
import { sessionExpired, toOdooException } from './error-envelope.js';
import { parseJsonRpc, sendError, sendInvalidJson, sendResult, throwInjected } from './jsonrpc.js';
import { expiredSessionCookie, readCookie, sessionCookie } from './reply.js';
import { commonVersion } from './versions.js';

function sessionId(call: Call): string | undefined {
  return readCookie(call.req.headers.cookie, 'session_id');
}

/** `POST /web/session/authenticate` {db, login, password}. */
export function handleAuthenticate(call: Call, state: SimState): void {
  const request = parseJsonRpc(call.body);
  if (typeof request === 'string') return sendInvalidJson(call, request);
  const { id, params } = request;
  try {
    throwInjected(call);
    const engine = state.engine();
    const { db, login, password } = params;
    if (typeof db === 'string' && db !== engine.dbName) {
      throw new OdooException('odoo.exceptions.AccessError', 'Database not found.');
    }
    // Web logins are "interactive": Odoo accepts API keys only for RPC, never for a browser session.
    const isApiKey = typeof password === 'string' && password !== '' && engine.authenticateApiKey(password) !== false;
    const uid = isApiKey ? false : engine.authenticate(String(login ?? ''), String(password ?? ''));
    if (uid === false) throw new OdooException('odoo.exceptions.AccessDenied', 'Access Denied');
    const info = engine.sessionInfo(uid);
    // Odoo rotates the session id on login; an old cookie's session is dropped.
    state.sessions.delete(sessionId(call));
    const sid = state.sessions.create({ uid, login: String(login), db: engine.dbName });
    sendResult(call, id, info, { 'set-cookie': sessionCookie(sid) });
  } catch (err) {
    sendError(call, state, id, err, 'web');
  }
}

function requireSession(call: Call, state: SimState) {
  const session = state.sessions.get(sessionId(call));
  if (!session || session.db !== state.engine().dbName) throw sessionExpired();
  return session;
}

/** `POST /web/session/get_session_info` (auth='user'). */
export function handleGetSessionInfo(call: Call, state: SimState): void {
  const request = parseJsonRpc(call.body);
  if (typeof request === 'string') return sendInvalidJson(call, request);
  try {
    throwInjected(call, sessionExpired);
    const session = requireSession(call, state);
    sendResult(call, request.id, state.engine().sessionInfo(session.uid));
  } catch (err) {
    sendError(call, state, request.id, err, 'web');
  }
}

/** `POST /web/session/destroy`: logs out; answers null and clears the cookie. */
export function handleDestroy(call: Call, state: SimState): void {
  const request = parseJsonRpc(call.body);
  if (typeof request === 'string') return sendInvalidJson(call, request);
  try {
    throwInjected(call, sessionExpired);
    requireSession(call, state);
    state.sessions.delete(sessionId(call));
    sendResult(call, request.id, null, { 'set-cookie': expiredSessionCookie() });
  } catch (err) {
    sendError(call, state, request.id, err, 'web');
  }
}

/** `POST /web/dataset/call_kw` and `/web/dataset/call_kw/<path>` {model, method, args, kwargs}. */
export function handleCallKw(call: Call, state: SimState): void {
  const request = parseJsonRpc(call.body);
  if (typeof request === 'string') return sendInvalidJson(call, request);
  const { id, params } = request;
  try {
    throwInjected(call, sessionExpired);
    const session = requireSession(call, state);
    const { model, method } = params;
    const args = params.args ?? [];
    const kwargs = params.kwargs ?? {};
    if (typeof model !== 'string' || typeof method !== 'string') {
      throw new OdooException('builtins.TypeError', "call_kw() missing 2 required positional arguments: 'model' and 'method'");
    }
    if (!Array.isArray(args)) throw new OdooException('builtins.TypeError', 'args must be a list');
    if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) {
      throw new OdooException('builtins.TypeError', 'argument after ** must be a mapping, not list');
    }
    let result: unknown;
    try {
      result = state.engine().execute(session.uid, model, method, args, kwargs as Record<string, unknown>);
    } catch (err) {
      // The web controller looks the model up with `request.env[model]`: an unknown model is a
      // KeyError there, not the object service's "Object … doesn't exist" UserError.
      const exc = toOdooException(err);
      if (exc.odooName === 'odoo.exceptions.UserError' && exc.message === `Object ${model} doesn't exist`) {
        throw new OdooException('builtins.KeyError', `'${model}'`);
      }
      throw exc;
    }
    sendResult(call, id, result);
  } catch (err) {
    sendError(call, state, id, err, 'web');
  }
}

/** `POST /web/webclient/version_info` (auth='none'): common.version as JSON-RPC. */
export function handleVersionInfo(call: Call, state: SimState): void {
  const request = parseJsonRpc(call.body);
  if (typeof request === 'string') return sendInvalidJson(call, request);
  sendResult(call, request.id, commonVersion(state.version));
}
