import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type OAuth1AuthorizeRequest, type OAuth1Decision, type User } from '../api';
import { AuthFrame } from '../auth-frame';
import { CopyField, Loading, Notice } from '../components';
import { ConsentButtons, type Decision } from '../consent-buttons';

/** What each scope lets the app do, in the user's words. */
const SCOPE_TEXT: Record<string, string> = {
  webhook: 'Read and change any data in Odoo that your connection can reach',
  read: 'Read data in Odoo (no changes)',
  subscriptions: 'Create and manage event subscriptions (Odoo changes sent to the app)',
};

/**
 * OAuth 1.0a consent (RFC 5849 §2.2): an app sent the user here with ?oauth_token=…. The
 * dashboard shell has already made them sign in. Approve redirects to the app's callback
 * with the verifier (or shows it, for oob); Deny tells the app and forgets the request.
 */
export function OAuth1AuthorizePage({ user }: { user: User }) {
  const token = new URLSearchParams(location.search).get('oauth_token') ?? '';
  const [request, setRequest] = useState<OAuth1AuthorizeRequest | null>(null);
  const [error, setError] = useState<ApiError | string | null>(null);
  const [busy, setBusy] = useState<Decision | null>(null);
  const [done, setDone] = useState<{ approved: boolean; verifier: string | null } | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = 'Authorize app · odoo-relay';
    if (!token) {
      setError('This link has no oauth_token. Start again from the app that sent you here.');
      return;
    }
    api<OAuth1AuthorizeRequest>('GET', `/api/dashboard/oauth1/authorize?oauth_token=${encodeURIComponent(token)}`)
      .then(setRequest)
      .catch((e: ApiError) => setError(e));
  }, [token]);

  useEffect(() => heading.current?.focus(), [request, done]);

  const decide = async (approve: boolean) => {
    setBusy(approve ? 'approve' : 'deny');
    setError(null);
    try {
      const r = await api<OAuth1Decision>('POST', '/api/dashboard/oauth1/authorize', { oauth_token: token, approve });
      if (r.redirectUrl) {
        location.assign(r.redirectUrl);
        return;
      }
      setDone({ approved: r.approved, verifier: r.verifier ?? null });
    } catch (e) {
      setError(e as ApiError);
    }
    setBusy(null);
  };

  let body;
  if (done) {
    body = done.approved ? (
      <>
        <h1 ref={heading} tabIndex={-1}>
          Access granted
        </h1>
        <p class="intro">Enter this verification code in {request?.app.name ?? 'the app'} to finish connecting it.</p>
        <CopyField label="Verification code" value={done.verifier ?? ''} testId="oauth1-verifier" />
      </>
    ) : (
      <>
        <h1 ref={heading} tabIndex={-1}>
          Access denied
        </h1>
        <p class="intro">{request?.app.name ?? 'The app'} was not given access. You can close this page.</p>
      </>
    );
  } else if (request) {
    body = (
      <>
        <h1 ref={heading} tabIndex={-1}>
          Authorize {request.app.name}?
        </h1>
        <p class="intro">
          <strong>{request.app.name}</strong> asks to use odoo-relay as <strong>{user.username}</strong>, with your Odoo connection. It will be able to:
        </p>
        <ul class="scope-list" data-testid="oauth1-scopes">
          {request.scopes.map((s) => (
            <li key={s}>
              <code class="code">{s}</code> {SCOPE_TEXT[s] ?? ''}
            </li>
          ))}
        </ul>
        <p class="muted">
          {request.callback === 'oob' ? 'You will get a code to enter in the app.' : <>You will be sent back to <code class="code">{request.callback}</code>.</>} Access lasts until it is revoked
          or the app is deleted.
        </p>
        <ConsentButtons busy={busy} error={error} onDecide={decide} />
      </>
    );
  } else if (error) {
    body = (
      <>
        <h1 ref={heading} tabIndex={-1}>
          Cannot authorize this app
        </h1>
        <Notice error={error} />
        <p>
          <a href="/connection">Go to the dashboard</a>
        </p>
      </>
    );
  } else {
    body = <Loading label="Loading the authorization request…" />;
  }

  return (
    <AuthFrame>{body}</AuthFrame>
  );
}
