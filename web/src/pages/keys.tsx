import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError, type ApiKey } from '../api';
import { Badge, Button, CopyField, Dialog, Loading, LoadError, Notice, PageHeader, TableHead, TextField } from '../components';
import { accessBody, accessFormOf, AllowListFields, AllowListSummary, blankAccess, ScopeBadges, ScopeChoices, type AccessForm } from '../access-fields';
import { ConfirmDialog, FormDialog, ShownOnceDialog } from '../dialogs';
import { formatDate, relative } from '../format';
import { useEditForm } from '../use-edit-form';
import { SCOPE_HELP } from '../scope-help';
import { logsPath, NO_FILTERS } from '../log-filters';

interface KeyForm extends AccessForm {
  name: string;
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
  return {
    name: f.name,
    ...accessBody(f),
    // An unchanged expiry is not sent again: it may already be past (editing an expired key's name).
    ...(creating || f.expires !== toDateInput(existing.expiresAt) ? { expiresAt } : {}),
    ...(creating ? { hmac: f.hmac } : {}),
  };
}

type Once = { title: string; name: string; key?: string; hmacSecret?: string | null };

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
      <LoadError error={loadError} />
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
            <TableHead columns={['Name · prefix', 'Scopes', 'Rate limit', 'HMAC', 'Created', 'Last used', 'Expires', 'Status']} actions />
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
                      <AllowListSummary allowedModels={k.allowedModels} allowedMethods={k.allowedMethods} />
                    </th>
                    <td data-label="Scopes">
                      <ScopeBadges scopes={k.scopes} />
                    </td>
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
                      {/* Revoked keys too: what a key did is worth reading after it is gone. */}
                      <a class="btn btn-secondary btn-small" href={logsPath({ ...NO_FILTERS, apiKeyId: k.id })} aria-label={`Requests made with ${k.name}`}>
                        Requests
                      </a>
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
          if (created) setOnce({ title: 'Your new API key', name: k.name, key: created.key, hmacSecret: created.hmacSecret });
          else setMessage(`Saved “${k.name}”.`);
        }}
      />
      <ConfirmDialog
        title="Revoke API key?"
        removesOpener
        target={revoking}
        confirm="Revoke key"
        body={(k) => (
          <p>
            <strong>{k.name}</strong> (<code>{k.prefix}…</code>) stops working at once: every call with it is refused with <code>401 api_key_revoked</code>. This
            cannot be undone.
          </p>
        )}
        run={async (k) => {
          const r = await api<{ apiKey: ApiKey }>('POST', `/api/dashboard/api-keys/${k.id}/revoke`);
          setRevoking(null);
          setMessage(`Revoked “${r.apiKey.name}”. Calls with it are refused from now on.`);
          void load();
        }}
        onClose={() => setRevoking(null)}
      />
      <HmacDialog
        target={hmacFor}
        onClose={() => setHmacFor(null)}
        onChanged={(k, secret) => {
          setHmacFor(null);
          void load();
          if (secret) setOnce({ title: 'New HMAC secret', name: k.name, hmacSecret: secret });
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
  const { creating, existing, form, set, busy, error, fields, submit } = useEditForm<ApiKey, KeyForm>(
    props.target,
    () => ({ name: '', ...blankAccess(['webhook'], props.meta.defaultRateLimit), expires: '', hmac: true }),
    (k) => ({ name: k.name, ...accessFormOf(k), expires: toDateInput(k.expiresAt), hmac: k.hmacEnabled }),
  );

  const save = submit(async () => {
    if (creating) {
      const r = await api<{ apiKey: ApiKey; key: string; hmacSecret: string | null }>('POST', '/api/dashboard/api-keys', toBody(form, null));
      props.onSaved(r.apiKey, { key: r.key, hmacSecret: r.hmacSecret });
    } else if (existing) {
      const r = await api<{ apiKey: ApiKey }>('PATCH', `/api/dashboard/api-keys/${existing.id}`, toBody(form, existing));
      props.onSaved(r.apiKey);
    }
  });

  return (
    <FormDialog
      open={props.target !== null}
      title={creating ? 'Generate new API key' : `Edit “${existing?.name ?? ''}”`}
      submit={creating ? 'Generate key' : 'Save changes'}
      busy={busy}
      error={error}
      onSubmit={save}
      onClose={props.onClose}
    >
      <TextField label="Name" name="name" value={form.name} onValue={set('name')} error={fields.name} required placeholder="n8n production" hint="What uses this key, so you recognize it later." />
      <ScopeChoices legend="Scopes" scopes={props.meta.scopes} help={SCOPE_HELP} value={form.scopes} onValue={set('scopes')} error={fields.scopes} />
      <div class="row-2">
        <TextField label="Rate limit (requests per minute)" name="rateLimit" type="number" min="1" inputMode="numeric" value={form.rateLimit} onValue={set('rateLimit')} error={fields.rateLimit} />
        <TextField label="Expires (optional)" name="expires" type="date" value={form.expires} onValue={set('expires')} error={fields.expiresAt} hint="Valid through the end of that day." />
      </div>
      <AllowListFields form={form} set={set} errors={fields} />
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
            <span class="muted"> — callers must send <code>X-HMAC-Signature</code>, the hex HMAC-SHA256 of the raw body (on the REST API, of the request line and the body). Recommended for production.</span>
          </span>
        </label>
      )}
    </FormDialog>
  );
}

function SecretOnceDialog({ once, onClose }: { once: Once | null; onClose: () => void }) {
  // A new key may come with an HMAC secret: the words follow how many secrets are shown.
  const both = (o: Once) => Boolean(o.key && o.hmacSecret);
  return (
    <ShownOnceDialog
      once={once}
      onClose={onClose}
      testId="secret-once"
      warning={(o) => (
        <>
          <strong>Copy {both(o) ? 'these now' : 'this now'}.</strong> {both(o) ? 'They' : 'It'} will not be shown again — the relay keeps only{' '}
          {o.key ? 'a hash of the key' : 'an encrypted copy it never returns'}. Store {both(o) ? 'them' : 'it'} in n8n credentials.
        </>
      )}
      saved={(o) => `I have saved ${both(o) ? 'them' : 'it'}`}
      extraActions={
        <a class="btn btn-secondary" href="/webhook" onClick={onClose}>
          Show n8n setup
        </a>
      }
    >
      {(o) => (
        <>
          {o.key && <CopyField label="API key" value={o.key} testId="new-api-key" secret />}
          {o.hmacSecret && <CopyField label="HMAC secret" value={o.hmacSecret} testId="new-hmac-secret" secret />}
        </>
      )}
    </ShownOnceDialog>
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
