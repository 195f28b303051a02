import { sql } from 'kysely';
/**
 * The dashboard's Users routes through a real relay (SQLite and PostgreSQL) and the Odoo test
 * server: administrators only, CSRF on writes, and the same rules as the CLI's `users` commands.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { DashboardClient } from './helpers.js';
import { createUser, findUserById, type User } from '../../src/auth/users.js';
import { createApiKey } from '../../src/auth/api-keys.js';
import { saveDefaultConnection } from '../../src/connections/store.js';

const PASSWORD = 'correct horse battery';
const USERS = '/api/dashboard/users';

describe.each(['sqlite', 'postgres'] as const)('dashboard Users routes on %s', (database) => {
  let relay: TestRelay;
  let sim: OdooSim;
  let admin: DashboardClient;
  let n = 0;

  beforeAll(async () => {
    const env: Record<string, string> = { AUTH_CACHE_SECONDS: '60' };
    if (database === 'postgres') env.DATABASE_URL = await createTestDatabase();
    [relay, sim] = await Promise.all([startTestRelay({ env }), startOdooSim({ version: 19, automationNoise: 'none' })]);
    admin = new DashboardClient(relay.url);
    await admin.login(relay.admin.username, PASSWORD);
  });
  afterAll(async () => {
    await relay?.close();
    await sim?.close();
  });

  /** A plain user with an Odoo connection, an API key and a dashboard session. */
  async function colleague(role: User['role'] = 'user') {
    const db = relay.ctx.storage.db;
    const user = await createUser(db, { username: `colleague${++n}`, password: PASSWORD, role });
    await saveDefaultConnection(db, relay.ctx.box, user.id, { url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    const { key } = await createApiKey(db, relay.ctx.box, { userId: user.id, name: 'their key' }, 100);
    const session = new DashboardClient(relay.url);
    await session.login(user.username, PASSWORD);
    return { user, key, session, webhook: () => relay.post('/api/n8n/webhook', { action: 'get_config' }, { authorization: `Bearer ${key}` }) };
  }

  it('refuses a signed-in non-admin on every route with 403 admin_required, changing nothing', async () => {
    const plain = await colleague();
    const target = await colleague();
    const routes: [string, string, unknown?][] = [
      ['GET', USERS],
      ['GET', `${USERS}/${target.user.id}`],
      ['POST', USERS, { username: 'sneaky', password: PASSWORD, role: 'admin' }],
      ['POST', `${USERS}/${target.user.id}/disable`],
      ['POST', `${USERS}/${target.user.id}/enable`],
      ['PATCH', `${USERS}/${plain.user.id}`, { role: 'admin' }],
      ['POST', `${USERS}/${target.user.id}/password`, { password: 'taken over by a colleague' }],
      ['DELETE', `${USERS}/${target.user.id}`],
    ];
    for (const [method, path, body] of routes) {
      const r = await plain.session.call(method, path, body);
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body).toMatchObject({ success: false, code: 'admin_required' });
    }
    expect(await relay.ctx.storage.db.selectFrom('users').select('id').where('username', '=', 'sneaky').executeTakeFirst()).toBeUndefined();
    expect(await findUserById(relay.ctx.storage.db, plain.user.id)).toMatchObject({ role: 'user' });
    expect(await findUserById(relay.ctx.storage.db, target.user.id)).toMatchObject({ disabledAt: null });
    // The target's old password still works: it was not reset.
    await new DashboardClient(relay.url).login(target.user.username, PASSWORD);
    // Without a session at all: 401.
    expect((await new DashboardClient(relay.url).call('GET', USERS)).body.code).toBe('unauthenticated');
  });

  it('refuses a NUL character in a username, a name or an id with 400 invalid_request, whatever the database (PostgreSQL cannot hold one)', async () => {
    const login = await new DashboardClient(relay.url).call('POST', '/api/auth/login', { username: 'bob\u0000', password: PASSWORD });
    expect([login.status, login.body.code], login.text).toEqual([400, 'invalid_request']);
    const named = await admin.call('POST', USERS, { username: 'nul\u0000name', password: PASSWORD });
    expect([named.status, named.body.code], named.text).toEqual([400, 'invalid_request']);
    for (const [method, path] of [['GET', `${USERS}/%00x`], ['POST', `${USERS}/%00x/disable`], ['DELETE', `${USERS}/%00x`], ['POST', '/api/dashboard/api-keys/%00x/revoke'], ['GET', '/api/dashboard/request-log?model=res%00']] as const) {
      const r = await admin.call(method, path);
      expect([r.status, r.body.code], `${method} ${path}: ${r.text}`).toEqual([400, 'invalid_request']);
    }
    expect(await relay.ctx.storage.db.selectFrom('users').select('id').where('username', 'like', 'nul%').executeTakeFirst()).toBeUndefined();
  });

  it('creates one account of names differing only in case, however many are asked for at once', async () => {
    const names = ['RaceX', 'racex', 'RACEX', 'rACEX'];
    const answers = await Promise.all(names.map((username) => admin.call('POST', USERS, { username, password: PASSWORD })));
    expect(answers.every((a) => a.status === 200 || (a.status === 409 && a.body.code === 'conflict')), answers.map((a) => a.text).join('\n')).toBe(true);
    const kept = await relay.ctx.storage.db.selectFrom('users').select('username').where(sql<string>`lower(username)`, '=', 'racex').execute();
    expect(kept.length).toBeLessThanOrEqual(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(kept.length);
  });

  it('refuses state changes without the CSRF token', async () => {
    const target = await colleague();
    for (const [method, path, body] of [
      ['POST', USERS, { username: 'no-csrf', password: PASSWORD }],
      ['POST', `${USERS}/${target.user.id}/disable`],
      ['PATCH', `${USERS}/${target.user.id}`, { role: 'admin' }],
      ['POST', `${USERS}/${target.user.id}/password`, { password: 'a new password here' }],
      ['DELETE', `${USERS}/${target.user.id}`],
    ] as [string, string, unknown?][]) {
      const r = await admin.call(method, path, body, { csrf: false });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(r.body.code).toBe('csrf_failed');
    }
    expect(await findUserById(relay.ctx.storage.db, target.user.id)).toMatchObject({ role: 'user', disabledAt: null });
    expect(await relay.ctx.storage.db.selectFrom('users').select('id').where('username', '=', 'no-csrf').executeTakeFirst()).toBeUndefined();
  });

  it('lists and creates users with the CLI’s rules; a taken name is a conflict, a weak password refused on its field', async () => {
    const created = await admin.call('POST', USERS, { username: `newcomer-${database}`, password: 'a long enough password' });
    expect(created.status, created.text).toBe(200);
    // A new account is a plain user unless asked otherwise, as with the CLI.
    expect(created.body.user).toMatchObject({ username: `newcomer-${database}`, role: 'user', disabledAt: null, createdAt: expect.any(Number) });
    expect(created.text).not.toContain('a long enough password');
    expect(created.text).not.toMatch(/password_hash|scrypt/);
    await new DashboardClient(relay.url).login(`newcomer-${database}`, 'a long enough password');

    const asAdmin = await admin.call('POST', USERS, { username: `deputy-${database}`, password: 'a long enough password', role: 'admin' });
    expect(asAdmin.body.user.role).toBe('admin');

    const list = await admin.call('GET', USERS);
    expect(list.status).toBe(200);
    const names = list.body.users.map((u: User) => u.username);
    expect(names).toEqual(expect.arrayContaining([relay.admin.username, `newcomer-${database}`, `deputy-${database}`]));
    expect(Object.keys(list.body.users[0]).sort()).toEqual(['createdAt', 'disabledAt', 'id', 'role', 'username']);
    expect(list.text).not.toMatch(/password/i);

    const taken = await admin.call('POST', USERS, { username: `NEWCOMER-${database}`, password: 'a long enough password' });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ code: 'conflict', error: `Username is already taken (as 'newcomer-${database}')`, details: { field: 'username' } });

    const cases: [unknown, string, RegExp][] = [
      [{ username: 'weakling', password: 'short' }, 'password', /at least 10 characters/],
      [{ username: 'no', password: 'a long enough password' }, 'username', /3–64/],
      [{ username: 'has space', password: 'a long enough password' }, 'username', /3–64/],
      [{ password: 'a long enough password' }, 'username', /Username is required/],
      [{ username: 'rolling', password: 'a long enough password', role: 'root' }, 'role', /admin or user/],
    ];
    for (const [body, field, message] of cases) {
      const r = await admin.call('POST', USERS, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.code).toBe('invalid_request');
      expect(r.body.details.field).toBe(field);
      expect(r.body.error).toMatch(message);
      expect(r.text).not.toContain('a long enough password');
    }
    expect(await relay.ctx.storage.db.selectFrom('users').select('id').where('username', 'in', ['weakling', 'has space', 'rolling']).execute()).toEqual([]);
  });

  it('disabling ends the user’s sessions and refuses their API key with 403 account_disabled; enabling restores the key', async () => {
    const leaver = await colleague();
    expect((await leaver.webhook()).status).toBe(200);
    expect((await leaver.session.call('GET', '/api/auth/me')).status).toBe(200);

    const disabled = await admin.call('POST', `${USERS}/${leaver.user.id}/disable`);
    expect(disabled.status, disabled.text).toBe(200);
    expect(disabled.body).toMatchObject({ user: { id: leaver.user.id, disabledAt: expect.any(Number) }, endedSessions: 1, pausedSubscriptions: 0 });
    expect((await leaver.session.call('GET', '/api/auth/me')).body.code).toBe('session_expired');
    // Refused at once, although AUTH_CACHE_SECONDS=60 keeps looked-up keys: this process dropped them.
    const refused = await leaver.webhook();
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ success: false, code: 'account_disabled' });
    const listed = (await admin.call('GET', USERS)).body.users.find((u: User) => u.id === leaver.user.id);
    expect(listed.disabledAt).toBe(disabled.body.user.disabledAt);

    const enabled = await admin.call('POST', `${USERS}/${leaver.user.id}/enable`);
    expect(enabled.status).toBe(200);
    expect(enabled.body.user).toMatchObject({ id: leaver.user.id, disabledAt: null });
    expect((await leaver.webhook()).status).toBe(200);
    await leaver.session.login(leaver.user.username, PASSWORD);

    expect((await admin.call('POST', `${USERS}/usr_nobody/disable`)).body.code).toBe('not_found');
    expect((await admin.call('POST', `${USERS}/usr_nobody/enable`)).body.code).toBe('not_found');
  });

  it('sets the role: a user made admin may manage users, demoted again may not', async () => {
    const promoted = await colleague();
    const up = await admin.call('PATCH', `${USERS}/${promoted.user.id}`, { role: 'admin' });
    expect(up.status, up.text).toBe(200);
    expect(up.body.user).toMatchObject({ id: promoted.user.id, role: 'admin' });
    // The role is read with the session on each request: no new sign-in is needed.
    expect((await promoted.session.call('GET', USERS)).status).toBe(200);
    const down = await admin.call('PATCH', `${USERS}/${promoted.user.id}`, { role: 'user' });
    expect(down.body.user.role).toBe('user');
    expect((await promoted.session.call('GET', USERS)).status).toBe(403);

    const bad = await admin.call('PATCH', `${USERS}/${promoted.user.id}`, { role: 'owner' });
    expect(bad.status).toBe(400);
    expect(bad.body.details.field).toBe('role');
    const idTooLong = await admin.call('PATCH', `${USERS}/${'x'.repeat(65)}`, { role: 'user' });
    expect(idTooLong.status).toBe(400);
    expect(idTooLong.body.details.field).toBe('id');
  });

  it('refuses an administrator disabling, demoting, deleting or resetting the password of their own account', async () => {
    const me = relay.admin.id;
    const refusals: [string, string, unknown?][] = [
      ['POST', `${USERS}/${me}/disable`],
      ['PATCH', `${USERS}/${me}`, { role: 'user' }],
      ['DELETE', `${USERS}/${me}`],
    ];
    for (const [method, path, body] of refusals) {
      const r = await admin.call(method, path, body);
      expect(r.status, `${method} ${path}`).toBe(409);
      expect(r.body.code).toBe('conflict');
      expect(r.body.error).toContain('sign in with another administrator account');
    }
    const reset = await admin.call('POST', `${USERS}/${me}/password`, { password: 'my own new password' });
    expect(reset.status).toBe(409);
    expect(reset.body.error).toContain('Account page');
    // Refused even with a second admin around (which the last-admin rule alone would allow).
    await admin.call('POST', USERS, { username: `backup-admin-${database}`, password: PASSWORD, role: 'admin' });
    expect((await admin.call('POST', `${USERS}/${me}/disable`)).status).toBe(409);
    // Promoting oneself is no change, and allowed.
    expect((await admin.call('PATCH', `${USERS}/${me}`, { role: 'admin' })).status).toBe(200);
    expect(await findUserById(relay.ctx.storage.db, me)).toMatchObject({ role: 'admin', disabledAt: null });
    expect((await admin.call('GET', '/api/auth/me')).status).toBe(200);
    await new DashboardClient(relay.url).login(relay.admin.username, PASSWORD);
  });

  it('two administrators disabling each other at once leave one enabled administrator', async () => {
    // The one path to the last-admin rule from the dashboard (an admin never acts on their own
    // account there): each admin is the other's only fellow, and the relay keeps one of them.
    const db = relay.ctx.storage.db;
    const enabledAdmins = () => db.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled_at', 'is', null).execute();
    // The admins earlier tests made are demoted first, through the routes.
    for (const { id } of await enabledAdmins()) if (id !== relay.admin.id) await admin.call('PATCH', `${USERS}/${id}`, { role: 'user' });
    const other = await colleague('admin');
    expect(await enabledAdmins()).toHaveLength(2);

    const [mine, theirs] = await Promise.all([
      admin.call('POST', `${USERS}/${other.user.id}/disable`),
      other.session.call('POST', `${USERS}/${relay.admin.id}/disable`),
    ]);
    const answers = [mine, theirs];
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    // The loser is refused by the last-admin rule, or finds its own session ended or its role gone.
    const loser = answers.find((a) => a.status !== 200)!;
    expect(['conflict', 'session_expired']).toContain(loser.body.code);
    if (loser.body.code === 'conflict') expect(loser.body.error).toContain('is the only enabled administrator');
    expect(await enabledAdmins()).toHaveLength(1);

    // Back to the signed-in admin being the enabled one, for the tests after this.
    if (mine.status !== 200) {
      await relay.ctx.storage.db.updateTable('users').set({ disabled_at: null }).where('id', '=', relay.admin.id).execute();
      await admin.login(relay.admin.username, PASSWORD);
    }
  });

  it('deletes a user with what they own, said first by GET /:id; their key stops working', async () => {
    const gone = await colleague();
    await relay.ctx.events.createSubscription(gone.user.id, { model: 'res.partner', targetUrl: 'https://receiver.example.com/hook', captureMode: 'poll', events: ['create'] });
    const shown = await admin.call('GET', `${USERS}/${gone.user.id}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ user: { id: gone.user.id, username: gone.user.username }, holdings: { apiKeys: 1, connections: 1, subscriptions: 1, apps: 0 } });

    const deleted = await admin.call('DELETE', `${USERS}/${gone.user.id}`);
    expect(deleted.status, deleted.text).toBe(200);
    expect(deleted.body.deleted).toMatchObject({ user: { id: gone.user.id }, apiKeys: 1, connections: 1, subscriptions: 1, apps: 0, pausedSubscriptions: 0 });
    const db = relay.ctx.storage.db;
    expect(await findUserById(db, gone.user.id)).toBeUndefined();
    expect(await db.selectFrom('api_keys').select('id').where('user_id', '=', gone.user.id).execute()).toEqual([]);
    expect(await db.selectFrom('subscriptions').select('id').where('user_id', '=', gone.user.id).execute()).toEqual([]);
    const refused = await gone.webhook();
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_api_key');
    expect((await gone.session.call('GET', '/api/auth/me')).body.code).toBe('session_expired');
    expect((await admin.call('GET', `${USERS}/${gone.user.id}`)).status).toBe(404);
    expect((await admin.call('DELETE', `${USERS}/${gone.user.id}`)).status).toBe(404);
  });

  it('a password reset ends the user’s sessions and lets them sign in with the new password only', async () => {
    const forgetful = await colleague();
    const weak = await admin.call('POST', `${USERS}/${forgetful.user.id}/password`, { password: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body.details.field).toBe('password');
    expect((await admin.call('POST', `${USERS}/${forgetful.user.id}/password`, {})).body.details.field).toBe('password');

    const reset = await admin.call('POST', `${USERS}/${forgetful.user.id}/password`, { password: 'a fresh start password' });
    expect(reset.status, reset.text).toBe(200);
    expect(reset.body.user).toMatchObject({ id: forgetful.user.id });
    expect(reset.text).not.toContain('a fresh start password');
    expect((await forgetful.session.call('GET', '/api/auth/me')).body.code).toBe('session_expired');
    const again = new DashboardClient(relay.url);
    expect((await again.call('POST', '/api/auth/login', { username: forgetful.user.username, password: PASSWORD })).body.code).toBe('invalid_credentials');
    await again.login(forgetful.user.username, 'a fresh start password');
    expect((await again.call('GET', '/api/auth/me')).body.user.username).toBe(forgetful.user.username);
    // Their API key is not a password: it keeps working.
    expect((await forgetful.webhook()).status).toBe(200);
    expect((await admin.call('POST', `${USERS}/usr_nobody/password`, { password: 'a fresh start password' })).status).toBe(404);
  });
});
