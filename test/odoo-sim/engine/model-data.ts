/**
 * External identifiers (ir.model.data): `module.name` → record, and a record's xmlids. What
 * Odoo's env.ref / _xmlid_to_res_id and get_metadata read.
 */
import type { Orm } from './orm.js';

export interface XmlidTarget {
  model: string;
  resId: number;
}

/**
 * The record an xmlid names, or undefined, like `_xmlid_to_res_model_res_id(xmlid)` without
 * raise_if_not_found: a name without a dot fails Python's `module, name = xmlid.split('.', 1)`
 * with a ValueError, which that method swallows like an unknown xmlid.
 */
export function xmlidTarget(orm: Orm, xmlid: unknown): XmlidTarget | undefined {
  if (typeof xmlid !== 'string') return undefined;
  const dot = xmlid.indexOf('.');
  if (dot < 0) return undefined;
  const module = xmlid.slice(0, dot);
  const name = xmlid.slice(dot + 1);
  for (const row of orm.rows('ir.model.data')) {
    if (row.module === module && row.name === name && row.res_id) return { model: String(row.model), resId: row.res_id as number };
  }
  return undefined;
}

export interface XmlidEntry {
  xmlid: string;
  noupdate: boolean;
}

/** Each record's xmlids, oldest first (Odoo reads them `order='id DESC'` and reverses). */
export function xmlidsOf(orm: Orm, model: string, ids: number[]): Map<number, XmlidEntry[]> {
  const wanted = new Set(ids);
  const out = new Map<number, XmlidEntry[]>();
  // Table order is id order.
  for (const row of orm.rows('ir.model.data')) {
    if (row.model !== model || !wanted.has(row.res_id as number)) continue;
    const list = out.get(row.res_id as number) ?? [];
    list.push({ xmlid: `${row.module}.${row.name}`, noupdate: Boolean(row.noupdate) });
    out.set(row.res_id as number, list);
  }
  return out;
}
