/**
 * The request log's filters and the three places they are written: the form, the page's URL
 * (so a filtered view can be bookmarked, shared, and gone back to) and the API's query.
 */
export interface LogFilters {
  apiKeyId: string;
  action: string;
  model: string;
  status: string;
  /** datetime-local values, in the browser's time zone, as the form's inputs hold them. */
  since: string;
  until: string;
}

export const NO_FILTERS: LogFilters = { apiKeyId: '', action: '', model: '', status: '', since: '', until: '' };

const TEXT_FILTERS = ['apiKeyId', 'action', 'model', 'status'] as const;
const TIME_FILTERS = ['since', 'until'] as const;

/** A datetime-local value (local time) as an instant, or null when it is not one. */
function instantOf(local: string): Date | null {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * How long the time a datetime-local value shows lasts: a minute for `08:19`, a second for
 * `08:19:30`. The API's `until` excludes its instant, so "To 08:19" must end after 08:19:59.
 */
function shownSpanMs(local: string): number {
  if (/T\d\d:\d\d$/.test(local)) return 60_000;
  if (/T\d\d:\d\d:\d\d$/.test(local)) return 1_000;
  return 0;
}

/** An instant as a datetime-local value in the browser's time zone (what the input shows). */
function localInputOf(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}

/**
 * The page's path for these filters. Times go into the URL as UTC instants (ISO 8601), so a link
 * means the same minutes to a colleague in another time zone.
 */
export function logsPath(f: LogFilters): string {
  const p = new URLSearchParams();
  for (const k of TEXT_FILTERS) if (f[k].trim()) p.set(k, f[k].trim());
  for (const k of TIME_FILTERS) {
    const d = f[k] ? instantOf(f[k]) : null;
    if (d) p.set(k, d.toISOString());
  }
  const search = p.toString();
  return search ? `/logs?${search}` : '/logs';
}

/** The filters a page URL's query names; what it does not name (or names wrongly) stays empty. */
export function filtersFromSearch(search: string): LogFilters {
  const p = new URLSearchParams(search);
  const f = { ...NO_FILTERS };
  for (const k of TEXT_FILTERS) f[k] = p.get(k) ?? '';
  for (const k of TIME_FILTERS) {
    const d = instantOf(p.get(k) ?? '');
    if (d) f[k] = localInputOf(d);
  }
  return f;
}

/** The request-log API's query for these filters (and the page before `before`). */
export function apiQuery(f: LogFilters, before?: number): string {
  const p = new URLSearchParams();
  for (const k of TEXT_FILTERS) if (f[k].trim()) p.set(k, f[k].trim());
  // datetime-local is local time; the API takes instants (ms). An unreadable one goes as it is,
  // for the API to refuse with the field named.
  for (const k of TIME_FILTERS) {
    if (!f[k]) continue;
    const d = instantOf(f[k]);
    p.set(k, d ? String(d.getTime() + (k === 'until' ? shownSpanMs(f[k]) : 0)) : f[k]);
  }
  if (before !== undefined) p.set('before', String(before));
  p.set('limit', '50');
  return p.toString();
}
