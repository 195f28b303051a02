import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError, type ApiKey } from '../api';
import { Badge, Button, CopyField, Dialog, ErrorText, Field, Loading, Notice, PageHeader, TextField } from '../components';
import { formatDate, parseList, relative } from '../format';

const SCOPE_HELP: Record<string, string> = {
  webhook: 'All webhook actions, any Odoo method (read and write).',
  read: 'Webhook actions limited to methods that cannot change data (search_read, read, …).',
};

interface KeyForm {
  name: string;
  scopes: string[];
  rateLimit: string;
  allowedModels: string;
  allowedMethods: string;
  expires: string;
  hmac: boolean;
}

function statusOf(k: ApiKey): { tone: 'ok' | 'error' | 'warn'; label: string } {
  if (k.revokedAt !== null) return { tone: 'error', label: 'Revoked' };
  if (k.expiresAt !== null && k.expiresAt <= Date.now()) return { tone: 'warn', label: 'Expired' };
  return { tone: 'ok', label: 'Active' };
}

/** yyyy-mm-dd for <input type=date>, in local time. */
function toDateInput(ms: number | null): string {
  if (ms === null) return '';
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function toBody(f: KeyForm, existing: ApiKey | null) {
  const creating = existing === null;
  // An expiry date means "valid through that day": the key stops at the end of it, local time.
  const expiresAt = f.expires ? new Date(`${f.expires}T23:59:59`).getTime() : null;
  const rate = f.rateLimit.trim() === '' ? undefined : Number(f.rateLimit);
  return {
    name: f.name,
    scopes: f.scopes,
    ...(rate !== undefined ? { rateLimit: rate } : {}),
    allowedModels: parseList(f.allowedModels),
    allowedMethods: parseList(f.allowedMethods),
    // An unchanged expiry is not sent again: it may already be past (editing an expired key's name).
    ...(creating || f.expires !== toDateInput(existing.expiresAt) ? { expiresAt } : {}),
    ...(creating ? { hmac: f.hmac } : {}),
  };
}

type Once = { title: string; keyName: string; key?: string; hmacSecret?: string | null };

export function KeysPage() {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [meta, setMeta] = useState<{ scopes: string[]; defaultRateLimit: number }>({ scopes: ['webhook', 'read'], defaultRateLimit: 100 });
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [editing, setEditing] = useState<ApiKey | 'new' | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const [hmacFor, setHmacFor] = useState<ApiKey | null>(null);
  const [once, setOnce] = useState<Once | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [showRevoked, setShowRevoked] = useState(true);

  const load = useCallback(async () => {
    try {
      const r = await api<{ apiKeys: ApiKey[]; scopes: string[]; defaultRateLimit: number }>('GET', '/api/dashboard/api-keys');
      setKeys(r.apiKeys);
      setMeta({ scopes: r.scopes, defaultRateLimit: r.defaultRateLimit });
      setLoadError(null);
    } catch (e) {
      setLoadError(e as ApiError);
    }
  }, []);
  useEffect(() => void load(), [load]);

  const visible = keys?.filter((k) => showRevoked || k.revokedAt === null) ?? [];

  return (
    <section>
      <PageHeader
        title="API keys"
        intro={
          <>
            Keys let n8n call <code>/api/n8n/webhook</code> with <code>Authorization: Bearer sk_live_…</code>. A key is shown once, when it is
            generated; only its prefix is kept visible.
          </>
        }
        actions={
          <Button variant="primary" onClick={() => setEditing('new')}>
            Generate new API key
          </Button>
        }
      />
      <Notice success={message} />
      {loadError && (
        <div class="notice notice-error" role="alert">
          <ErrorText error={loadError} />
        </div>
      )}
      {!keys && !loadError && <Loading />}
      {keys && keys.length === 0 && (
        <div class="card empty">
          <h2>No API keys yet</h2>
          <p>Generate a key with the “webhook” scope, then paste it into an n8n Header Auth credential.</p>
          <Button variant="primary" onClick={() => setEditing('new')}>
            Generate your first key
          </Button>
        </div>
      )}
      {keys && keys.length > 0 && (
        <div class="card table-card">
          <div class="table-tools">
            <label class="check">
              <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked((e.target as HTMLInputElement).checked)} /> Show revoked keys
            </label>
            <span class="muted">{keys.filter((k) => k.revokedAt === null).length} active</span>
          </div>
          <table class="table responsive" data-testid="keys-table">
            <caption class="sr-only">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name · prefix</th>
                <th scope="col">Scopes</th>
                <th scope="col">Rate limit</th>
                <th scope="col">HMAC</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {visible.map((k) => {
                const st = statusOf(k);
                const live = k.revokedAt === null;
                return (
                  <tr key={k.id} data-key-id={k.id} class={live ? '' : 'row-dim'}>
                    <th scope="row" data-label="Name">
                      {k.name}
                      <div class="sub">
                        <code>{k.prefix}…</code>
                      </div>
                      {(k.allowedModels || k.allowedMethods) && (
                        <div class="sub">
                          {k.allowedModels && <>models: {k.allowedModels.join(', ')} </>}
                          {k.allowedMethods && <>methods: {k.allowedMethods.join(', ')}</>}
                        </div>
                      )}
                    </th>
                    <td data-label="Scopes">{k.scopes.map((s) => <Badge key={s} tone="info">{s}</Badge>)}</td>
                    <td data-label="Rate limit">{k.rateLimit}/min</td>
                    <td data-label="HMAC">{k.hmacEnabled ? <Badge tone="ok">on</Badge> : <Badge tone="muted">off</Badge>}</td>
                    <td data-label="Created" title={formatDate(k.createdAt)}>{relative(k.createdAt)}</td>
                    <td data-label="Last used" title={k.lastUsedAt ? formatDate(k.lastUsedAt) : undefined}>{relative(k.lastUsedAt)}</td>
                    <td data-label="Expires">{k.expiresAt ? formatDate(k.expiresAt) : 'never'}</td>
                    <td data-label="Status">
                      <Badge tone={st.tone}>{st.label}</Badge>
                      {k.revokedAt && <div class="sub">{formatDate(k.revokedAt)}</div>}
                    </td>
                    <td class="row-actions">
                      {live && (
                        <>
                          <Button class="btn-small" onClick={() => setEditing(k)} aria-label={`Edit ${k.name}`}>
                            Edit
                          </Button>
                          <Button class="btn-small" onClick={() => setHmacFor(k)} aria-label={`HMAC settings of ${k.name}`}>
                            HMAC
                          </Button>
                          <Button class="btn-small" variant="danger" onClick={() => setRevoking(k)} aria-label={`Revoke ${k.name}`}>
                            Revoke
                          </Button>
                        </>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      <KeyFormDialog
        target={editing}
        meta={meta}
        onClose={() => setEditing(null)}
        onHmac={(k) => {
          setEditing(null);
          setHmacFor(k);
        }}
        onSaved={(k, created) => {
          setEditing(null);
          void load();
          if (created) setOnce({ title: 'Your new API key', keyName: k.name, key: created.key, hmacSecret: created.hmacSecret });
          else setMessage(`Saved “${k.name}”.`);
        }}
      />
      <RevokeDialog
        target={revoking}
        onClose={() => setRevoking(null)}
        onRevoked={(k) => {
          setRevoking(null);
          setMessage(`Revoked “${k.name}”. Calls with it are refused from now on.`);
          void load();
        }}
      />
      <HmacDialog
        target={hmacFor}
        onClose={() => setHmacFor(null)}
        onChanged={(k, secret) => {
          setHmacFor(null);
          void load();
          if (secret) setOnce({ title: 'New HMAC secret', keyName: k.name, hmacSecret: secret });
          else setMessage(`HMAC verification turned off for “${k.name}”.`);
        }}
      />
      <SecretOnceDialog once={once} onClose={() => setOnce(null)} />
    </section>
  );
}

function KeyFormDialog(props: {
  target: ApiKey | 'new' | null;
  meta: { scopes: string[]; defaultRateLimit: number };
  onClose: () => void;
  onSaved: (k: ApiKey, created?: { key: string; hmacSecret: string | null }) => void;
  onHmac: (k: ApiKey) => void;
}) {
  const creating = props.target === 'new';
  const existing = props.target && props.target !== 'new' ? props.target : null;
  const [form, setForm] = useState<KeyForm>({ name: '', scopes: ['webhook'], rateLimit: '', allowedModels: '', allowedMethods: '', expires: '', hmac: true });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});

  useEffect(() => {
    setError(null);
    setFields({});
    if (existing)
      setForm({
        name: existing.name,
        scopes: existing.scopes,
        rateLimit: String(existing.rateLimit),
        allowedModels: existing.allowedModels?.join(', ') ?? '',
        allowedMethods: existing.allowedMethods?.join(', ') ?? '',
        expires: toDateInput(existing.expiresAt),
        hmac: existing.hmacEnabled,
      });
    else if (creating) setForm({ name: '', scopes: ['webhook'], rateLimit: String(props.meta.defaultRateLimit), allowedModels: '', allowedMethods: '', expires: '', hmac: true });
  }, [props.target]);

  const set = <K extends keyof KeyForm>(k: K) => (v: KeyForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const toggleScope = (s: string, on: boolean) => set('scopes')(on ? [...form.scopes, s] : form.scopes.filter((x) => x !== s));

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setFields({});
    try {
      if (creating) {
        const r = await api<{ apiKey: ApiKey; key: string; hmacSecret: string | null }>('POST', '/api/dashboard/api-keys', toBody(form, null));
        props.onSaved(r.apiKey, { key: r.key, hmacSecret: r.hmacSecret });
      } else if (existing) {
        const r = await api<{ apiKey: ApiKey }>('PATCH', `/api/dashboard/api-keys/${existing.id}`, toBody(form, existing));
        props.onSaved(r.apiKey);
      }
    } catch (err) {
      setError(err as ApiError);
      setFields((err as ApiError).fieldErrors);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={props.target !== null} title={creating ? 'Generate new API key' : `Edit “${existing?.name ?? ''}”`} onClose={props.onClose} wide>
      <form onSubmit={submit} noValidate>
        <Notice error={error} />
        <TextField label="Name" name="name" value={form.name} onValue={set('name')} error={fields.name} required placeholder="n8n production" hint="What uses this key, so you recognize it later." />
        <fieldset class="field" aria-describedby={fields.scopes ? 'scopes-err' : undefined}>
          <legend>Scopes</legend>
          {props.meta.scopes.map((s) => (
            <label class="check check-block" key={s}>
              <input type="checkbox" name="scopes" value={s} checked={form.scopes.includes(s)} onChange={(e) => toggleScope(s, (e.target as HTMLInputElement).checked)} />
              <span>
                <strong>{s}</strong> <span class="muted">— {SCOPE_HELP[s] ?? ''}</span>
              </span>
            </label>
          ))}
          {fields.scopes && (
            <p class="field-error" id="scopes-err">
              {fields.scopes}
            </p>
          )}
        </fieldset>
        <div class="row-2">
          <TextField label="Rate limit (requests per minute)" name="rateLimit" type="number" min="1" inputMode="numeric" value={form.rateLimit} onValue={set('rateLimit')} error={fields.rateLimit} />
          <TextField label="Expires (optional)" name="expires" type="date" value={form.expires} onValue={set('expires')} error={fields.expiresAt} hint="Valid through the end of that day." />
        </div>
        <Field label="Allowed models (optional)" error={fields.allowedModels} hint="Comma or space separated, e.g. res.partner, sale.*. Empty allows every model.">
          {({ id, describedBy, invalid }) => (
            <textarea id={id} name="allowedModels" rows={2} value={form.allowedModels} aria-describedby={describedBy} aria-invalid={invalid || undefined} onInput={(e) => set('allowedModels')((e.target as HTMLTextAreaElement).value)} />
          )}
        </Field>
        <Field label="Allowed methods (optional)" error={fields.allowedMethods} hint="e.g. search_read, create. Empty allows every method the scopes allow.">
          {({ id, describedBy, invalid }) => (
            <textarea id={id} name="allowedMethods" rows={2} value={form.allowedMethods} aria-describedby={describedBy} aria-invalid={invalid || undefined} onInput={(e) => set('allowedMethods')((e.target as HTMLTextAreaElement).value)} />
          )}
        </Field>
        {existing && (
          <div class="toggle hmac-row">
            <span>
              <strong>HMAC signature verification</strong>: {existing.hmacEnabled ? <Badge tone="ok">on</Badge> : <Badge tone="muted">off</Badge>}
              <span class="muted"> A new secret is shown once.</span>
            </span>
            <Button class="btn-small" onClick={() => props.onHmac(existing)}>
              {existing.hmacEnabled ? 'Rotate or turn off…' : 'Enable HMAC…'}
            </Button>
          </div>
        )}
        {creating && (
          <label class="check check-block toggle">
            <input type="checkbox" name="hmac" role="switch" checked={form.hmac} onChange={(e) => set('hmac')((e.target as HTMLInputElement).checked)} />
            <span>
              <strong>HMAC signature verification</strong>
              <span class="muted"> — callers must send <code>X-HMAC-Signature</code>, the hex HMAC-SHA256 of the raw body. Recommended for production.</span>
            </span>
          </label>
        )}
        <div class="actions">
          <Button type="submit" variant="primary" busy={busy}>
            {creating ? 'Generate key' : 'Save changes'}
          </Button>
          <Button onClick={props.onClose}>Cancel</Button>
        </div>
      </form>
    </Dialog>
  );
}

function SecretOnceDialog({ once, onClose }: { once: Once | null; onClose: () => void }) {
  return (
    <Dialog open={once !== null} title={once?.title ?? ''} onClose={onClose} wide dismissable={false}>
      {once && (
        <div data-testid="secret-once">
          <p class="notice notice-warn" role="alert">
            <strong>Copy {once.key && once.hmacSecret ? 'these now' : 'this now'}.</strong> {once.key && once.hmacSecret ? 'They' : 'It'} will not be shown again — the relay keeps
            only {once.key ? 'a hash of the key' : 'an encrypted copy it never returns'}. Store {once.key && once.hmacSecret ? 'them' : 'it'} in n8n credentials.
          </p>
          <p>
            For <strong>{once.keyName}</strong>:
          </p>
          {once.key && <CopyField label="API key" value={once.key} testId="new-api-key" secret />}
          {once.hmacSecret && <CopyField label="HMAC secret" value={once.hmacSecret} testId="new-hmac-secret" secret />}
          <div class="actions">
            <Button variant="primary" onClick={onClose}>
              I have saved {once.key && once.hmacSecret ? 'them' : 'it'}
            </Button>
            <a class="btn btn-secondary" href="/webhook" onClick={onClose}>
              Show n8n setup
            </a>
          </div>
        </div>
      )}
    </Dialog>
  );
}

function RevokeDialog(props: { target: ApiKey | null; onClose: () => void; onRevoked: (k: ApiKey) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => setError(null), [props.target]);
  const revoke = async () => {
    if (!props.target) return;
    setBusy(true);
    try {
      const r = await api<{ apiKey: ApiKey }>('POST', `/api/dashboard/api-keys/${props.target.id}/revoke`);
      props.onRevoked(r.apiKey);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={props.target !== null} title="Revoke API key?" onClose={props.onClose}>
      {props.target && (
        <>
          <Notice error={error} />
          <p>
            <strong>{props.target.name}</strong> (<code>{props.target.prefix}…</code>) stops working at once: every call with it is refused with{' '}
            <code>401 api_key_revoked</code>. This cannot be undone.
          </p>
          <div class="actions">
            <Button variant="danger" busy={busy} onClick={revoke}>
              Revoke key
            </Button>
            <Button onClick={props.onClose} autoFocus>
              Cancel
            </Button>
          </div>
        </>
      )}
    </Dialog>
  );
}

function HmacDialog(props: { target: ApiKey | null; onClose: () => void; onChanged: (k: ApiKey, secret: string | null) => void }) {
  const [busy, setBusy] = useState<'on' | 'off' | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => setError(null), [props.target]);
  const change = async (enabled: boolean) => {
    if (!props.target) return;
    setBusy(enabled ? 'on' : 'off');
    try {
      const r = await api<{ apiKey: ApiKey; hmacSecret: string | null }>('POST', `/api/dashboard/api-keys/${props.target.id}/hmac`, { enabled });
      props.onChanged(r.apiKey, r.hmacSecret);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(null);
    }
  };
  const k = props.target;
  return (
    <Dialog open={k !== null} title="HMAC signature verification" onClose={props.onClose}>
      {k && (
        <>
          <Notice error={error} />
          <p>
            <strong>{k.name}</strong>: HMAC is <strong>{k.hmacEnabled ? 'on' : 'off'}</strong>.{' '}
            {k.hmacEnabled
              ? 'Rotating makes a new secret: the old one stops verifying at once, so update n8n right after.'
              : 'Turning it on makes a secret; from then on every call must carry X-HMAC-Signature.'}
          </p>
          <div class="actions">
            <Button variant="primary" busy={busy === 'on'} onClick={() => change(true)}>
              {k.hmacEnabled ? 'Rotate secret' : 'Enable HMAC'}
            </Button>
            {k.hmacEnabled && (
              <Button variant="danger" busy={busy === 'off'} onClick={() => change(false)}>
                Turn off
              </Button>
            )}
            <Button onClick={props.onClose}>Cancel</Button>
          </div>
        </>
      )}
    </Dialog>
  );
}
