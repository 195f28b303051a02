/**
 * read_group (legacy, all versions) and formatted_read_group (Odoo 19): grouping with date
 * granularities, aggregates and the per-group domain, computed over the matching rows in memory.
 */
import { compileDomain, type DomainHost } from './domain.js';
import { valueError } from './errors.js';
import { isNumeric, isX2many } from './fields.js';
import type { FieldDef, Row } from './model.js';
import { compareKeys } from './order.js';
import type { Orm } from './orm.js';

const GRANULARITIES = ['day', 'week', 'month', 'quarter', 'year'] as const;
type Granularity = (typeof GRANULARITIES)[number];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

interface GroupBySpec {
  spec: string;
  field: FieldDef;
  granularity?: Granularity;
}

interface AggregateSpec {
  key: string;
  field?: FieldDef;
  fn: string;
}

interface GroupKey {
  raw: unknown;
  /** For dates: the [start, end) range that makes up the group's domain. */
  range?: [string, string];
}

function parseGroupBy(orm: Orm, model: string, spec: string): GroupBySpec {
  const [name, gran] = spec.split(':') as [string, string | undefined];
  const field = orm.field(model, name);
  if (!field) throw valueError(`Invalid field '${name}' on model '${model}'`);
  if (field.type === 'date' || field.type === 'datetime') {
    const granularity = (gran ?? 'month') as Granularity;
    if (!GRANULARITIES.includes(granularity)) throw valueError(`Invalid granularity '${gran}' for field '${name}'`);
    return { spec, field, granularity };
  }
  return { spec, field };
}

const pad = (n: number) => String(n).padStart(2, '0');
const ymd = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;

/** Start/end of the period containing `value`, and its Odoo-style label ("November 2026", "W48 2026"). */
export function datePeriod(value: string, granularity: Granularity): { start: Date; end: Date; label: string } {
  const d = new Date(`${value.slice(0, 10)}T00:00:00Z`);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  switch (granularity) {
    case 'day': {
      const end = new Date(Date.UTC(y, m, d.getUTCDate() + 1));
      return { start: d, end, label: `${pad(d.getUTCDate())} ${MONTHS[m]!.slice(0, 3)} ${y}` };
    }
    case 'week': {
      // ISO week: Monday start; the label uses the ISO week number and year.
      const dow = (d.getUTCDay() + 6) % 7;
      const start = new Date(Date.UTC(y, m, d.getUTCDate() - dow));
      const end = new Date(Date.UTC(y, m, d.getUTCDate() - dow + 7));
      const thursday = new Date(Date.UTC(y, m, d.getUTCDate() - dow + 3));
      const isoYear = thursday.getUTCFullYear();
      const week = Math.floor((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / 86400000 / 7) + 1;
      return { start, end, label: `W${week} ${isoYear}` };
    }
    case 'month':
      return { start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)), label: `${MONTHS[m]} ${y}` };
    case 'quarter': {
      const q = Math.floor(m / 3);
      return { start: new Date(Date.UTC(y, q * 3, 1)), end: new Date(Date.UTC(y, q * 3 + 3, 1)), label: `Q${q + 1} ${y}` };
    }
    case 'year':
      return { start: new Date(Date.UTC(y, 0, 1)), end: new Date(Date.UTC(y + 1, 0, 1)), label: String(y) };
  }
}

function keysOf(orm: Orm, model: string, row: Row, gb: GroupBySpec): GroupKey[] {
  const v = orm.value(model, row, gb.field.name);
  if (isX2many(gb.field)) {
    const ids = v as number[];
    return ids.length ? ids.map((id) => ({ raw: id })) : [{ raw: false }];
  }
  if (gb.granularity) {
    if (typeof v !== 'string' || !v) return [{ raw: false }];
    const p = datePeriod(v, gb.granularity);
    const fmt = (d: Date) => (gb.field.type === 'datetime' ? `${ymd(d)} 00:00:00` : ymd(d));
    return [{ raw: ymd(p.start), range: [fmt(p.start), fmt(p.end)] }];
  }
  return [{ raw: v === undefined || v === null || v === '' ? false : v }];
}

function parseAggregate(orm: Orm, model: string, spec: string): AggregateSpec | undefined {
  if (spec === '__count') return { key: '__count', fn: 'count' };
  // "amount_total:sum", "total:sum(amount_total)" or a bare numeric field (its default aggregator).
  const m = /^(\w+)(?::(\w+)(?:\((\w+)\))?)?$/.exec(spec.trim());
  if (!m) throw valueError(`Invalid aggregate specification ${spec}`);
  const [, alias, fn, target] = m;
  const field = orm.field(model, target ?? alias!);
  if (!field) throw valueError(`Invalid field '${target ?? alias}' on model '${model}'`);
  if (!fn) return isNumeric(field) && field.name !== 'id' ? { key: alias!, field, fn: 'sum' } : undefined;
  if (!['sum', 'avg', 'min', 'max', 'count', 'count_distinct', 'array_agg', 'bool_and', 'bool_or', 'recordset'].includes(fn)) {
    throw valueError(`Invalid aggregate function ${fn}`);
  }
  return { key: spec, field, fn };
}

function aggregate(orm: Orm, model: string, rows: Row[], agg: AggregateSpec): unknown {
  if (agg.fn === 'count' && !agg.field) return rows.length;
  const values = rows.map((r) => orm.value(model, r, agg.field!.name));
  const nums = values.filter((v) => typeof v === 'number') as number[];
  switch (agg.fn) {
    case 'sum':
      return Math.round(nums.reduce((a, b) => a + b, 0) * 1e6) / 1e6;
    case 'avg':
      return nums.length ? nums.reduce((a, b) => a + b, 0) / nums.length : false;
    case 'min':
      return values.length ? values.reduce((a, b) => ((b as number) < (a as number) ? b : a)) : false;
    case 'max':
      return values.length ? values.reduce((a, b) => ((b as number) > (a as number) ? b : a)) : false;
    case 'count':
      return values.filter((v) => v !== false && v !== null).length;
    case 'count_distinct':
      return new Set(values.filter((v) => v !== false && v !== null)).size;
    case 'bool_and':
      return values.every(Boolean);
    case 'bool_or':
      return values.some(Boolean);
    default:
      return [...new Set(values.flat())];
  }
}

interface Group {
  keys: GroupKey[];
  rows: Row[];
}

function groupRows(orm: Orm, model: string, rows: Row[], groupbys: GroupBySpec[]): Group[] {
  const groups = new Map<string, Group>();
  const combine = (prefix: GroupKey[], level: number, row: Row) => {
    if (level === groupbys.length) {
      const id = JSON.stringify(prefix.map((k) => k.raw));
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { keys: prefix, rows: [] }));
      g.rows.push(row);
      return;
    }
    for (const key of keysOf(orm, model, row, groupbys[level]!)) combine([...prefix, key], level + 1, row);
  };
  for (const row of rows) combine([], 0, row);
  return [...groups.values()];
}

function groupDomain(groupbys: GroupBySpec[], keys: GroupKey[]): unknown[] {
  const leaves: unknown[] = [];
  groupbys.forEach((gb, i) => {
    const key = keys[i]!;
    if (key.range && gb.granularity) {
      leaves.push('&', [gb.field.name, '>=', key.range[0]], [gb.field.name, '<', key.range[1]]);
    } else {
      leaves.push([gb.field.name, '=', key.raw]);
    }
  });
  return [...Array(Math.max(0, groupbys.length - 1)).fill('&'), ...leaves];
}

/** AND of two domains in prefix form, each counted as one term. */
function andDomains(a: unknown[], b: unknown[]): unknown[] {
  if (!a.length) return b;
  if (!b.length) return a;
  return ['&', ...asOneTerm(a), ...asOneTerm(b)];
}

function asOneTerm(domain: unknown[]): unknown[] {
  let terms = 0;
  for (const t of domain) {
    if (t === '&' || t === '|') terms--;
    else if (t !== '!') terms++;
  }
  return [...Array(Math.max(0, terms - 1)).fill('&'), ...domain];
}

function groupValue(orm: Orm, gb: GroupBySpec, key: GroupKey, withRange: boolean): unknown {
  if (key.raw === false) return false;
  if (gb.field.relation) {
    const target = orm.row(gb.field.relation, key.raw as number);
    return target ? [key.raw, orm.displayName(gb.field.relation, target)] : false;
  }
  if (gb.granularity) {
    const label = datePeriod(key.raw as string, gb.granularity).label;
    return withRange ? [key.raw, label] : label;
  }
  return key.raw;
}

function sortGroups(orm: Orm, groups: Group[], groupbys: GroupBySpec[], order: string | undefined, rowsAgg: (g: Group, key: string) => unknown): Group[] {
  const terms = (order || groupbys.map((g) => g.spec).join(','))
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => {
      const [name, dir] = t.split(/\s+/);
      return { name: name!, desc: (dir ?? '').toLowerCase() === 'desc' };
    });
  const sortKey = (g: Group, name: string): number | string | null => {
    const idx = groupbys.findIndex((gb) => gb.spec === name || gb.field.name === name);
    if (idx >= 0) {
      const gb = groupbys[idx]!;
      const raw = g.keys[idx]!.raw;
      if (raw === false) return null;
      if (gb.field.relation) {
        const target = orm.row(gb.field.relation, raw as number);
        return target ? orm.displayName(gb.field.relation, target) : null;
      }
      return typeof raw === 'boolean' ? Number(raw) : (raw as number | string);
    }
    const v = rowsAgg(g, name);
    return typeof v === 'number' || typeof v === 'string' ? v : null;
  };
  return groups.sort((a, b) => {
    for (const t of terms) {
      const c = compareKeys(sortKey(a, t.name), sortKey(b, t.name), t.desc);
      if (c) return c;
    }
    return 0;
  });
}

export interface ReadGroupArgs {
  domain: unknown;
  fields: string[];
  groupby: string | string[];
  offset?: number;
  limit?: number;
  orderby?: string;
  lazy?: boolean;
  context?: Record<string, unknown>;
}

export function readGroup(orm: Orm, model: string, args: ReadGroupArgs): Record<string, unknown>[] {
  const allGroupbys = (typeof args.groupby === 'string' ? [args.groupby] : args.groupby ?? []).map((g) => parseGroupBy(orm, model, g));
  const lazy = args.lazy !== false;
  const groupbys = lazy ? allGroupbys.slice(0, 1) : allGroupbys;
  const aggs = (args.fields ?? [])
    .map((f) => parseAggregate(orm, model, f))
    .filter((a): a is AggregateSpec => a !== undefined && !groupbys.some((g) => g.field.name === a.field?.name));
  const rows = orm.searchRows(model, args.domain, { context: args.context });
  const baseDomain = Array.isArray(args.domain) ? args.domain : [];
  const countKey = lazy && groupbys.length ? `${groupbys[0]!.field.name}_count` : '__count';
  // Legacy read_group names an aggregate by its field (or alias), not by the full spec.
  const aggKey = (a: AggregateSpec) => a.key.split(':')[0]!;
  let groups = groupRows(orm, model, rows, groupbys);
  groups = sortGroups(orm, groups, groupbys, args.orderby, (g, name) =>
    name === '__count' || name === countKey ? g.rows.length : aggregateByName(orm, model, g.rows, aggs, name, aggKey),
  );
  const offset = args.offset ?? 0;
  groups = groups.slice(offset, args.limit ? offset + args.limit : undefined);
  return groups.map((g) => {
    const out: Record<string, unknown> = {};
    groupbys.forEach((gb, i) => {
      out[gb.spec] = groupValue(orm, gb, g.keys[i]!, false);
    });
    out[countKey] = g.rows.length;
    for (const a of aggs) out[aggKey(a)] = aggregate(orm, model, g.rows, a);
    out.__domain = andDomains(groupDomain(groupbys, g.keys), baseDomain);
    const ranges: Record<string, unknown> = {};
    groupbys.forEach((gb, i) => {
      const r = g.keys[i]!.range;
      if (r) ranges[gb.spec] = { from: r[0], to: r[1] };
    });
    if (Object.keys(ranges).length) out.__range = ranges;
    if (lazy && allGroupbys.length > 1) out.__context = { group_by: allGroupbys.slice(1).map((g) => g.spec) };
    return out;
  });
}

function aggregateByName(orm: Orm, model: string, rows: Row[], aggs: AggregateSpec[], name: string, aggKey: (a: AggregateSpec) => string): unknown {
  const a = aggs.find((x) => aggKey(x) === name || x.key === name || x.field?.name === name);
  return a ? aggregate(orm, model, rows, a) : null;
}

export interface FormattedReadGroupArgs {
  domain: unknown;
  groupby: string[];
  aggregates: string[];
  /** A domain on aggregate keys ("__count", "amount_total:sum"), like SQL HAVING. */
  having?: unknown;
  offset?: number;
  limit?: number;
  order?: string;
  context?: Record<string, unknown>;
}

/** Odoo 19's formatted_read_group: `__count`, "field:agg" keys and `__extra_domain` per group. */
export function formattedReadGroup(orm: Orm, model: string, args: FormattedReadGroupArgs): Record<string, unknown>[] {
  const groupbys = (args.groupby ?? []).map((g) => parseGroupBy(orm, model, g));
  const aggs = (args.aggregates ?? []).map((a) => {
    if (a !== '__count' && !a.includes(':')) throw valueError(`Invalid aggregate specification ${a}`);
    return parseAggregate(orm, model, a)!;
  });
  const rows = orm.searchRows(model, args.domain, { context: args.context });
  let groups = groupRows(orm, model, rows, groupbys);
  const aggValue = (g: Group, name: string) =>
    name === '__count' ? g.rows.length : aggregateByName(orm, model, g.rows, aggs, name, (a) => a.key);
  if (Array.isArray(args.having) && args.having.length) groups = groups.filter(havingFilter(args.having, model, groups, aggValue));
  groups = sortGroups(orm, groups, groupbys, args.order, aggValue);
  const offset = args.offset ?? 0;
  groups = groups.slice(offset, args.limit ? offset + args.limit : undefined);
  return groups.map((g) => {
    const out: Record<string, unknown> = {};
    groupbys.forEach((gb, i) => {
      out[gb.spec] = groupValue(orm, gb, g.keys[i]!, true);
    });
    for (const a of aggs) out[a.key] = aggregate(orm, model, g.rows, a);
    out.__extra_domain = groupDomain(groupbys, g.keys);
    return out;
  });
}

/** HAVING: the domain language evaluated over groups, whose "fields" are the aggregate keys. */
function havingFilter(having: unknown[], model: string, groups: Group[], aggValue: (g: Group, name: string) => unknown): (g: Group) => boolean {
  const byId = new Map(groups.map((g, i) => [i + 1, g]));
  const ids = new Map(groups.map((g, i) => [g, i + 1]));
  const host: DomainHost = {
    field: (_m, name) => (name === '__count' || name.includes(':') ? { type: 'float' } : undefined),
    value: (_m, row, name) => aggValue(byId.get(row.id)!, name),
    row: () => undefined,
    displayName: () => '',
    rows: () => [],
    parentField: () => undefined,
  };
  const test = compileDomain(having, model, host);
  return (g) => test({ id: ids.get(g)! });
}
