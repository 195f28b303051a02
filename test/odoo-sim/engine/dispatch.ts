/**
 * RPC method table: which ORM methods exist, their Python signatures (to bind execute_kw's
 * positional args and JSON-2's named params), the access they need, and their results.
 */
import type { OdooMajorVersion } from '../contract.js';
import type { AccessControl, Operation } from './access.js';
import { confirmSaleOrders, postMoves } from './business.js';
import {
  json2UnknownModel, OdooException, privateMethod, typeError, unknownMethod, unknownModel, unprocessable, accessDenied, valueError,
} from './errors.js';
import { describeField } from './fields.js';
import { messagePost, messagePostParams } from './mail.js';
import { getMetadata } from './metadata.js';
import { MAIL_THREAD_MODELS } from './models/index.js';
import type { Orm } from './orm.js';
import { formattedReadGroup, readGroup } from './read-group.js';
import { cancelSaleOrders, draftSaleOrders } from './sale-cancel.js';
import { textMatcher } from './domain.js';
import { pythonTruthy } from './python-literal.js';
import { webRead, webSearchRead, type WebReadEnv } from './web-read.js';

type Params = Record<string, unknown>;

/** One method call as dispatch hands it to a method's implementation. */
export interface Call {
  orm: Orm;
  access: AccessControl;
  uid: number;
  model: string;
  ids: number[];
  params: Params;
  context: Record<string, unknown>;
  /** JSON-2 always answers records as id lists; execute_kw answers a single create with an id. */
  named: boolean;
  version: OdooMajorVersion;
}

interface MethodSpec {
  /** Python parameter names after `self`, in order. */
  params: string[];
  /** How many of `params`, from the first, have no default (Python's TypeError when one is missing). */
  required?: number;
  /** Keyword-only parameters (after `*` or taken by `**kwargs`): never positional. */
  keywordOnly?: string[];
  /** The method takes `**kwargs`: any other keyword reaches run() under its own name. */
  extraKeywords?: boolean;
  /** The method's `**kwargs` go on to this function, whose TypeError an unknown keyword gets. */
  forwardsKeywordsTo?: string;
  /** Called on records: execute_kw's first positional arg is the ids. */
  onRecords?: boolean;
  access?: Operation;
  /** Only on these models (business methods). */
  models?: string[];
  versions?: OdooMajorVersion[];
  /** Class named in TypeError texts. */
  owner?: string;
  run(call: Call): unknown;
}

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null || v === false ? [] : [v]);
const asIds = (v: unknown): number[] => asList(v).filter((x): x is number => typeof x === 'number');
// Odoo hands limit and offset to PostgreSQL as query parameters, which takes '2' as 2.
const optNumber = (v: unknown): number | undefined => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);
const optString = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const fieldList = (v: unknown): string[] | undefined => (Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : undefined);

const OPERATIONS: Operation[] = ['read', 'write', 'create', 'unlink'];

/** What web_read needs: the ORM, and the user's read right on each co-model it reads. */
function webReadEnv({ orm, access, uid }: Call): WebReadEnv {
  return { orm, checkRead: (model) => access.check(uid, model, orm.model(model).def.description, 'read') };
}

function nameField(orm: Orm, model: string): string {
  return orm.field(model, 'name') && !orm.field(model, 'name')!.compute ? 'name' : 'display_name';
}

/** Fields Odoo declares copy=False, left to their defaults on a copy (a new order number, a draft). */
const NOT_COPIED: Record<string, string[]> = {
  'sale.order': ['name', 'state', 'date_order', 'order_line', 'locked'],
  'account.move': ['name', 'state'],
};

const METHODS: Record<string, MethodSpec> = {
  search: {
    params: ['domain', 'offset', 'limit', 'order'],
    access: 'read',
    run: ({ orm, model, params, context }) =>
      orm.search(model, params.domain ?? [], { offset: optNumber(params.offset), limit: optNumber(params.limit), order: optString(params.order), context }),
  },
  search_read: {
    // search_read(domain, fields, offset, limit, order, **read_kwargs): `load` travels in read_kwargs.
    params: ['domain', 'fields', 'offset', 'limit', 'order'],
    keywordOnly: ['load'],
    forwardsKeywordsTo: 'BaseModel._read_format',
    access: 'read',
    run: ({ orm, model, params, context }) => {
      const rows = orm.searchRows(model, params.domain ?? [], {
        offset: optNumber(params.offset), limit: optNumber(params.limit), order: optString(params.order), context,
      });
      return orm.readRows(model, rows, fieldList(params.fields));
    },
  },
  search_count: {
    params: ['domain', 'limit'],
    required: 1,
    access: 'read',
    run: ({ orm, model, params, context }) => orm.searchCount(model, params.domain ?? [], context, optNumber(params.limit)),
  },
  read: {
    params: ['fields', 'load'],
    onRecords: true,
    access: 'read',
    // Missing ids are silently dropped, as Odoo's read does.
    run: ({ orm, model, ids, params }) => {
      const records = orm.read(model, ids, fieldList(params.fields));
      if (params.load === undefined || params.load === '_classic_read') return records;
      // Any other load ('_classic_write', None, False) returns bare ids for many2one fields:
      // Odoo names them only when load == '_classic_read'.
      for (const rec of records) for (const [k, v] of Object.entries(rec)) if (orm.field(model, k)?.type === 'many2one' && Array.isArray(v)) rec[k] = v[0];
      return records;
    },
  },
  create: {
    params: ['vals_list'],
    required: 1,
    access: 'create',
    run: ({ orm, model, uid, params, context, named }) => {
      const single = !Array.isArray(params.vals_list);
      if (params.vals_list === undefined) throw typeError("BaseModel.create() missing 1 required positional argument: 'vals_list'");
      const list = (single ? [params.vals_list] : params.vals_list) as Params[];
      for (const vals of list) {
        if (typeof vals !== 'object' || vals === null || Array.isArray(vals)) throw valueError(`Invalid values ${JSON.stringify(vals)} for create`);
      }
      const ids = orm.create(model, list, uid, context);
      return single && !named ? ids[0] : ids;
    },
  },
  write: {
    params: ['vals'],
    required: 1,
    onRecords: true,
    access: 'write',
    run: ({ orm, model, uid, ids, params, context }) => orm.write(model, ids, (params.vals ?? {}) as Params, uid, context),
  },
  unlink: {
    params: [],
    onRecords: true,
    access: 'unlink',
    run: ({ orm, model, uid, ids }) => orm.unlink(model, ids, uid),
  },
  fields_get: {
    params: ['allfields', 'attributes'],
    run: ({ orm, model, params }) => {
      const info = orm.model(model);
      const wanted = fieldList(params.allfields);
      const attrs = fieldList(params.attributes);
      const out: Record<string, unknown> = {};
      // Odoo answers in field definition order, ignoring unknown names.
      for (const f of info.fields.values()) {
        if (wanted && wanted.length && !wanted.includes(f.name)) continue;
        out[f.name] = describeField(f, attrs);
      }
      return out;
    },
  },
  name_search: {
    params: ['name', 'domain', 'operator', 'limit'],
    access: 'read',
    run: ({ orm, model, params, context }) => {
      const name = typeof params.name === 'string' ? params.name : '';
      const operator = optString(params.operator) ?? 'ilike';
      const limit = params.limit === undefined ? 100 : optNumber(params.limit);
      const domain = asList(params.domain ?? params.args);
      const rows = orm.searchRows(model, domain, { context });
      const positive = operator.replace(/^not /, '');
      const test = name || operator !== 'ilike' ? textMatcher(positive, name) : () => true;
      const negate = operator.startsWith('not ') || operator === '!=';
      const out: [number, string][] = [];
      for (const row of rows) {
        const label = orm.displayName(model, row);
        if (test(label) !== negate) out.push([row.id, label]);
        if (limit !== undefined && out.length >= limit) break;
      }
      return out;
    },
  },
  name_create: {
    params: ['name'],
    access: 'create',
    run: ({ orm, model, uid, params, context }) => {
      const [id] = orm.create(model, [{ [nameField(orm, model)]: params.name }], uid, context);
      return [id, orm.displayName(model, orm.row(model, id!)!)];
    },
  },
  default_get: {
    params: ['fields_list'],
    run: ({ orm, model, uid, params, context }) => {
      const names = fieldList(params.fields_list ?? params.fields) ?? [];
      orm.checkFields(model, names);
      const out = orm.defaults(model, uid, names, true);
      for (const [k, v] of Object.entries(context)) if (k.startsWith('default_') && names.includes(k.slice(8))) out[k.slice(8)] = v;
      return out;
    },
  },
  read_group: {
    params: ['domain', 'fields', 'groupby', 'offset', 'limit', 'orderby', 'lazy'],
    access: 'read',
    run: ({ orm, model, params, context }) =>
      readGroup(orm, model, {
        domain: params.domain ?? [],
        fields: fieldList(params.fields) ?? [],
        groupby: (params.groupby ?? []) as string | string[],
        offset: optNumber(params.offset),
        limit: optNumber(params.limit),
        orderby: optString(params.orderby),
        lazy: params.lazy !== false,
        context,
      }),
  },
  formatted_read_group: {
    params: ['domain', 'groupby', 'aggregates', 'having', 'offset', 'limit', 'order'],
    access: 'read',
    versions: [19],
    run: ({ orm, model, params, context }) =>
      formattedReadGroup(orm, model, {
        domain: params.domain ?? [],
        groupby: fieldList(params.groupby) ?? [],
        aggregates: fieldList(params.aggregates) ?? [],
        having: params.having,
        offset: optNumber(params.offset),
        limit: optNumber(params.limit),
        order: optString(params.order),
        context,
      }),
  },
  check_access_rights: {
    params: ['operation', 'raise_exception'],
    run: ({ orm, access, uid, model, params }) => {
      const op = String(params.operation) as Operation;
      if (!['read', 'write', 'create', 'unlink'].includes(op)) throw valueError(`Invalid access mode: ${op}`);
      if (params.raise_exception === false) return access.allowed(uid, model, op);
      access.check(uid, model, orm.model(model).def.description, op);
      return true;
    },
  },
  // A record method in Odoo 18+ (`records.has_access('write')`), like the JSON-2 signature the relay maps.
  has_access: {
    params: ['operation'],
    onRecords: true,
    versions: [18, 19],
    run: ({ access, uid, model, params }) => access.allowed(uid, model, String(params.operation) as Operation),
  },
  // Deprecated in 17.0 (still callable), removed in 18.0.
  name_get: {
    params: [],
    onRecords: true,
    access: 'read',
    versions: [17],
    run: ({ orm, model, ids }) => ids.flatMap((id) => {
      const row = orm.row(model, id);
      return row ? [[id, orm.displayName(model, row)]] : [];
    }),
  },
  // Each record's stored values (one2many, computed and log fields aside, and those Odoo marks
  // copy=False), `default` over them; a contact's name gets " (copy)", as ResPartner.copy_data
  // does. Odoo 17 answers the new id (@api.returns); 18+ return the new records, which
  // execute_kw and JSON-2 both answer as their ids.
  copy: {
    params: ['default'],
    onRecords: true,
    access: 'create',
    run: ({ orm, model, uid, ids, params, context, version }) => {
      const info = orm.model(model);
      const overrides = (params.default ?? {}) as Params;
      if (typeof overrides !== 'object' || Array.isArray(overrides)) throw valueError(`Invalid default ${JSON.stringify(overrides)} for copy`);
      const skip = new Set(['id', 'create_uid', 'create_date', 'write_uid', 'write_date', ...(NOT_COPIED[model] ?? [])]);
      const valsList = orm.existing(model, ids, uid).map((row) => {
        const vals: Params = {};
        for (const f of info.fields.values()) {
          if (skip.has(f.name) || f.compute || f.type === 'one2many' || row[f.name] === undefined) continue;
          vals[f.name] = Array.isArray(row[f.name]) ? [[6, 0, row[f.name]]] : row[f.name];
        }
        if (model === 'res.partner' && typeof row.name === 'string') vals.name = `${row.name} (copy)`;
        return { ...vals, ...overrides };
      });
      const created = orm.create(model, valsList, uid, context);
      return version === 17 ? created[0] ?? false : created;
    },
  },
  exists: {
    params: [],
    onRecords: true,
    access: 'read',
    run: ({ orm, model, ids }) => ids.filter((id) => orm.row(model, id)),
  },
  // What Odoo's JSON-2 clients call to learn about the key's user: the user's language and
  // time zone (Odoo's context_get reads the user's lang and tz fields) and, as its last step
  // ("ensure uid is set"), the uid the call runs as: the key's owner.
  context_get: {
    params: [],
    models: ['res.users'],
    owner: 'ResUsers',
    run: ({ orm, uid }) => {
      const user = orm.read('res.users', [uid], ['lang', 'tz'])[0] ?? {};
      return { lang: user.lang || 'en_US', tz: user.tz || false, uid };
    },
  },
  // Odoo 18+: raises AccessError when the user may not do `operation` on the records, returns None
  // otherwise. The record-rule half reads the records, so a missing one is a MissingError.
  check_access: {
    params: ['operation'],
    required: 1,
    onRecords: true,
    versions: [18, 19],
    run: ({ orm, access, uid, model, ids, params }) => {
      const operation = params.operation as Operation;
      // ir.model.access._get_allowed_models asserts the mode.
      if (!OPERATIONS.includes(operation)) throw new OdooException('builtins.AssertionError', 'Invalid access mode');
      access.check(uid, model, orm.model(model).def.description, operation);
      orm.existing(model, ids, uid);
      return null;
    },
  },
  get_metadata: {
    params: [],
    onRecords: true,
    access: 'read',
    run: ({ orm, model, ids }) => getMetadata(orm, model, ids),
  },
  web_read: {
    params: ['specification'],
    required: 1,
    onRecords: true,
    access: 'read',
    owner: 'Base',
    run: (call) => webRead(webReadEnv(call), call.model, call.ids, call.params.specification),
  },
  web_search_read: {
    params: ['domain', 'specification', 'offset', 'limit', 'order', 'count_limit'],
    required: 2,
    access: 'read',
    owner: 'Base',
    run: (call) => {
      const { params, context } = call;
      return webSearchRead(webReadEnv(call), call.model, {
        domain: params.domain,
        specification: params.specification,
        offset: optNumber(params.offset) ?? 0,
        limit: optNumber(params.limit),
        order: optString(params.order),
        countLimit: optNumber(params.count_limit),
        context,
      });
    },
  },
  // Keyword-only parameters and **kwargs; mail.ts checks them as Odoo does. Up to 18 Odoo
  // answers the message id (@api.returns with `lambda value: value.id`); 18.1 dropped
  // @api.returns (odoo/odoo#182709) and RPC answers records as their ids: [id].
  message_post: {
    params: [],
    onRecords: true,
    extraKeywords: true,
    models: MAIL_THREAD_MODELS,
    owner: 'MailThread',
    run: ({ orm, access, uid, model, ids, params, version }) => {
      const id = messagePost({ orm, access, uid, model, ids, params, known: new Set(messagePostParams(version)) });
      return version >= 19 ? [id] : id;
    },
  },
  action_cancel: {
    params: [],
    onRecords: true,
    access: 'write',
    models: ['sale.order'],
    owner: 'SaleOrder',
    run: ({ orm, ids, uid, context, version }) => cancelSaleOrders(orm, ids, uid, context, version),
  },
  action_draft: {
    params: [],
    onRecords: true,
    access: 'write',
    models: ['sale.order'],
    owner: 'SaleOrder',
    run: ({ orm, ids, uid, context }) => draftSaleOrders(orm, ids, uid, context),
  },
  action_confirm: {
    params: [],
    onRecords: true,
    access: 'write',
    models: ['sale.order'],
    owner: 'SaleOrder',
    run: ({ orm, ids, uid }) => confirmSaleOrders(orm, ids, uid),
  },
  action_post: {
    params: [],
    onRecords: true,
    access: 'write',
    models: ['account.move'],
    owner: 'AccountMove',
    run: ({ orm, ids, uid }) => postMoves(orm, ids, uid),
  },
};

/**
 * Parameters Odoo renamed, by the name each version takes → the name the engine uses ('' for a
 * name the version refuses as an unexpected keyword, as Python does). Odoo 19 renamed
 * default_get's `fields_list` to `fields`. name_search's `args` became `domain` around 17/18;
 * both spellings are taken there, since the version that changed it is not pinned down here.
 */
function paramNames(method: string, version: OdooMajorVersion): Record<string, string> | undefined {
  if (method === 'name_search') return { args: 'domain' };
  if (method === 'default_get') return version >= 19 ? { fields: 'fields_list', fields_list: '' } : { fields: '' };
  return undefined;
}

export class Dispatcher {
  constructor(
    private readonly orm: Orm,
    private readonly access: AccessControl,
    private readonly version: OdooMajorVersion,
  ) {}

  private lookup(model: string, method: string): MethodSpec {
    if (method.startsWith('_')) throw privateMethod(model, method);
    const spec = Object.prototype.hasOwnProperty.call(METHODS, method) ? METHODS[method] : undefined;
    if (!spec || (spec.models && !spec.models.includes(model)) || (spec.versions && !spec.versions.includes(this.version))) {
      throw unknownMethod(model, method);
    }
    return spec;
  }

  private checkUser(uid: number): void {
    const user = this.orm.row('res.users', uid);
    if (!user || user.active === false || !this.access.get(uid)) throw accessDenied();
  }

  /** execute_kw: positional args bound to the Python signature, then kwargs. */
  execute(uid: number, model: string, method: string, args: unknown[], kwargs: Params): unknown {
    this.checkUser(uid);
    if (!this.orm.models.has(model)) throw unknownModel(model);
    const spec = this.lookup(model, method);
    const positional = Array.isArray(args) ? [...args] : [];
    const ids = spec.onRecords ? asIds(positional.shift()) : [];
    const owner = spec.owner ?? 'BaseModel';
    if (positional.length > spec.params.length) {
      // Python counts self, and says "from N to M" when some parameters have defaults.
      const most = spec.params.length + 1;
      const least = (spec.required ?? 0) + 1;
      const takes = least === most ? `${most} positional argument${most === 1 ? '' : 's'}` : `from ${least} to ${most} positional arguments`;
      throw typeError(`${owner}.${method}() takes ${takes} but ${positional.length + 1} were given`);
    }
    const params: Params = {};
    positional.forEach((v, i) => (params[spec.params[i]!] = v));
    const { context, ...rest } = kwargs ?? {};
    const renamed = paramNames(method, this.version);
    for (const [k, v] of Object.entries(rest)) {
      const name = renamed?.[k] ?? k;
      if (!name || !(spec.params.includes(name) || spec.keywordOnly?.includes(name) || spec.extraKeywords)) throw this.unexpected(owner, method, k);
      if (name in params) throw typeError(`${owner}.${method}() got multiple values for argument '${k}'`);
      params[name] = v;
    }
    return this.run(spec, method, uid, model, ids, params, (context ?? {}) as Record<string, unknown>, false);
  }

  /** JSON-2: `ids` and `context` plus the method's own named parameters; no positional args. */
  executeNamed(uid: number, model: string, method: string, body: Params): unknown {
    this.checkUser(uid);
    if (!this.orm.models.has(model)) throw json2UnknownModel(model);
    const spec = this.lookup(model, method);
    const { ids, context, ...rest } = body ?? {};
    const owner = spec.owner ?? 'BaseModel';
    // json2.py refuses ids for an @api.model method (every method here not called on records)...
    if (!spec.onRecords && pythonTruthy(ids)) throw unprocessable(`cannot call ${model}.${method} with ids`);
    const params: Params = {};
    const unknown: string[] = [];
    const renamed = paramNames(method, this.version);
    for (const [k, v] of Object.entries(rest)) {
      const name = renamed?.[k] ?? k;
      if (!name || !(spec.params.includes(name) || spec.keywordOnly?.includes(name) || spec.extraKeywords)) unknown.push(k);
      else params[name] = v;
    }
    // ...and binds the body to the signature before calling (inspect.Signature.bind: a missing
    // argument first, then the first unknown keyword), so the caller's mistake is a 422 there,
    // unless **kwargs takes it on to a function that raises its own TypeError.
    const missing = spec.params.slice(0, spec.required ?? 0).find((name) => !(name in params));
    if (missing) throw unprocessable(`missing a required argument: '${missing}'`);
    if (unknown.length) throw spec.forwardsKeywordsTo ? this.unexpected(owner, method, unknown[0]!) : unprocessable(`got an unexpected keyword argument '${unknown[0]}'`);
    return this.run(spec, method, uid, model, asIds(ids), params, (context ?? {}) as Record<string, unknown>, true);
  }

  private unexpected(owner: string, method: string, key: string): OdooException {
    // search_read forwards unknown keywords to _read_format, which is where Python complains.
    const where = METHODS[method]?.forwardsKeywordsTo ?? `${owner}.${method}`;
    return typeError(`${where}() got an unexpected keyword argument '${key}'`);
  }

  private run(spec: MethodSpec, method: string, uid: number, model: string, ids: number[], params: Params, context: Record<string, unknown>, named: boolean): unknown {
    const missing = spec.params.slice(0, spec.required ?? 0).filter((name) => !(name in params));
    if (missing.length) {
      // Python's own list: 'a', or 'a' and 'b', or 'a', 'b', and 'c'.
      const quoted = missing.map((n) => `'${n}'`);
      const names = quoted.length < 3 ? quoted.join(' and ') : `${quoted.slice(0, -1).join(', ')}, and ${quoted.at(-1)}`;
      throw typeError(`${spec.owner ?? 'BaseModel'}.${method}() missing ${missing.length} required positional argument${missing.length > 1 ? 's' : ''}: ${names}`);
    }
    if (spec.access) this.access.check(uid, model, this.orm.model(model).def.description, spec.access);
    return this.orm.transaction(() => spec.run({ orm: this.orm, access: this.access, uid, model, ids, params, context, named, version: this.version }));
  }
}
