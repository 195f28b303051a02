import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { DashboardClient } from '../dashboard/helpers.js';
import { basic, postForm } from '../oauth2/helpers.js';
import { oauthClient } from '../oauth1/client.js';
import { anyUserDisabled, createUser, findUserById, type User } from '../../src/auth/users.js';
import { createApiKey } from '../../src/auth/api-keys.js';
import { createApp } from '../../src/apps/store.js';
import { saveDefaultConnection } from '../../src/connections/store.js';
import { deleteUser, disableUser, enableUser, setUserRole } from '../../src/auth/user-admin.js';

// Each CLI call starts a Node process that compiles TypeScript on the fly: slow on a busy machine.
const SLOW = { timeout: 120_000 };
const PASSWORD = 'correct horse battery';

/** A colleague with one of every credential: API key, dashboard session, OAuth 2.0 and OAuth 1.0a apps, a subscription. */
async function colleague(relay: TestRelay, sim: OdooSim, username: string) {
  const db = relay.ctx.storage.db;
  const user = await createUser(db, { username, password: PASSWORD });
  await saveDefaultConnection(db, relay.ctx.box, user.id, { url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
  const { key } = await createApiKey(db, relay.ctx.box, { userId: user.id, name: 'leaver key' }, 100);
  const oauth2 = await createApp(db, relay.ctx.box, { userId: user.id, name: 'Server app', scopes: ['webhook'] }, 100);
  const token = await postForm(`${relay.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(oauth2.app.clientId, oauth2.secrets.clientSecret!) });
  expect(token.status, token.text).toBe(200);
  const oauth1 = await createApp(db, relay.ctx.box, { userId: user.id, name: 'Sync app', scopes: ['webhook'] }, 100);
  const signer = oauthClient({ key: oauth1.app.consumerKey, secret: oauth1.secrets.consumerSecret }, 'HMAC-SHA256');
  const { subscription } = await relay.ctx.events.createSubscription(user.id, {
    model: 'res.partner',
    targetUrl: 'https://receiver.example.com/hook',
    captureMode: 'poll',
    events: ['create'],
  });
  const dashboard = new DashboardClient(relay.url);
  await dashboard.login(username, PASSWORD);
  const getConfig = { action: 'get_config' };
  return {
    user,
    oauth2AppId: oauth2.app.id,
    oauth2Client: { id: oauth2.app.clientId, secret: oauth2.secrets.clientSecret! },
    subscriptionId: subscription.id,
    dashboard,
    viaKey: () => relay.post('/api/n8n/webhook', getConfig, { authorization: `Bearer ${key}` }),
    viaOAuth2: () => relay.post('/api/n8n/webhook', getConfig, { authorization: `Bearer ${token.body.access_token}` }),
    viaOAuth1: () => signer.send('POST', `${relay.url}/api/n8n/webhook`, undefined, { json: getConfig }),
  };
}

describe('users disable, enable, set-role, delete (CLI beside a serving relay)', SLOW, () => {
  let sim: OdooSim;
  let relay: TestRelay;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    sim = await startOdooSim({ version: 19, automationNoise: 'none' });
    // AUTH_CACHE_SECONDS=0: the relay sees the CLI's change on the very next call.
    // An ingest URL lets subscriptions capture by push: automation rules in Odoo (nothing is posted here).
    relay = await startTestRelay({ env: { AUTH_CACHE_SECONDS: '0', EVENTS_ALLOW_PRIVATE_TARGETS: '127.0.0.0/8', EVENTS_INGEST_URL: 'http://127.0.0.1:9' } });
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    env = { DATA_DIR: relay.dataDir, LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    await relay.close();
    await sim.close();
  });

  const subscriptionRow = (id: string) =>
    relay.ctx.storage.db.selectFrom('subscriptions').select(['active', 'disabled_reason']).where('id', '=', id).executeTakeFirst();

  it('disabling refuses every credential of the account with 403 account_disabled and deletes nothing; enabling restores them', async () => {
    const leaver = await colleague(relay, sim, 'leaver');
    for (const call of [leaver.viaKey, leaver.viaOAuth2, leaver.viaOAuth1]) expect((await call()).status).toBe(200);
    const adminKey = await relay.createKey({ name: 'stays' });

    const disabled = await runCli(env, ['users', 'disable', '-u', 'leaver']);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(disabled.stdout).toContain("Disabled 'leaver': 1 session ended, 1 subscription paused");

    for (const call of [leaver.viaKey, leaver.viaOAuth2, leaver.viaOAuth1]) {
      const refused = await call();
      expect(refused.status, refused.text).toBe(403);
      expect(refused.body).toMatchObject({ success: false, code: 'account_disabled' });
      // A valid credential that may not act now: nothing to re-authenticate with.
      expect(refused.headers['www-authenticate']).toBeUndefined();
    }
    expect((await leaver.dashboard.call('GET', '/api/auth/me')).body.code).toBe('session_expired');
    const again = new DashboardClient(relay.url);
    expect((await again.call('POST', '/api/auth/login', { username: 'leaver', password: PASSWORD })).body.code).toBe('account_disabled');
    // Only the right password learns that the account exists and is disabled.
    expect((await again.call('POST', '/api/auth/login', { username: 'leaver', password: 'not the password at all' })).body.code).toBe('invalid_credentials');
    expect(await subscriptionRow(leaver.subscriptionId)).toEqual({ active: 0, disabled_reason: "paused: the account 'leaver' was disabled" });
    // Nothing of the account is gone, and other accounts are untouched.
    expect(await relay.ctx.storage.db.selectFrom('api_keys').select('id').where('user_id', '=', leaver.user.id).execute()).toHaveLength(1);
    expect((await relay.post('/api/n8n/webhook', { action: 'get_config' }, { authorization: `Bearer ${adminKey.key}` })).status).toBe(200);
    expect((await runCli(env, ['users', 'list'])).stdout).toMatch(/user\s+leaver\s+\(disabled \d{4}-\d\d-\d\dT/);

    const enabled = await runCli(env, ['users', 'enable', '-u', 'leaver']);
    expect(enabled.code, enabled.stderr).toBe(0);
    for (const call of [leaver.viaKey, leaver.viaOAuth2, leaver.viaOAuth1]) expect((await call()).status).toBe(200);
    await again.login('leaver', PASSWORD);
    expect((await again.call('GET', '/api/auth/me')).body.user).toMatchObject({ username: 'leaver', disabledAt: null });
    // Paused subscriptions stay paused: their owner resumes those still wanted.
    expect((await subscriptionRow(leaver.subscriptionId))?.active).toBe(0);
  });

  it('never leaves the relay without an enabled administrator', async () => {
    const admin = relay.admin.username;
    // Without --yes too: the listing must not invite a delete that is bound to be refused.
    for (const args of [['disable', '-u', admin], ['delete', '-u', admin, '--yes'], ['delete', '-u', admin], ['set-role', '-u', admin, '--role', 'user']]) {
      const r = await runCli(env, ['users', ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(`error (conflict): '${admin}' is the only enabled administrator`);
    }
    await createUser(relay.ctx.storage.db, { username: 'deputy', password: PASSWORD });
    expect((await runCli(env, ['users', 'set-role', '-u', 'deputy', '--role', 'admin'])).stdout).toContain("'deputy' is now an admin");
    expect((await runCli(env, ['users', 'set-role', '-u', admin, '--role', 'user'])).stdout).toContain(`'${admin}' is now a user`);
    expect((await findUserById(relay.ctx.storage.db, relay.admin.id))?.role).toBe('user');
    expect((await runCli(env, ['users', 'set-role', '-u', admin, '--role', 'admin'])).code).toBe(0);
  });

  it('deletes only with --yes, then the account and all it owns are gone; subscriptions its apps made for others pause', async () => {
    const gone = await colleague(relay, sim, 'gone');
    // Captured by push: the relay's automation rules in Odoo, which the database's cascade cannot reach.
    const { subscription: pushed } = await relay.ctx.events.createSubscription(gone.user.id, {
      model: 'res.partner',
      targetUrl: 'https://receiver.example.com/pushed',
      captureMode: 'push',
      events: ['create'],
    });
    const rulesOf = (id: string) => sim.engine.execute(2, 'base.automation', 'search_count', [[['name', 'like', id]]], {});
    expect(rulesOf(pushed.id)).toBeGreaterThan(0);
    // Another user's subscription made through one of gone's apps.
    const { subscription: throughApp } = await relay.ctx.events.createSubscription(
      relay.admin.id,
      { model: 'res.partner', targetUrl: 'https://app.example.com/hook', captureMode: 'poll', events: ['create'] },
      gone.oauth2AppId,
    );

    const unconfirmed = await runCli(env, ['users', 'delete', '-u', 'gone']);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain("error (invalid_request): Deleting 'gone' also deletes their 1 API key, 1 Odoo connection, 2 subscriptions and 2 apps");
    expect((await gone.viaKey()).status).toBe(200);

    const deleted = await runCli(env, ['users', 'delete', '-u', 'gone', '--yes']);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain("Deleted 'gone' with their 1 API key, 1 Odoo connection, 2 subscriptions and 2 apps; 1 other user's subscription made by those apps paused");
    expect(rulesOf(pushed.id)).toBe(0);
    expect((await gone.viaKey()).body.code).toBe('invalid_api_key');
    expect((await gone.viaOAuth2()).body.code).toBe('invalid_token');
    expect(await findUserById(relay.ctx.storage.db, gone.user.id)).toBeUndefined();
    expect(await subscriptionRow(gone.subscriptionId)).toBeUndefined();
    expect(await subscriptionRow(throughApp.id)).toEqual({ active: 0, disabled_reason: "paused: the app that created it was deleted with the account 'gone'" });
    // The request log keeps what the account did.
    await relay.ctx.requestLog.flush();
    expect((await relay.ctx.storage.db.selectFrom('request_log').select('id').where('user_id', '=', gone.user.id).execute()).length).toBeGreaterThan(0);

    const unknown = await runCli(env, ['users', 'disable', '-u', 'gone']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("error (not_found): No user named 'gone'");
  });

  it("refuses a disabled account's apps for everyone who authorized them, and gives them no new tokens", async () => {
    const storage = relay.ctx.storage;
    const owner = await colleague(relay, sim, 'app-owner');
    const stays = await createUser(storage.db, { username: 'stays-on', password: PASSWORD });
    await saveDefaultConnection(storage.db, relay.ctx.box, stays.id, { url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    // A colleague's token through the owner's app, as the authorization-code flow issues it.
    const { issueTokens } = await import('../../src/oauth2/store.js');
    const issued = (await issueTokens(storage.db, { appId: owner.oauth2AppId, userId: stays.id, familyId: `fam_${Date.now()}`, scopes: ['webhook'], withRefresh: false }))!;
    const viaApp = () => relay.post('/api/n8n/webhook', { action: 'get_config' }, { authorization: `Bearer ${issued.accessToken}` });
    expect((await viaApp()).status).toBe(200);

    await disableUser(storage, owner.user.id);
    // OAuth 1.0a asks about the acting account and the app's owner in one query.
    expect(await anyUserDisabled(storage.db, [stays.id, owner.user.id])).toBe(true);
    expect(await anyUserDisabled(storage.db, [stays.id, stays.id])).toBe(false);
    expect(await anyUserDisabled(storage.db, [stays.id, 'usr_unknown'])).toBe(true);
    const refused = await viaApp();
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('account_disabled');
    const token = await postForm(`${relay.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(owner.oauth2Client.id, owner.oauth2Client.secret) });
    expect(token.status).toBe(401);
    expect(token.body).toMatchObject({ error: 'invalid_client', error_description: "The app's owner account is disabled" });
    // Enabled again, the colleague's token works again.
    await enableUser(storage.db, owner.user.id);
    expect((await viaApp()).status).toBe(200);
  });

  it("neither polls nor delivers for a subscription of a disabled account that escaped the pause (made while it was being disabled)", async () => {
    const storage = relay.ctx.storage;
    const late = await colleague(relay, sim, 'late');
    await disableUser(storage, late.user.id);
    // As if created between the disable's pause and its commit: active again, with a delivery due.
    await storage.db.updateTable('subscriptions').set({ active: 1, disabled_at: null, disabled_reason: null }).where('id', '=', late.subscriptionId).execute();
    const { recordEvents } = await import('../../src/events/outbox.js');
    const { buildEventPayload } = await import('../../src/events/payload.js');
    const id = `evt_late_${Date.now()}`;
    await recordEvents(storage.db, [
      { id, subscriptionId: late.subscriptionId, model: 'res.partner', recordId: 1, event: 'create', source: 'poll', occurredAt: Date.now(), payload: JSON.stringify(buildEventPayload({ id, model: 'res.partner', recordId: 1, event: 'create', occurredAt: new Date(), data: {} })) },
    ]);
    relay.ctx.events.worker.wake();
    await new Promise((r) => setTimeout(r, 600));
    expect(await storage.db.selectFrom('deliveries').select(['status', 'attempts']).where('event_id', '=', id).execute()).toEqual([{ status: 'pending', attempts: 0 }]);
    // Its next poll pauses it.
    const { pollSubscription } = await import('../../src/events/poller.js');
    expect(await pollSubscription((relay.ctx.events as any).pollDeps, late.subscriptionId)).toBeNull();
    expect(await subscriptionRow(late.subscriptionId)).toEqual({ active: 0, disabled_reason: "paused: its owner's account is disabled" });
  });

  it('deletes an admin whole while that admin disables the deleting one: the account stops at the first step', async () => {
    const storage = relay.ctx.storage;
    const doomed = await colleague(relay, sim, 'doomed');
    // The two of them are the only administrators.
    await storage.db.updateTable('users').set({ role: 'user' }).where('role', '=', 'admin').where('id', '!=', relay.admin.id).execute();
    await setUserRole(storage, doomed.user.id, 'admin');
    let counterMove: PromiseSettledResult<unknown> | undefined;
    // The doomed admin's disable of the deleting one lands while the delete removes subscriptions.
    const events = {
      deleteSubscription: async (userId: string, id: string) => {
        [counterMove] = await Promise.allSettled([disableUser(storage, relay.admin.id)]);
        return relay.ctx.events.deleteSubscription(userId, id);
      },
    };
    const deleted = await deleteUser({ storage, events }, doomed.user.id);
    expect(deleted).toMatchObject({ user: { id: doomed.user.id }, subscriptions: 1 });
    expect(counterMove).toMatchObject({ status: 'rejected', reason: { code: 'conflict' } });
    expect((await storage.db.selectFrom('users').select('disabled_at').where('id', '=', relay.admin.id).executeTakeFirstOrThrow()).disabled_at).toBeNull();
    expect(await subscriptionRow(doomed.subscriptionId)).toBeUndefined();
  });
});

describe.each(['sqlite', 'postgres'] as const)('account administration on %s', (database) => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await startTestRelay(database === 'postgres' ? { env: { DATABASE_URL: await createTestDatabase() } } : {});
  });
  afterAll(() => relay.close());

  it('two administrators demoting or disabling each other at once leave one of them an admin', async () => {
    const storage = relay.ctx.storage;
    const other: User = await createUser(storage.db, { username: `second-${database}`, password: PASSWORD, role: 'admin' });
    const settled = await Promise.allSettled([setUserRole(storage, relay.admin.id, 'user'), disableUser(storage, other.id)]);
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    const refused = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'conflict' });
    const admins = await storage.db.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled_at', 'is', null).execute();
    expect(admins).toHaveLength(1);

    // Back to two enabled admins, whichever change won.
    await setUserRole(storage, relay.admin.id, 'admin');
    await enableUser(storage.db, other.id);
    // Disabling twice changes nothing more; enabling brings the account back as it was.
    const [first, second] = [await disableUser(storage, other.id), await disableUser(storage, other.id)];
    expect(second.user.disabledAt).toBe(first.user.disabledAt);
    expect((await enableUser(storage.db, other.id)).disabledAt).toBeNull();
    expect((await deleteUser(relay.ctx, other.id)).user.id).toBe(other.id);
    await expect(deleteUser(relay.ctx, other.id)).rejects.toMatchObject({ code: 'not_found' });
  });
});
