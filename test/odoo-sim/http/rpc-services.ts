/**
 * `odoo.http.dispatch_rpc`: the three services (`common`, `object`, `db`) that both JSON-RPC
 * (`/jsonrpc`) and XML-RPC (`/xmlrpc/2/<service>`) expose with positional arguments.
 */
import { OdooException, type SimEngine } from '../contract.js';
import { accessDenied, unknownDatabase } from './error-envelope.js';
import { commonVersion } from './versions.js';

/**
 * `object.execute_kw` checks (uid, password) on every call. The contract authenticates by login,
 * so we learn each uid's login once from its session info and then ask the engine every time
 * (a password change in the engine takes effect immediately).
 */
export class UidCredentials {
  private loginByUid = new Map<number, string | null>();
  constructor(private readonly engine: () => SimEngine) {}

  check(uid: unknown, password: unknown): number {
    if (typeof uid !== 'number' || !Number.isInteger(uid) || typeof password !== 'string') throw accessDenied();
    let login = this.loginByUid.get(uid);
    if (login === undefined) {
      try {
        const info = this.engine().sessionInfo(uid);
        login = typeof info.username === 'string' ? info.username : null;
      } catch {
        login = null;
      }
      this.loginByUid.set(uid, login);
    }
    if (login === null || this.engine().authenticate(login, password) !== uid) {
      this.loginByUid.delete(uid); // the user may appear later (created through RPC)
      throw accessDenied();
    }
    return uid;
  }

  clear(): void {
    this.loginByUid.clear();
  }
}

export interface RpcContext {
  engine: SimEngine;
  credentials: UidCredentials;
}

function checkDb(engine: SimEngine, db: unknown): void {
  if (db !== engine.dbName) throw unknownDatabase(String(db));
}

function typeError(msg: string): OdooException {
  return new OdooException('builtins.TypeError', msg);
}

function arity(fn: string, params: unknown[], min: number, max: number): void {
  if (params.length < min) {
    const missing = min - params.length;
    throw typeError(`${fn}() missing ${missing} required positional argument${missing > 1 ? 's' : ''}`);
  }
  if (params.length > max) throw typeError(`${fn}() takes from ${min} to ${max} positional arguments but ${params.length} were given`);
}

function dispatchCommon(ctx: RpcContext, method: string, params: unknown[]): unknown {
  const { engine } = ctx;
  switch (method) {
    case 'version':
      return commonVersion(engine.version);
    case 'login': {
      arity('exp_login', params, 3, 3);
      checkDb(engine, params[0]);
      return engine.authenticate(String(params[1]), String(params[2]));
    }
    case 'authenticate': {
      arity('exp_authenticate', params, 4, 4);
      checkDb(engine, params[0]);
      return engine.authenticate(String(params[1]), String(params[2]));
    }
    case 'about':
      return 'See http://openerp.com';
  }
  throw new OdooException('builtins.NameError', `Method not available ${method}`);
}

function asKwargs(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw typeError("argument after ** must be a mapping, not list");
  return value as Record<string, unknown>;
}

function dispatchObject(ctx: RpcContext, method: string, params: unknown[]): unknown {
  const { engine } = ctx;
  if (method !== 'execute' && method !== 'execute_kw') {
    throw new OdooException('builtins.NameError', `Method not available ${method}`);
  }
  const [db, uid, password, model, name] = params;
  checkDb(engine, db);
  const checked = ctx.credentials.check(uid, password);
  if (typeof model !== 'string' || typeof name !== 'string') throw typeError('model and method must be strings');
  if (method === 'execute_kw') {
    arity('execute_kw', params.slice(3), 2, 4);
    const args = params[5] === undefined || params[5] === null ? [] : params[5];
    if (!Array.isArray(args)) throw typeError('args must be a list');
    return engine.execute(checked, model, name, args, asKwargs(params[6]));
  }
  return engine.execute(checked, model, name, params.slice(5), {});
}

function dispatchDb(ctx: RpcContext, method: string, params: unknown[]): unknown {
  const { engine } = ctx;
  switch (method) {
    case 'list':
      return [engine.dbName];
    case 'server_version':
      return `${engine.version}.0`;
    case 'db_exist':
      return params[0] === engine.dbName;
    case 'list_lang':
      return [['en_US', 'English (US)']];
  }
  // The db manager methods (create, drop, dump, …) need the master password; the sim has none.
  throw new OdooException('odoo.exceptions.AccessDenied', 'Access Denied');
}

export function dispatchRpc(ctx: RpcContext, service: unknown, method: unknown, params: unknown[]): unknown {
  if (typeof method !== 'string') throw typeError('method must be a string');
  switch (service) {
    case 'common':
      return dispatchCommon(ctx, method, params);
    case 'object':
      return dispatchObject(ctx, method, params);
    case 'db':
      return dispatchDb(ctx, method, params);
  }
  throw new OdooException('builtins.KeyError', `'${String(service)}'`);
}
