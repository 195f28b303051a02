/**
 * execute_kw positional arguments → JSON-2 named parameters. JSON-2 binds the request body to
 * the Python signature by name only (a positional `args` key is a TypeError, see fixture
 * json2-positional-args), so each common ORM method needs its parameter names. Names checked
 * against Odoo 19.0 `odoo/orm/models.py` and the `/json/2/<model>/<method>` controller.
 */
import { OdooError } from './errors.js';
import { hasQuotedIds, isIdsLike, quotedIds } from './record-ids.js';

/** How one method is called: on records (first positional arg = ids) or on the model, then its named params in order. */
export interface Json2MethodSignature {
  onRecords: boolean;
  params: readonly string[];
}

/** Positional parameter names of the ORM methods automation tools call, as in Odoo 19.0. */
export const JSON2_SIGNATURES: Readonly<Record<string, Json2MethodSignature>> = {
  search_read: { onRecords: false, params: ['domain', 'fields', 'offset', 'limit', 'order'] },
  search: { onRecords: false, params: ['domain', 'offset', 'limit', 'order'] },
  search_count: { onRecords: false, params: ['domain', 'limit'] },
  read: { onRecords: true, params: ['fields', 'load'] },
  write: { onRecords: true, params: ['vals'] },
  unlink: { onRecords: true, params: [] },
  create: { onRecords: false, params: ['vals_list'] },
  copy: { onRecords: true, params: ['default'] },
  exists: { onRecords: true, params: [] },
  fields_get: { onRecords: false, params: ['allfields', 'attributes'] },
  name_search: { onRecords: false, params: ['name', 'domain', 'operator', 'limit'] },
  name_create: { onRecords: false, params: ['name'] },
  // 19.0 renamed `fields_list` to `fields`.
  default_get: { onRecords: false, params: ['fields'] },
  // Legacy signature, deprecated in 19 in favour of formatted_read_group.
  read_group: { onRecords: false, params: ['domain', 'fields', 'groupby', 'offset', 'limit', 'orderby', 'lazy'] },
  formatted_read_group: {
    onRecords: false,
    params: ['domain', 'groupby', 'aggregates', 'having', 'offset', 'limit', 'order'],
  },
  check_access_rights: { onRecords: false, params: ['operation', 'raise_exception'] },
  check_access: { onRecords: true, params: ['operation'] },
  has_access: { onRecords: true, params: ['operation'] },
  get_metadata: { onRecords: true, params: [] },
  web_search_read: {
    onRecords: false,
    params: ['domain', 'specification', 'offset', 'limit', 'order', 'count_limit'],
  },
  web_read: { onRecords: true, params: ['specification'] },
  web_save: { onRecords: true, params: ['vals', 'specification'] },
};

/**
 * Whether `method`'s first positional argument is record ids: a known method on records, or a
 * business method (`action_confirm`, `button_validate`…) whose ids are its only argument.
 */
export function takesIdsFirst(method: string, args: readonly unknown[]): boolean {
  if (Object.hasOwn(JSON2_SIGNATURES, method)) return JSON2_SIGNATURES[method]!.onRecords;
  return args.length === 1 && (method.startsWith('action_') || method.startsWith('button_'));
}

/** The JSON-2 body for one call, and whether the single-id result must be unwrapped. */
export interface Json2Call {
  params: Record<string, unknown>;
  /** `create` got one dict: JSON-2 answers `[id]`, the caller expects `id` (as execute_kw gives). */
  unwrapSingleCreate: boolean;
}

/** Maps execute_kw `(method, args, kwargs)` to a JSON-2 body; throws `odoo_unmappable_args` rather than guess. */
export function toJson2Call(method: string, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): Json2Call {
  // Own properties only: a method named like an Object.prototype member (toString, constructor)
  // must not find the prototype's function and be taken for a known signature.
  const signature = Object.hasOwn(JSON2_SIGNATURES, method) ? JSON2_SIGNATURES[method]! : genericSignature(method, args);
  const params: Record<string, unknown> = {};
  let rest = args;

  if (signature.onRecords && rest.length > 0) {
    params.ids = toIds(method, rest[0]);
    rest = rest.slice(1);
  }
  if (rest.length > signature.params.length) {
    throw unmappable(
      `${method} takes at most ${signature.params.length + (signature.onRecords ? 1 : 0)} positional arguments` +
        ` (${describe(signature)}), got ${args.length}`,
    );
  }
  // Plain loops: this runs on every call, and Object.entries and forEach allocate per call.
  for (let i = 0; i < rest.length; i++) params[signature.params[i]!] = rest[i];

  for (const key in kwargs) {
    if (!Object.hasOwn(kwargs, key)) continue;
    if (Object.hasOwn(params, key)) {
      throw unmappable(`${method}: '${key}' given both positionally and as a keyword argument`);
    }
    params[key] = kwargs[key];
  }

  let unwrapSingleCreate = false;
  if (method === 'create' && isPlainObject(params.vals_list)) {
    params.vals_list = [params.vals_list];
    unwrapSingleCreate = true;
  }
  return { params, unwrapSingleCreate };
}

/**
 * Methods we have no signature for: kwargs-only calls pass through; `[ids]` alone is the usual
 * shape of business methods (`action_confirm`, `button_validate`…); anything else would be a guess.
 */
function genericSignature(method: string, args: readonly unknown[]): Json2MethodSignature {
  if (args.length === 0) return { onRecords: false, params: [] };
  if (args.length === 1 && isIdsLike(args[0])) return { onRecords: true, params: [] };
  if (args.length === 1 && hasQuotedIds(args[0])) throw quotedIds(method, args[0] as unknown[]);
  // The advice must work over JSON-RPC too (Odoo up to 18, or a password instead of an API
  // key): there `kwargs.ids` is an unexpected keyword, while `args: [[ids]]` works on both.
  throw unmappable(
    `JSON-2 needs named parameters and '${method}' is not a method whose positional arguments are known; ` +
      'pass the record ids as the only positional argument (args: [[ids]]) and everything else in kwargs by name',
  );
}

function toIds(method: string, value: unknown): number[] {
  if (typeof value === 'number' && Number.isInteger(value)) return [value];
  if (isIdsLike(value)) return value as number[];
  if (hasQuotedIds(value)) throw quotedIds(method, value as unknown[]);
  throw unmappable(`${method} is called on records: the first positional argument must be a list of ids`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(signature: Json2MethodSignature): string {
  return [...(signature.onRecords ? ['ids'] : []), ...signature.params].join(', ') || 'none';
}

function unmappable(message: string): OdooError {
  return new OdooError('odoo_unmappable_args', message);
}

/** Applies the create unwrap: `[id]` → `id` when the caller created one record. */
export function shapeJson2Result(call: Json2Call, result: unknown): unknown {
  if (call.unwrapSingleCreate && Array.isArray(result) && result.length === 1) return result[0];
  return result;
}
