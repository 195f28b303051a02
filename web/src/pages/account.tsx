import { useState } from 'preact/hooks';
import { api, type User } from '../api';
import { useFormSubmit } from '../use-form-submit';
import { Button, Notice, PageHeader, TextField } from '../components';
import { formatDate } from '../format';

/** Change password: every other session of this user ends; this browser gets a fresh one. */
export function AccountPage({ user, onChanged }: { user: User; onChanged: (u: User, csrf: string) => void }) {
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const [confirm, setConfirm] = useState('');
  const [done, setDone] = useState(false);
  const { busy, error, fields, refuse, submit: submitting } = useFormSubmit();

  const submit = submitting(async () => {
    setDone(false);
    if (newPassword !== confirm) return refuse({ confirm: 'The two new passwords differ' }, 'Check the highlighted fields.');
    const r = await api<{ user: User; csrfToken: string }>('POST', '/api/auth/password', { currentPassword, newPassword });
    setCurrent('');
    setNew('');
    setConfirm('');
    setDone(true);
    onChanged(r.user, r.csrfToken);
  });

  return (
    <section>
      <PageHeader title="Account" intro={<>Signed in as <strong>{user.username}</strong> ({user.role}); account created {formatDate(user.createdAt)}.</>} />
      <div class="card narrow">
        <h2>Change password</h2>
        <form onSubmit={submit} noValidate>
          <Notice error={error} success={done ? 'Password changed. Other sessions were signed out.' : null} />
          <TextField label="Current password" type="password" autoComplete="current-password" value={currentPassword} onValue={setCurrent} error={fields.currentPassword} required />
          <TextField label="New password" type="password" autoComplete="new-password" value={newPassword} onValue={setNew} error={fields.newPassword} hint="At least 10 characters." required />
          <TextField label="Confirm new password" type="password" autoComplete="new-password" value={confirm} onValue={setConfirm} error={fields.confirm} required />
          <Button type="submit" variant="primary" busy={busy}>
            Change password
          </Button>
        </form>
      </div>
    </section>
  );
}
