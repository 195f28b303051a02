import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { startRelay, type RunningRelay } from '../../src/server.js';
import { httpGet, httpPost, startTestRelay } from '../helpers/relay.js';

let relay: RunningRelay;
let dataDir: string;
const password = 'a long enough password';

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-auth-'));
  relay = await startRelay(loadConfig({ DATA_DIR: dataDir, PORT: '0' }), pino({ level: 'silent' }));
});
afterAll(async () => {
  await relay.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const cookieOf = (r: { headers: Record<string, unknown> }) => String(r.headers['set-cookie']).split(';')[0]!;

describe('first-run setup, login, logout and password change', () => {
  let cookie: string;
  let csrf: string;

  it('reports that setup is needed, then creates the admin once', async () => {
    expect((await httpGet(`${relay.url}/api/auth/setup`)).body).toEqual({ success: true, needsSetup: true });
    const weak = await httpPost(`${relay.url}/api/auth/setup`, { username: 'admin', password: 'short' });
    expect(weak.status).toBe(400);
    expect(weak.body.details).toMatchObject({ field: 'password' });
    // An empty field is refused in words a form can show, not the validator's.
    const empty = await httpPost(`${relay.url}/api/auth/setup`, { username: 'admin', password: '' });
    expect(empty.body.details.fields).toEqual([{ field: 'password', problem: 'Password is required' }]);
    const ok = await httpPost(`${relay.url}/api/auth/setup`, { username: 'admin', password });
    expect(ok.status).toBe(200);
    expect(ok.body.user).toMatchObject({ username: 'admin', role: 'admin' });
    expect(ok.body.user).not.toHaveProperty('password_hash');
    const again = await httpPost(`${relay.url}/api/auth/setup`, { username: 'other', password });
    expect(again.status).toBe(403);
    expect(again.body.code).toBe('setup_already_done');
    expect((await httpGet(`${relay.url}/api/auth/setup`)).body.needsSetup).toBe(false);
  });

  it('stores the password as a scrypt hash only', async () => {
    const row = await relay.ctx.storage.db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    expect(row.password_hash.startsWith('scrypt$')).toBe(true);
    expect(row.password_hash).not.toContain(password);
  });

  it('logs in, exposes the CSRF token through /me, and refuses wrong passwords', async () => {
    const bad = await httpPost(`${relay.url}/api/auth/login`, { username: 'admin', password: 'wrong password!' });
    expect(bad.status).toBe(401);
    expect(bad.body.code).toBe('invalid_credentials');
    const unknown = await httpPost(`${relay.url}/api/auth/login`, { username: 'nobody', password: 'wrong password!' });
    expect(unknown.body.code).toBe('invalid_credentials');
    const ok = await httpPost(`${relay.url}/api/auth/login`, { username: 'admin', password });
    expect(ok.status).toBe(200);
    cookie = cookieOf(ok);
    csrf = ok.body.csrfToken;
    const me = await httpGet(`${relay.url}/api/auth/me`, { cookie });
    expect(me.body).toMatchObject({ success: true, user: { username: 'admin' }, csrfToken: csrf });
  });

  it('requires the CSRF token for state changes', async () => {
    const noToken = await httpPost(`${relay.url}/api/auth/logout`, {}, { cookie });
    expect(noToken.status).toBe(403);
    expect(noToken.body.code).toBe('csrf_failed');
    const wrong = await httpPost(`${relay.url}/api/auth/logout`, {}, { cookie, 'x-csrf-token': 'x'.repeat(32) });
    expect(wrong.body.code).toBe('csrf_failed');
  });

  it('changes the password, ending other sessions', async () => {
    const second = cookieOf(await httpPost(`${relay.url}/api/auth/login`, { username: 'admin', password }));
    // The same password again is no change: refused on the field, and no session ends.
    const same = await httpPost(`${relay.url}/api/auth/password`, { currentPassword: password, newPassword: password }, { cookie, 'x-csrf-token': csrf });
    expect(same.status).toBe(400);
    expect(same.body).toMatchObject({ code: 'invalid_request', error: 'The new password must differ from the current one', details: { field: 'newPassword' } });
    expect((await httpGet(`${relay.url}/api/auth/me`, { cookie: second })).status).toBe(200);
    const changed = await httpPost(
      `${relay.url}/api/auth/password`,
      { currentPassword: password, newPassword: 'an even longer password' },
      { cookie, 'x-csrf-token': csrf },
    );
    expect(changed.status).toBe(200);
    expect((await httpGet(`${relay.url}/api/auth/me`, { cookie: second })).body.code).toBe('session_expired');
    cookie = cookieOf(changed);
    csrf = changed.body.csrfToken;
    expect((await httpGet(`${relay.url}/api/auth/me`, { cookie })).status).toBe(200);
  });

  it('ends the session a browser already had when it logs in again', async () => {
    const first = cookieOf(await httpPost(`${relay.url}/api/auth/login`, { username: 'admin', password: 'an even longer password' }));
    const again = await httpPost(`${relay.url}/api/auth/login`, { username: 'admin', password: 'an even longer password' }, { cookie: first });
    expect(again.status).toBe(200);
    expect((await httpGet(`${relay.url}/api/auth/me`, { cookie: first })).body.code).toBe('session_expired');
    expect((await httpGet(`${relay.url}/api/auth/me`, { cookie: cookieOf(again) })).status).toBe(200);
  });

  it('logs out', async () => {
    const out = await httpPost(`${relay.url}/api/auth/logout`, {}, { cookie, 'x-csrf-token': csrf });
    expect(out.status).toBe(200);
    expect((await httpGet(`${relay.url}/api/auth/me`, { cookie })).body.code).toBe('session_expired');
  });

  it('counts wrong current passwords of a password change as login guesses (a stolen session must not guess without limit)', async () => {
    const login = await httpPost(`${relay.url}/api/auth/login`, { username: 'admin', password: 'an even longer password' });
    const session = { cookie: cookieOf(login), 'x-csrf-token': login.body.csrfToken };
    const guess = (i: number) => httpPost(`${relay.url}/api/auth/password`, { currentPassword: `guess number ${i}`, newPassword: 'yet another long password' }, session);
    for (let i = 0; i < 10; i++) expect((await guess(i)).body.code).toBe('invalid_credentials');
    const throttled = await guess(10);
    expect(throttled.status).toBe(429);
    expect(throttled.body.code).toBe('too_many_login_attempts');
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    // The right password is refused too while throttled, and the password did not change.
    const right = await httpPost(`${relay.url}/api/auth/password`, { currentPassword: 'an even longer password', newPassword: 'yet another long password' }, session);
    expect(right.status).toBe(429);
  });

  it('throttles repeated failed logins with 429 and Retry-After', async () => {
    let last;
    for (let i = 0; i < 11; i++) last = await httpPost(`${relay.url}/api/auth/login`, { username: 'admin', password: `guess number ${i}` });
    expect(last!.status).toBe(429);
    expect(last!.body.code).toBe('too_many_login_attempts');
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    // Even the right password is refused while throttled.
    const right = await httpPost(`${relay.url}/api/auth/login`, { username: 'admin', password: 'an even longer password' });
    expect(right.status).toBe(429);
  });
});

describe('the session cookie (HttpOnly, SameSite=Lax, Secure as SECURE_COOKIES says)', () => {
  /** Logs the admin in on a relay started with `env`; the session cookie's attributes, without its value. */
  async function cookieAttributes(env: Record<string, string>, headers: Record<string, string> = {}): Promise<string[]> {
    const relay = await startTestRelay({ env });
    try {
      const login = await httpPost(`${relay.url}/api/auth/login`, { username: relay.admin.username, password: 'correct horse battery' }, headers);
      expect(login.status).toBe(200);
      const [cookie, ...attributes] = String(login.headers['set-cookie']).split(';').map((part) => part.trim());
      expect(cookie).toMatch(/^relay_session=./);
      expect(attributes).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/']));
      return attributes;
    } finally {
      await relay.close();
    }
  }

  it('is not Secure over plain HTTP by default (auto): a browser would drop it on an http:// LAN address', async () => {
    expect(await cookieAttributes({})).not.toContain('Secure');
  });

  it('is Secure under auto behind a trusted proxy that says the request came over HTTPS, and only then', async () => {
    expect(await cookieAttributes({ TRUST_PROXY: '1' }, { 'x-forwarded-proto': 'https' })).toContain('Secure');
    // Without TRUST_PROXY the header is the client's own claim, not the proxy's.
    expect(await cookieAttributes({}, { 'x-forwarded-proto': 'https' })).not.toContain('Secure');
  });

  it('is always Secure with SECURE_COOKIES=true (a TLS terminator the relay is not told about), never with false', async () => {
    expect(await cookieAttributes({ SECURE_COOKIES: 'true' })).toContain('Secure');
    expect(await cookieAttributes({ SECURE_COOKIES: 'false', TRUST_PROXY: '1' }, { 'x-forwarded-proto': 'https' })).not.toContain('Secure');
  });
});

describe('operations endpoints', () => {
  it('serves healthz, readyz and Prometheus metrics', async () => {
    expect((await httpGet(`${relay.url}/healthz`)).body).toMatchObject({ success: true, status: 'ok' });
    expect((await httpGet(`${relay.url}/readyz`)).body).toMatchObject({ status: 'ready', database: 'sqlite' });
    const metrics = await httpGet(`${relay.url}/metrics`);
    expect(metrics.text).toContain('relay_http_requests_total');
    expect(metrics.text).toContain('relay_process_cpu_user_seconds_total');
  });

  it('answers unknown routes with the error envelope and security headers', async () => {
    const r = await httpGet(`${relay.url}/nope`);
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ success: false, code: 'not_found' });
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(String(r.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    expect(r.headers['x-request-id']).toBe(r.body.requestId);
  });

  it("answers the router's own refusals (a bad percent-escape, an over-long path segment) with the envelope and the headers", async () => {
    const bad = await httpGet(`${relay.url}/api/v1/models/res.partner/%ff`);
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ success: false, code: 'invalid_request' });
    expect(bad.headers['x-request-id']).toBe(bad.body.requestId);
    expect(bad.headers['x-content-type-options']).toBe('nosniff');
    const long = await httpGet(`${relay.url}/api/v1/subscriptions/${'x'.repeat(300)}`);
    expect(long.status).toBe(404);
    expect(long.body).toMatchObject({ success: false, code: 'not_found' });
    expect(long.text).not.toContain('x'.repeat(300));
    expect(long.headers['x-request-id']).toBe(long.body.requestId);
  });

  it('answers a known path called with another method 405, with Allow and details.allowed listing the methods it takes', async () => {
    const webhook = await httpGet(`${relay.url}/api/n8n/webhook`);
    expect(webhook.status).toBe(405);
    expect(webhook.headers.allow).toBe('POST');
    expect(webhook.body).toMatchObject({ success: false, code: 'http_method_not_allowed', details: { allowed: ['POST'] } });
    expect(webhook.body.error).toBe('/api/n8n/webhook does not take GET; use POST');

    const token = await httpGet(`${relay.url}/oauth/token?grant_type=client_credentials`);
    expect(token.status).toBe(405);
    expect(token.headers.allow).toBe('POST');

    // A GET route also answers HEAD (Fastify adds it), so both are listed.
    const me = await httpPost(`${relay.url}/api/auth/me`, {});
    expect(me.status).toBe(405);
    expect(me.headers.allow).toBe('GET, HEAD');

    // A method the path does take is a plain 404 when nothing is there (a wildcard route's missing file).
    const asset = await httpGet(`${relay.url}/assets/missing-file.js`);
    expect(asset.status).toBe(404);
    expect(asset.body).toMatchObject({ code: 'not_found' });
  });

  it("gives JSON answers the short non-page set of security headers, with nothing allowed to load or frame them", async () => {
    const r = await httpGet(`${relay.url}/healthz`);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    // Headers that only mean something for a rendered page are left to the dashboard's pages.
    for (const pageOnly of ['cross-origin-opener-policy', 'x-dns-prefetch-control', 'x-download-options', 'origin-agent-cluster']) {
      expect(r.headers[pageOnly], pageOnly).toBeUndefined();
    }
  });
});
