import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type SignedOutDetail, type User } from './api';
import { Button, Dialog, Notice, pageTitle, TextField } from './components';
import { useFormSubmit } from './use-form-submit';

/**
 * Sign in again without leaving the page. When the session ends mid-use, the page and any dialog
 * on it stay mounted under this one, so what the user typed is still there afterwards; they repeat
 * what they were doing. Showing the sign-in page instead unmounted everything and said nothing.
 */
export function SessionExpiredDialog(props: { reason: SignedOutDetail['code'] | null; username: string; onSignedIn: (user: User, csrfToken: string) => void }) {
  const [username, setUsername] = useState(props.username);
  const [password, setPassword] = useState('');
  const { busy, error, fields, reset, submit: submitting } = useFormSubmit();
  // The control the user last focused outside this dialog gets the focus back after sign-in: a
  // submit button loses it while disabled (busy), so the dialog's opener is usually <body>.
  const own = useRef<HTMLFormElement>(null);
  const lastFocus = useRef<HTMLElement | null>(null);
  useEffect(() => {
    const remember = (e: FocusEvent) => {
      const target = e.target as HTMLElement;
      if (!own.current?.contains(target)) lastFocus.current = target;
    };
    document.addEventListener('focusin', remember);
    return () => document.removeEventListener('focusin', remember);
  }, []);
  const returnFocus = () => {
    const last = lastFocus.current;
    return last && document.contains(last) && !(last as HTMLButtonElement).disabled ? last : pageTitle();
  };
  useEffect(() => {
    if (props.reason === null) return;
    setUsername(props.username);
    setPassword('');
    reset();
  }, [props.reason]);

  const submit = submitting(async () => {
    const r = await api<{ user: User; csrfToken: string }>('POST', '/api/auth/login', { username, password });
    props.onSignedIn(r.user, r.csrfToken);
  });

  const expired = props.reason === 'session_expired';
  return (
    <Dialog open={props.reason !== null} title={expired ? 'Your session expired' : 'You were signed out'} onClose={() => undefined} dismissable={false} returnFocus={returnFocus}>
      <form ref={own} onSubmit={submit} noValidate data-testid="session-expired">
        <p class="notice notice-warn">
          {expired ? 'Sessions end after a while, for your security.' : 'This browser’s session ended (signed out in another tab, or the cookie was removed).'} Sign in
          again to go on where you were: what you typed stays. If you had just pressed a button, press it again — the relay refused that request.
        </p>
        <Notice error={error} />
        <TextField label="Username" name="username" autoComplete="username" required value={username} onValue={setUsername} error={fields.username} />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          autoFocus
          value={password}
          onValue={setPassword}
          error={fields.password}
        />
        <div class="actions">
          <Button type="submit" variant="primary" busy={busy}>
            Sign in
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
