import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError, type AppSecrets, type AuthorizedApp, type RegisteredApp } from '../api';
import { Badge, Button, CopyField, Loading, LoadError, Notice, PageHeader, TableHead, TextAreaField, TextField } from '../components';
import { accessBody, accessFormOf, AllowListFields, AllowListSummary, blankAccess, ScopeBadges, ScopeChoices, type AccessForm } from '../access-fields';
import { ConfirmDialog, FormDialog, ShownOnceDialog } from '../dialogs';
import { formatDate, relative } from '../format';
import { SCOPE_HELP } from '../scope-help';
import { useEditForm } from '../use-edit-form';

interface AppForm extends AccessForm {
  name: string;
  clientType: 'confidential' | 'public';
  redirectUris: string;
}

type Once = { title: string; name: string; secrets: AppSecrets };

const lines = (text: string) => text.split(/\s+/).map((s) => s.trim()).filter(Boolean);

function toBody(f: AppForm, creating: boolean) {
  return {
    name: f.name,
    ...(creating ? { clientType: f.clientType } : {}),
    redirectUris: lines(f.redirectUris),
    ...accessBody(f),
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
      <LoadError error={loadError} />
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
            <TableHead columns={['Name · client id · redirect URIs', 'Type', 'Scopes', 'Rate limit', 'Created']} actions />
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
                    <AllowListSummary allowedModels={a.allowedModels} allowedMethods={a.allowedMethods} />
                  </th>
                  <td data-label="Type">
                    <Badge tone={a.clientType === 'public' ? 'warn' : 'muted'}>{a.clientType}</Badge>
                  </td>
                  <td data-label="Scopes">
                    <ScopeBadges scopes={a.scopes} />
                  </td>
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
            <TableHead columns={['App', 'Scopes', 'Authorized']} actions />
            <tbody>
              {authorized.map((g) => (
                <tr key={g.appId} data-grant-app-id={g.appId}>
                  <th scope="row" data-label="App">
                    {g.name} <span class="muted small">{g.protocols.map((p) => (p === 'oauth2' ? 'OAuth 2.0' : 'OAuth 1.0a')).join(' · ')}</span>
                  </th>
                  <td data-label="Scopes">
                    <ScopeBadges scopes={g.scopes} />
                  </td>
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
          if (secrets) setOnce({ title: 'Your new app’s credentials', name: a.name, secrets });
          else setMessage(`Saved “${a.name}”.`);
        }}
      />
      <ConfirmDialog
        title="Rotate secrets?"
        target={rotating}
        confirm="Rotate secrets"
        variant="primary"
        focusCancel
        body={(a) => (
          <p>
            New secrets for <strong>{a.name}</strong>: the old client secret{a.clientType === 'confidential' ? '' : ' (none for a public app)'} and OAuth 1.0a consumer
            secret stop working at once. Tokens already issued keep working.
          </p>
        )}
        run={async (a) => {
          const r = await api<{ app: RegisteredApp; secrets: AppSecrets }>('POST', `/api/dashboard/apps/${a.id}/rotate`);
          setRotating(null);
          setOnce({ title: 'New secrets', name: r.app.name, secrets: r.secrets });
          void load();
        }}
        onClose={() => setRotating(null)}
      />
      <ConfirmDialog
        title="Delete app?"
        removesOpener
        target={deleting}
        confirm="Delete app"
        body={(a) => (
          <p>
            <strong>{a.name}</strong> is removed with every token it holds: its calls are refused with <code>401 invalid_token</code> from now on. This cannot be
            undone.
          </p>
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
        removesOpener
        target={revoking}
        confirm="Revoke access"
        body={(g) => (
          <p>
            <strong>{g.name}</strong> loses access to your Odoo data at once: its access and refresh tokens stop working. It can ask again through the consent
            page.
          </p>
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
  const { creating, existing, form, set, busy, error, fields, submit } = useEditForm<RegisteredApp, AppForm>(
    props.target,
    () => ({ name: '', clientType: 'confidential', redirectUris: '', ...blankAccess(['read'], props.meta.defaultRateLimit) }),
    (a) => ({ name: a.name, clientType: a.clientType, redirectUris: a.redirectUris.join('\n'), ...accessFormOf(a) }),
  );

  const save = submit(async () => {
    if (creating) {
      const r = await api<{ app: RegisteredApp; secrets: AppSecrets }>('POST', '/api/dashboard/apps', toBody(form, true));
      props.onSaved(r.app, r.secrets);
    } else if (existing) {
      const r = await api<{ app: RegisteredApp }>('PATCH', `/api/dashboard/apps/${existing.id}`, toBody(form, false));
      props.onSaved(r.app);
    }
  });

  return (
    <FormDialog
      open={props.target !== null}
      title={creating ? 'Register new app' : `Edit “${existing?.name ?? ''}”`}
      submit={creating ? 'Register app' : 'Save changes'}
      busy={busy}
      error={error}
      onSubmit={save}
      onClose={props.onClose}
    >
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
      <TextAreaField
        label="Redirect URIs"
        name="redirectUris"
        rows={3}
        value={form.redirectUris}
        onValue={set('redirectUris')}
        error={fields.redirectUris}
        placeholder="https://app.example.com/oauth/callback"
        hint="One per line, compared exactly. https, or http on localhost / 127.0.0.1 only."
      />
      <ScopeChoices legend="Scopes the app may ask for" scopes={props.meta.scopes} help={SCOPE_HELP} value={form.scopes} onValue={set('scopes')} error={fields.scopes} />
      <TextField label="Rate limit (requests per minute, per user)" name="rateLimit" type="number" min="1" inputMode="numeric" value={form.rateLimit} onValue={set('rateLimit')} error={fields.rateLimit} />
      <AllowListFields form={form} set={set} errors={fields} />
    </FormDialog>
  );
}

function SecretsOnceDialog({ once, onClose }: { once: Once | null; onClose: () => void }) {
  return (
    <ShownOnceDialog
      once={once}
      onClose={onClose}
      testId="app-secrets-once"
      warning={() => (
        <>
          <strong>Copy the secrets now.</strong> They will not be shown again — the relay keeps only a hash of the client secret and an encrypted copy of the
          consumer secret it never returns.
        </>
      )}
      saved={() => 'I have saved them'}
    >
      {({ secrets }) => (
        <>
          <h3>OAuth 2.0</h3>
          <CopyField label="Client ID" value={secrets.clientId} testId="client-id" />
          {secrets.clientSecret ? (
            <CopyField label="Client secret" value={secrets.clientSecret} testId="client-secret" secret />
          ) : (
            <p class="muted">Public app: no client secret. It authenticates with its client id and PKCE.</p>
          )}
          <h3>OAuth 1.0a</h3>
          <CopyField label="Consumer key" value={secrets.consumerKey} testId="consumer-key" />
          <CopyField label="Consumer secret" value={secrets.consumerSecret} testId="consumer-secret" secret />
        </>
      )}
    </ShownOnceDialog>
  );
}
