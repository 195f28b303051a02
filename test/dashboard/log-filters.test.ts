import { describe, expect, it } from 'vitest';
import { apiQuery, filtersFromSearch, logsPath, NO_FILTERS } from '../../web/src/log-filters.js';

describe('request log filters in the page URL', () => {
  it('round-trips every filter through the URL, times as UTC instants', () => {
    const filters = { apiKeyId: 'key_1', action: 'rest.list', model: 'sale.order', status: '502', since: '2026-12-05T09:30', until: '2026-12-05T10:00' };
    const path = logsPath(filters);
    const url = new URL(path, 'http://relay.test');
    expect(url.pathname).toBe('/logs');
    expect(url.searchParams.get('since')).toBe(new Date('2026-12-05T09:30').toISOString());
    expect(filtersFromSearch(url.search)).toEqual(filters);
    expect(apiQuery(filters)).toBe(
      `apiKeyId=key_1&action=rest.list&model=sale.order&status=502&since=${new Date('2026-12-05T09:30').getTime()}&until=${new Date('2026-12-05T10:00').getTime() + 60_000}&limit=50`,
    );
  });

  it('sends "To" as the end of the minute it shows, so the calls of that minute are in', () => {
    const at = (local: string) => new Date(local).getTime();
    expect(apiQuery({ ...NO_FILTERS, since: '2026-12-05T08:19', until: '2026-12-05T08:19' })).toBe(`since=${at('2026-12-05T08:19')}&until=${at('2026-12-05T08:20')}&limit=50`);
    expect(apiQuery({ ...NO_FILTERS, until: '2026-12-05T08:19:30' })).toBe(`until=${at('2026-12-05T08:19:31')}&limit=50`);
  });

  it('leaves out empty filters, and ignores what a hand-edited URL gets wrong', () => {
    expect(logsPath(NO_FILTERS)).toBe('/logs');
    expect(logsPath({ ...NO_FILTERS, model: '  res.partner ' })).toBe('/logs?model=res.partner');
    expect(filtersFromSearch('?since=yesterday&until=&unknown=1&status=4xx')).toEqual({ ...NO_FILTERS, status: '4xx' });
    // The API refuses a bad status with the field named; the page passes it on as it is.
    expect(apiQuery({ ...NO_FILTERS, status: '4xx' }, 123)).toBe('status=4xx&before=123&limit=50');
  });
});
