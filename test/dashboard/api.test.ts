import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createUser } from '../../src/auth/users.js';
import { saveDefaultConnection } from '../../src/connections/store.js';
import { computeHmacHex } from '../../src/auth/hmac.js';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { httpPost } from '../helpers/relay.js';
import { DashboardClient, startFreshRelay, type FreshRelay } from './helpers.js';

const PASSWORD = 'correct horse battery';

describe('dashboard API', () => {
  let relay: FreshRelay;
  let sim: OdooSim;
  let admin: DashboardClient;
  let user: DashboardClient;
  let bobId: string;

  beforeAll(async () => {
    [relay, sim] = await Promise.all([startFreshRelay(), startOdooSim({ version: 18, automationNoise: 'none' })]);
    admin = new DashboardClient(relay.url);
    const setup = await admin.call('POST', '/api/auth/setup', { username: 'admin', password: PASSWORD });
    expect(setup.status).toBe(200);
    admin.csrfToken = setup.body.csrfToken;
    bobId = (await createUser(relay.ctx.storage.db, { username: 'bob', password: PASSWORD, role: 'user' })).id;
    user = new DashboardClient(relay.url);
    await user.login('bob', PASSWORD);
  });
  afterAll(async () => {
    await relay?.close();
    await sim?.close();
  });

  describe('session and CSRF', () => {
    it('refuses every dashboard route without a session', async () => {
      const anon = new DashboardClient(relay.url);
      for (const [method, path] of [
        ['GET', '/api/dashboard/api-keys'],
        ['GET', '/api/dashboard/connection'],
        ['GET', '/api/dashboard/request-log'],
        ['GET', '/api/dashboard/webhook'],
        ['POST', '/api/dashboard/api-keys'],
      ] as const) {
        const r = await anon.call(method, path, method === 'POST' ? { name: 'x' } : undefined);
        expect(r.status, path).toBe(401);
        expect(r.body).toMatchObject({ success: false, code: 'unauthenticated' });
      }
    });

    it('refuses state changes without the CSRF token, or from another origin', async () => {
      const noToken = await admin.call('POST', '/api/dashboard/api-keys', { name: 'csrf' }, { csrf: false });
      expect(noToken.status).toBe(403);
      expect(noToken.body.code).toBe('csrf_failed');
      const wrong = await admin.call('PUT', '/api/dashboard/connection', { url: 'http://x', database: 'd', login: 'l' }, { csrf: false, headers: { 'x-csrf-token': 'nope' } });
      expect(wrong.body.code).toBe('csrf_failed');
      const crossSite = await admin.call('POST', '/api/dashboard/api-keys', { name: 'csrf' }, { headers: { origin: 'https://evil.example' } });
      expect(crossSite.body.code).toBe('csrf_failed');
      const list = await admin.call('GET', '/api/dashboard/api-keys');
      expect(list.body.apiKeys.map((k: any) => k.name)).not.toContain('csrf');
    });
  });

  describe('API keys', () => {
    it('shows the key and HMAC secret once: create answers them, list and edit never do', async () => {
      const created = await admin.call('POST', '/api/dashboard/api-keys', { name: 'n8n prod', scopes: ['webhook'], rateLimit: 50, hmac: true });
      expect(created.status).toBe(200);
      expect(created.headers['cache-control']).toBe('no-store');
      const { key, hmacSecret, apiKey } = created.body;
      expect(key).toMatch(/^sk_live_[0-9A-Za-z]{40}$/);
      expect(hmacSecret).toMatch(/^hmac_/);
      expect(apiKey).toMatchObject({ name: 'n8n prod', rateLimit: 50, hmacEnabled: true, prefix: key.slice(0, 14) });

      const list = await admin.call('GET', '/api/dashboard/api-keys');
      expect(list.text).not.toContain(key);
      expect(list.text).not.toContain(hmacSecret);
      expect(list.text).not.toMatch(/key_hash|hmac_secret_enc|"key"|hmacSecret/);
      const edited = await admin.call('PATCH', `/api/dashboard/api-keys/${apiKey.id}`, { name: 'n8n production', allowedModels: ['res.partner', 'sale.*'] });
      expect(edited.body.apiKey).toMatchObject({ name: 'n8n production', allowedModels: ['res.partner', 'sale.*'] });
      expect(edited.text).not.toContain(hmacSecret);

      // Rotation: a new secret, answered once; the old one stops verifying.
      const rotated = await admin.call('POST', `/api/dashboard/api-keys/${apiKey.id}/hmac`, { enabled: true });
      expect(rotated.body.hmacSecret).toMatch(/^hmac_/);
      expect(rotated.body.hmacSecret).not.toBe(hmacSecret);
      const body = JSON.stringify({ action: 'get_config' });
      const old = await httpPost(`${relay.url}/api/n8n/webhook`, body, { authorization: `Bearer ${key}`, 'x-hmac-signature': computeHmacHex(hmacSecret, body) });
      expect(old.body.code).toBe('invalid_signature');
      expect((await admin.call('GET', '/api/dashboard/api-keys')).text).not.toContain(rotated.body.hmacSecret);

      const off = await admin.call('POST', `/api/dashboard/api-keys/${apiKey.id}/hmac`, { enabled: false });
      expect(off.body).toMatchObject({ hmacSecret: null, apiKey: { hmacEnabled: false } });
    });

    it('names the offending field on validation errors', async () => {
      const cases: [unknown, string][] = [
        [{ name: '' }, 'name'],
        [{ name: 'x', rateLimit: 0 }, 'rateLimit'],
        [{ name: 'x', rateLimit: 1.5 }, 'rateLimit'],
        [{ name: 'x', scopes: ['admin'] }, 'scopes'],
        [{ name: 'x', scopes: [] }, 'scopes'],
        [{ name: 'x', expiresAt: Date.now() - 1000 }, 'expiresAt'],
        [{ name: 'x', allowedModels: ['res partner; drop'] }, 'allowedModels'],
        [{ name: 'x', hmac: 'yes' }, 'hmac'],
      ];
      for (const [body, field] of cases) {
        const r = await admin.call('POST', '/api/dashboard/api-keys', body);
        expect(r.status, JSON.stringify(body)).toBe(400);
        expect(r.body.code).toBe('invalid_request');
        expect(r.body.details.field).toBe(field);
      }
    });

    it('keeps users to their own keys, and a revoked key cannot be edited', async () => {
      const mine = await user.call('POST', '/api/dashboard/api-keys', { name: 'bob key' });
      const id = mine.body.apiKey.id;
      expect((await admin.call('GET', '/api/dashboard/api-keys')).body.apiKeys.map((k: any) => k.id)).not.toContain(id);
      expect((await admin.call('POST', `/api/dashboard/api-keys/${id}/revoke`)).status).toBe(404);
      const revoked = await user.call('POST', `/api/dashboard/api-keys/${id}/revoke`);
      expect(revoked.body.apiKey.revokedAt).toEqual(expect.any(Number));
      const edit = await user.call('PATCH', `/api/dashboard/api-keys/${id}`, { name: 'again' });
      expect(edit.status).toBe(409);
      const call = await httpPost(`${relay.url}/api/n8n/webhook`, { action: 'get_config' }, { authorization: `Bearer ${mine.body.key}` });
      expect(call.status).toBe(401);
      expect(call.body.code).toBe('api_key_revoked');
    });
  });

  describe('Odoo connection', () => {
    it('stores the secret write-only and tests, saved or as typed', async () => {
      const secretMarker = 'Unique-Secret-Marker-42';
      const bad = await user.call('PUT', '/api/dashboard/connection', { url: 'ftp://odoo', database: 'd', login: 'l', secret: 'x' });
      expect(bad.status).toBe(400);
      expect(bad.body.details.field).toBe('url');
      const noSecret = await user.call('PUT', '/api/dashboard/connection', { url: sim.url, database: 'odoo_demo', login: 'admin' });
      expect(noSecret.body.details.field).toBe('secret');
      const timeout = await user.call('PUT', '/api/dashboard/connection', { url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'x', timeoutMs: 5 });
      expect(timeout.body.details.field).toBe('timeoutMs');

      // Save logs in first: credentials Odoo refuses are not saved.
      const wrong = await user.call('PUT', '/api/dashboard/connection', { url: `${sim.url}/`, database: 'odoo_demo', login: 'admin', secret: secretMarker, protocol: 'jsonrpc', timeoutMs: 5000 });
      expect(wrong.status).toBe(502);
      expect(wrong.body).toMatchObject({ code: 'odoo_auth_failed', error: expect.stringContaining('nothing was saved') });
      expect(wrong.text).not.toContain(secretMarker);
      expect((await user.call('GET', '/api/dashboard/connection')).body).toMatchObject({ connection: null, hasSecret: false });

      const saved = await user.call('PUT', '/api/dashboard/connection', { url: `${sim.url}/`, database: 'odoo_demo', login: 'admin', secret: 'admin', protocol: 'jsonrpc', timeoutMs: 5000 });
      expect(saved.status).toBe(200);
      expect(saved.body.connection).toMatchObject({ url: sim.url, database: 'odoo_demo', login: 'admin', protocol: 'jsonrpc', timeoutMs: 5000 });
      expect(saved.body).toMatchObject({ result: { serverVersion: expect.stringMatching(/^18/), uid: expect.any(Number) }, warning: null });
      const read = await user.call('GET', '/api/dashboard/connection');
      expect(read.body).toMatchObject({ hasSecret: true, connection: { url: sim.url } });

      // A database Odoo does not have is refused too, on the Database field: a typo must not replace a working connection.
      const typo = await user.call('PUT', '/api/dashboard/connection', { url: sim.url, database: 'odoo_dmeo', login: 'admin', secret: 'admin', protocol: 'jsonrpc', timeoutMs: 5000 });
      expect(typo.status).toBe(502);
      expect(typo.body).toMatchObject({ code: 'odoo_unknown_database', error: "Odoo has no database 'odoo_dmeo'; nothing was saved", details: { field: 'database' } });
      expect((await user.call('GET', '/api/dashboard/connection')).body.connection).toMatchObject({ database: 'odoo_demo' });

      // The password changes in Odoo after the save (here: written to the store as the CLI does,
      // which does not log in): the test reports Odoo's refusal precisely, never the secret.
      await saveDefaultConnection(relay.ctx.storage.db, relay.ctx.box, bobId, { url: sim.url, database: 'odoo_demo', login: 'admin', secret: secretMarker, protocol: 'jsonrpc', timeoutMs: 5000 });
      expect(read.text).not.toContain(secretMarker);
      const failing = await user.call('POST', '/api/dashboard/connection/test');
      expect(failing.status).toBe(502);
      expect(failing.body.code).toBe('odoo_auth_failed');
      expect(failing.text).not.toContain(secretMarker);

      // Form values with a new password, not saved yet.
      const typed = await user.call('POST', '/api/dashboard/connection/test', { url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin', protocol: 'auto' });
      expect(typed.status).toBe(200);
      expect(typed.body.result).toMatchObject({ serverVersion: expect.stringMatching(/^18/), uid: expect.any(Number), latencyMs: expect.any(Number) });
      // Keeping the stored (wrong) secret when the form leaves it empty.
      const keep = await user.call('POST', '/api/dashboard/connection/test', { url: sim.url, database: 'odoo_demo', login: 'admin', secret: '' });
      expect(keep.body.code).toBe('odoo_auth_failed');

      // The stored secret goes only to the origin it was saved for: another host, port or
      // scheme needs it typed again, for a test as for a save, and nothing is sent there.
      const leaked: string[] = [];
      const listener = http.createServer((req, res) => {
        leaked.push(req.url ?? '');
        res.end('{}');
      });
      await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
      const elsewhere = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
      try {
        for (const url of [elsewhere, sim.url.replace('http:', 'https:'), sim.url.replace('127.0.0.1', 'localhost')]) {
          const moved = await user.call('POST', '/api/dashboard/connection/test', { url, database: 'odoo_demo', login: 'admin' });
          expect(moved.status).toBe(400);
          expect(moved.body).toMatchObject({ code: 'invalid_request', details: { field: 'secret' } });
          expect(moved.body.error).toContain(sim.url);
          const movedSave = await user.call('PUT', '/api/dashboard/connection', { url, database: 'odoo_demo', login: 'admin', secret: '' });
          expect(movedSave.body).toMatchObject({ code: 'invalid_request', details: { field: 'secret' } });
        }
        expect(leaked).toEqual([]);
      } finally {
        listener.close();
      }
      expect((await user.call('GET', '/api/dashboard/connection')).body.connection.url).toBe(sim.url);
      // Same origin, another path: the stored secret may still be used.
      const samePlace = await user.call('POST', '/api/dashboard/connection/test', { url: `${sim.url}/`, database: 'odoo_demo', login: 'admin' });
      expect(samePlace.body.code).toBe('odoo_auth_failed');

      // A save that keeps the stored (wrong) secret is refused too, and changes nothing.
      const keepWrong = await user.call('PUT', '/api/dashboard/connection', { url: sim.url, database: 'odoo_demo', login: 'admin', timeoutMs: 7000 });
      expect(keepWrong.body.code).toBe('odoo_auth_failed');
      expect((await user.call('GET', '/api/dashboard/connection')).body.connection.timeoutMs).toBe(5000);

      // What a save does not say survives it: a name set with the CLI, and the concurrency cap
      // when a client of this API leaves it out.
      await relay.ctx.storage.db.updateTable('odoo_connections').set({ max_concurrent: 16, name: 'ERP' }).execute();
      const fixed = await user.call('PUT', '/api/dashboard/connection', { url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
      expect(fixed.status).toBe(200);
      expect(fixed.body.connection).toMatchObject({ maxConcurrent: 16, name: 'ERP' });
      // The form sends the cap: a whole number from 1 to 256, refused otherwise with the field named.
      const base = { url: sim.url, database: 'odoo_demo', login: 'admin' };
      for (const maxConcurrent of [0, 257, 2.5, '8']) {
        const refused = await user.call('PUT', '/api/dashboard/connection', { ...base, maxConcurrent });
        expect(refused.status).toBe(400);
        expect(refused.body).toMatchObject({ code: 'invalid_request', details: { field: 'maxConcurrent' } });
        expect(refused.body.error).toContain('Max concurrent calls');
      }
      const capped = await user.call('PUT', '/api/dashboard/connection', { ...base, maxConcurrent: 2 });
      expect(capped.body.connection).toMatchObject({ maxConcurrent: 2, name: 'ERP' });
      expect((await user.call('GET', '/api/dashboard/connection')).body.connection.maxConcurrent).toBe(2);
      const ok = await user.call('POST', '/api/dashboard/connection/test');
      expect(ok.body.result.uid).toEqual(expect.any(Number));
    });

    it('saves a connection Odoo cannot be asked about, with the reason as a warning', async () => {
      await createUser(relay.ctx.storage.db, { username: 'carol', password: PASSWORD, role: 'user' });
      const carol = new DashboardClient(relay.url);
      await carol.login('carol', PASSWORD);
      const down = await carol.call('PUT', '/api/dashboard/connection', { url: 'http://127.0.0.1:9', database: 'odoo_demo', login: 'admin', secret: 'admin', timeoutMs: 2000 });
      expect(down.status).toBe(200);
      expect(down.body).toMatchObject({ connection: { url: 'http://127.0.0.1:9' }, result: null, warning: { code: 'odoo_unreachable', error: expect.any(String) } });
      expect((await carol.call('GET', '/api/dashboard/connection')).body.connection.url).toBe('http://127.0.0.1:9');
    });

    it('lists databases through db.list, and reports an unreachable server', async () => {
      const dbs = await user.call('POST', '/api/dashboard/connection/databases', { url: sim.url });
      expect(dbs.body).toEqual({ success: true, databases: ['odoo_demo'] });
      const missing = await user.call('POST', '/api/dashboard/connection/databases', {});
      expect(missing.body.details.field).toBe('url');
      const down = await user.call('POST', '/api/dashboard/connection/databases', { url: 'http://127.0.0.1:9' });
      expect(down.status).toBe(502);
      expect(down.body.code).toBe('odoo_unreachable');
    });
  });

  describe('request log', () => {
    it('scopes rows to their owner unless admin, pages by `before`, and filters', async () => {
      const adminKey = (await admin.call('POST', '/api/dashboard/api-keys', { name: 'admin log key' })).body;
      const bobKey = (await user.call('POST', '/api/dashboard/api-keys', { name: 'bob log key' })).body;
      for (let i = 0; i < 3; i++) {
        await httpPost(`${relay.url}/api/n8n/webhook`, { action: 'get_config' }, { authorization: `Bearer ${bobKey.key}` });
      }
      await httpPost(`${relay.url}/api/n8n/webhook`, { action: 'get_config' }, { authorization: `Bearer ${adminKey.key}` });

      const bobRows = (await user.call('GET', '/api/dashboard/request-log')).body.rows;
      // Only bob's own calls (any of his keys, refused ones included) — never another user's.
      expect(bobRows.every((r: any) => r.userId === bobKey.apiKey.userId)).toBe(true);
      expect(bobRows.filter((r: any) => r.apiKeyId === bobKey.apiKey.id)).toHaveLength(3);
      const all = (await admin.call('GET', '/api/dashboard/request-log')).body.rows;
      expect(all.some((r: any) => r.apiKeyId === bobKey.apiKey.id)).toBe(true);
      expect(all.some((r: any) => r.apiKeyId === adminKey.apiKey.id)).toBe(true);

      const page1 = await user.call('GET', `/api/dashboard/request-log?apiKeyId=${bobKey.apiKey.id}&limit=2`);
      expect(page1.body.rows).toHaveLength(2);
      expect(page1.body.nextBefore).toBe(page1.body.rows[1].id);
      const page2 = await user.call('GET', `/api/dashboard/request-log?apiKeyId=${bobKey.apiKey.id}&limit=2&before=${page1.body.nextBefore}`);
      expect(page2.body.rows).toHaveLength(1);
      expect(page2.body.nextBefore).toBeNull();

      const filtered = await admin.call('GET', `/api/dashboard/request-log?action=get_config&status=200&since=${new Date(Date.now() - 60_000).toISOString()}`);
      expect(filtered.body.rows.length).toBeGreaterThanOrEqual(3);
      expect(filtered.body.rows.every((r: any) => r.action === 'get_config' && r.status === 200)).toBe(true);
      const none = await admin.call('GET', '/api/dashboard/request-log?model=sale.order');
      expect(none.body.rows).toEqual([]);

      const adminRow = all.find((r: any) => r.apiKeyId === adminKey.apiKey.id);
      expect((await admin.call('GET', `/api/dashboard/request-log/${adminRow.id}`)).body.entry).toEqual(adminRow);
      const hidden = await user.call('GET', `/api/dashboard/request-log/${adminRow.id}`);
      expect(hidden.status).toBe(404);

      // The key filter offers the keys whose calls each one sees: everyone's to an admin, with owners.
      const adminKeys = (await admin.call('GET', '/api/dashboard/request-log/api-keys')).body.apiKeys;
      expect(adminKeys).toContainEqual({ id: bobKey.apiKey.id, name: bobKey.apiKey.name, prefix: bobKey.apiKey.prefix, revokedAt: null, owner: 'bob' });
      expect(adminKeys.some((k: any) => k.id === adminKey.apiKey.id)).toBe(true);
      const bobKeys = (await user.call('GET', '/api/dashboard/request-log/api-keys')).body.apiKeys;
      const bobsOwn = (await user.call('GET', '/api/dashboard/api-keys')).body.apiKeys.map((k: any) => k.id);
      expect(bobKeys.map((k: any) => k.id).sort()).toEqual([...bobsOwn].sort());
      expect(bobKeys.map((k: any) => k.id)).toContain(bobKey.apiKey.id);
      expect(bobKeys.every((k: any) => k.owner === null)).toBe(true);
    });

    it('refuses malformed filters naming the field', async () => {
      for (const [q, field] of [
        ['status=abc', 'status'],
        ['since=yesterday', 'since'],
        ['before=-1', 'before'],
      ]) {
        const r = await admin.call('GET', `/api/dashboard/request-log?${q}`);
        expect(r.status, q).toBe(400);
        expect(r.body.details.field).toBe(field);
      }
    });
  });

  describe('webhook info and pages', () => {
    it('gives the endpoint from the request origin, or PUBLIC_URL', async () => {
      const r = await admin.call('GET', '/api/dashboard/webhook');
      expect(r.body).toMatchObject({ endpoint: `${relay.url}/api/n8n/webhook`, publicUrlConfigured: false });
      const other = await startFreshRelay({ PUBLIC_URL: 'https://relay.example.com' });
      try {
        const c = new DashboardClient(other.url);
        const s = await c.call('POST', '/api/auth/setup', { username: 'admin', password: PASSWORD });
        c.csrfToken = s.body.csrfToken;
        expect((await c.call('GET', '/api/dashboard/webhook')).body.endpoint).toBe('https://relay.example.com/api/n8n/webhook');
      } finally {
        await other.close();
      }
    });

    it('answers pages with HTML and strict headers, and keeps JSON 404s for unknown API and asset paths', async () => {
      const anon = new DashboardClient(relay.url);
      for (const path of ['/', '/keys', '/logs']) {
        const r = await anon.call('GET', path, undefined, { headers: { accept: 'text/html' } });
        expect([200, 503]).toContain(r.status); // 503 = "dashboard not built" page
        expect(r.headers['content-type']).toMatch(/^text\/html/);
        const csp = String(r.headers['content-security-policy']);
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).toContain("script-src 'self'");
        expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
        expect(csp).toMatch(/style-src 'self'(;|$)/);
        expect(csp).not.toContain('upgrade-insecure-requests');
        // The pages load nothing from other origins and may not be framed, as docs/dashboard.md says.
        expect(csp).toMatch(/font-src 'self'(;|$)/);
        expect(r.headers['x-content-type-options']).toBe('nosniff');
        expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
        expect(r.headers['x-frame-options']).toBe('DENY');
      }
      for (const path of ['/nope', '/keys/extra', '/api/dashboard/nope', '/assets/missing.js', '/secret.txt']) {
        const r = await anon.call('GET', path);
        expect(r.status, path).toBe(404);
        expect(r.body.code).toBe('not_found');
      }
    });
  });
});
