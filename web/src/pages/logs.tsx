import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type LogKey, type LogRow, type User } from '../api';
import { Badge, Button, Dialog, ErrorText, Field, Loading, PageHeader, TextField } from '../components';
import { formatDate, formatTime } from '../format';
import { apiQuery, filtersFromSearch, logsPath, NO_FILTERS, type LogFilters as Filters } from '../log-filters';
import { navigate } from '../router';
// The relay's own list of logged actions, so the filter offers every action the log can hold.
import { REST_ACTIONS, WEBHOOK_ACTIONS } from '../../../src/request-log/actions.js';

function statusTone(s: number): 'ok' | 'warn' | 'error' {
  return s < 300 ? 'ok' : s < 500 ? 'warn' : 'error';
}

export function LogsPage({ user }: { user: User }) {
  const [filters, setFilters] = useState<Filters>(() => filtersFromSearch(location.search));
  const [applied, setApplied] = useState<Filters>(filters);
  const [rows, setRows] = useState<LogRow[] | null>(null);
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState<'load' | 'more' | null>('load');
  const [keys, setKeys] = useState<LogKey[]>([]);
  const [detail, setDetail] = useState<LogRow | null>(null);
  const [detailError, setDetailError] = useState<ApiError | null>(null);

  // Back and Forward in quick succession start loads that may finish out of order: only the
  // latest one's answer is shown, or the rows would not match the filters on screen.
  const latest = useRef(0);
  const load = useCallback(async (f: Filters) => {
    const mine = ++latest.current;
    setBusy('load');
    setError(null);
    setFields({});
    try {
      const r = await api<{ rows: LogRow[]; nextBefore: number | null }>('GET', `/api/dashboard/request-log?${apiQuery(f)}`);
      if (mine !== latest.current) return;
      setRows(r.rows);
      setNextBefore(r.nextBefore);
      setApplied(f);
    } catch (e) {
      if (mine !== latest.current) return;
      setError(e as ApiError);
      setFields((e as ApiError).fieldErrors);
    } finally {
      if (mine === latest.current) setBusy(null);
    }
  }, []);

  // The URL holds the applied filters: opened from a link, or moved through with Back and
  // Forward, the page shows what its URL says.
  useEffect(() => {
    const fromUrl = () => {
      if (location.pathname !== '/logs') return;
      const f = filtersFromSearch(location.search);
      setFilters(f);
      void load(f);
    };
    fromUrl();
    window.addEventListener('popstate', fromUrl);
    api<{ apiKeys: LogKey[] }>('GET', '/api/dashboard/request-log/api-keys').then((r) => setKeys(r.apiKeys), () => undefined);
    return () => window.removeEventListener('popstate', fromUrl);
  }, [load]);

  /** Applies filters: a new history entry, unless the URL says so already (then a reload). */
  const apply = (f: Filters) => {
    const path = logsPath(f);
    if (path === location.pathname + location.search) void load(f);
    else navigate(path);
  };

  const more = async () => {
    if (nextBefore === null) return;
    setBusy('more');
    try {
      const r = await api<{ rows: LogRow[]; nextBefore: number | null }>('GET', `/api/dashboard/request-log?${apiQuery(applied, nextBefore)}`);
      setRows((old) => [...(old ?? []), ...r.rows]);
      setNextBefore(r.nextBefore);
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(null);
    }
  };

  const open = async (row: LogRow) => {
    setDetailError(null);
    setDetail(row);
    try {
      const r = await api<{ entry: LogRow }>('GET', `/api/dashboard/request-log/${row.id}`);
      setDetail(r.entry);
    } catch (e) {
      setDetailError(e as ApiError);
    }
  };

  const set = <K extends keyof Filters>(k: K) => (v: string) => setFilters((f) => ({ ...f, [k]: v }));
  const filtered = Object.values(applied).some(Boolean);
  const keyName = (id: string | null) => keys.find((k) => k.id === id)?.name;

  return (
    <section>
      <PageHeader
        title="Request log"
        intro={
          <>
            {user.role === 'admin' ? 'Every call' : 'Your calls'} to <code>/api/n8n/webhook</code> and to the REST API (<code>/api/v1/models/…</code>), newest
            first{user.role === 'admin' ? ' (all users)' : ''}.
          </>
        }
        actions={
          <Button onClick={() => load(applied)} busy={busy === 'load'}>
            Refresh
          </Button>
        }
      />
      <form
        class="card filters"
        role="search"
        aria-label="Filter requests"
        onSubmit={(e) => {
          e.preventDefault();
          apply(filters);
        }}
      >
        <Field label="API key">
          {({ id }) => (
            <select id={id} value={filters.apiKeyId} onChange={(e) => set('apiKeyId')((e.target as HTMLSelectElement).value)}>
              <option value="">Any</option>
              {keys.map((k) => (
                <option key={k.id} value={k.id}>
                  {k.owner ? `${k.owner}: ` : ''}
                  {k.name} ({k.prefix}…){k.revokedAt ? ' — revoked' : ''}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Action">
          {({ id }) => (
            <select id={id} value={filters.action} onChange={(e) => set('action')((e.target as HTMLSelectElement).value)}>
              <option value="">Any</option>
              <optgroup label="Webhook">
                {WEBHOOK_ACTIONS.map((a) => (
                  <option key={a} value={a}>
                    {a}
                  </option>
                ))}
              </optgroup>
              <optgroup label="REST API">
                {REST_ACTIONS.map((a) => (
                  <option key={a} value={a}>
                    {a}
                  </option>
                ))}
              </optgroup>
            </select>
          )}
        </Field>
        <TextField label="Model" value={filters.model} onValue={set('model')} placeholder="res.partner" error={fields.model} />
        <TextField label="Status" value={filters.status} onValue={set('status')} inputMode="numeric" placeholder="401" error={fields.status} />
        <TextField label="From" type="datetime-local" value={filters.since} onValue={set('since')} error={fields.since} />
        <TextField label="To" type="datetime-local" value={filters.until} onValue={set('until')} error={fields.until} />
        <div class="filter-actions">
          <Button type="submit" variant="primary">
            Apply
          </Button>
          <Button
            onClick={() => apply(NO_FILTERS)}
          >
            Clear
          </Button>
        </div>
      </form>

      {error && (
        <div role="alert" class="notice notice-error">
          <ErrorText error={error} />
        </div>
      )}
      {rows === null && busy === 'load' && <Loading />}
      {rows && rows.length === 0 && (
        <div class="card empty" role="status">
          {filtered ? (
            <>
              <h2>No requests match these filters</h2>
              <p>Widen the time range or clear the filters.</p>
            </>
          ) : (
            <>
              <h2>No requests yet</h2>
              <p>
                Calls to <code>/api/n8n/webhook</code> appear here a moment after they are answered. The <a href="/webhook">Webhook page</a> has ready-to-paste
                examples.
              </p>
            </>
          )}
        </div>
      )}
      {rows && rows.length > 0 && (
        <div class="card table-card">
          <table class="table responsive" data-testid="log-table">
            <caption class="sr-only">Requests, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Action</th>
                <th scope="col">Model · method</th>
                <th scope="col">Caller</th>
                <th scope="col">Status</th>
                <th scope="col">Duration</th>
                <th scope="col">
                  <span class="sr-only">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-log-id={r.id}>
                  <td data-label="Time" title={formatDate(r.createdAt)}>
                    {formatTime(r.createdAt)}
                  </td>
                  <td data-label="Action">{r.action ?? <span class="muted">—</span>}</td>
                  <td data-label="Model · method">{r.model ? <code>{r.model}{r.method ? `.${r.method}` : ''}</code> : <span class="muted">—</span>}</td>
                  <td data-label="Caller">
                    {r.keyPrefix ? (
                      <code title={keyName(r.apiKeyId)}>{r.keyPrefix}…</code>
                    ) : r.appId ? (
                      <span title={authLabel(r.authMethod)}>{r.appName ?? 'deleted app'}</span>
                    ) : (
                      <span class="muted">{r.authMethod ?? 'not authenticated'}</span>
                    )}
                  </td>
                  <td data-label="Status">
                    <span>
                      <Badge tone={statusTone(r.status)}>{r.status}</Badge> {r.code && <code class="small">{r.code}</code>}
                    </span>
                  </td>
                  <td data-label="Duration">{Math.round(r.durationMs)} ms</td>
                  <td class="row-actions">
                    <Button class="btn-small" onClick={() => open(r)} aria-label={`Details of request ${r.requestId}`}>
                      Details
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="table-foot">
            <span class="muted">{rows.length} shown</span>
            {nextBefore !== null ? (
              <Button onClick={more} busy={busy === 'more'}>
                Load older
              </Button>
            ) : (
              <span class="muted">End of log</span>
            )}
          </div>
        </div>
      )}

      <Dialog open={detail !== null} title="Request details" onClose={() => setDetail(null)} wide>
        {detail && (
          <>
            {detailError && (
              <div role="alert" class="notice notice-error">
                <ErrorText error={detailError} />
              </div>
            )}
            <dl class="kv kv-wide" data-testid="log-detail">
              <dt>Request id</dt>
              <dd>
                <code>{detail.requestId}</code>
              </dd>
              <dt>Time</dt>
              <dd>{new Date(detail.createdAt).toISOString()}</dd>
              <dt>Action</dt>
              <dd>{detail.action ?? '—'}</dd>
              <dt>Model</dt>
              <dd>{detail.model ?? '—'}</dd>
              <dt>Method</dt>
              <dd>{detail.method ?? '—'}</dd>
              <dt>Authentication</dt>
              <dd>
                {detail.appId ? `${authLabel(detail.authMethod)} — ${detail.appName ?? 'deleted app'}` : (detail.authMethod ?? 'not authenticated')}
                {detail.keyPrefix && (
                  <>
                    {' '}
                    — <code>{detail.keyPrefix}…</code> {keyName(detail.apiKeyId) && `(${keyName(detail.apiKeyId)})`}
                  </>
                )}
              </dd>
              <dt>HTTP status</dt>
              <dd>
                <Badge tone={statusTone(detail.status)}>{detail.status}</Badge>
              </dd>
              <dt>Error code</dt>
              <dd>{detail.code ? <code>{detail.code}</code> : 'none'}</dd>
              <dt>Duration</dt>
              <dd>{detail.durationMs} ms total{detail.odooMs !== null && `, ${detail.odooMs} ms in Odoo`}</dd>
              <dt>Client IP</dt>
              <dd>{detail.ip ?? '—'}</dd>
            </dl>
            <p class="hint">Request and response bodies are not stored: they may hold customer data.</p>
          </>
        )}
      </Dialog>
    </section>
  );
}

/** How a third-party app's call was signed in, in words. */
function authLabel(method: string | null): string {
  return method === 'oauth1' ? 'OAuth 1.0a' : method === 'oauth2' ? 'OAuth 2.0' : (method ?? 'unknown');
}
