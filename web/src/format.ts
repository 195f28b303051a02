/** Display helpers: dates, relative times, lists. */

export function formatDate(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function formatTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function relative(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return 'never';
  const s = Math.round((Date.now() - ms) / 1000);
  const future = s < 0;
  const a = Math.abs(s);
  const text = a < 60 ? `${a}s` : a < 3600 ? `${Math.round(a / 60)} min` : a < 86400 ? `${Math.round(a / 3600)} h` : `${Math.round(a / 86400)} d`;
  return future ? `in ${text}` : `${text} ago`;
}

/** "a, b\nc" → ["a","b","c"]; empty → null (no allow-list). */
export function parseList(text: string): string[] | null {
  const items = text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
  return items.length ? items : null;
}

/** Rows shown in a chat answer's data table (the count says how many came). */
export const MAX_DATA_ROWS = 200;

/** Columns are the union of the rows' keys in first-seen order; a row that is not an object shows as one "value" column. */
export function tabulate(rows: unknown[]): { columns: string[]; cells: { text: string; num: boolean }[][] } {
  const columns: string[] = [];
  const seen = new Set<string>();
  const objects = rows.map((r) => (r && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : { value: r }));
  for (const o of objects)
    for (const k of Object.keys(o))
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
  return { columns, cells: objects.map((o) => columns.map((c) => cell(o[c]))) };
}

function cell(v: unknown): { text: string; num: boolean } {
  if (v === undefined || v === null) return { text: '', num: false };
  if (typeof v === 'number') return { text: v.toLocaleString('en-US', { maximumFractionDigits: 6 }), num: true };
  if (typeof v === 'string') return { text: v, num: false };
  if (typeof v === 'boolean') return { text: String(v), num: false };
  // Odoo many2one: [id, display name].
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'string') return { text: v[1], num: false };
  return { text: compactJson(v), num: false };
}

export function compactJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return String(v);
  }
}
