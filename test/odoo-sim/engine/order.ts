/**
 * `order` clauses ("name asc, id desc"): parsing, validation and an in-memory sort that mimics
 * PostgreSQL (NULLs last ascending / first descending, many2one ordered by the target's name).
 * When only the first few rows are needed, a bounded insertion keeps it O(n log k).
 */
import { valueError } from './errors.js';

export interface OrderTerm {
  field: string;
  desc: boolean;
}

export function parseOrder(order: string, model: string, hasField: (name: string) => boolean): OrderTerm[] {
  const terms: OrderTerm[] = [];
  for (const part of order.split(',')) {
    const text = part.trim();
    if (!text) continue;
    const m = /^"?([a-zA-Z0-9_]+)"?(?::[a-z_]+)?(?:\s+(asc|desc))?(?:\s+nulls\s+(?:first|last))?$/i.exec(text);
    if (!m) throw valueError(`Invalid "order" specified (${order}). A valid "order" specification is a comma-separated list of valid field names (optionally followed by asc/desc for the direction)`);
    const field = m[1]!;
    if (field !== 'id' && !hasField(field)) throw valueError(`Invalid field '${field}' on model '${model}'`);
    terms.push({ field, desc: (m[2] ?? 'asc').toLowerCase() === 'desc' });
  }
  return terms;
}

const collator = new Intl.Collator('en', { sensitivity: 'variant', numeric: false });

type Key = number | string | null;

export function compareKeys(a: Key, b: Key, desc: boolean): number {
  if (a === b) return 0;
  // NULLS LAST for ASC, NULLS FIRST for DESC, as PostgreSQL does by default.
  if (a === null) return desc ? -1 : 1;
  if (b === null) return desc ? 1 : -1;
  let c: number;
  if (typeof a === 'string' && typeof b === 'string') c = collator.compare(a, b);
  else c = a < b ? -1 : a > b ? 1 : 0;
  return desc ? -c : c;
}

/**
 * Sorts `items` by keys from `keyOf` (one key per term); ties broken by id ascending for stability.
 * Returns only the slice [offset, offset+limit) when limit is given.
 */
export function sortRows<T extends { id: number }>(
  items: T[],
  terms: OrderTerm[],
  keyOf: (item: T, term: OrderTerm) => Key,
  offset: number,
  limit: number | undefined,
): T[] {
  if (terms.length === 0) return limit === undefined ? items.slice(offset) : items.slice(offset, offset + limit);
  const decorated = (item: T) => ({ item, keys: terms.map((t) => keyOf(item, t)) });
  const cmp = (a: { item: T; keys: Key[] }, b: { item: T; keys: Key[] }) => {
    for (let i = 0; i < terms.length; i++) {
      const c = compareKeys(a.keys[i]!, b.keys[i]!, terms[i]!.desc);
      if (c !== 0) return c;
    }
    return a.item.id - b.item.id;
  };
  const need = limit === undefined ? Infinity : offset + limit;
  if (need < items.length / 8 && need <= 1000) {
    const best: { item: T; keys: Key[] }[] = [];
    for (const item of items) {
      const d = decorated(item);
      if (best.length === need && cmp(d, best[best.length - 1]!) >= 0) continue;
      let lo = 0;
      let hi = best.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cmp(best[mid]!, d) <= 0) lo = mid + 1;
        else hi = mid;
      }
      best.splice(lo, 0, d);
      if (best.length > need) best.pop();
    }
    return best.slice(offset).map((d) => d.item);
  }
  const all = items.map(decorated).sort(cmp);
  return (limit === undefined ? all.slice(offset) : all.slice(offset, offset + limit)).map((d) => d.item);
}
