import { useCallback, useEffect, useState } from 'preact/hooks';
import { Fragment } from 'preact';
import { ACCOUNT_CHANGED_EVENT, api, ApiError, setCsrfToken, SIGNED_OUT_EVENT, type AccountChangedDetail, type SignedOutDetail, type User } from './api';
import { navigate, onLinkClick, usePath } from './router';
import { Button, ErrorText, Loading } from './components';
import { LoginPage, SetupPage } from './pages/auth';
import { AccountPage } from './pages/account';
import { ConnectionPage } from './pages/connection';
import { KeysPage } from './pages/keys';
import { WebhookPage } from './pages/webhook';
import { LogsPage } from './pages/logs';
import { ChatPage } from './pages/chat';
import { SubscriptionsPage } from './pages/subscriptions';
import { DeliveriesPage } from './pages/deliveries';
import { OAuth1AuthorizePage } from './pages/oauth1-authorize';
import { ApiReferencePage } from './pages/api-reference';
import { AppsPage } from './pages/apps';
import { UsersPage } from './pages/users';
import { ConsentPage } from './pages/consent';
import { SessionExpiredDialog } from './session-expired';

type Phase = { kind: 'loading' } | { kind: 'setup' } | { kind: 'login'; expired?: boolean } | { kind: 'ready'; user: User } | { kind: 'error'; error: ApiError };

/** The session ended while a page was in use: why, and whether only reads were refused (then the page reloads its data after sign-in). */
type Lost = { code: SignedOutDetail['code']; readsOnly: boolean };

/** The sidebar's links; `adminOnly` ones are listed for administrators alone (the relay refuses others anyway). */
const NAV: { section: string; href: string; label: string; icon: string; adminOnly?: boolean }[] = [
  { section: 'Settings', href: '/connection', label: 'Odoo connection', icon: 'M12 3c-4.4 0-8 1.3-8 3v12c0 1.7 3.6 3 8 3s8-1.3 8-3V6c0-1.7-3.6-3-8-3zm0 2c3.9 0 6 1.1 6 1s-2.1 1-6 1-6-1.1-6-1 2.1-1 6-1zM6 9.2C7.5 9.7 9.6 10 12 10s4.5-.3 6-.8V12c0 .1-2.1 1-6 1s-6-.9-6-1zm0 6c1.5.5 3.6.8 6 .8s4.5-.3 6-.8V18c0 .1-2.1 1-6 1s-6-.9-6-1z' },
  { section: 'Settings', href: '/keys', label: 'API keys', icon: 'M7 14a2 2 0 1 1 0-4 2 2 0 0 1 0 4zm5.6-4A6 6 0 1 0 7 18a6 6 0 0 0 5.6-4H16v3h3v-3h2v-4z' },
  { section: 'Settings', href: '/apps', label: 'Apps', icon: 'M4 4h7v7H4zm9 0h7v7h-7zM4 13h7v7H4zm9 0h7v7h-7z' },
  { section: 'Settings', href: '/users', label: 'Users', adminOnly: true, icon: 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm0 2c-4.4 0-8 2.2-8 5v1h16v-1c0-2.8-3.6-5-8-5z' },
  { section: 'Use', href: '/webhook', label: 'Webhook', icon: 'M13 2 4 14h7l-1 8 9-12h-7z' },
  { section: 'Use', href: '/chat', label: 'Chat', icon: 'M4 4h16v11H8l-4 4zm4 4v2h8V8zm0 3v2h5v-2z' },
  { section: 'Events', href: '/subscriptions', label: 'Subscriptions', icon: 'M12 22a2 2 0 0 0 2-2h-4a2 2 0 0 0 2 2zm6-6V11c0-3.1-1.6-5.6-4.5-6.3V4a1.5 1.5 0 0 0-3 0v.7C7.6 5.4 6 7.9 6 11v5l-2 2v1h16v-1z' },
  { section: 'Events', href: '/deliveries', label: 'Deliveries', icon: 'M2 21l21-9L2 3v7l15 2-15 2z' },
  { section: 'Use', href: '/api-reference', label: 'API reference', icon: 'M8 4 2 12l6 8 1.6-1.2L4.5 12l5.1-6.8zm8 0-1.6 1.2 5.1 6.8-5.1 6.8L16 20l6-8z' },
  { section: 'Use', href: '/logs', label: 'Request log', icon: 'M4 5h16v2H4zm0 6h16v2H4zm0 6h10v2H4z' },
];

export function App() {
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [lost, setLost] = useState<Lost | null>(null);
  // Bumped to mount the page afresh, so it loads its data again.
  const [pageKey, setPageKey] = useState(0);
  const [logoutError, setLogoutError] = useState<ApiError | null>(null);
  const path = usePath();

  const boot = useCallback(async () => {
    try {
      const setup = await api<{ needsSetup: boolean }>('GET', '/api/auth/setup');
      if (setup.needsSetup) return setPhase({ kind: 'setup' });
      const me = await api<{ user: User; csrfToken: string }>('GET', '/api/auth/me');
      setCsrfToken(me.csrfToken, me.user.id);
      setPhase({ kind: 'ready', user: me.user });
    } catch (e) {
      const err = e as ApiError;
      if (err.code === 'unauthenticated' || err.code === 'session_expired') setPhase({ kind: 'login', expired: err.code === 'session_expired' });
      else setPhase({ kind: 'error', error: err });
    }
  }, []);

  useEffect(() => {
    void boot();
    // The page stays mounted under an in-place sign-in (SessionExpiredDialog), keeping what the user typed.
    const onSignedOut = (e: Event) => {
      const { code, read } = (e as CustomEvent<SignedOutDetail>).detail;
      setCsrfToken(null);
      setLost((was) => ({ code: was?.code ?? code, readsOnly: (was?.readsOnly ?? true) && read }));
    };
    // Another tab signed in as someone else, or the account changed (its role): show the account
    // as it is now, its pages loaded afresh.
    const onAccountChanged = (e: Event) => {
      const { user } = (e as CustomEvent<AccountChangedDetail>).detail;
      setLost(null);
      setPhase({ kind: 'ready', user });
      setPageKey((k) => k + 1);
    };
    window.addEventListener(SIGNED_OUT_EVENT, onSignedOut);
    window.addEventListener(ACCOUNT_CHANGED_EVENT, onAccountChanged);
    return () => {
      window.removeEventListener(SIGNED_OUT_EVENT, onSignedOut);
      window.removeEventListener(ACCOUNT_CHANGED_EVENT, onAccountChanged);
    };
  }, [boot]);

  const signedIn = (user: User, csrfToken: string, to?: string) => {
    setCsrfToken(csrfToken, user.id);
    setLost(null);
    setPhase({ kind: 'ready', user });
    const here = location.pathname;
    // A deep link keeps its query through the login (the OAuth 1.0a consent page needs ?oauth_token=).
    navigate(to ?? (here === '/' || here === '/login' || here === '/setup' ? '/connection' : here + location.search), true);
  };

  if (phase.kind === 'loading') return <div class="center-screen"><Loading label="Loading odoo-relay…" /></div>;
  if (phase.kind === 'error')
    return (
      <div class="center-screen">
        <div class="card auth-card" role="alert">
          <h1>Cannot load the dashboard</h1>
          <p>
            <ErrorText error={phase.error} />
          </p>
          <Button variant="primary" onClick={() => { setPhase({ kind: 'loading' }); void boot(); }}>
            Retry
          </Button>
        </div>
      </div>
    );
  if (phase.kind === 'setup') return <SetupPage onDone={(u, t) => signedIn(u, t, '/connection')} onAlreadyDone={() => setPhase({ kind: 'login' })} />;
  if (phase.kind === 'login') return <LoginPage expired={phase.expired} onDone={(u, t) => signedIn(u, t)} />;

  const user = phase.user;
  const signedInAgain = (u: User, csrfToken: string) => {
    setCsrfToken(csrfToken, u.id);
    setLost(null);
    // Another account's page must not stay on screen; a page whose loads were refused loads again.
    if (u.id !== user.id) setPhase({ kind: 'ready', user: u });
    if (u.id !== user.id || lost?.readsOnly) setPageKey((k) => k + 1);
  };
  const signIn = <SessionExpiredDialog reason={lost?.code ?? null} username={user.username} onSignedIn={signedInAgain} />;

  // Consent pages stand alone (no navigation): the user came from a third-party app.
  if (path.startsWith('/oauth1/authorize'))
    return (
      <>
        <OAuth1AuthorizePage key={pageKey} user={user} />
        {signIn}
      </>
    );
  if (path === '/oauth/consent')
    return (
      <>
        <ConsentPage key={pageKey} user={user} />
        {signIn}
      </>
    );

  const logout = async () => {
    setLogoutError(null);
    try {
      await api('POST', '/api/auth/logout');
    } catch (e) {
      const err = e as ApiError;
      // Already signed out: nothing to end. Anything else (the relay unreachable, a refusal):
      // the session may still be live, so the page says so instead of pretending.
      if (!err.signedOut && err.code !== 'unauthenticated' && err.code !== 'session_expired') return setLogoutError(err);
      // Another tab had signed in as someone else (api() switched to that session): the user
      // asked to sign out, so that session ends too.
      if (err.code === 'csrf_failed') {
        try {
          await api('POST', '/api/auth/logout');
        } catch (again) {
          const e2 = again as ApiError;
          if (e2.code !== 'unauthenticated' && e2.code !== 'session_expired') return setLogoutError(e2);
        }
      }
    }
    setCsrfToken(null);
    setPhase({ kind: 'login' });
    navigate('/login', true);
  };

  const page = route(path, phase.user, (u, t) => signedIn(u, t, '/account'));
  return (
    <div class="shell" onClick={onLinkClick as any}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a href="/connection" class="brand" aria-label="odoo-relay home">
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span>odoo-relay</span>
        </a>
        <div class="topbar-user">
          <a href="/account" class="user-link" aria-current={path === '/account' ? 'page' : undefined}>
            <span class="avatar" aria-hidden="true">{phase.user.username.slice(0, 1).toUpperCase()}</span>
            <span class="user-name">{phase.user.username}</span>
          </a>
          <Button variant="ghost" class="btn-small" onClick={logout}>
            Log out
          </Button>
          {logoutError && (
            <p class="topbar-error" role="alert">
              Not signed out: <ErrorText error={logoutError} />
            </p>
          )}
        </div>
      </header>
      <nav class="sidebar" aria-label="Dashboard">
        {/* "Settings" is where the n8n guide sends users: Dashboard → Settings → API Keys. */}
        {['Settings', 'Use', 'Events'].map((section) => (
          <div key={section} class="nav-group">
            <p class="nav-section" id={`nav-${section}`}>
              {section}
            </p>
            <ul aria-labelledby={`nav-${section}`}>
              {NAV.filter((n) => n.section === section && (!n.adminOnly || phase.user.role === 'admin')).map((n) => (
                <li key={n.href}>
                  <a href={n.href} aria-current={path.startsWith(n.href) ? 'page' : undefined}>
                    <svg class="nav-icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
                      <path d={n.icon} fill="currentColor" />
                    </svg>
                    {n.label}
                  </a>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </nav>
      <main id="main" class="content">
        <Fragment key={pageKey}>{page}</Fragment>
      </main>
      {signIn}
    </div>
  );
}

function route(path: string, user: User, onPasswordChanged: (u: User, csrf: string) => void) {
  if (path.startsWith('/keys')) return <KeysPage />;
  if (path.startsWith('/apps')) return <AppsPage />;
  if (path.startsWith('/users')) return <UsersPage user={user} />;
  if (path.startsWith('/webhook')) return <WebhookPage />;
  if (path.startsWith('/chat')) return <ChatPage />;
  if (path.startsWith('/subscriptions')) return <SubscriptionsPage />;
  if (path.startsWith('/deliveries')) return <DeliveriesPage />;
  if (path.startsWith('/logs')) return <LogsPage user={user} />;
  if (path.startsWith('/api-reference')) return <ApiReferencePage />;
  if (path.startsWith('/account')) return <AccountPage user={user} onChanged={onPasswordChanged} />;
  if (path === '/' || path.startsWith('/connection') || path === '/login' || path === '/setup') return <ConnectionPage />;
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        There is no page at <code>{path}</code>. <a href="/connection">Go to the Odoo connection</a>.
      </p>
    </section>
  );
}
