import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type ConsentRequest, type User } from '../api';
import { AuthFrame } from '../auth-frame';
import { Loading, LoadError } from '../components';
import { ConsentButtons, type Decision } from '../consent-buttons';
import { SCOPE_HELP } from '../scope-help';

/**
 * The OAuth 2.0 consent page (/oauth/consent?request=…), reached from /oauth/authorize once
 * the user is signed in. Approve or Deny sends the browser back to the app's redirect URI.
 */
export function ConsentPage({ user }: { user: User }) {
  const id = new URLSearchParams(location.search).get('request');
  const [request, setRequest] = useState<ConsentRequest | null>(null);
  const [loadError, setLoadError] = useState<ApiError | string | null>(null);
  const [busy, setBusy] = useState<Decision | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    document.title = 'Authorize app · odoo-relay';
    if (!id) return setLoadError('This page needs an authorization request. Start again from the app.');
    api<{ request: ConsentRequest }>('GET', `/api/dashboard/oauth/consent?request=${encodeURIComponent(id)}`)
      .then((r) => setRequest(r.request))
      .catch((e) => setLoadError(e as ApiError));
  }, [id]);

  const decide = async (approve: boolean) => {
    if (!request) return;
    setBusy(approve ? 'approve' : 'deny');
    setError(null);
    try {
      const r = await api<{ redirectTo: string }>('POST', '/api/dashboard/oauth/consent', { request: request.id, approve });
      location.assign(r.redirectTo);
    } catch (e) {
      setError(e as ApiError);
      setBusy(null);
    }
  };

  return (
    <AuthFrame brand={false} labelledBy="consent-title">
      <h1 id="consent-title">{request ? `Authorize ${request.app.name}?` : 'Authorize app'}</h1>
      {!request && !loadError && <Loading />}
      <LoadError error={loadError} />
      {request && (
        <>
          <p class="intro">
            <strong>{request.app.name}</strong>
            {request.app.owner ? <> (registered by {request.app.owner})</> : null} asks to use your Odoo connection through this relay, signed in as{' '}
            <strong>{user.username}</strong>. It will be able to:
          </p>
          <ul data-testid="consent-scopes">
            {request.scopes.map((s) => (
              <li key={s}>
                <strong>{s}</strong> — {SCOPE_HELP[s] ?? s}
              </li>
            ))}
          </ul>
          <p class="muted">
            You will be sent back to <code>{new URL(request.redirectUri).origin}</code>. You can revoke this access any time under Apps.
          </p>
          <ConsentButtons busy={busy} error={error} onDecide={decide} />
        </>
      )}
    </AuthFrame>
  );
}
