import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError, type User, type AccountHoldings } from '../api';
import { Badge, Button, Field, Loading, LoadError, Notice, PageHeader, TableHead, TextField } from '../components';
import { ConfirmDialog, FormDialog } from '../dialogs';
import { formatDate } from '../format';
import { useEditForm } from '../use-edit-form';
import { useRowAction } from '../use-row-action';

const PASSWORD_HINT = 'At least 10 characters.';

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Accounts, for administrators: the dashboard's side of the CLI's `users` commands. */
export function UsersPage({ user: me }: { user: User }) {
  if (me.role !== 'admin')
    return (
      <section>
        <PageHeader title="Users" />
        <div class="card">
          <p>Only administrators manage users. Ask an administrator of this relay to add, change or remove an account.</p>
        </div>
      </section>
    );
  return <UsersAdmin me={me} />;
}

function UsersAdmin({ me }: { me: User }) {
  const [users, setUsers] = useState<User[] | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const { busy, error, setError, message, setMessage, act } = useRowAction(() => void load());
  // A dialog closed after a refusal (the user was deleted or changed by another admin meanwhile)
  // leaves the list as it is now, not as it was when the dialog opened.
  const closeAndReload = (close: (v: null) => void) => () => {
    close(null);
    void load();
  };
  const [creating, setCreating] = useState(false);
  const [disabling, setDisabling] = useState<User | null>(null);
  const [resetting, setResetting] = useState<User | null>(null);
  const [deleting, setDeleting] = useState<{ user: User; holdings: AccountHoldings } | null>(null);

  const load = useCallback(async () => {
    try {
      const r = await api<{ users: User[] }>('GET', '/api/dashboard/users');
      setUsers(r.users);
      setLoadError(null);
    } catch (e) {
      setLoadError(e as ApiError);
    }
  }, []);
  useEffect(() => void load(), [load]);


  const setRole = (u: User, role: User['role']) =>
    act(`role-${u.id}`, async () => {
      const r = await api<{ user: User }>('PATCH', `/api/dashboard/users/${u.id}`, { role });
      setMessage(r.user.role === 'admin' ? `“${r.user.username}” is now an admin: they see every user’s request log and manage users.` : `“${r.user.username}” is now a user.`);
    });
  const enable = (u: User) =>
    act(`enable-${u.id}`, async () => {
      const r = await api<{ user: User }>('POST', `/api/dashboard/users/${u.id}/enable`);
      setMessage(`Enabled “${r.user.username}”: their API keys, OAuth grants and connections work again. Their paused subscriptions stay paused until they resume them.`);
    });
  // The delete dialog says what goes with the account, counted when it opens.
  const askDelete = (u: User) =>
    act(`delete-${u.id}`, async () => {
      const r = await api<{ user: User; holdings: AccountHoldings }>('GET', `/api/dashboard/users/${u.id}`);
      setDeleting({ user: r.user, holdings: r.holdings });
    });

  return (
    <section>
      <PageHeader
        title="Users"
        intro={<>Dashboard accounts of this relay. Administrators see every user’s request log and manage users; the CLI’s <code>users</code> commands do the same.</>}
        actions={
          <Button variant="primary" onClick={() => setCreating(true)}>
            Add user
          </Button>
        }
      />
      <Notice error={error} success={message} />
      <LoadError error={loadError} />
      {!users && !loadError && <Loading />}
      {users && (
        <div class="card table-card">
          <table class="table responsive" data-testid="users-table">
            <caption class="sr-only">Users</caption>
            <TableHead columns={['Username', 'Role', 'Status', 'Created']} actions />
            <tbody>
              {users.map((u) => {
                const self = u.id === me.id;
                const disabled = u.disabledAt !== null;
                return (
                  <tr key={u.id} data-user-id={u.id} class={disabled ? 'row-dim' : ''}>
                    <th scope="row" data-label="Username">
                      {u.username} {self && <Badge tone="info">you</Badge>}
                    </th>
                    <td data-label="Role">{u.role === 'admin' ? <Badge tone="info">admin</Badge> : <Badge tone="muted">user</Badge>}</td>
                    <td data-label="Status">
                      {disabled ? <Badge tone="warn">Disabled</Badge> : <Badge tone="ok">Enabled</Badge>}
                      {disabled && <div class="sub">since {formatDate(u.disabledAt)}</div>}
                    </td>
                    <td data-label="Created">{formatDate(u.createdAt)}</td>
                    <td class="row-actions">
                      {self ? (
                        // Changing one's own account here could lock oneself out mid-session; the password is the Account page's.
                        <span class="muted small">
                          Your password: <a href="/account">Account</a>
                        </span>
                      ) : (
                        <div class="action-wrap">
                          <Button
                            class="btn-small"
                            busy={busy === `role-${u.id}`}
                            onClick={() => setRole(u, u.role === 'admin' ? 'user' : 'admin')}
                            aria-label={u.role === 'admin' ? `Make ${u.username} a user` : `Make ${u.username} an admin`}
                          >
                            {u.role === 'admin' ? 'Make user' : 'Make admin'}
                          </Button>
                          {disabled ? (
                            <Button class="btn-small" busy={busy === `enable-${u.id}`} onClick={() => enable(u)} aria-label={`Enable ${u.username}`}>
                              Enable
                            </Button>
                          ) : (
                            <Button class="btn-small" onClick={() => setDisabling(u)} aria-label={`Disable ${u.username}`}>
                              Disable
                            </Button>
                          )}
                          <Button class="btn-small" onClick={() => setResetting(u)} aria-label={`Reset the password of ${u.username}`}>
                            Reset password
                          </Button>
                          {/* Not marked busy while the holdings load: a disabled button would drop the focus the dialog returns to. */}
                          <Button class="btn-small" variant="danger" onClick={() => askDelete(u)} aria-label={`Delete ${u.username}`}>
                            Delete
                          </Button>
                        </div>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      <CreateUserDialog
        open={creating}
        onClose={() => setCreating(false)}
        onCreated={(u) => {
          setCreating(false);
          setError(null);
          setMessage(`Created ${u.role === 'admin' ? 'admin' : 'user'} “${u.username}”. Give them the password by a safe channel; they can change it on their Account page.`);
          void load();
        }}
      />
      <ConfirmDialog
        title="Disable user?"
        removesOpener
        target={disabling}
        confirm="Disable user"
        body={(u) => (
          <p>
            <strong>{u.username}</strong> is signed out everywhere and cannot sign in; their active subscriptions pause, and their API keys and the OAuth
            tokens of apps acting for them are refused with <code>403 account_disabled</code>. Nothing is deleted: <strong>Enable</strong> makes the same
            keys work again (paused subscriptions stay paused until they resume them).
          </p>
        )}
        run={async (u) => {
          const r = await api<{ user: User; endedSessions: number; pausedSubscriptions: number }>('POST', `/api/dashboard/users/${u.id}/disable`);
          setDisabling(null);
          setError(null);
          setMessage(`Disabled “${r.user.username}”: ${plural(r.endedSessions, 'session')} ended, ${plural(r.pausedSubscriptions, 'subscription')} paused.`);
          void load();
        }}
        onClose={closeAndReload(setDisabling)}
      />
      <ResetPasswordDialog
        target={resetting}
        onClose={closeAndReload(setResetting)}
        onDone={(u) => {
          setResetting(null);
          setError(null);
          setMessage(`Password of “${u.username}” set; their sessions have ended. Their API keys keep working.`);
          void load();
        }}
      />
      <ConfirmDialog
        title="Delete user?"
        removesOpener
        target={deleting}
        confirm="Delete user"
        body={({ user: u, holdings: h }) => (
          <>
            <p>
              Deleting <strong>{u.username}</strong> also deletes what they own:
            </p>
            <ul data-testid="delete-holdings">
              <li>{plural(h.apiKeys, 'API key')}</li>
              <li>{plural(h.connections, 'Odoo connection')}</li>
              <li>{plural(h.subscriptions, 'subscription')}, with their queued deliveries</li>
              <li>{plural(h.apps, 'app')}, with the access users gave them</li>
            </ul>
            <p>
              This cannot be undone. The request log keeps their calls.{' '}
              {u.disabledAt === null ? 'To keep all this, disable the account instead: nothing is deleted and it can be enabled again.' : 'The account is disabled already, which keeps all this.'}
            </p>
          </>
        )}
        run={async ({ user: u }) => {
          const r = await api<{ deleted: { user: User } }>('DELETE', `/api/dashboard/users/${u.id}`);
          setDeleting(null);
          setError(null);
          setMessage(`Deleted “${r.deleted.user.username}” and what they owned.`);
          void load();
        }}
        onClose={closeAndReload(setDeleting)}
      />
    </section>
  );
}

interface NewUserForm {
  username: string;
  password: string;
  confirm: string;
  role: User['role'];
}

function CreateUserDialog(props: { open: boolean; onClose: () => void; onCreated: (u: User) => void }) {
  const { form, set, busy, error, fields, refuse, submit } = useEditForm<never, NewUserForm>(
    props.open ? 'new' : null,
    () => ({ username: '', password: '', confirm: '', role: 'user' }),
    () => ({ username: '', password: '', confirm: '', role: 'user' }),
  );
  const save = submit(async () => {
    if (form.password !== form.confirm) return refuse({ confirm: 'The two passwords differ' }, 'Check the highlighted fields.');
    const r = await api<{ user: User }>('POST', '/api/dashboard/users', { username: form.username, password: form.password, role: form.role });
    props.onCreated(r.user);
  });
  return (
    <FormDialog open={props.open} title="Add user" submit="Create user" busy={busy} error={error} onSubmit={save} onClose={props.onClose}>
      <TextField label="Username" name="username" autoComplete="off" value={form.username} onValue={set('username')} error={fields.username} required hint="3–64 letters, digits or . _ @ + -" />
      <div class="row-2">
        <TextField label="Password" name="password" type="password" autoComplete="new-password" value={form.password} onValue={set('password')} error={fields.password} required hint={PASSWORD_HINT} />
        <TextField label="Confirm password" name="confirm" type="password" autoComplete="new-password" value={form.confirm} onValue={set('confirm')} error={fields.confirm} required />
      </div>
      <Field label="Role" error={fields.role} hint="Admins see every user’s request log and manage users.">
        {({ id, describedBy, invalid }) => (
          <select id={id} name="role" value={form.role} aria-describedby={describedBy} aria-invalid={invalid || undefined} onChange={(e) => set('role')((e.target as HTMLSelectElement).value as User['role'])}>
            <option value="user">user</option>
            <option value="admin">admin</option>
          </select>
        )}
      </Field>
    </FormDialog>
  );
}

function ResetPasswordDialog(props: { target: User | null; onClose: () => void; onDone: (u: User) => void }) {
  const { existing, form, set, busy, error, fields, refuse, submit } = useEditForm<User, { password: string; confirm: string }>(
    props.target,
    () => ({ password: '', confirm: '' }),
    () => ({ password: '', confirm: '' }),
  );
  const save = submit(async () => {
    if (!existing) return;
    if (form.password !== form.confirm) return refuse({ confirm: 'The two passwords differ' }, 'Check the highlighted fields.');
    const r = await api<{ user: User }>('POST', `/api/dashboard/users/${existing.id}/password`, { password: form.password });
    props.onDone(r.user);
  });
  return (
    <FormDialog open={props.target !== null} title={`Reset the password of “${existing?.username ?? ''}”`} submit="Set password" busy={busy} error={error} onSubmit={save} onClose={props.onClose}>
      <p>
        Every session of this user ends: they are signed out everywhere and sign in again with the new password. Their API keys keep working. If failed
        sign-ins locked them out, the lock still runs its course (at most 15 minutes).
      </p>
      <div class="row-2">
        <TextField label="New password" name="password" type="password" autoComplete="new-password" value={form.password} onValue={set('password')} error={fields.password} required hint={PASSWORD_HINT} />
        <TextField label="Confirm new password" name="confirm" type="password" autoComplete="new-password" value={form.confirm} onValue={set('confirm')} error={fields.confirm} required />
      </div>
    </FormDialog>
  );
}
