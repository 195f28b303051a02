import { useEffect, useRef, useState } from 'preact/hooks';
import { useFormSubmit } from '../use-form-submit';
import { api, ApiError, type User } from '../api';
import { AuthFrame } from '../auth-frame';
import { Button, Notice, TextField } from '../components';

type Done = (user: User, csrfToken: string) => void;

function AuthCard(props: { title: string; intro: string; children: preact.ComponentChildren }) {
  const h = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · odoo-relay`;
    h.current?.focus();
  }, [props.title]);
  return (
    <AuthFrame>
      <h1 ref={h} tabIndex={-1}>
        {props.title}
      </h1>
      <p class="intro">{props.intro}</p>
      {props.children}
    </AuthFrame>
  );
}

/** First run: no account exists yet, so the first one becomes the administrator. */
export function SetupPage({ onDone, onAlreadyDone }: { onDone: Done; onAlreadyDone: () => void }) {
  const [username, setUsername] = useState('admin');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const { busy, error, fields, refuse, submit: submitting } = useFormSubmit();

  const submit = submitting(async () => {
    if (password !== confirm) return refuse({ confirm: 'The two passwords differ' }, 'Check the highlighted fields.');
    try {
      const r = await api<{ user: User; csrfToken: string }>('POST', '/api/auth/setup', { username, password });
      onDone(r.user, r.csrfToken);
    } catch (err) {
      // Someone finished setup meanwhile (another tab, the CLI): sign in instead.
      if ((err as ApiError).code === 'setup_already_done') return onAlreadyDone();
      throw err;
    }
  });

  return (
    <AuthCard title="Welcome to odoo-relay" intro="Create the administrator account. You will use it to connect Odoo and issue API keys for n8n.">
      <form onSubmit={submit} noValidate>
        <Notice error={error} />
        <TextField label="Username" name="username" autoComplete="username" required value={username} onValue={setUsername} error={fields.username} />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="new-password"
          required
          value={password}
          onValue={setPassword}
          error={fields.password}
          hint="At least 10 characters; a passphrase works well."
        />
        <TextField label="Confirm password" name="confirm" type="password" autoComplete="new-password" required value={confirm} onValue={setConfirm} error={fields.confirm} />
        <Button type="submit" variant="primary" busy={busy} class="btn-block">
          Create account
        </Button>
      </form>
    </AuthCard>
  );
}

/** Sign in; `expired` says why the user is here when their session ran out while the dashboard was closed. */
export function LoginPage({ onDone, expired }: { onDone: Done; expired?: boolean }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, fields, submit: submitting } = useFormSubmit();

  const submit = submitting(async () => {
    const r = await api<{ user: User; csrfToken: string }>('POST', '/api/auth/login', { username, password });
    onDone(r.user, r.csrfToken);
  });

  return (
    <AuthCard title="Sign in" intro="Sign in to manage the Odoo connection, API keys and the request log.">
      <form onSubmit={submit} noValidate>
        {expired && !error && <p class="notice notice-warn">Your session expired. Sign in again to go on where you were.</p>}
        <Notice error={error} />
        <TextField label="Username" name="username" autoComplete="username" required value={username} onValue={setUsername} error={fields.username} />
        <TextField label="Password" name="password" type="password" autoComplete="current-password" required value={password} onValue={setPassword} error={fields.password} />
        <Button type="submit" variant="primary" busy={busy} class="btn-block">
          Sign in
        </Button>
      </form>
    </AuthCard>
  );
}
