/**
 * Odoo's domain language, evaluated in memory. Pure: all knowledge about models comes through
 * a DomainHost, so this module can be tested with a toy schema.
 *
 * Semantics follow Odoo 17+: negative operators are the exact complement of their positive
 * counterpart (so `!=` also matches unset values), dotted paths become `any` sub-domains,
 * `False` means "unset", and a condition on `active` disables the implicit active filter
 * (that last part lives in the ORM, see `mentionsField`).
 */
import { valueError } from './errors.js';
import { pythonRepr } from './python-literal.js';

export type Row = { id: number } & Record<string, unknown>;
export type Predicate = (row: Row) => boolean;

export interface DomainField {
  type: string;
  relation?: string;
}

export interface DomainHost {
  field(model: string, name: string): DomainField | undefined;
  /** Raw value: many2one → id or false, x2many → id array, others the scalar or false. */
  value(model: string, row: Row, name: string): unknown;
  row(model: string, id: number): Row | undefined;
  displayName(model: string, row: Row): string;
  rows(model: string): Iterable<Row>;
  /** Optional fast accessor for one field, resolved once per compiled condition. */
  getter?(model: string, name: string): (row: Row) => unknown;
  /** The many2one that makes the model a tree (parent_id, location_id), for child_of/parent_of. */
  parentField(model: string): string | undefined;
}

export const OPERATORS = new Set([
  '=', '!=', '<', '<=', '>', '>=', '=?', 'in', 'not in', 'like', 'not like', 'ilike', 'not ilike',
  '=like', '=ilike', 'not =like', 'not =ilike', 'child_of', 'parent_of', 'any', 'not any',
]);
const ALIASES: Record<string, string> = { '<>': '!=', '==': '=' };
const NEGATIONS: Record<string, string> = {
  '!=': '=', 'not in': 'in', 'not like': 'like', 'not ilike': 'ilike',
  'not =like': '=like', 'not =ilike': '=ilike', 'not any': 'any',
};

export type DomainNode =
  | { kind: 'true' }
  | { kind: 'false' }
  | { kind: 'and' | 'or'; children: DomainNode[] }
  | { kind: 'not'; child: DomainNode }
  | { kind: 'leaf'; path: string; operator: string; value: unknown; raw: unknown[] };

const TRUE: DomainNode = { kind: 'true' };
const FALSE: DomainNode = { kind: 'false' };

function isLeaf(token: unknown): token is unknown[] {
  return Array.isArray(token);
}

/** Parses the prefix notation into a tree; structural errors only (fields are checked later). */
export function parseDomain(domain: unknown): DomainNode {
  if (domain === null || domain === undefined || domain === false) return TRUE;
  if (!Array.isArray(domain)) throw valueError(`Invalid domain: ${pythonRepr(domain)}`);
  const stack: DomainNode[] = [];
  for (let i = domain.length - 1; i >= 0; i--) {
    const token = domain[i];
    if (token === '&' || token === '|') {
      if (stack.length < 2) throw syntaxError(domain);
      const a = stack.pop()!;
      const b = stack.pop()!;
      stack.push({ kind: token === '&' ? 'and' : 'or', children: [a, b] });
    } else if (token === '!') {
      if (stack.length < 1) throw syntaxError(domain);
      stack.push({ kind: 'not', child: stack.pop()! });
    } else if (isLeaf(token)) {
      stack.push(parseLeaf(token));
    } else {
      throw valueError(`Invalid leaf ${pythonRepr(token)}`);
    }
  }
  if (stack.length === 0) return TRUE;
  if (stack.length === 1) return stack[0]!;
  // Odoo joins the remaining top-level terms with an implicit '&'.
  return { kind: 'and', children: stack.reverse() };
}

function syntaxError(domain: unknown[]) {
  return valueError(`Domain ${pythonRepr(domain)} is syntactically not correct.`);
}

function parseLeaf(token: unknown[]): DomainNode {
  if (token.length !== 3) throw valueError(`Invalid leaf ${pythonRepr(token, true)}`);
  const [left, rawOp, value] = token;
  if (typeof left === 'number' && typeof rawOp === 'string' && typeof value === 'number' && rawOp === '=') {
    // TRUE_LEAF (1, '=', 1) and FALSE_LEAF (0, '=', 1)
    return left === value ? TRUE : FALSE;
  }
  const operator = typeof rawOp === 'string' ? (ALIASES[rawOp] ?? rawOp.toLowerCase()) : rawOp;
  if (typeof operator !== 'string' || !OPERATORS.has(operator)) {
    throw valueError(`Invalid operator in condition ${pythonRepr(token, true)}`);
  }
  if (typeof left !== 'string' || left === '') {
    throw valueError(`Invalid field ${pythonRepr(left)} in condition ${pythonRepr(token, true)}`);
  }
  return { kind: 'leaf', path: left, operator, value, raw: token };
}

/** True when some condition's first path segment is `name` (Odoo then skips the active filter). */
export function mentionsField(node: DomainNode, name: string): boolean {
  switch (node.kind) {
    case 'leaf':
      return node.path.split('.')[0] === name;
    case 'and':
    case 'or':
      return node.children.some((c) => mentionsField(c, name));
    case 'not':
      return mentionsField(node.child, name);
    default:
      return false;
  }
}

export function compileDomain(domain: unknown, model: string, host: DomainHost): Predicate {
  return compileNode(parseDomain(domain), model, host);
}

export function compileNode(node: DomainNode, model: string, host: DomainHost): Predicate {
  switch (node.kind) {
    case 'true':
      return () => true;
    case 'false':
      return () => false;
    case 'not': {
      const inner = compileNode(node.child, model, host);
      return (r) => !inner(r);
    }
    case 'and': {
      const parts = node.children.map((c) => compileNode(c, model, host));
      if (parts.length === 2) {
        const [a, b] = parts as [Predicate, Predicate];
        return (r) => a(r) && b(r);
      }
      return (r) => parts.every((p) => p(r));
    }
    case 'or': {
      const parts = node.children.map((c) => compileNode(c, model, host));
      if (parts.length === 2) {
        const [a, b] = parts as [Predicate, Predicate];
        return (r) => a(r) || b(r);
      }
      return (r) => parts.some((p) => p(r));
    }
    case 'leaf':
      return compileLeaf(node, model, host);
  }
}

const ID_FIELD: DomainField = { type: 'integer' };

function compileLeaf(leaf: Extract<DomainNode, { kind: 'leaf' }>, model: string, host: DomainHost): Predicate {
  const { operator, value, raw } = leaf;
  const [head, ...rest] = leaf.path.split('.');
  const field = head === 'id' ? ID_FIELD : host.field(model, head!);
  if (!field) throw valueError(`Invalid field ${model}.${head} in condition ${pythonRepr(raw, true)}`);

  if (rest.length > 0) {
    if (!field.relation) throw valueError(`Invalid field ${model}.${leaf.path} in condition ${pythonRepr(raw, true)}`);
    // A path is sugar for "any related record satisfies the rest of the condition".
    const sub: DomainNode = { kind: 'leaf', path: rest.join('.'), operator, value, raw };
    return relationalAny(head!, field, compileNode(sub, field.relation, host), model, host);
  }

  const negated = NEGATIONS[operator];
  if (negated) {
    const positive = compileLeaf({ ...leaf, operator: negated }, model, host);
    return (r) => !positive(r);
  }

  if (operator === 'any') {
    if (!field.relation) throw valueError(`Invalid operator 'any' on non-relational field in condition ${pythonRepr(raw, true)}`);
    return relationalAny(head!, field, compileDomain(value, field.relation, host), model, host);
  }
  if (operator === '=?') {
    if (value === false || value === null || value === undefined) return () => true;
    return compileLeaf({ ...leaf, operator: '=' }, model, host);
  }
  if (operator === 'child_of' || operator === 'parent_of') {
    const target = field.relation ?? model;
    const ids = hierarchyIds(operator, resolveIds(value, target, host), target, host);
    return membership(head!, field, ids, model, host);
  }

  const get = head === 'id' ? (r: Row) => r.id : accessor(host, model, head!);
  const isX2many = field.type === 'one2many' || field.type === 'many2many';

  // A many2one compared with text is a search on the target's display name.
  if (field.relation && typeof value === 'string' && ['=', 'like', 'ilike', '=like', '=ilike'].includes(operator)) {
    const textTest = textMatcher(operator, value);
    const rel = field.relation;
    const matches = (id: unknown) => {
      const target = typeof id === 'number' ? host.row(rel, id) : undefined;
      return target !== undefined && textTest(host.displayName(rel, target));
    };
    return isX2many ? (r) => (get(r) as number[]).some(matches) : (r) => matches(get(r));
  }

  if (operator === '=' || operator === 'in') {
    const wanted = operator === 'in' ? (Array.isArray(value) ? value : [value]) : [value];
    const wantsUnset = wanted.some((v) => v === false || v === null);
    const set = new Set(
      wanted.filter((v) => v !== false && v !== null).map((v) => normalizeScalar(field, v)),
    );
    if (field.type === 'boolean') {
      const wantFalse = wanted.some((v) => v === false || v === null);
      const wantTrue = wanted.some((v) => v === true);
      return (r) => (get(r) ? wantTrue : wantFalse);
    }
    if (isX2many) {
      return (r) => {
        const ids = get(r) as number[];
        if (ids.length === 0) return wantsUnset;
        return ids.some((id) => set.has(id));
      };
    }
    return (r) => {
      const v = get(r);
      if (isUnset(v)) return wantsUnset;
      return set.has(v);
    };
  }

  if (operator === '<' || operator === '<=' || operator === '>' || operator === '>=') {
    // SQL compares NULL with nothing: unset values and False operands never match.
    if (value === false || value === null || value === undefined) return () => false;
    const bound = normalizeScalar(field, value) as number | string;
    const cmp = comparator(operator);
    return (r) => {
      const v = get(r);
      if (v === false || v === null || v === undefined) return false;
      return cmp(v as number | string, bound);
    };
  }

  // like family
  if (value === false || value === null) {
    // ('name', 'like', False) behaves as "is unset" in Odoo.
    return (r) => isUnset(get(r));
  }
  const textTest = textMatcher(operator, String(value));
  if (isX2many) {
    const rel = field.relation!;
    return (r) =>
      (get(r) as number[]).some((id) => {
        const target = host.row(rel, id);
        return target !== undefined && textTest(host.displayName(rel, target));
      });
  }
  return (r) => {
    const v = get(r);
    if (isUnset(v)) return false;
    return textTest(String(v));
  };
}

function isUnset(v: unknown): boolean {
  return v === false || v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

function normalizeScalar(field: DomainField, v: unknown): unknown {
  // Odoo reads a date-only bound on a datetime field as midnight.
  if (field.type === 'datetime' && typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return `${v} 00:00:00`;
  return v;
}

function comparator(op: string): (a: number | string, b: number | string) => boolean {
  switch (op) {
    case '<':
      return (a, b) => a < b;
    case '<=':
      return (a, b) => a <= b;
    case '>':
      return (a, b) => a > b;
    default:
      return (a, b) => a >= b;
  }
}

/** SQL LIKE → RegExp. `like`/`ilike` wrap the value in %…% like Odoo does; `=like` uses it raw. */
export function textMatcher(operator: string, value: string): (s: string) => boolean {
  if (operator === '=') return (s) => s === value;
  const raw = operator.startsWith('=');
  const insensitive = operator.endsWith('ilike');
  if (!raw && !/[%_]/.test(value)) {
    // Fast path: plain substring search, the overwhelmingly common case.
    if (insensitive) {
      const needle = value.toLowerCase();
      return (s) => s.toLowerCase().includes(needle);
    }
    return (s) => s.includes(value);
  }
  const pattern = raw ? value : `%${value}%`;
  let source = '';
  let escaped = false;
  for (const ch of pattern) {
    // PostgreSQL's LIKE takes a backslash as its escape character: `\_` is a literal underscore.
    if (!escaped && ch === '\\') escaped = true;
    else if (!escaped && ch === '%') source += '.*';
    else if (!escaped && ch === '_') source += '.';
    else {
      source += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      escaped = false;
    }
  }
  const re = new RegExp(`^${source}$`, insensitive ? 'is' : 's');
  return (s) => re.test(s);
}

function accessor(host: DomainHost, model: string, name: string): (row: Row) => unknown {
  return host.getter ? host.getter(model, name) : (r) => host.value(model, r, name);
}

function relationalAny(name: string, field: DomainField, sub: Predicate, model: string, host: DomainHost): Predicate {
  const rel = field.relation!;
  const get = accessor(host, model, name);
  const test = (id: unknown) => {
    if (typeof id !== 'number') return false;
    const target = host.row(rel, id);
    return target !== undefined && sub(target);
  };
  if (field.type === 'many2one') return (r) => test(get(r));
  return (r) => (get(r) as number[]).some(test);
}

function membership(name: string, field: DomainField, ids: Set<number>, model: string, host: DomainHost): Predicate {
  if (name === 'id') return (r) => ids.has(r.id);
  const get = accessor(host, model, name);
  if (field.type === 'many2one') return (r) => ids.has(get(r) as number);
  if (field.relation) return (r) => (get(r) as number[]).some((id) => ids.has(id));
  return () => false;
}

function resolveIds(value: unknown, model: string, host: DomainHost): number[] {
  const values = Array.isArray(value) ? value : [value];
  const ids: number[] = [];
  for (const v of values) {
    if (typeof v === 'number') ids.push(v);
    else if (typeof v === 'string') {
      const test = textMatcher('ilike', v);
      for (const row of host.rows(model)) if (test(host.displayName(model, row))) ids.push(row.id);
    }
  }
  return ids;
}

function hierarchyIds(operator: string, start: number[], model: string, host: DomainHost): Set<number> {
  const parent = host.parentField(model);
  const result = new Set(start);
  if (!parent) return result;
  if (operator === 'parent_of') {
    for (const id of start) {
      let row = host.row(model, id);
      const seen = new Set<number>();
      while (row && !seen.has(row.id)) {
        seen.add(row.id);
        result.add(row.id);
        const p = host.value(model, row, parent);
        row = typeof p === 'number' ? host.row(model, p) : undefined;
      }
    }
    return result;
  }
  // child_of: one pass builds the parent → children map, then a breadth-first walk.
  const children = new Map<number, number[]>();
  for (const row of host.rows(model)) {
    const p = host.value(model, row, parent);
    if (typeof p === 'number') {
      const list = children.get(p);
      if (list) list.push(row.id);
      else children.set(p, [row.id]);
    }
  }
  const queue = [...start];
  while (queue.length) {
    for (const child of children.get(queue.pop()!) ?? []) {
      if (!result.has(child)) {
        result.add(child);
        queue.push(child);
      }
    }
  }
  return result;
}
