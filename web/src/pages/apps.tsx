import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError, type AppSecrets, type AuthorizedApp, type RegisteredApp } from '../api';
import { Badge, Button, CopyField, Dialog, ErrorText, Field, Loading, Notice, PageHeader, TextField } from '../components';
import { formatDate, parseList, relative } from '../format';
import { SCOPE_HELP } from '../scope-help';

interface AppForm {
  name: string;
  clientType: 'confidential' | 'public';
  redirectUris: string;
  scopes: string[];
  rateLimit: string;
  allowedModels: string;
  allowedMethods: string;
}

type Once = { title: string; appName: string; secrets: AppSecrets };

const lines = (text: string) => text.split(/\s+/).map((s) => s.trim()).filter(Boolean);

function toBody(f: AppForm, creating: boolean) {
  const rate = f.rateLimit.trim() === '' ? undefined : Number(f.rateLimit);
  return {
    name: f.name,
    ...(creating ? { clientType: f.clientType } : {}),
    redirectUris: lines(f.redirectUris),
    scopes: f.scopes,
    ...(rate !== undefined ? { rateLimit: rate } : {}),
    allowedModels: parseList(f.allowedModels),
    allowedMethods: parseList(f.allowedMethods),
  };
}

/** Apps: the third-party apps this user registered (OAuth 2.0 clients / OAuth 1.0a consumers), and the apps they authorized. */
export function AppsPage() {
  const [apps, setApps] = useState<RegisteredApp[] | null>(null);
  const [authorized, setAuthorized] = useState<AuthorizedApp[] | null>(null);
  const [meta, setMeta] = useState<{ scopes: string[]; defaultRateLimit: number }>({ scopes: ['webhook', 'read', 'subscriptions'], defaultRateLimit: 100 });
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [editing, setEditing] = useState<RegisteredApp | 'new' | null>(null);
  const [rotating, setRotating] = useState<RegisteredApp | null>(null);
  const [deleting, setDeleting] = useState<RegisteredApp | null>(null);
  const [revoking, setRevoking] = useState<AuthorizedApp | null>(null);
  const [once, setOnce] = useState<Once | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [r, g] = await Promise.all([
        api<{ apps: RegisteredApp[]; scopes: string[]; defaultRateLimit: number }>('GET', '/api/dashboard/apps'),
        api<{ authorizedApps: AuthorizedApp[] }>('GET', '/api/dashboard/authorized-apps'),
      ]);
      setApps(r.apps);
      setAuthorized(g.authorizedApps);
      setMeta({ scopes: r.scopes, defaultRateLimit: r.defaultRateLimit });
      setLoadError(null);
    } catch (e) {
      setLoadError(e as ApiError);
    }
  }, []);
  useEffect(() => void load(), [load]);

  return (
    <section>
      <PageHeader
        title="Apps"
        intro={
          <>
            Third-party apps reach Odoo through the relay with OAuth 2.0 (or OAuth 1.0a) instead of an API key. Each app gets a client id, a
            client secret shown once, exact redirect URIs, and the scopes and limits every token it receives is bound by.
          </>
        }
        actions={
          <Button variant="primary" onClick={() => setEditing('new')}>
            Register new app
          </Button>
        }
      />
      <Notice success={message} />
      {loadError && (
        <div class="notice notice-error" role="alert">
          <ErrorText error={loadError} />
        </div>
      )}
      {!apps && !loadError && <Loading />}
      {apps && apps.length === 0 && (
        <div class="card empty">
          <h2>No apps registered</h2>
          <p>Register an app to let it ask users for access through the consent page, or call the relay server-to-server.</p>
          <Button variant="primary" onClick={() => setEditing('new')}>
            Register your first app
          </Button>
        </div>
      )}
      {apps && apps.length > 0 && (
        <div class="card table-card">
          <table class="table responsive" data-testid="apps-table">
            <caption class="sr-only">Registered apps</caption>
            <thead>
              <tr>
                <th scope="col">Name · client id · redirect URIs</th>
                <th scope="col">Type</th>
                <th scope="col">Scopes</th>
                <th scope="col">Rate limit</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {apps.map((a) => (
                <tr key={a.id} data-app-id={a.id}>
                  <th scope="row" data-label="Name">
                    {a.name}
                    <div class="sub">
                      <code>{a.clientId}</code>
                    </div>
                    <div class="sub">
                      {a.redirectUris.length ? <>redirect: {a.redirectUris.map((u, i) => <span key={u}>{i > 0 && ', '}<code>{u}</code></span>)}</> : 'no redirect URI (client credentials only)'}
                    </div>
                    {(a.allowedModels || a.allowedMethods) && (
                      <div class="sub">
                        {a.allowedModels && <>models: {a.allowedModels.join(', ')} </>}
                        {a.allowedMethods && <>methods: {a.allowedMethods.join(', ')}</>}
                      </div>
                    )}
                  </th>
                  <td data-label="Type">
                    <Badge tone={a.clientType === 'public' ? 'warn' : 'muted'}>{a.clientType}</Badge>
                  </td>
                  <td data-label="Scopes">{a.scopes.map((s) => <Badge key={s} tone="info">{s}</Badge>)}</td>
                  <td data-label="Rate limit">{a.rateLimit}/min</td>
                  <td data-label="Created" title={formatDate(a.createdAt)}>{relative(a.createdAt)}</td>
                  <td class="row-actions">
                    <Button class="btn-small" onClick={() => setEditing(a)} aria-label={`Edit ${a.name}`}>
                      Edit
                    </Button>
                    <Button class="btn-small" onClick={() => setRotating(a)} aria-label={`Rotate secrets of ${a.name}`}>
                      Rotate
                    </Button>
                    <Button class="btn-small" variant="danger" onClick={() => setDeleting(a)} aria-label={`Delete ${a.name}`}>
                      Delete
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>Apps you have authorized</h2>
      {authorized && authorized.length === 0 && <p class="muted">You have not authorized any app. Apps that ask for access through the consent page appear here.</p>}
      {authorized && authorized.length > 0 && (
        <div class="card table-card">
          <table class="table responsive" data-testid="authorized-table">
            <caption class="sr-only">Apps you have authorized</caption>
            <thead>
              <tr>
                <th scope="col">App</th>
                <th scope="col">Scopes</th>
                <th scope="col">Authorized</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {authorized.map((g) => (
                <tr key={g.appId} data-grant-app-id={g.appId}>
                  <th scope="row" data-label="App">{g.name}</th>
                  <td data-label="Scopes">{g.scopes.map((s) => <Badge key={s} tone="info">{s}</Badge>)}</td>
                  <td data-label="Authorized" title={formatDate(g.updatedAt)}>{relative(g.updatedAt)}</td>
                  <td class="row-actions">
                    <Button class="btn-small" variant="danger" onClick={() => setRevoking(g)} aria-label={`Revoke access of ${g.name}`}>
                      Revoke access
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <AppFormDialog
        target={editing}
        meta={meta}
        onClose={() => setEditing(null)}
        onSaved={(a, secrets) => {
          setEditing(null);
          void load();
          if (secrets) setOnce({ title: 'Your new app’s credentials', appName: a.name, secrets });
          else setMessage(`Saved “${a.name}”.`);
        }}
      />
      <ConfirmDialog
        title="Rotate secrets?"
        target={rotating}
        action="Rotate secrets"
        variant="primary"
        body={(a) => (
          <>
            New secrets for <strong>{a.name}</strong>: the old client secret{a.clientType === 'confidential' ? '' : ' (none for a public app)'} and OAuth 1.0a consumer
            secret stop working at once. Tokens already issued keep working.
          </>
        )}
        run={async (a) => {
          const r = await api<{ app: RegisteredApp; secrets: AppSecrets }>('POST', `/api/dashboard/apps/${a.id}/rotate`);
          setRotating(null);
          setOnce({ title: 'New secrets', appName: r.app.name, secrets: r.secrets });
          void load();
        }}
        onClose={() => setRotating(null)}
      />
      <ConfirmDialog
        title="Delete app?"
        target={deleting}
        action="Delete app"
        variant="danger"
        body={(a) => (
          <>
            <strong>{a.name}</strong> is removed with every token it holds: its calls are refused with <code>401 invalid_token</code> from now on. This cannot be
            undone.
          </>
        )}
        run={async (a) => {
          await api('DELETE', `/api/dashboard/apps/${a.id}`);
          setDeleting(null);
          setMessage(`Deleted “${a.name}”.`);
          void load();
        }}
        onClose={() => setDeleting(null)}
      />
      <ConfirmDialog
        title="Revoke access?"
        target={revoking}
        action="Revoke access"
        variant="danger"
        body={(g) => (
          <>
            <strong>{g.name}</strong> loses access to your Odoo data at once: its access and refresh tokens stop working. It can ask again through the consent
            page.
          </>
        )}
        run={async (g) => {
          await api('POST', `/api/dashboard/authorized-apps/${g.appId}/revoke`);
          setRevoking(null);
          setMessage(`Revoked the access of “${g.name}”.`);
          void load();
        }}
        onClose={() => setRevoking(null)}
      />
      <SecretsOnceDialog once={once} onClose={() => setOnce(null)} />
    </section>
  );
}

function AppFormDialog(props: {
  target: RegisteredApp | 'new' | null;
  meta: { scopes: string[]; defaultRateLimit: number };
  onClose: () => void;
  onSaved: (a: RegisteredApp, secrets?: AppSecrets) => void;
}) {
  const creating = props.target === 'new';
  const existing = props.target && props.target !== 'new' ? props.target : null;
  const blank = (): AppForm => ({ name: '', clientType: 'confidential', redirectUris: '', scopes: ['read'], rateLimit: String(props.meta.defaultRateLimit), allowedModels: '', allowedMethods: '' });
  const [form, setForm] = useState<AppForm>(blank);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});

  useEffect(() => {
    setError(null);
    setFields({});
    if (existing)
      setForm({
        name: existing.name,
        clientType: existing.clientType,
        redirectUris: existing.redirectUris.join('\n'),
        scopes: existing.scopes,
        rateLimit: String(existing.rateLimit),
        allowedModels: existing.allowedModels?.join(', ') ?? '',
        allowedMethods: existing.allowedMethods?.join(', ') ?? '',
      });
    else if (creating) setForm(blank());
  }, [props.target]);

  const set = <K extends keyof AppForm>(k: K) => (v: AppForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const toggleScope = (s: string, on: boolean) => set('scopes')(on ? [...form.scopes, s] : form.scopes.filter((x) => x !== s));

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setFields({});
    try {
      if (creating) {
        const r = await api<{ app: RegisteredApp; secrets: AppSecrets }>('POST', '/api/dashboard/apps', toBody(form, true));
        props.onSaved(r.app, r.secrets);
      } else if (existing) {
        const r = await api<{ app: RegisteredApp }>('PATCH', `/api/dashboard/apps/${existing.id}`, toBody(form, false));
        props.onSaved(r.app);
      }
    } catch (err) {
      setError(err as ApiError);
      setFields((err as ApiError).fieldErrors);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={props.target !== null} title={creating ? 'Register new app' : `Edit “${existing?.name ?? ''}”`} onClose={props.onClose} wide>
      <form onSubmit={submit} noValidate>
        <Notice error={error} />
        <TextField label="Name" name="name" value={form.name} onValue={set('name')} error={fields.name} required placeholder="Acme CRM sync" hint="Users see this name on the consent page." />
        <fieldset class="field" disabled={!creating}>
          <legend>Client type</legend>
          <label class="check check-block">
            <input type="radio" name="clientType" value="confidential" checked={form.clientType === 'confidential'} onChange={() => set('clientType')('confidential')} />
            <span>
              <strong>Confidential</strong> <span class="muted">— a server that can keep a client secret. Can also use client credentials.</span>
            </span>
          </label>
          <label class="check check-block">
            <input type="radio" name="clientType" value="public" checked={form.clientType === 'public'} onChange={() => set('clientType')('public')} />
            <span>
              <strong>Public</strong> <span class="muted">— a desktop, mobile or browser app without a secret; must use PKCE.</span>
            </span>
          </label>
          {!creating && <p class="hint">The type cannot change after registration.</p>}
        </fieldset>
        <Field label="Redirect URIs" error={fields.redirectUris} hint="One per line, compared exactly. https, or http on localhost / 127.0.0.1 only.">
          {({ id, describedBy, invalid }) => (
            <textarea id={id} name="redirectUris" rows={3} value={form.redirectUris} aria-describedby={describedBy} aria-invalid={invalid || undefined} placeholder="https://app.example.com/oauth/callback" onInput={(e) => set('redirectUris')((e.target as HTMLTextAreaElement).value)} />
          )}
        </Field>
        <fieldset class="field" aria-describedby={fields.scopes ? 'app-scopes-err' : undefined}>
          <legend>Scopes the app may ask for</legend>
          {props.meta.scopes.map((s) => (
            <label class="check check-block" key={s}>
              <input type="checkbox" name="scopes" value={s} checked={form.scopes.includes(s)} onChange={(e) => toggleScope(s, (e.target as HTMLInputElement).checked)} />
              <span>
                <strong>{s}</strong> <span class="muted">— {SCOPE_HELP[s] ?? ''}</span>
              </span>
            </label>
          ))}
          {fields.scopes && (
            <p class="field-error" id="app-scopes-err">
              {fields.scopes}
            </p>
          )}
        </fieldset>
        <TextField label="Rate limit (requests per minute, per user)" name="rateLimit" type="number" min="1" inputMode="numeric" value={form.rateLimit} onValue={set('rateLimit')} error={fields.rateLimit} />
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
        <div class="actions">
          <Button type="submit" variant="primary" busy={busy}>
            {creating ? 'Register app' : 'Save changes'}
          </Button>
          <Button onClick={props.onClose}>Cancel</Button>
        </div>
      </form>
    </Dialog>
  );
}

function SecretsOnceDialog({ once, onClose }: { once: Once | null; onClose: () => void }) {
  return (
    <Dialog open={once !== null} title={once?.title ?? ''} onClose={onClose} wide dismissable={false}>
      {once && (
        <div data-testid="app-secrets-once">
          <p class="notice notice-warn" role="alert">
            <strong>Copy the secrets now.</strong> They will not be shown again — the relay keeps only a hash of the client secret and an encrypted copy of the
            consumer secret it never returns.
          </p>
          <p>
            For <strong>{once.appName}</strong>:
          </p>
          <h3>OAuth 2.0</h3>
          <CopyField label="Client ID" value={once.secrets.clientId} testId="client-id" />
          {once.secrets.clientSecret ? (
            <CopyField label="Client secret" value={once.secrets.clientSecret} testId="client-secret" secret />
          ) : (
            <p class="muted">Public app: no client secret. It authenticates with its client id and PKCE.</p>
          )}
          <h3>OAuth 1.0a</h3>
          <CopyField label="Consumer key" value={once.secrets.consumerKey} testId="consumer-key" />
          <CopyField label="Consumer secret" value={once.secrets.consumerSecret} testId="consumer-secret" secret />
          <div class="actions">
            <Button variant="primary" onClick={onClose}>
              I have saved them
            </Button>
          </div>
        </div>
      )}
    </Dialog>
  );
}

function ConfirmDialog<T extends { name: string }>(props: {
  title: string;
  target: T | null;
  action: string;
  variant: 'primary' | 'danger';
  body: (t: T) => preact.ComponentChildren;
  run: (t: T) => Promise<void>;
  onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => setError(null), [props.target]);
  const go = async () => {
    if (!props.target) return;
    setBusy(true);
    try {
      await props.run(props.target);
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={props.target !== null} title={props.title} onClose={props.onClose}>
      {props.target && (
        <>
          <Notice error={error} />
          <p>{props.body(props.target)}</p>
          <div class="actions">
            <Button variant={props.variant} busy={busy} onClick={go}>
              {props.action}
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
