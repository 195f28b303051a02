/**
 * The in-memory ORM: model registry, CRUD, search and read with Odoo's conventions. It knows
 * nothing about users' rights (access.ts) or RPC argument shapes (dispatch.ts).
 */
import { compileNode, mentionsField, parseDomain, type DomainHost, type DomainNode } from './domain.js';
import { foreignKeyViolation, missingError, validationError, valueError } from './errors.js';
import { convertScalar, emptyValue, isX2many, toReadFormat } from './fields.js';
import type { ComputeEnv, DefaultContext, FieldDef, ModelDef, Row } from './model.js';
import { parseOrder, sortRows, type OrderTerm } from './order.js';
import { Table } from './store.js';
import { applyX2many } from './x2many.js';

export interface ModelInfo {
  def: ModelDef;
  fields: Map<string, FieldDef>;
  table: Table;
  hasActive: boolean;
  defaultOrder: OrderTerm[];
}

export interface SearchOptions {
  offset?: number;
  limit?: number;
  order?: string;
  context?: Record<string, unknown>;
}

/** Hooks the automation engine uses to see changes (Odoo's base.automation patches the same spots). */
export interface OrmObserver {
  beforeWrite?(model: string, ids: number[], vals: Record<string, unknown>): unknown;
  afterCreate?(model: string, ids: number[]): void;
  afterWrite?(model: string, ids: number[], vals: Record<string, unknown>, token: unknown): void;
  beforeUnlink?(model: string, ids: number[]): void;
}

type Vals = Record<string, unknown>;

export class Orm implements DomainHost, ComputeEnv {
  readonly models = new Map<string, ModelInfo>();
  private readonly sequences = new Map<string, number>();
  observer: OrmObserver = {};

  constructor(defs: ModelDef[], private readonly clock: () => Date = () => new Date()) {
    const indexed = new Map<string, Set<string>>();
    for (const def of defs) {
      for (const f of def.fields) {
        if (f.type === 'one2many') {
          const set = indexed.get(f.relation!) ?? new Set<string>();
          set.add(f.inverse!);
          indexed.set(f.relation!, set);
        }
      }
    }
    for (const def of defs) {
      const fields = new Map(def.fields.map((f) => [f.name, f]));
      const info: ModelInfo = {
        def,
        fields,
        table: new Table(indexed.get(def.name) ?? []),
        hasActive: fields.has('active'),
        defaultOrder: [],
      };
      this.models.set(def.name, info);
      info.defaultOrder = parseOrder(def.order, def.name, (n) => fields.has(n));
    }
  }

  // ---- read-side view (DomainHost / ComputeEnv) ----

  model(name: string): ModelInfo {
    const info = this.models.get(name);
    if (!info) throw new Error(`unknown model ${name}`);
    return info;
  }

  field(model: string, name: string): FieldDef | undefined {
    return this.models.get(model)?.fields.get(name);
  }

  row(model: string, id: number): Row | undefined {
    return this.models.get(model)?.table.rows.get(id);
  }

  rows(model: string): Iterable<Row> {
    return this.model(model).table.rows.values();
  }

  parentField(model: string): string | undefined {
    return this.models.get(model)?.def.parentField;
  }

  value(model: string, row: Row, name: string): unknown {
    if (name === 'id') return row.id;
    const f = this.models.get(model)?.fields.get(name);
    if (!f) return undefined;
    if (name === 'display_name') return this.displayName(model, row);
    if (f.compute) return f.compute(row, this) ?? emptyValue(f);
    if (f.type === 'one2many') return this.referencing(f.relation!, f.inverse!, row.id);
    const v = row[name];
    return v === undefined ? emptyValue(f) : v;
  }

  /** A field accessor resolved once, for hot loops (domain predicates, sorting). */
  getter(model: string, name: string): (row: Row) => unknown {
    if (name === 'id') return (r) => r.id;
    const f = this.models.get(model)?.fields.get(name);
    if (!f) return () => undefined;
    if (name === 'display_name') return (r) => this.displayName(model, r);
    const empty = emptyValue(f);
    if (f.compute) {
      const compute = f.compute;
      return (r) => compute(r, this) ?? empty;
    }
    if (f.type === 'one2many') return (r) => this.referencing(f.relation!, f.inverse!, r.id);
    // Readers never mutate values, so one shared empty value is safe here.
    return (r) => {
      const v = r[name];
      return v === undefined ? empty : v;
    };
  }

  displayName(model: string, row: Row): string {
    const def = this.model(model).def;
    if (def.displayName) return def.displayName(row, this);
    // Computed names (res.users takes its partner's) go through value(), not the raw row.
    const name = this.models.get(model)!.fields.has('name') ? this.value(model, row, 'name') : undefined;
    return typeof name === 'string' ? name : `${model},${row.id}`;
  }

  referencing(model: string, field: string, target: number): number[] {
    const table = this.model(model).table;
    const fromIndex = table.lookup(field, target);
    if (fromIndex) return fromIndex;
    const ids: number[] = [];
    for (const row of table.rows.values()) if (row[field] === target) ids.push(row.id);
    return ids;
  }

  // ---- time and sequences ----

  /** "YYYY-MM-DD HH:MM:SS.ffffff" UTC; reads cut it to seconds, webhooks keep the microseconds. */
  now(): string {
    const d = this.clock();
    const micro = String(d.getUTCMilliseconds() * 1000 + Math.floor((performance.now() % 1) * 1000)).padStart(6, '0');
    return `${d.toISOString().slice(0, 19).replace('T', ' ')}.${micro}`;
  }

  nextSequence(key: string): number {
    const n = (this.sequences.get(key) ?? 0) + 1;
    this.sequences.set(key, n);
    return n;
  }

  setSequence(key: string, value: number): void {
    this.sequences.set(key, value);
  }

  // ---- transactions ----

  private undoLog: (() => void)[] | undefined;

  /**
   * Runs `fn` all-or-nothing, like one RPC call in Odoo's request transaction: if it throws,
   * every table change made meanwhile is undone. Nested calls join the outer transaction.
   */
  transaction<T>(fn: () => T): T {
    if (this.undoLog) return fn();
    const log: (() => void)[] = [];
    this.undoLog = log;
    const record = (undo: () => void) => log.push(undo);
    for (const info of this.models.values()) info.table.journal = record;
    try {
      return fn();
    } catch (err) {
      for (const info of this.models.values()) info.table.journal = undefined;
      for (let i = log.length - 1; i >= 0; i--) log[i]!();
      throw err;
    } finally {
      for (const info of this.models.values()) info.table.journal = undefined;
      this.undoLog = undefined;
    }
  }

  // ---- search ----

  compile(model: string, domain: unknown, context: Record<string, unknown> = {}): (row: Row) => boolean {
    let node: DomainNode = parseDomain(domain);
    const info = this.model(model);
    // Odoo adds ('active', '=', True) unless told not to or the domain already talks about `active`.
    if (info.hasActive && context.active_test !== false && !mentionsField(node, 'active')) {
      node = node.kind === 'true' ? ACTIVE_LEAF : { kind: 'and', children: [ACTIVE_LEAF, node] };
    }
    return compileNode(node, model, this);
  }

  searchRows(model: string, domain: unknown, opts: SearchOptions = {}): Row[] {
    const info = this.model(model);
    const predicate = this.compile(model, domain, opts.context);
    const matched: Row[] = [];
    for (const row of info.table.rows.values()) if (predicate(row)) matched.push(row);
    const terms = opts.order ? parseOrder(opts.order, model, (n) => info.fields.has(n)) : info.defaultOrder;
    const keyOf = new Map(terms.map((t) => [t.field, this.sortKeyOf(model, t.field)]));
    const offset = Number(opts.offset) || 0;
    // Odoo treats limit 0 (like None) as "no limit".
    const limit = typeof opts.limit === 'number' && opts.limit > 0 ? opts.limit : undefined;
    return sortRows(matched, terms, (row, term) => keyOf.get(term.field)!(row), offset, limit);
  }

  search(model: string, domain: unknown, opts: SearchOptions = {}): number[] {
    return this.searchRows(model, domain, opts).map((r) => r.id);
  }

  searchCount(model: string, domain: unknown, context: Record<string, unknown> = {}, limit?: number): number {
    const predicate = this.compile(model, domain, context);
    let n = 0;
    for (const row of this.model(model).table.rows.values()) {
      if (predicate(row)) n++;
      if (limit !== undefined && n >= limit) break;
    }
    return n;
  }

  /** How rows compare on one order field: many2one by the target's name, booleans as 0/1, unset as NULL. */
  private sortKeyOf(model: string, name: string): (row: Row) => number | string | null {
    if (name === 'id') return (r) => r.id;
    const f = this.model(model).fields.get(name)!;
    const get = this.getter(model, name);
    if (f.type === 'many2one') {
      const rel = f.relation!;
      return (row) => {
        const v = get(row);
        const target = typeof v === 'number' ? this.row(rel, v) : undefined;
        return target ? this.displayName(rel, target) : null;
      };
    }
    if (f.type === 'boolean') return (row) => (get(row) ? 1 : 0);
    return (row) => {
      const v = get(row);
      return v === false || v === null || v === undefined || Array.isArray(v) ? null : (v as number | string);
    };
  }

  // ---- read ----

  checkFields(model: string, names: string[]): void {
    const info = this.model(model);
    for (const n of names) if (!info.fields.has(n)) throw valueError(`Invalid field '${n}' on model '${model}'`);
  }

  /** Read format of existing rows; callers decide what to do with missing ids. */
  readRows(model: string, rows: Row[], fields?: string[]): Record<string, unknown>[] {
    const info = this.model(model);
    const names = fields && fields.length ? fields.filter((f) => f !== 'id') : [...info.fields.keys()].filter((f) => f !== 'id');
    this.checkFields(model, names);
    const defs = names.map((n) => info.fields.get(n)!);
    return rows.map((row) => {
      const out: Record<string, unknown> = { id: row.id };
      for (const f of defs) out[f.name] = toReadFormat(f, this.value(model, row, f.name), this);
      return out;
    });
  }

  read(model: string, ids: number[], fields?: string[]): Record<string, unknown>[] {
    const table = this.model(model).table;
    const rows: Row[] = [];
    for (const id of ids) {
      const row = table.rows.get(id);
      if (row) rows.push(row);
    }
    return this.readRows(model, rows, fields);
  }

  existing(model: string, ids: number[], uid: number): Row[] {
    const table = this.model(model).table;
    const missing = ids.filter((id) => !table.rows.has(id));
    if (missing.length) throw missingError(model, missing, uid);
    return ids.map((id) => table.rows.get(id)!);
  }

  // ---- create ----

  /**
   * Default values of `names`. `forDefaultGet` avoids consuming sequences, so default_get
   * shows "New" for a sale order's name like Odoo does.
   */
  defaults(model: string, uid: number, names: Iterable<string>, forDefaultGet = false): Vals {
    const info = this.model(model);
    const ctx: DefaultContext = { uid, now: this.now(), model, nextSequence: (k) => this.nextSequence(k) };
    const out: Vals = {};
    for (const name of names) {
      const f = info.fields.get(name);
      if (!f?.default) continue;
      out[name] = forDefaultGet && model === 'sale.order' && name === 'name' ? 'New' : f.default(ctx);
    }
    return out;
  }

  create(model: string, valsList: Vals[], uid: number, context: Record<string, unknown> = {}): number[] {
    const ids = valsList.map((vals) => this.createOne(model, vals, uid, context));
    this.observer.afterCreate?.(model, ids);
    return ids;
  }

  private createOne(model: string, vals: Vals, uid: number, context: Record<string, unknown>): number {
    const info = this.model(model);
    this.checkFields(model, Object.keys(vals));
    const contextDefaults: Vals = {};
    for (const [k, v] of Object.entries(context)) {
      if (k.startsWith('default_') && info.fields.has(k.slice(8))) contextDefaults[k.slice(8)] = v;
    }
    const given = { ...contextDefaults, ...vals };
    const notGiven = [...info.fields.keys()].filter((n) => !(n in given));
    const merged: Vals = { ...this.defaults(model, uid, notGiven), ...given };
    const now = this.now();
    const row: Row = { id: info.table.allocateId() };
    const relational: [FieldDef, unknown][] = [];
    for (const [name, value] of Object.entries(merged)) {
      const f = info.fields.get(name)!;
      if (f.compute || name === 'id' || MAGIC.has(name)) continue;
      if (isX2many(f)) relational.push([f, value]);
      else row[name] = convertScalar(f, value, model);
    }
    for (const f of info.fields.values()) {
      if (f.type === 'many2many' && !(f.name in row)) row[f.name] = [];
    }
    for (const f of info.fields.values()) {
      if (f.fromRecord && !(f.name in given)) {
        const computed = f.fromRecord(row, this);
        if (computed !== undefined) row[f.name] = convertScalar(f, computed, model);
      }
    }
    Object.assign(row, { create_uid: uid, write_uid: uid, create_date: now, write_date: now });
    this.checkRequired(info, row);
    info.table.insert(row);
    for (const [f, value] of relational) applyX2many(this, model, row, f, value, uid, context);
    return row.id;
  }

  private checkRequired(info: ModelInfo, row: Row): void {
    const model = info.def.name;
    if (model === 'res.partner' && (row.type ?? 'contact') === 'contact' && !row.name) {
      // res.partner's SQL constraint check_name, as Odoo reports it.
      throw validationError('The operation cannot be completed: Contacts require a name');
    }
    for (const f of info.fields.values()) {
      if (f.type === 'many2one' && !MAGIC.has(f.name) && typeof row[f.name] === 'number' && !this.row(f.relation!, row[f.name] as number)) {
        throw foreignKeyError(info, f);
      }
      if (!f.required || f.compute || isX2many(f)) continue;
      const v = row[f.name];
      if (v === undefined || v === false || v === null || v === '') throw requiredFieldError(info, f);
    }
  }

  // ---- write ----

  write(model: string, ids: number[], vals: Vals, uid: number, context: Record<string, unknown> = {}): true {
    const info = this.model(model);
    const rows = this.existing(model, ids, uid);
    this.checkFields(model, Object.keys(vals));
    const token = this.observer.beforeWrite?.(model, ids, vals);
    const scalars: Vals = {};
    const relational: [FieldDef, unknown][] = [];
    for (const [name, value] of Object.entries(vals)) {
      const f = info.fields.get(name)!;
      if (f.compute || name === 'id' || MAGIC.has(name)) continue;
      if (isX2many(f)) relational.push([f, value]);
      else scalars[name] = convertScalar(f, value, model);
    }
    const now = this.now();
    for (const row of rows) {
      const probe = { ...row, ...scalars };
      this.checkRequired(info, probe as Row);
    }
    for (const row of rows) {
      info.table.update(row, { ...scalars, write_uid: uid, write_date: now });
      for (const [f, value] of relational) applyX2many(this, model, row, f, value, uid, context);
    }
    this.propagateCommercialFields(model, rows, scalars, uid, now);
    this.observer.afterWrite?.(model, ids, vals, token);
    return true;
  }

  /**
   * Odoo syncs a company's commercial fields (vat, …) down to its contacts on every write to the
   * company, so the contacts' write_date moves with it (the webhook fixture shows the same
   * timestamp on the company and its children).
   */
  private propagateCommercialFields(model: string, rows: Row[], scalars: Vals, uid: number, now: string): void {
    if (model !== 'res.partner') return;
    const commercial = Object.keys(scalars).filter((k) => COMMERCIAL_FIELDS.has(k));
    const table = this.model(model).table;
    for (const row of rows) {
      if (!row.is_company) continue;
      for (const childId of this.referencing(model, 'parent_id', row.id)) {
        const child = table.rows.get(childId)!;
        const changes: Vals = { write_uid: uid, write_date: now };
        for (const k of commercial) changes[k] = scalars[k];
        table.update(child, changes);
      }
    }
  }

  // ---- unlink ----

  unlink(model: string, ids: number[], uid: number): true {
    const info = this.model(model);
    this.existing(model, ids, uid);
    const doomed = new Set(ids);
    const references = this.referencesTo(model, doomed);
    for (const ref of references) {
      if (ref.ondelete === 'restrict') throw foreignKeyError(this.model(ref.model), ref.field);
    }
    this.observer.beforeUnlink?.(model, ids);
    // mail.thread's unlink deletes the records' messages: they point at them by (model, res_id),
    // which no foreign key cascades.
    if (info.def.mailThread && this.models.has('mail.message')) {
      const messages = [...this.rows('mail.message')].filter((m) => m.model === model && doomed.has(m.res_id as number)).map((m) => m.id);
      if (messages.length) this.unlink('mail.message', messages, uid);
    }
    for (const id of ids) info.table.delete(id);
    for (const ref of references) {
      const table = this.model(ref.model).table;
      const alive = ref.ids.filter((id) => table.rows.has(id)); // an earlier cascade may have removed some
      if (!alive.length) continue;
      if (ref.ondelete === 'cascade') this.unlink(ref.model, alive, uid);
      else for (const id of alive) table.update(table.rows.get(id)!, { [ref.field.name]: false });
    }
    this.dropFromMany2many(model, doomed);
    return true;
  }

  /** Rows of any model whose stored many2one points at one of `ids` (outside the doomed set itself). */
  private referencesTo(model: string, ids: Set<number>): { model: string; field: FieldDef; ids: number[]; ondelete: string }[] {
    const out: { model: string; field: FieldDef; ids: number[]; ondelete: string }[] = [];
    for (const info of this.models.values()) {
      for (const f of info.fields.values()) {
        if (f.type !== 'many2one' || f.relation !== model || f.compute) continue;
        const found: number[] = [];
        if (info.table.isIndexed(f.name)) {
          for (const id of ids) found.push(...info.table.lookup(f.name, id)!);
        } else {
          for (const row of info.table.rows.values()) if (ids.has(row[f.name] as number)) found.push(row.id);
        }
        const outside = info.def.name === model ? found.filter((id) => !ids.has(id)) : found;
        if (!outside.length) continue;
        out.push({ model: info.def.name, field: f, ids: outside, ondelete: f.ondelete ?? (f.required ? 'restrict' : 'set null') });
      }
    }
    return out;
  }

  private dropFromMany2many(model: string, ids: Set<number>): void {
    for (const info of this.models.values()) {
      for (const f of info.fields.values()) {
        if (f.type !== 'many2many' || f.relation !== model) continue;
        for (const row of info.table.rows.values()) {
          const list = row[f.name] as number[] | undefined;
          if (list && list.some((x) => ids.has(x))) info.table.update(row, { [f.name]: list.filter((x) => !ids.has(x)) });
        }
      }
    }
  }
}

/** PostgreSQL's foreign-key violation, as Odoo reports it (the model is the referencing one). */
function foreignKeyError(info: ModelInfo, f: FieldDef) {
  return foreignKeyViolation(info.def.description, info.def.name, `${info.def.name.replace(/\./g, '_')}_${f.name}_fkey`);
}

/** PostgreSQL's NOT NULL violation, as Odoo reports it. */
function requiredFieldError(info: ModelInfo, f: FieldDef) {
  return validationError(
    'The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n' +
      '- Delete: another model requires the record being deleted. If possible, archive it instead.\n\n' +
      `Model: ${info.def.description} (${info.def.name})\nField: ${f.string} (${f.name})`,
  );
}

const ACTIVE_LEAF: DomainNode = { kind: 'leaf', path: 'active', operator: '=', value: true, raw: ['active', '=', true] };
const MAGIC = new Set(['create_uid', 'create_date', 'write_uid', 'write_date', 'display_name']);
const COMMERCIAL_FIELDS = new Set(['vat', 'company_registry', 'industry_id', 'property_account_position_id']);
