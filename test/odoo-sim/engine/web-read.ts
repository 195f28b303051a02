/**
 * web_read and web_search_read, the web client's reads driven by a field specification
 * (addons/web/models/models.py). Fields read as `read(load=None)` gives them; then a many2one
 * given `{fields: {...}}` becomes a dict of its target's fields (`display_name` read as
 * superuser, as Odoo does), and an x2many given `{fields: {...}}` a list of such dicts, with
 * optional `order` and `limit` (ids past the limit stay `{id}`). `context` sub-keys are ignored.
 */
import { typeError, attributeError } from './errors.js';
import type { Orm } from './orm.js';
import { pythonTruthy, pythonTypeName } from './python-literal.js';

type Values = Record<string, unknown>;
type Spec = Record<string, unknown>;

export interface WebReadEnv {
  orm: Orm;
  /** Odoo's read checks the user's read access on each co-model it reads fields of. */
  checkRead(model: string): void;
}

const isDict = (v: unknown): v is Spec => typeof v === 'object' && v !== null && !Array.isArray(v);

export function webRead(env: WebReadEnv, model: string, ids: number[], specification: unknown): Values[] {
  // `specification.items()` is where a list or a string fails.
  if (!isDict(specification)) throw attributeError(`'${pythonTypeName(specification)}' object has no attribute 'items'`);
  const names = Object.keys(specification);
  // Only ids asked for: Odoo answers them without reading, missing records included.
  const values = names.length === 0 || (names.length === 1 && names[0] === 'id') ? ids.map((id) => ({ id })) : readBare(env.orm, model, ids, names);
  if (values.length === 0) return values;
  for (const [name, fieldSpec] of Object.entries(specification)) {
    const field = env.orm.field(model, name);
    if (field?.type === 'many2one') expandMany2one(env, field.relation!, values, name, fieldSpec);
    else if (field?.type === 'one2many' || field?.type === 'many2many') expandX2many(env, field.relation!, values, name, fieldSpec);
  }
  return values;
}

export interface WebSearchReadParams {
  domain: unknown;
  specification: unknown;
  offset: number;
  limit?: number;
  order?: string;
  countLimit?: number;
  context: Record<string, unknown>;
}

/** `{length, records}`: length counts past the page only when the page is full, up to count_limit. */
export function webSearchRead(env: WebReadEnv, model: string, p: WebSearchReadParams): { length: number; records: Values[] } {
  if (!isDict(p.specification)) throw attributeError(`'${pythonTypeName(p.specification)}' object has no attribute 'keys'`);
  // search_fetch checks the field names before it searches.
  env.orm.checkFields(model, Object.keys(p.specification).filter((name) => name !== 'id'));
  const rows = env.orm.searchRows(model, p.domain, { offset: p.offset, limit: p.limit, order: p.order, context: p.context });
  const records = webRead(env, model, rows.map((row) => row.id), p.specification);
  if (records.length === 0) return { length: 0, records: [] };
  const currentLength = records.length + p.offset;
  const limitReached = records.length === p.limit;
  const countLimitReached = Boolean(p.countLimit) && p.countLimit! <= currentLength;
  const length = p.limit && ((limitReached && !countLimitReached) || p.context.force_search_count)
    ? env.orm.searchCount(model, p.domain, p.context, p.countLimit || undefined)
    : currentLength;
  return { length, records };
}

/** `read(fields, load=None)`: many2one values as bare ids. */
function readBare(orm: Orm, model: string, ids: number[], names: string[]): Values[] {
  const records = orm.read(model, ids, names);
  for (const record of records) {
    for (const name of names) if (orm.field(model, name)?.type === 'many2one' && Array.isArray(record[name])) record[name] = (record[name] as unknown[])[0];
  }
  return records;
}

function expandMany2one(env: WebReadEnv, relation: string, values: Values[], name: string, fieldSpec: unknown): void {
  if (!specHas(fieldSpec, 'fields')) return;
  const subSpec = asFieldsSpec(specGet(fieldSpec, 'fields'));
  const targets = [...new Set(values.map((v) => v[name]).filter((id): id is number => typeof id === 'number'))];
  const extra = { ...subSpec };
  delete extra.display_name;
  if (Object.keys(extra).some((n) => n !== 'id')) env.checkRead(relation);
  const byId = new Map(webRead(env, relation, targets, extra).map((v) => [v.id as number, v]));
  if ('display_name' in subSpec) {
    for (const id of targets) {
      const row = env.orm.row(relation, id);
      const target = byId.get(id);
      if (row && target) target.display_name = env.orm.displayName(relation, row);
    }
  }
  for (const v of values) {
    if (v[name] === false) continue;
    v[name] = byId.get(v[name] as number) ?? { id: v[name] };
  }
}

function expandX2many(env: WebReadEnv, relation: string, values: Values[], name: string, fieldSpec: unknown): void {
  if (!pythonTruthy(fieldSpec)) return;
  if (specHas(fieldSpec, 'order') && pythonTruthy(specGet(fieldSpec, 'order'))) {
    const all = [...new Set(values.flatMap((v) => v[name] as number[]))];
    // Odoo 19 orders archived co-records too (active_test=False).
    const ordered = env.orm.search(relation, [['id', 'in', all]], { order: String(specGet(fieldSpec, 'order')), context: { active_test: false } });
    const rank = new Map(ordered.map((id, i) => [id, i]));
    for (const v of values) v[name] = (v[name] as number[]).filter((id) => rank.has(id)).sort((a, b) => rank.get(a)! - rank.get(b)!);
  }
  if (!specHas(fieldSpec, 'fields')) return;
  const limit = specHas(fieldSpec, 'limit') ? specGet(fieldSpec, 'limit') : undefined;
  const toRead = [...new Set(values.flatMap((v) => {
    const ids = v[name] as number[];
    return typeof limit === 'number' ? ids.slice(0, Math.max(0, limit)) : ids;
  }))];
  const subSpec = asFieldsSpec(specGet(fieldSpec, 'fields'));
  if (Object.keys(subSpec).some((n) => n !== 'id')) env.checkRead(relation);
  const byId = new Map(webRead(env, relation, toRead, subSpec).map((v) => [v.id as number, v]));
  for (const v of values) v[name] = (v[name] as number[]).map((id) => byId.get(id) ?? { id });
}

/** `key in field_spec`, as Python evaluates it on whatever JSON came: a dict's keys, a list's items, a substring. */
function specHas(fieldSpec: unknown, key: string): boolean {
  if (isDict(fieldSpec)) return Object.hasOwn(fieldSpec, key);
  if (Array.isArray(fieldSpec)) return fieldSpec.includes(key);
  if (typeof fieldSpec === 'string') return fieldSpec.includes(key);
  throw typeError(`argument of type '${pythonTypeName(fieldSpec)}' is not iterable`);
}

/** `field_spec[key]` once specHas said yes: only a dict is indexed by name. */
function specGet(fieldSpec: unknown, key: string): unknown {
  if (isDict(fieldSpec)) return fieldSpec[key];
  if (Array.isArray(fieldSpec)) throw typeError('list indices must be integers or slices, not str');
  throw typeError(`string indices must be integers, not 'str'`);
}

/** The `fields` of a relational spec, a dict in Odoo (`dict(field_spec['fields'])`). */
function asFieldsSpec(value: unknown): Spec {
  if (isDict(value)) return value;
  // dict() of a non-iterable; lists and strings would fail on their items, with texts not simulated.
  throw typeError(`'${pythonTypeName(value)}' object is not iterable`);
}
