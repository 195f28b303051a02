/** Field declaration helpers and the field-level conversions (read format, write checks, fields_get). */
import { valueError } from './errors.js';
import { pythonRepr } from './python-literal.js';
import type { ComputeEnv, FieldDef, FieldType } from './model.js';

type Opts = Partial<Omit<FieldDef, 'name' | 'type' | 'string'>>;

const make = (type: FieldType) => (name: string, string: string, opts: Opts = {}): FieldDef => ({ name, type, string, ...opts });

export const char = make('char');
export const text = make('text');
export const html = make('html');
export const integer = make('integer');
export const float = make('float');
export const monetary = make('monetary');
export const boolean = make('boolean');
export const date = make('date');
export const datetime = make('datetime');
export const binary = make('binary');

export function selection(name: string, string: string, values: [string, string][], opts: Opts = {}): FieldDef {
  return { name, type: 'selection', string, selection: values, ...opts };
}
export function many2one(name: string, string: string, relation: string, opts: Opts = {}): FieldDef {
  return { name, type: 'many2one', string, relation, ...opts };
}
export function one2many(name: string, string: string, relation: string, inverse: string, opts: Opts = {}): FieldDef {
  return { name, type: 'one2many', string, relation, inverse, ...opts };
}
export function many2many(name: string, string: string, relation: string, opts: Opts = {}): FieldDef {
  return { name, type: 'many2many', string, relation, ...opts };
}

/** The fields every Odoo model has (magic fields). */
export function magicFields(): FieldDef[] {
  return [
    integer('id', 'ID', { readonly: true }),
    char('display_name', 'Display Name', { readonly: true, compute: () => undefined }),
    many2one('create_uid', 'Created by', 'res.users', { readonly: true }),
    datetime('create_date', 'Created on', { readonly: true }),
    many2one('write_uid', 'Last Updated by', 'res.users', { readonly: true }),
    datetime('write_date', 'Last Updated on', { readonly: true }),
  ];
}

export const isX2many = (f: FieldDef) => f.type === 'one2many' || f.type === 'many2many';
export const isNumeric = (f: FieldDef) => f.type === 'integer' || f.type === 'float' || f.type === 'monetary';

/** The value a field holds when nothing was ever written to it. */
export function emptyValue(f: FieldDef): unknown {
  if (isX2many(f)) return [];
  if (isNumeric(f)) return 0;
  return false;
}

/** Converts a raw stored value to what `read` returns. */
export function toReadFormat(f: FieldDef, raw: unknown, env: ComputeEnv): unknown {
  if (raw === undefined || raw === null) return emptyValue(f);
  switch (f.type) {
    case 'many2one': {
      if (typeof raw !== 'number') return false;
      const target = env.row(f.relation!, raw);
      return target ? [raw, env.displayName(f.relation!, target)] : false;
    }
    case 'one2many':
    case 'many2many':
      return (raw as number[]).slice();
    case 'datetime':
      // Stored with microseconds (webhooks show them); RPC reads show seconds only.
      return typeof raw === 'string' ? raw.slice(0, 19) : false;
    default:
      return raw;
  }
}

/** Validates and normalises a scalar value from create/write vals. */
export function convertScalar(f: FieldDef, value: unknown, model: string): unknown {
  if (value === null || value === undefined) return isNumeric(f) ? 0 : false;
  switch (f.type) {
    case 'boolean':
      return Boolean(value);
    case 'integer':
      if (value === false) return 0;
      if (typeof value !== 'number') throw valueError(`invalid literal for int() with base 10: ${pythonRepr(value)}`);
      return Math.trunc(value);
    case 'float':
    case 'monetary':
      if (value === false) return 0;
      if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
      if (typeof value !== 'number') throw valueError(`could not convert string to float: ${pythonRepr(value)}`);
      return value;
    case 'many2one':
      if (value === false || value === 0) return false;
      if (Array.isArray(value) && typeof value[0] === 'number') return value[0];
      if (typeof value !== 'number') throw valueError(`Wrong value for ${model}.${f.name}: ${JSON.stringify(value)}`);
      return value;
    case 'selection':
      if (value === false) return false;
      if (!f.selection!.some(([k]) => k === value)) {
        throw valueError(`Wrong value for ${model}.${f.name}: ${typeof value === 'string' ? `'${value}'` : String(value)}`);
      }
      return value;
    case 'date':
      if (value === false) return false;
      return String(value).slice(0, 10);
    case 'datetime': {
      if (value === false) return false;
      const s = String(value).replace('T', ' ').replace(/Z$/, '');
      return /^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s} 00:00:00` : s;
    }
    default:
      if (value === false) return false;
      // Python would store str(value): a dict or list arrives as its repr.
      return typeof value === 'string' ? value : typeof value === 'object' ? pythonRepr(value) : String(value);
  }
}

const FIELDS_GET_DEFAULT_ATTRIBUTES = [
  'change_default', 'groupable', 'help', 'name', 'readonly', 'relation', 'required', 'searchable',
  'selection', 'sortable', 'store', 'string', 'type',
];

/** One field's fields_get description, restricted to `attributes` when given (keys sorted like Odoo's JSON). */
export function describeField(f: FieldDef, attributes?: string[]): Record<string, unknown> {
  const stored = !f.compute && f.type !== 'one2many';
  const all: Record<string, unknown> = {
    change_default: false,
    groupable: stored && f.type !== 'many2many' && f.type !== 'text' && f.type !== 'html' && f.type !== 'binary',
    help: f.help,
    name: f.name,
    readonly: Boolean(f.readonly || f.compute),
    relation: f.relation,
    required: Boolean(f.required),
    searchable: true,
    selection: f.selection?.map(([k, v]) => [k, v]),
    sortable: stored && !isX2many(f),
    store: stored,
    string: f.string,
    type: f.type,
  };
  const wanted = attributes && attributes.length ? [...attributes].sort() : FIELDS_GET_DEFAULT_ATTRIBUTES;
  const out: Record<string, unknown> = {};
  for (const key of wanted) if (all[key] !== undefined) out[key] = all[key];
  return out;
}
