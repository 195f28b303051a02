import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Delivery, type DeliveryAttempt, type DeliveryStatus, type Subscription } from '../api';
import { followDelayMs } from '../follow-delay';
import { Badge, Button, Dialog, Field, Loading, Notice, PageHeader, TableHead } from '../components';
import { formatDate, relative } from '../format';
import { navigate } from '../router';

const PAGE = 25;
const STATUSES: { value: DeliveryStatus | ''; label: string }[] = [
  { value: '', label: 'Any status' },
  { value: 'pending', label: 'Pending (waiting or retrying)' },
  { value: 'in_flight', label: 'In flight (being sent)' },
  { value: 'delivered', label: 'Delivered' },
  { value: 'failed', label: 'Failed (retries used up)' },
];

function statusBadge(d: Pick<Delivery, 'status' | 'attempts'>) {
  if (d.status === 'delivered') return <Badge tone="ok">delivered</Badge>;
  if (d.status === 'failed') return <Badge tone="error">failed</Badge>;
  if (d.status === 'in_flight') return <Badge tone="info">in flight</Badge>;
  return d.attempts > 0 ? <Badge tone="warn">retrying</Badge> : <Badge tone="muted">pending</Badge>;
}

const replayable = (d: Delivery) => d.status === 'failed' || d.status === 'delivered';

/** Where a page starts: after this delivery (newest first by creation time, then id). */
type Cursor = { createdAt: number; id: string } | null;

function query(status: string, before: Cursor): string {
  const q = new URLSearchParams({ limit: String(PAGE + 1) });
  if (status) q.set('status', status);
  if (before) {
    q.set('before', String(before.createdAt));
    q.set('beforeId', before.id);
  }
  return q.toString();
}

const subFromUrl = () => new URLSearchParams(location.search).get('subscription') ?? '';
/** The status filter a page URL names; one this page does not know is no filter. */
const statusFromUrl = (): DeliveryStatus | '' => {
  const named = new URLSearchParams(location.search).get('status') ?? '';
  return STATUSES.some((s) => s.value === named) ? (named as DeliveryStatus | '') : '';
};

/** The page's path for these filters: bookmarked or sent on, it shows the same deliveries. */
function deliveriesPath(subId: string, status: string): string {
  const q = new URLSearchParams();
  if (subId) q.set('subscription', subId);
  if (status) q.set('status', status);
  const search = q.toString();
  return search ? `/deliveries?${search}` : '/deliveries';
}

export function DeliveriesPage() {
  const [subs, setSubs] = useState<Subscription[] | null>(null);
  const [subId, setSubId] = useState(subFromUrl);
  const [status, setStatus] = useState<DeliveryStatus | ''>(statusFromUrl);
  // Cursors of the pages before this one; `before` of this page.
  const [cursors, setCursors] = useState<Cursor[]>([]);
  const [before, setBefore] = useState<Cursor>(null);
  const [rows, setRows] = useState<Delivery[] | null>(null);
  const [more, setMore] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [error, setError] = useState<ApiError | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [detail, setDetail] = useState<Delivery | null>(null);
  const loadSeq = useRef(0);

  useEffect(() => {
    api<{ subscriptions: Subscription[] }>('GET', '/api/v1/subscriptions')
      .then((r) => setSubs(r.subscriptions))
      .catch((e) => setError(e as ApiError));
    // The nav link (or Back) may change ?subscription= while this page stays mounted.
    const onPop = () => {
      setSubId(subFromUrl());
      setStatus(statusFromUrl());
      setCursors([]);
      setBefore(null);
    };
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);

  const load = useCallback(async () => {
    if (!subs) return;
    const seq = ++loadSeq.current;
    try {
      const targets = subId ? subs.filter((s) => s.id === subId) : subs;
      const parts = await Promise.all(targets.map((s) => api<{ deliveries: Delivery[] }>('GET', `/api/v1/subscriptions/${s.id}/deliveries?${query(status, before)}`)));
      const all = parts
        .flatMap((p) => p.deliveries)
        .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
      if (seq !== loadSeq.current) return;
      setRows(all.slice(0, PAGE));
      setMore(all.length > PAGE);
      setError(null);
    } catch (e) {
      if (seq === loadSeq.current) setError(e as ApiError);
    }
  }, [subs, subId, status, before]);
  useEffect(() => void load(), [load]);

  const moving = rows?.some((d) => d.status === 'pending' || d.status === 'in_flight') ?? false;
  // While something is on its way, follow it: read again when it is due (each load sets new rows).
  useEffect(() => {
    const delay = rows ? followDelayMs(rows, Date.now()) : null;
    if (delay === null) return;
    const t = setTimeout(() => void load(), delay);
    return () => clearTimeout(t);
  }, [rows, load]);

  const resetPaging = () => {
    setCursors([]);
    setBefore(null);
    setSelected(new Set());
  };
  const chooseSub = (id: string) => {
    setSubId(id);
    resetPaging();
    navigate(deliveriesPath(id, status), true);
  };
  const chooseStatus = (next: DeliveryStatus | '') => {
    setStatus(next);
    resetPaging();
    navigate(deliveriesPath(subId, next), true);
  };

  const nameOf = (id: string) => subs?.find((s) => s.id === id)?.name ?? id;

  const replay = async (key: string, calls: { subId: string; body: Record<string, unknown> }[]) => {
    setBusy(key);
    setError(null);
    setMessage(null);
    try {
      let n = 0;
      let inactive = 0;
      let skipped = 0;
      for (const c of calls) {
        const r = await api<{ replayed: number; active: boolean; skipped?: unknown[] }>('POST', `/api/v1/subscriptions/${c.subId}/replay`, c.body);
        n += r.replayed;
        skipped += r.skipped?.length ?? 0;
        if (!r.active && r.replayed) inactive += r.replayed;
      }
      setSelected(new Set());
      // A chosen delivery can change state between the list's load and the click (a retry started).
      setMessage(
        `Queued ${n === 1 ? '1 delivery' : `${n} deliveries`} again.` +
          (inactive ? ` ${inactive} wait until their subscription is enabled again.` : '') +
          (skipped ? ` ${skipped === 1 ? '1 was' : `${skipped} were`} left alone: already on the way, or gone.` : ''),
      );
      await load();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(null);
    }
  };

  const replaySelected = () => {
    const chosen = (rows ?? []).filter((d) => selected.has(d.id) && replayable(d));
    const groups = new Map<string, { subId: string; body: Record<string, unknown> }>();
    for (const d of chosen) {
      const k = `${d.subscriptionId}/${d.status}`;
      const g = groups.get(k) ?? { subId: d.subscriptionId, body: { deliveryIds: [] as string[], status: d.status } };
      (g.body.deliveryIds as string[]).push(d.id);
      groups.set(k, g);
    }
    void replay('selected', [...groups.values()]);
  };
  const replayAllFailed = () => {
    const targets = subId ? [subId] : (subs ?? []).map((s) => s.id);
    void replay('failed', targets.map((id) => ({ subId: id, body: { status: 'failed' } })));
  };

  const toggle = (id: string, on: boolean) =>
    setSelected((s) => {
      const n = new Set(s);
      if (on) n.add(id);
      else n.delete(id);
      return n;
    });
  const pageReplayable = (rows ?? []).filter(replayable);
  const allChecked = pageReplayable.length > 0 && pageReplayable.every((d) => selected.has(d.id));

  return (
    <section>
      <PageHeader
        title="Deliveries"
        intro={
          <>
            Every event sent to a subscription’s URL, with each attempt. A delivery keeps its <code>webhook-id</code> on every retry and replay, so
            receivers can de-duplicate.
          </>
        }
        actions={
          <Button onClick={() => void load()} aria-label="Refresh deliveries">
            Refresh
          </Button>
        }
      />
      <form class="card filters" onSubmit={(e) => e.preventDefault()} aria-label="Filter deliveries">
        <Field label="Subscription">
          {({ id }) => (
            <select id={id} name="subscription" value={subId} onChange={(e) => chooseSub((e.target as HTMLSelectElement).value)}>
              <option value="">All my subscriptions</option>
              {subs?.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name} ({s.model}){s.active ? '' : ' — disabled'}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Status">
          {({ id }) => (
            <select
              id={id}
              name="status"
              value={status}
              onChange={(e) => chooseStatus((e.target as HTMLSelectElement).value as DeliveryStatus | '')}
            >
              {STATUSES.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </form>
      <Notice error={error} success={message} />
      {!rows && !error && <Loading />}
      {subs && subs.length === 0 && (
        <div class="card empty">
          <h2>No subscriptions yet</h2>
          <p>
            Deliveries appear once a <a href="/subscriptions">subscription</a> sends events.
          </p>
        </div>
      )}
      {rows && subs && subs.length > 0 && rows.length === 0 && (
        <div class="card empty">
          <h2>No deliveries {status ? 'with this status' : 'yet'}</h2>
          <p>Send a test event from the Subscriptions page, or change a record in Odoo.</p>
        </div>
      )}
      {rows && rows.length > 0 && (
        <div class="card table-card">
          <div class="table-tools">
            <span class="muted">Failed and delivered deliveries can be sent again, with the same webhook-id.</span>
            <div class="actions">
              <Button class="btn-small" busy={busy === 'selected'} disabled={selected.size === 0} onClick={replaySelected}>
                Replay selected{selected.size ? ` (${selected.size})` : ''}
              </Button>
              <Button class="btn-small" busy={busy === 'failed'} onClick={replayAllFailed}>
                Replay all failed
              </Button>
            </div>
          </div>
          <table class="table responsive" data-testid="deliveries-table">
            <caption class="sr-only">Deliveries, newest first</caption>
            <TableHead
              columns={[
                <input
                  type="checkbox"
                  aria-label="Select all replayable deliveries on this page"
                  checked={allChecked}
                  disabled={pageReplayable.length === 0}
                  onChange={(e) => setSelected((e.target as HTMLInputElement).checked ? new Set(pageReplayable.map((d) => d.id)) : new Set())}
                />,
                'Event',
                // Filtered to one subscription, the column would repeat its name on every row.
                ...(subId ? [] : ['Subscription']),
                'Status',
                'Attempts',
                'Last answer',
                'Created',
              ]}
              actions
            />
            <tbody>
              {rows.map((d) => (
                <tr key={d.id} data-delivery-id={d.id} data-status={d.status}>
                  <td data-label="Select">
                    <input
                      type="checkbox"
                      aria-label={`Select delivery ${d.id}`}
                      checked={selected.has(d.id)}
                      disabled={!replayable(d)}
                      onChange={(e) => toggle(d.id, (e.target as HTMLInputElement).checked)}
                    />
                  </td>
                  <th scope="row" data-label="Event">
                    {d.eventType}
                    <div class="sub">
                      {d.recordId ? <>record {d.recordId} · </> : null}
                      <code>{d.id}</code>
                    </div>
                  </th>
                  {!subId && <td data-label="Subscription">{nameOf(d.subscriptionId)}</td>}
                  <td data-label="Status">
                    {statusBadge(d)}
                    {d.nextAttemptAt && d.attempts > 0 && <div class="sub">next {relative(d.nextAttemptAt)}</div>}
                  </td>
                  <td data-label="Attempts">{d.attempts}</td>
                  <td data-label="Last answer">
                    {d.lastStatus !== null ? <code>HTTP {d.lastStatus}</code> : d.lastError ? null : <span class="muted">—</span>}
                    {d.lastError && <div class="sub">{d.lastError}</div>}
                  </td>
                  <td data-label="Created" title={formatDate(d.createdAt)}>
                    {relative(d.createdAt)}
                  </td>
                  <td class="row-actions">
                    <Button class="btn-small" onClick={() => setDetail(d)} aria-label={`Attempts of delivery ${d.id}`}>
                      Details
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="table-foot">
            <span class="muted">
              Page {cursors.length + 1}
              {moving ? ' · updating while deliveries are on their way' : ''}
            </span>
            <div class="actions">
              <Button
                class="btn-small"
                disabled={cursors.length === 0}
                onClick={() => {
                  setBefore(cursors[cursors.length - 1] ?? null);
                  setCursors(cursors.slice(0, -1));
                }}
              >
                Newer
              </Button>
              <Button
                class="btn-small"
                disabled={!more}
                onClick={() => {
                  const last = rows[rows.length - 1]!;
                  setCursors([...cursors, before]);
                  setBefore({ createdAt: last.createdAt, id: last.id });
                }}
              >
                Older
              </Button>
            </div>
          </div>
        </div>
      )}
      <DeliveryDialog delivery={detail} subscriptionName={detail ? nameOf(detail.subscriptionId) : ''} onClose={() => setDetail(null)} onReplayed={() => { setDetail(null); setMessage('Queued 1 delivery again.'); void load(); }} />
    </section>
  );
}

interface DeliveryDetail {
  delivery: { id: string; status: DeliveryStatus; attempts: number; payload: unknown };
  attempts: DeliveryAttempt[];
}

function DeliveryDialog(props: { delivery: Delivery | null; subscriptionName: string; onClose: () => void; onReplayed: () => void }) {
  const d = props.delivery;
  const [detail, setDetail] = useState<DeliveryDetail | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setDetail(null);
    setError(null);
    if (!d) return;
    api<DeliveryDetail>('GET', `/api/v1/subscriptions/${d.subscriptionId}/deliveries/${encodeURIComponent(d.id)}`)
      .then(setDetail)
      .catch((e) => setError(e as ApiError));
  }, [d]);
  const replayOne = async () => {
    if (!d || !detail) return;
    setBusy(true);
    try {
      await api('POST', `/api/v1/subscriptions/${d.subscriptionId}/replay`, { deliveryIds: [d.id], status: detail.delivery.status });
      props.onReplayed();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={d !== null} title="Delivery" onClose={props.onClose} wide>
      {d && (
        <div data-testid="delivery-detail">
          <Notice error={error} />
          <dl class="kv kv-wide">
            <dt>webhook-id</dt>
            <dd>
              <code>{d.id}</code>
            </dd>
            <dt>Event</dt>
            <dd>
              {d.eventType} <span class="muted">({d.eventId})</span>
            </dd>
            <dt>Subscription</dt>
            <dd>{props.subscriptionName}</dd>
            <dt>Status</dt>
            <dd>{statusBadge(detail ? { status: detail.delivery.status, attempts: detail.delivery.attempts } : d)}</dd>
          </dl>
          {!detail && !error && <Loading />}
          {detail && (
            <>
              <h3>Attempts</h3>
              {detail.attempts.length === 0 && <p class="muted">Not sent yet.</p>}
              <ol class="attempts">
                {detail.attempts.map((a, i) => (
                  <li key={i} class="attempt" data-testid="attempt">
                    <p class="attempt-head">
                      {/* A replay starts the count again: number them all, and say which try of its round each was. */}
                      <strong>#{i + 1}</strong>
                      {a.attempt !== i + 1 && <span class="muted">(try {a.attempt} after a replay)</span>} {formatDate(a.startedAt)} ·{' '}
                      {a.status !== null ? <Badge tone={a.status >= 200 && a.status < 300 ? 'ok' : 'error'}>HTTP {a.status}</Badge> : <Badge tone="error">no answer</Badge>}
                      {a.durationMs !== null && <span class="muted"> {a.durationMs} ms</span>}
                    </p>
                    {(a.error || a.errorMessage) && (
                      <p class="field-error-inline">
                        {a.error && <code>{a.error}</code>} {a.errorMessage}
                      </p>
                    )}
                    {Object.keys(a.responseHeaders).length > 0 && (
                      <details>
                        <summary>Response headers</summary>
                        <pre class="pre-box">{Object.entries(a.responseHeaders).map(([k, v]) => `${k}: ${v}`).join('\n')}</pre>
                      </details>
                    )}
                    {a.responseBody !== null && a.responseBody !== '' && (
                      <details open={a.status === null || a.status >= 300}>
                        <summary>Response body (first bytes)</summary>
                        <pre class="pre-box">{a.responseBody}</pre>
                      </details>
                    )}
                  </li>
                ))}
              </ol>
              <details>
                <summary>Payload</summary>
                <pre class="pre-box">{JSON.stringify(detail.delivery.payload, null, 2)}</pre>
              </details>
            </>
          )}
          <div class="actions">
            {detail && (detail.delivery.status === 'failed' || detail.delivery.status === 'delivered') && (
              <Button variant="primary" busy={busy} onClick={replayOne}>
                Replay this delivery
              </Button>
            )}
            <Button onClick={props.onClose}>Close</Button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
