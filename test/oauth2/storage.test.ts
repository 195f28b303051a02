import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as oauth from 'oauth4webapi';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { createTestDatabase } from '../helpers/postgres.js';
import type { DashboardClient } from '../dashboard/helpers.js';
import { sha256Hex } from '../../src/ids/random.js';
import { pruneExpiredOAuth2, recordGrant } from '../../src/oauth2/store.js';
import { holdingFirstRead } from '../helpers/hold-first-read.js';
import { basic, codeFlow, discover, postForm, raw, registerApp, signIn } from './helpers.js';

/**
 * Token storage on both databases: rotation and reuse detection rely on conditional UPDATEs,
 * the dashboard's grants on an upsert, cleanup on deletes by expiry. Same flows on each.
 */
describe.each([
  { label: 'SQLite', databaseUrl: async () => undefined },
  { label: 'PostgreSQL', databaseUrl: createTestDatabase },
])('OAuth 2.0 storage on $label', ({ databaseUrl }) => {
  let relay: TestRelay;
  let as: oauth.AuthorizationServer;
  let dashboard: DashboardClient;

  beforeAll(async () => {
    const url = await databaseUrl();
    relay = await startTestRelay(url ? { databaseUrl: url } : {});
    as = await discover(relay);
    dashboard = await signIn(relay);
  });
  afterAll(async () => {
    await relay?.close();
  });

  it('code flow, rotation, reuse revoking the family, and concurrent refreshes with one winner', async () => {
    const app = await registerApp(relay);
    const auth = { authorization: basic(app.client.client_id, app.clientSecret!) };
    const tokens = await codeFlow(relay, as, dashboard, app);
    const attempts = await Promise.all(
      Array.from({ length: 4 }, () => postForm(`${relay.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, auth)),
    );
    // At most one rotation wins the race (it may also lose to a revocation that lands first).
    const winners = attempts.filter((r) => r.status === 200);
    expect(winners.length).toBeLessThanOrEqual(1);
    expect(attempts.filter((r) => r.body.error === 'invalid_grant')).toHaveLength(4 - winners.length);
    // The others were reuse: whatever the interleaving, nothing of the family survives.
    for (const token of [tokens.access_token, ...winners.map((w) => w.body.access_token)]) {
      const call = await relay.post('/api/n8n/webhook', { action: 'get_config' }, { authorization: `Bearer ${token}` });
      expect(call.body.code).toBe('invalid_token');
    }
    const left = await relay.ctx.storage.db.selectFrom('oauth2_tokens').select('token_hash').where('app_id', '=', app.id).execute();
    expect(left).toEqual([]);
  });

  it('a rotation that lands after its family was revoked issues nothing usable', async () => {
    const app = await registerApp(relay, { name: 'Late rotation' });
    const tokens = await codeFlow(relay, as, dashboard, app);
    const db = relay.ctx.storage.db;
    const row = await db.selectFrom('oauth2_tokens').select('family_id').where('token_hash', '=', sha256Hex(tokens.access_token)).executeTakeFirstOrThrow();
    // The interleaving the tombstone exists for: reuse revoked the family, then the winner inserts.
    await db.insertInto('oauth2_revoked_families').values({ family_id: row.family_id, revoked_at: Date.now(), expires_at: Date.now() + 60_000 }).execute();
    const late = await postForm(`${relay.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, { authorization: basic(app.client.client_id, app.clientSecret!) });
    expect(late.status).toBe(400);
    expect(late.body).toMatchObject({ error: 'invalid_grant', error_description: 'This authorization was revoked' });
    expect(await db.selectFrom('oauth2_tokens').select('token_hash').where('family_id', '=', row.family_id).where('rotated_at', 'is', null).execute()).toEqual([]);
  });

  it('repeated consent widens the recorded grant; the dashboard lists it once', async () => {
    const app = await registerApp(relay, { name: 'Twice' });
    await codeFlow(relay, as, dashboard, app, 'read');
    await codeFlow(relay, as, dashboard, app, 'subscriptions');
    const listed = (await dashboard.call('GET', '/api/dashboard/authorized-apps')).body.authorizedApps.filter((g: any) => g.appId === app.id);
    expect(listed).toHaveLength(1);
    expect(listed[0].scopes.sort()).toEqual(['read', 'subscriptions']);
  });

  it('two consents at once for the same app and user keep both scopes (no grant yet, and a grant being widened)', async () => {
    const db = relay.ctx.storage.db;
    const userId = relay.admin.id;
    const cases = [
      { before: [], first: 'read', second: 'subscriptions' },
      { before: ['read'], first: 'webhook', second: 'subscriptions' },
    ] as const;
    for (const { before, first, second } of cases) {
      const app = await registerApp(relay, { name: `Two consents after ${before.join(',') || 'none'}` });
      if (before.length) await recordGrant(db, app.id, userId, [...before]);
      // The first consent has read the grant; the second consent runs whole before it writes.
      const held = holdingFirstRead(db, 'oauth2_grants');
      const slow = recordGrant(held.db, app.id, userId, [first]);
      await held.read;
      await recordGrant(db, app.id, userId, [second]);
      held.release();
      await slow;
      const row = await db.selectFrom('oauth2_grants').select('scopes').where('app_id', '=', app.id).where('user_id', '=', userId).executeTakeFirstOrThrow();
      expect((JSON.parse(row.scopes) as string[]).sort()).toEqual([...before, first, second].sort());
    }
  });

  it('housekeeping removes expired tokens, codes and pending requests, and keeps live ones', async () => {
    const app = await registerApp(relay, { name: 'Cleanup' });
    const live = await codeFlow(relay, as, dashboard, app);
    const stale = await codeFlow(relay, as, dashboard, app);
    const db = relay.ctx.storage.db;
    const past = Date.now() - 1000;
    await db.updateTable('oauth2_tokens').set({ expires_at: past }).where('token_hash', 'in', [sha256Hex(stale.access_token), sha256Hex(stale.refresh_token!)]).execute();
    await raw(`${relay.url}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: app.client.client_id, redirect_uri: 'http://127.0.0.1:9/callback', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256' })}`);
    await db.updateTable('oauth2_requests').set({ expires_at: past }).where('app_id', '=', app.id).execute();
    await db.updateTable('oauth2_codes').set({ expires_at: past }).where('app_id', '=', app.id).execute();

    await db.insertInto('oauth2_revoked_families').values({ family_id: 'fam_gone', revoked_at: past, expires_at: past }).execute();
    expect(await pruneExpiredOAuth2(db)).toBe(2 + 2 + 1 + 1);
    expect(await db.selectFrom('oauth2_codes').select('code_hash').where('app_id', '=', app.id).execute()).toEqual([]);
    expect(await db.selectFrom('oauth2_requests').select('id').where('app_id', '=', app.id).execute()).toEqual([]);
    const kept = await db.selectFrom('oauth2_tokens').select('token_hash').where('app_id', '=', app.id).execute();
    expect(kept.map((r) => r.token_hash).sort()).toEqual([sha256Hex(live.access_token), sha256Hex(live.refresh_token!)].sort());
    const call = await relay.post('/api/n8n/webhook', { action: 'get_config' }, { authorization: `Bearer ${live.access_token}` });
    expect(call.body.code).toBe('no_odoo_connection');
  });
});
