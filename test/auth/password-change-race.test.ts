/**
 * A password change and the logins, changes and sessions that overlap it. The hashes take tens
 * of milliseconds, so every check of a password is stale by the time its result is used; these
 * tests pin down that a stale check never wins, on SQLite and PostgreSQL alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changePassword, checkCredentials, createUser } from '../../src/auth/users.js';
import { createSession, findSession } from '../../src/auth/sessions.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { httpGet, startTestRelay, type TestRelay } from '../helpers/relay.js';

const oldPassword = 'the old password 123';
const newPassword = 'the new password 456';

describe.each([
  ['SQLite', async () => ({})],
  ['PostgreSQL', async () => ({ DATABASE_URL: await createTestDatabase() })],
])('password changes on %s', (_name, databaseEnv) => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startTestRelay({ env: await databaseEnv() });
  });
  afterAll(() => relay.close());

  const sessionsOf = (userId: string) => relay.ctx.storage.db.selectFrom('sessions').select('id_hash').where('user_id', '=', userId).execute();

  it('does not start a session from a password check made before the password changed', async () => {
    const user = await createUser(relay.ctx.storage.db, { username: 'stale-login', password: oldPassword });
    const before = await createSession(relay.ctx.storage, (await checkCredentials(relay.ctx.storage.db, 'stale-login', oldPassword))!, 1);
    expect(before).not.toBeNull();

    // A login checks the old password; the owner changes it before the login stores its session.
    const staleCheck = await checkCredentials(relay.ctx.storage.db, 'stale-login', oldPassword);
    expect(staleCheck?.user.id).toBe(user.id);
    const changed = await changePassword(relay.ctx.storage.db, user.id, oldPassword, newPassword);

    expect(await createSession(relay.ctx.storage, staleCheck!, 1)).toBeNull();
    // The change ended the earlier session too; a session from the new password starts.
    expect(await findSession(relay.ctx.storage.db, before!.token)).toBeNull();
    expect(await sessionsOf(user.id)).toEqual([]);
    const fresh = await createSession(relay.ctx.storage, changed, 1);
    expect(await findSession(relay.ctx.storage.db, fresh!.token)).toMatchObject({ userId: user.id });
  });

  it('of two changes made with the same current password at once, applies one and refuses the other', async () => {
    const user = await createUser(relay.ctx.storage.db, { username: 'two-changes', password: oldPassword });
    const candidates = ['first new password 1', 'second new password 2', 'third new password 3'];
    const outcomes = await Promise.allSettled(candidates.map((next) => changePassword(relay.ctx.storage.db, user.id, oldPassword, next)));

    const applied = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [candidates[i]!] : []));
    expect(applied).toHaveLength(1);
    for (const o of outcomes) {
      if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'invalid_credentials', details: { field: 'currentPassword' } });
    }
    // The password in force is the one whose change was reported as applied, and only that one.
    for (const candidate of candidates) {
      expect(await checkCredentials(relay.ctx.storage.db, 'two-changes', candidate).then(Boolean)).toBe(candidate === applied[0]);
    }
  });

  it('leaves no working session to a login with the old password sent around a change, whatever the order', async () => {
    const user = await createUser(relay.ctx.storage.db, { username: 'overlap', password: oldPassword });
    // The owner's dashboard session, which makes the change.
    const owner = await relay.post('/api/auth/login', { username: 'overlap', password: oldPassword });
    const ownerCookie = String(owner.headers['set-cookie']).split(';')[0]!;
    const change = relay.post(
      '/api/auth/password',
      { currentPassword: oldPassword, newPassword },
      { cookie: ownerCookie, 'x-csrf-token': owner.body.csrfToken },
    );
    // Logins with the old password started before, during and after the change's two hashes.
    const logins = [0, 10, 25, 40, 60, 90, 130].map((ms) =>
      new Promise((r) => setTimeout(r, ms)).then(() => relay.post('/api/auth/login', { username: 'overlap', password: oldPassword })),
    );
    expect((await change).status).toBe(200);
    for (const login of await Promise.all(logins)) {
      expect([200, 401]).toContain(login.status);
      if (login.status !== 200) continue;
      const me = await httpGet(`${relay.url}/api/auth/me`, { cookie: String(login.headers['set-cookie']).split(';')[0]! });
      expect(me.status).toBe(401);
    }
    // Only the session the change handed to the owner's browser is left.
    expect(await sessionsOf(user.id)).toHaveLength(1);
  });
});
