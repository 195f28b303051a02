import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type AuthorizedApp, type RecordEvent, type RegisteredApp, type Subscription } from '../api';
import { Badge, Button, CopyField, Field, Loading, LoadError, Notice, PageHeader, TableHead, TextAreaField, TextField } from '../components';
import { ConfirmDialog, FormDialog, ShownOnceDialog } from '../dialogs';
import { formatDate, parseList, relative } from '../format';
import { useEditForm } from '../use-edit-form';
import { useRowAction } from '../use-row-action';

const EVENT_LABELS: Record<RecordEvent, string> = { create: 'create', write: 'write (update)', unlink: 'unlink (delete)' };
const MODE_HELP: Record<Subscription['captureMode'], string> = {
  auto: 'push when Odoo allows automation rules, otherwise poll',
  push: 'Odoo automation rules call the relay at once',
  poll: 'the relay asks Odoo for changes every few seconds',
};

interface SubForm {
  name: string;
  model: string;
  events: RecordEvent[];
  domain: string;
  changedFields: string;
  fields: string;
  targetUrl: string;
  format: 'json' | 'xml';
  timeoutMs: string;
  retries: string;
  headers: string;
  /** Editing: drop the stored custom headers (their values are never shown, so an empty box keeps them). */
  removeHeaders: boolean;
  captureMode: Subscription['captureMode'];
}

const EMPTY: SubForm = { name: '', model: '', events: ['create', 'write', 'unlink'], domain: '', changedFields: '', fields: '', targetUrl: '', format: 'json', timeoutMs: '5000', retries: '5', headers: '', removeHeaders: false, captureMode: 'auto' };

function formOf(s: Subscription): SubForm {
  return {
    name: s.name,
    model: s.model,
    events: s.events,
    domain: s.domain ? JSON.stringify(s.domain) : '',
    changedFields: s.changedFields?.join(', ') ?? '',
    fields: s.fields?.join(', ') ?? '',
    targetUrl: s.targetUrl,
    format: s.format,
    timeoutMs: String(s.timeoutMs),
    retries: String(s.retries),
    headers: '',
    removeHeaders: false,
    captureMode: s.captureMode,
  };
}

/** "Name: value" lines → object; a line without a colon is a field error. */
function parseHeaders(text: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const i = line.indexOf(':');
    if (i <= 0) return `“${line.trim()}” is not “Name: value”`;
    out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

/** The request body, or field errors found before asking the relay. */
function toBody(f: SubForm, existing: Subscription | null): { body: Record<string, unknown> } | { errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  let domain: unknown = null;
  if (f.domain.trim()) {
    try {
      domain = JSON.parse(f.domain);
      if (!Array.isArray(domain)) errors.domain = 'must be a JSON array, e.g. [["customer_rank", ">", 0]]';
    } catch (e) {
      // What Odoo shows is Python: ('is_company', '=', True). Say how to write it instead.
      errors.domain = /[()']|\b(True|False|None)\b/.test(f.domain)
        ? 'write the domain as JSON, as in [["is_company", "=", true]]: square brackets, double quotes, true/false/null (Odoo shows Python)'
        : `not valid JSON: ${(e as Error).message}`;
    }
  }
  const headers = parseHeaders(f.headers);
  if (typeof headers === 'string') errors.headers = headers;
  if (f.events.length === 0) errors.events = 'pick at least one event';
  // Left empty, a new subscription is named after its model and target; an existing one keeps a name.
  if (existing && !f.name.trim()) errors.name = `give it a name (it was “${existing.name}”)`;
  for (const [key, what] of [['timeoutMs', 'the timeout in milliseconds, e.g. 5000'], ['retries', 'the number of retries, e.g. 5']] as const) {
    if (f[key].trim() === '' || !Number.isFinite(Number(f[key]))) errors[key] = `enter ${what}`;
  }
  if (Object.keys(errors).length) return { errors };
  const body: Record<string, unknown> = {
    ...(f.name.trim() ? { name: f.name.trim() } : {}),
    events: f.events,
    domain,
    changedFields: parseList(f.changedFields),
    fields: parseList(f.fields),
    targetUrl: f.targetUrl.trim(),
    format: f.format,
    timeoutMs: Number(f.timeoutMs),
    retries: Number(f.retries),
    captureMode: f.captureMode,
  };
  if (!existing) body.model = f.model.trim();
  // Header values are never shown again; an empty box on edit keeps the stored ones.
  if (!existing || f.headers.trim()) body.headers = typeof headers === 'string' || Object.keys(headers).length === 0 ? null : headers;
  else if (f.removeHeaders) body.headers = null;
  return { body };
}

type Once = { title: string; name: string; secret: string; note?: string };

/**
 * Names of the apps that may have made the user's subscriptions: those the user authorized, and
 * their own (client_credentials acts for the owner). A list that fails to load leaves ids shown.
 */
async function subscriptionAppNames(): Promise<ReadonlyMap<string, string>> {
  const [authorized, own] = await Promise.all([
    api<{ authorizedApps: AuthorizedApp[] }>('GET', '/api/dashboard/authorized-apps').then((r) => r.authorizedApps.map((a) => [a.appId, a.name] as const), () => []),
    api<{ apps: RegisteredApp[] }>('GET', '/api/dashboard/apps').then((r) => r.apps.map((a) => [a.id, a.name] as const), () => []),
  ]);
  return new Map([...authorized, ...own]);
}

export function SubscriptionsPage() {
  const [subs, setSubs] = useState<Subscription[] | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const { busy, error, message, setMessage, act } = useRowAction();
  const [editing, setEditing] = useState<Subscription | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Subscription | null>(null);
  const [rotating, setRotating] = useState<Subscription | null>(null);
  const [missed, setMissed] = useState<{ sub: Subscription; failed: number } | null>(null);
  const [once, setOnce] = useState<Once | null>(null);

  const [appNames, setAppNames] = useState<ReadonlyMap<string, string>>(new Map());
  const askedAppIds = useRef(new Set<string>());

  const load = useCallback(async () => {
    try {
      const r = await api<{ subscriptions: Subscription[] }>('GET', '/api/v1/subscriptions');
      setSubs(r.subscriptions);
      setLoadError(null);
      // Looked up again only for an app id not asked about yet, not on every reload after an action.
      const newAppIds = r.subscriptions.flatMap((s) => (s.appId && !askedAppIds.current.has(s.appId) ? [s.appId] : []));
      if (newAppIds.length) {
        for (const id of newAppIds) askedAppIds.current.add(id);
        setAppNames(await subscriptionAppNames());
      }
    } catch (e) {
      setLoadError(e as ApiError);
    }
  }, []);
  useEffect(() => void load(), [load]);


  const setActive = (s: Subscription, active: boolean) =>
    act(`active-${s.id}`, async () => {
      const r = await api<{ subscription: Subscription; missed?: { failed: number } }>('PATCH', `/api/v1/subscriptions/${s.id}`, { active });
      await load();
      if (!active) setMessage(`Disabled “${s.name}”. Changes are still recorded and wait until it is enabled again.`);
      else if (r.missed && r.missed.failed > 0) setMissed({ sub: r.subscription, failed: r.missed.failed });
      else setMessage(`Enabled “${s.name}”. No deliveries failed.`);
    });

  const testSend = (s: Subscription) =>
    act(`test-${s.id}`, async () => {
      const r = await api<{ deliveryId: string; active: boolean }>('POST', `/api/v1/subscriptions/${s.id}/test`);
      setMessage(
        <span data-testid="test-sent">
          Test event <code>{s.model}.test</code> queued as delivery <code>{r.deliveryId}</code>
          {r.active ? '' : ' — it waits until the subscription is enabled'}.{' '}
          <a href={`/deliveries?subscription=${encodeURIComponent(s.id)}`}>See it in Deliveries</a>
        </span>,
      );
    });

  const disabled = subs?.filter((s) => !s.active) ?? [];

  return (
    <section>
      <PageHeader
        title="Subscriptions"
        intro={
          <>
            Changes to Odoo records sent to your URL as signed webhooks (Standard Webhooks: <code>webhook-id</code>, <code>webhook-timestamp</code>,{' '}
            <code>webhook-signature</code>). The <code>whsec_…</code> signing secret is shown once.
          </>
        }
        actions={
          <Button variant="primary" onClick={() => setEditing('new')}>
            New subscription
          </Button>
        }
      />
      {disabled.length > 0 && (
        <div class="notice notice-warn" role="alert" data-testid="disabled-banner">
          <strong>
            {disabled.length === 1 ? '1 subscription is disabled' : `${disabled.length} subscriptions are disabled`}
          </strong>{' '}
          — nothing is sent to {disabled.length === 1 ? 'its' : 'their'} URL until enabled again; changes keep being recorded.
          <ul class="banner-list">
            {disabled.map((s) => (
              <li key={s.id}>
                <strong>{s.name}</strong>: {s.disabledReason ?? 'disabled'}
                {s.disabledAt && <span class="muted"> ({formatDate(s.disabledAt)})</span>}
              </li>
            ))}
          </ul>
        </div>
      )}
      <Notice error={error} success={message} />
      <LoadError error={loadError} />
      {!subs && !loadError && <Loading />}
      {subs && subs.length === 0 && (
        <div class="card empty">
          <h2>No subscriptions yet</h2>
          <p>Subscribe to an Odoo model (for example res.partner) and the relay sends its creates, updates and deletes to your URL.</p>
          <Button variant="primary" onClick={() => setEditing('new')}>
            Create your first subscription
          </Button>
        </div>
      )}
      {subs && subs.length > 0 && (
        <div class="card table-card">
          <table class="table responsive" data-testid="subscriptions-table">
            <caption class="sr-only">Subscriptions</caption>
            <TableHead columns={['Name · model', 'Events', 'Target URL', 'Format', 'Mode', 'Status']} actions />
            <tbody>
              {subs.map((s) => (
                <tr key={s.id} data-subscription-id={s.id} class={s.active ? '' : 'row-dim'}>
                  <th scope="row" data-label="Name">
                    {s.name}
                    <div class="sub">
                      <code>{s.model}</code>
                    </div>
                    {s.appId && (
                      <div class="sub" data-testid="subscription-app">
                        made by the app {appNames.has(s.appId) ? `“${appNames.get(s.appId)}”` : <code>{s.appId}</code>}
                      </div>
                    )}
                  </th>
                  <td data-label="Events">{s.events.map((e) => <Badge key={e} tone="info">{e}</Badge>)}</td>
                  <td data-label="Target URL" class="break">
                    <code>{s.targetUrl}</code>
                  </td>
                  <td data-label="Format">{s.format.toUpperCase()}</td>
                  <td data-label="Mode" title={s.captureNote ?? undefined}>
                    {s.captureMode === 'auto' ? `auto → ${s.captureEffective}` : s.captureEffective}
                  </td>
                  <td data-label="Status">
                    {s.active ? <Badge tone="ok">Active</Badge> : <Badge tone="error">Disabled</Badge>}
                    {!s.active && s.disabledReason && <div class="sub">{s.disabledReason}</div>}
                    {!s.active && s.disabledAt && <div class="sub" title={formatDate(s.disabledAt)}>{relative(s.disabledAt)}</div>}
                    {s.active && s.consecutiveFailures > 0 && <div class="sub">{s.consecutiveFailures} failed in a row</div>}
                  </td>
                  <td class="row-actions">
                    <div class="action-wrap">
                    <Button class="btn-small" busy={busy === `test-${s.id}`} onClick={() => testSend(s)} aria-label={`Send a test event to ${s.name}`}>
                      Test
                    </Button>
                    <a class="btn btn-secondary btn-small" href={`/deliveries?subscription=${encodeURIComponent(s.id)}`} aria-label={`Deliveries of ${s.name}`}>
                      Deliveries
                    </a>
                    <Button class="btn-small" onClick={() => setEditing(s)} aria-label={`Edit ${s.name}`}>
                      Edit
                    </Button>
                    <Button class="btn-small" busy={busy === `active-${s.id}`} onClick={() => setActive(s, !s.active)} aria-label={`${s.active ? 'Disable' : 'Enable'} ${s.name}`}>
                      {s.active ? 'Disable' : 'Enable'}
                    </Button>
                    <Button class="btn-small" onClick={() => setRotating(s)} aria-label={`Rotate the secret of ${s.name}`}>
                      Rotate secret
                    </Button>
                    <Button class="btn-small" variant="danger" onClick={() => setDeleting(s)} aria-label={`Delete ${s.name}`}>
                      Delete
                    </Button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <SubscriptionFormDialog
        target={editing}
        onClose={() => setEditing(null)}
        onSaved={(s, secret) => {
          setEditing(null);
          void load();
          if (secret) setOnce({ title: 'Subscription created', name: s.name, secret });
          else setMessage(`Saved “${s.name}”.`);
        }}
      />
      <ConfirmDialog
        target={deleting}
        title="Delete subscription?"
        removesOpener
        confirm="Delete subscription"
        body={(s) => (
          <p>
            <strong>{s.name}</strong> stops at once; its delivery log and the automation rules it made in Odoo are removed. This cannot be undone.
          </p>
        )}
        run={async (s) => {
          await api('DELETE', `/api/v1/subscriptions/${s.id}`);
          setDeleting(null);
          setMessage(`Deleted “${s.name}”.`);
          await load();
        }}
        onClose={() => setDeleting(null)}
      />
      <ConfirmDialog
        target={rotating}
        title="Rotate signing secret?"
        confirm="Rotate secret"
        variant="primary"
        body={(s) => (
          <p>
            A new secret signs deliveries of <strong>{s.name}</strong> from now on. The old one keeps signing alongside it for 24 hours, so you can update
            the receiver without losing events.
          </p>
        )}
        run={async (s) => {
          const r = await api<{ secret: string; previousSecretValidUntil: string | null }>('POST', `/api/v1/subscriptions/${s.id}/rotate-secret`);
          setRotating(null);
          const note =
            r.previousSecretValidUntil === null
              ? 'The previous secret could not be opened (it was sealed under another master key), so only the new one signs.'
              : `The previous secret also signs until ${formatDate(Date.parse(r.previousSecretValidUntil))}.`;
          setOnce({ title: 'New signing secret', name: s.name, secret: r.secret, note });
          await load();
        }}
        onClose={() => setRotating(null)}
      />
      <ConfirmDialog
        target={missed?.sub ?? null}
        title="Subscription enabled"
        confirm="Replay failed deliveries"
        variant="primary"
        cancel="Not now"
        body={(s) => (
          <p data-testid="missed-count">
            <strong>{s.name}</strong> is active again. <strong>{missed?.failed === 1 ? '1 delivery' : `${missed?.failed} deliveries`}</strong> failed
            before it was disabled. Send {missed?.failed === 1 ? 'it' : 'them'} again now?
          </p>
        )}
        run={async (s) => {
          const r = await api<{ replayed: number }>('POST', `/api/v1/subscriptions/${s.id}/replay`, { status: 'failed' });
          setMissed(null);
          setMessage(
            <span>
              Queued {r.replayed === 1 ? '1 delivery' : `${r.replayed} deliveries`} again. <a href={`/deliveries?subscription=${encodeURIComponent(s.id)}`}>Follow them in Deliveries</a>
            </span>,
          );
        }}
        onClose={() => {
          if (missed) setMessage(`Enabled “${missed.sub.name}”. ${missed.failed} failed deliveries were not replayed; you can replay them from Deliveries.`);
          setMissed(null);
        }}
      />
      <SecretOnceDialog once={once} onClose={() => setOnce(null)} />
    </section>
  );
}

function SubscriptionFormDialog(props: { target: Subscription | 'new' | null; onClose: () => void; onSaved: (s: Subscription, secret?: string) => void }) {
  const { creating, existing, form, set, busy, error, fields, refuse, submit } = useEditForm(props.target, () => EMPTY, formOf);
  const toggleEvent = (e: RecordEvent, on: boolean) => set('events')(on ? [...form.events, e] : form.events.filter((x) => x !== e));

  const save = submit(async () => {
    const r = toBody(form, existing);
    if ('errors' in r) return refuse(r.errors, 'Check the highlighted fields.');
    if (creating) {
      const a = await api<{ subscription: Subscription; secret: string }>('POST', '/api/v1/subscriptions', r.body);
      props.onSaved(a.subscription, a.secret);
    } else if (existing) {
      const a = await api<{ subscription: Subscription }>('PATCH', `/api/v1/subscriptions/${existing.id}`, r.body);
      props.onSaved(a.subscription);
    }
  });

  const textarea = (key: 'domain' | 'changedFields' | 'fields' | 'headers', label: string, hint: ComponentChildren, placeholder?: string) => (
    <TextAreaField
      label={label}
      name={key}
      rows={2}
      class={key === 'domain' || key === 'headers' ? 'mono' : undefined}
      placeholder={placeholder}
      value={form[key]}
      onValue={set(key)}
      error={fields[key]}
      hint={hint}
    />
  );

  return (
    <FormDialog
      open={props.target !== null}
      title={creating ? 'New subscription' : `Edit “${existing?.name ?? ''}”`}
      submit={creating ? 'Create subscription' : 'Save changes'}
      busy={busy}
      error={error}
      onSubmit={save}
      onClose={props.onClose}
    >
      <div class="row-2">
        <TextField
          label="Model"
          name="model"
          value={form.model}
          onValue={set('model')}
          error={fields.model}
          required
          disabled={!creating}
          placeholder="res.partner"
          hint={creating ? 'The Odoo model to watch.' : 'The model cannot change; create another subscription instead.'}
        />
        <TextField label="Name (optional)" name="name" value={form.name} onValue={set('name')} error={fields.name} placeholder="Partners to CRM" />
      </div>
      <fieldset class="field" aria-describedby={fields.events ? 'events-err' : undefined}>
        <legend>Events</legend>
        <div class="check-row">
          {(['create', 'write', 'unlink'] as const).map((ev) => (
            <label class="check" key={ev}>
              <input type="checkbox" name="events" value={ev} checked={form.events.includes(ev)} onChange={(e) => toggleEvent(ev, (e.target as HTMLInputElement).checked)} />
              {EVENT_LABELS[ev]}
            </label>
          ))}
        </div>
        {fields.events && (
          <p class="field-error" id="events-err">
            {fields.events}
          </p>
        )}
      </fieldset>
      <TextField
        label="Target URL"
        name="targetUrl"
        type="url"
        inputMode="url"
        value={form.targetUrl}
        onValue={set('targetUrl')}
        error={fields.targetUrl}
        required
        placeholder="https://n8n.example.com/webhook/…"
        hint="HTTPS, reachable from the relay. Private addresses are refused unless the operator allows them."
      />
      {textarea('domain', 'Domain (optional, JSON)', <>Only records matching it, e.g. <code>[["customer_rank", "&gt;", 0]]</code>.</>, '[["is_company", "=", true]]')}
      <div class="row-2">
        {textarea('changedFields', 'Only when these fields change (optional)', 'For write events; comma separated. Empty: any change.', 'email, phone')}
        {textarea('fields', 'Payload fields (optional)', 'Fields sent in data; comma separated. Empty: the defaults.', 'name, email')}
      </div>
      <div class="row-3">
        <Field label="Format" error={fields.format}>
          {({ id, describedBy }) => (
            <select id={id} name="format" value={form.format} aria-describedby={describedBy} onChange={(e) => set('format')((e.target as HTMLSelectElement).value as SubForm['format'])}>
              <option value="json">JSON</option>
              <option value="xml">XML</option>
            </select>
          )}
        </Field>
        <TextField label="Timeout (ms)" name="timeoutMs" type="number" min="100" max="60000" inputMode="numeric" value={form.timeoutMs} onValue={set('timeoutMs')} error={fields.timeoutMs} />
        <TextField label="Retries" name="retries" type="number" min="0" max="20" inputMode="numeric" value={form.retries} onValue={set('retries')} error={fields.retries} />
      </div>
      <Field label="Capture mode" error={fields.captureMode} hint={MODE_HELP[form.captureMode]}>
        {({ id, describedBy }) => (
          <select id={id} name="captureMode" value={form.captureMode} aria-describedby={describedBy} onChange={(e) => set('captureMode')((e.target as HTMLSelectElement).value as SubForm['captureMode'])}>
            <option value="auto">auto</option>
            <option value="push">push</option>
            <option value="poll">poll</option>
          </select>
        )}
      </Field>
      {textarea(
        'headers',
        'Custom headers (optional)',
        existing?.headerNames.length
          ? <>Set now: {existing.headerNames.join(', ')}. Values are never shown; leave empty to keep them (for a URL on the same origin only), or enter all of them again.</>
          : <>One <code>Name: value</code> per line, sent with every delivery (stored encrypted).</>,
        'Authorization: Bearer …',
      )}
      {existing?.headerNames.length && !form.headers.trim() ? (
        <label class="check check-block">
          <input type="checkbox" name="removeHeaders" checked={form.removeHeaders} onChange={(e) => set('removeHeaders')((e.target as HTMLInputElement).checked)} />
          Remove the custom headers ({existing.headerNames.join(', ')})
        </label>
      ) : null}
    </FormDialog>
  );
}

function SecretOnceDialog({ once, onClose }: { once: Once | null; onClose: () => void }) {
  return (
    <ShownOnceDialog
      once={once}
      onClose={onClose}
      testId="secret-once"
      warning={() => (
        <>
          <strong>Copy the signing secret now.</strong> It will not be shown again. Your receiver verifies the <code>webhook-signature</code> header with it
          (any Standard Webhooks library does).
        </>
      )}
      saved={() => 'I have saved it'}
    >
      {(o) => (
        <>
          <CopyField label="Signing secret" value={o.secret} testId="signing-secret" secret />
          {o.note && <p class="muted">{o.note}</p>}
        </>
      )}
    </ShownOnceDialog>
  );
}
