import { RelayError } from '../errors/index.js';

/**
 * Where a read reaches other models: the parts of a call that make Odoo search, sort, group or
 * read records of a field's comodel. A key allowed only `sale.order` must not learn partners'
 * e-mail addresses by filtering orders on `partner_id.email` (a yes/no answer per guess is
 * enough to recover a value), nor read them with `web_read`'s nested specification.
 *
 * What reaches a comodel, and so needs it in the allow-list:
 * - a dotted path (`partner_id.email`) in a domain, an order, a groupby or an aggregate: every
 *   field before the last; the last one is read on the model it belongs to;
 * - in a domain, `any` / `not any` (its subdomain is searched on the comodel, checked in turn),
 *   and text compared with a relational field (`partner_id ilike 'acme'` searches the partners'
 *   names, e-mails and references through their name search);
 * - a nested `fields` in a web_read / web_search_read / onchange specification (checked in turn)
 *   that asks for more than the comodel's `id` and `display_name`, or a nested `order`;
 * - a `/` path in export_data's and load's fields.
 * Nesting deeper than MAX_DEPTH is refused (nestingTooDeep), never passed unchecked.
 * Comparing a relational field with ids (`partner_id = 7`) stays on the called model: it is the
 * record's own column. Odoo shows a many2one's display name in every read (`[7, "Acme"]`), which
 * the allow-list does not hide.
 *
 * Pure: finds the reaches without Odoo. Which fields are relational, and to what, is resolved by
 * linked-models.ts with fields_get.
 */

/** A chain of fields from the called model. `full`: the last field's comodel is reached too; `then`: reaches from that comodel. */
export interface Reach {
  path: string[];
  full: boolean;
  then?: Reach[];
}

/** Positional places of the parts that name fields, per method (execute_kw's args; record methods start with ids). */
interface Places {
  domain?: number;
  order?: number;
  /** Lists of `field`, `field:granularity`, `alias:agg(field)` or `field:agg` strings (groupby, aggregates, fields). */
  fieldSpecs?: number[];
  specification?: number;
  exportFields?: number;
}

const PLACES: Record<string, Places> = {
  search: { domain: 0, order: 3 },
  search_read: { domain: 0, fieldSpecs: [1], order: 4 },
  search_fetch: { domain: 0, fieldSpecs: [1], order: 4 },
  search_count: { domain: 0 },
  read_group: { domain: 0, fieldSpecs: [1, 2], order: 5 },
  formatted_read_group: { domain: 0, fieldSpecs: [1, 2], order: 6 },
  // Odoo 17-18: (domain, fields, groupby, limit, offset, orderby, …); 19: (domain, groupby, aggregates, limit, offset, order, …).
  web_read_group: { domain: 0, fieldSpecs: [1, 2], order: 5 },
  web_search_read: { domain: 0, specification: 1, order: 4 },
  web_read: { specification: 1 },
  web_save: { specification: 2 },
  // (ids, values, field_names, fields_spec)
  onchange: { specification: 3 },
  web_name_search: { specification: 1, domain: 2 },
  name_search: { domain: 1 },
  read_progress_bar: { domain: 0, fieldSpecs: [1] },
  export_data: { exportFields: 1 },
  // An import: `partner_id/name` creates or changes partners (a trailing `id` / `.id` only links).
  load: { exportFields: 0 },
};

/**
 * Keyword arguments read for every method, so a custom method's `domain` or `order` is checked
 * too: any keyword ending in `domain` (search_panel's `search_domain`, `category_domain`…) or in
 * `specification` (web_read_group's `unfold_read_specification` on Odoo 19).
 */
const ORDER_KEYWORDS = ['order', 'orderby'];
const FIELD_SPEC_KEYWORDS = ['fields', 'groupby', 'group_by', 'aggregates'];
const keywordsEndingIn = (kwargs: Readonly<Record<string, unknown>>, suffix: string) =>
  Object.keys(kwargs).filter((name) => name.endsWith(suffix)).map((name) => kwargs[name]);

/** Deeper than any real nesting. A call nested deeper is refused: it cannot be checked. */
export const MAX_DEPTH = 8;

/**
 * The refusal of a call nested deeper than the check follows. Skipping the deeper levels would
 * let a condition on another model through behind nine `any`s on allowed ones.
 */
export function nestingTooDeep(allowed: readonly string[] | null = null): RelayError {
  return new RelayError('model_not_allowed', `Nested more than ${MAX_DEPTH} levels deep: a caller with a model allow-list cannot send deeper domains, specifications or values, which the relay could not check`, {
    reason: 'nesting_too_deep',
    maxDepth: MAX_DEPTH,
    ...(allowed && { allowed }),
  });
}

/** Nested reads that show no more than a relational field's own value, which every read shows (the web client asks for these). */
const OWN_VALUE_FIELDS = new Set(['id', 'display_name']);

/** The reaches of one call, relative to the called model; empty for most calls. */
export function readReaches(method: string, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): Reach[] {
  const out: Reach[] = [];
  const places = Object.hasOwn(PLACES, method) ? PLACES[method]! : {};
  const at = (index: number | undefined) => (index === undefined ? undefined : args[index]);
  const kw = (name: string) => (Object.hasOwn(kwargs, name) ? kwargs[name] : undefined);

  for (const domain of [at(places.domain), ...keywordsEndingIn(kwargs, 'domain'), method === 'name_search' ? kw('args') : undefined]) {
    out.push(...domainReaches(domain, 0));
  }
  for (const order of [at(places.order), ...ORDER_KEYWORDS.map(kw)]) out.push(...orderReaches(order));
  for (const specs of [...(places.fieldSpecs ?? []).map(at), ...FIELD_SPEC_KEYWORDS.map(kw)]) out.push(...fieldSpecReaches(specs));
  for (const spec of [at(places.specification), ...keywordsEndingIn(kwargs, 'specification'), kw('fields_spec')]) out.push(...specificationReaches(spec, 0));
  // Odoo 19 web_read_group: `{partner_id: {email: {}}}`, each value read on the groupby field's comodel.
  const perGroup = kw('groupby_read_specification');
  if (isPlainObject(perGroup)) out.push(...specificationReaches(Object.fromEntries(Object.entries(perGroup).map(([name, fields]) => [name, { fields }])), 0));
  for (const fields of [at(places.exportFields), kw('fields_to_export'), method === 'load' ? kw('fields') : undefined]) out.push(...exportReaches(fields));
  return out;
}

/** Reaches of a domain: dotted paths, `any` subdomains and text compared with (possibly) relational fields. */
export function domainReaches(domain: unknown, depth: number): Reach[] {
  if (!Array.isArray(domain)) return [];
  if (depth > MAX_DEPTH) throw nestingTooDeep();
  const out: Reach[] = [];
  for (const leaf of domain) {
    if (!Array.isArray(leaf) || leaf.length !== 3 || typeof leaf[0] !== 'string' || typeof leaf[1] !== 'string') continue;
    const [lhs, op, value] = leaf as [string, string, unknown];
    const path = lhs.split('.');
    const operator = op.toLowerCase();
    if (operator === 'any' || operator === 'not any') {
      out.push({ path, full: true, then: domainReaches(value, depth + 1) });
    } else if (containsText(value)) {
      out.push({ path, full: true });
    } else if (path.length > 1) {
      out.push({ path, full: false });
    }
  }
  return out;
}

function containsText(value: unknown): boolean {
  return typeof value === 'string' || (Array.isArray(value) && value.some((v) => typeof v === 'string'));
}

/** `partner_id.name desc, id`: the dotted terms (a quoted name, `"partner_id".name`, alike). */
export function orderReaches(order: unknown): Reach[] {
  if (typeof order !== 'string') return [];
  return order
    .split(',')
    .map((term) => term.trim().split(/\s+/)[0]!.replaceAll('"', ''))
    .filter((name) => name.includes('.'))
    .map((name) => ({ path: name.split(':')[0]!.split('.'), full: false }));
}

/** `partner_id.country_id`, `date_order:month`, `amount_total:sum`, `total:sum(order_line.price_total)`: the dotted fields. */
export function fieldSpecReaches(specs: unknown): Reach[] {
  const list = typeof specs === 'string' ? [specs] : Array.isArray(specs) ? specs : [];
  const out: Reach[] = [];
  for (const spec of list) {
    if (typeof spec !== 'string') continue;
    const inner = /\(([^)]*)\)/.exec(spec)?.[1];
    const name = (inner ?? spec.split(':')[0]!).trim().replaceAll('"', '');
    if (name.includes('.')) out.push({ path: name.split('.'), full: false });
  }
  return out;
}

/**
 * web_read's `{partner_id: {fields: {email: {}}}}`: a nested `fields` reads the comodel, and a
 * nested `order` sorts its records (`{sale_order_ids: {order: 'amount_total desc'}}` ranks
 * orders by amount). `{fields: {display_name: {}}}` shows only what every read shows.
 */
export function specificationReaches(spec: unknown, depth: number): Reach[] {
  if (!isPlainObject(spec)) return [];
  if (depth > MAX_DEPTH) throw nestingTooDeep();
  const out: Reach[] = [];
  for (const name of Object.keys(spec)) {
    const sub = spec[name];
    if (!isPlainObject(sub)) continue;
    const hasFields = sub.fields !== undefined && sub.fields !== null;
    const fields = specObject(sub.fields);
    // A `fields` in a form this does not read is taken to read the comodel.
    const readsMore = hasFields && !(fields && Object.keys(fields).every((f) => OWN_VALUE_FIELDS.has(f)));
    if (!readsMore && sub.order === undefined) continue;
    out.push({ path: [name], full: true, then: [...(fields ? specificationReaches(fields, depth + 1) : []), ...orderReaches(sub.order)] });
  }
  return out;
}

/** A specification's `fields` as an object: Odoo takes it through dict(), so `[[name, spec], …]` pairs count too. */
function specObject(fields: unknown): Record<string, unknown> | null {
  if (isPlainObject(fields)) return fields;
  if (!Array.isArray(fields) || !fields.every((pair) => Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string')) return null;
  return Object.fromEntries(fields as [string, unknown][]);
}

/**
 * export_data's `partner_id/email`, `order_line/product_id/name`: every field before the last.
 * A trailing `id` or `.id` (external or database id) is the previous field's own value.
 */
export function exportReaches(fields: unknown): Reach[] {
  if (!Array.isArray(fields)) return [];
  const out: Reach[] = [];
  for (const f of fields) {
    if (typeof f !== 'string') continue;
    const path = f.split('/');
    if (path.length > 1 && (path.at(-1) === 'id' || path.at(-1) === '.id')) path.pop();
    if (path.length > 1) out.push({ path, full: false });
  }
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
