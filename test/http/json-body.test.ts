import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { readAnswer } from '../helpers/relay.js';
import { DashboardClient, startFreshRelay, type FreshRelay } from '../dashboard/helpers.js';

/** Bodies declared as JSON: an empty one is no body, not malformed JSON. */
describe('JSON request bodies', () => {
  let relay: FreshRelay;
  let admin: DashboardClient;
  beforeAll(async () => {
    relay = await startFreshRelay();
    admin = new DashboardClient(relay.url);
    const setup = await admin.call('POST', '/api/auth/setup', { username: 'admin', password: 'a long enough password' });
    admin.csrfToken = setup.body.csrfToken;
  });
  afterAll(() => relay.close());

  const bodiless = (method: 'POST' | 'DELETE', pathname: string, headers: Record<string, string>) =>
    request(relay.url + pathname, { method, headers: { 'content-type': 'application/json', ...headers } }).then(readAnswer);

  it('takes a bodiless POST or DELETE sent with Content-Type: application/json', async () => {
    const created = await admin.call('POST', '/api/dashboard/api-keys', { name: 'to revoke' });
    expect(created.status).toBe(200);
    const session = { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken };
    const revoked = await bodiless('POST', `/api/dashboard/api-keys/${created.body.apiKey.id}/revoke`, session);
    expect(revoked.status).toBe(200);
    expect(revoked.body.success).toBe(true);
    const app = await admin.call('POST', '/api/dashboard/apps', { name: 'Bodiless', redirectUris: ['https://app.example.com/cb'], scopes: ['read'] });
    expect(app.status).toBe(200);
    const deleted = await bodiless('DELETE', `/api/dashboard/apps/${app.body.app.id}`, session);
    expect(deleted.status).toBeLessThan(300);
  });

  it('takes JSON only as UTF-8: another charset is 415, bytes that are not UTF-8 are invalid_json (never decoded into U+FFFD)', async () => {
    const key = (await admin.call('POST', '/api/dashboard/api-keys', { name: 'charsets' })).body.key;
    const send = (contentType: string, body: Buffer | string) =>
      request(`${relay.url}/api/n8n/webhook`, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${key}` }, body }).then(readAnswer);
    const action = JSON.stringify({ action: 'get_config' });
    for (const contentType of ['application/json; charset=utf-16', 'application/json; charset="latin1"', 'application/json;charset=ISO-8859-1']) {
      const r = await send(contentType, action);
      expect(r.status, contentType).toBe(415);
      expect(r.body.code).toBe('unsupported_media_type');
    }
    const broken = await send('application/json', Buffer.concat([Buffer.from('{"action":"get_config","x":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]));
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ code: 'invalid_json', error: 'Request body is not valid UTF-8' });
    // UTF-8, said or not, is read (this key has no Odoo connection: 404, past the body).
    for (const contentType of ['application/json', 'application/json; charset=utf-8', 'application/json; charset="UTF-8"', 'application/json;charset=utf8']) {
      expect((await send(contentType, JSON.stringify({ action: 'get_config', note: 'Zoë 東京 😀' }))).body.code, contentType).toBe('no_odoo_connection');
    }
  });

  it('refuses a \\u0000 in valid JSON as a bad value (invalid_request), and broken JSON as invalid_json whatever it holds', async () => {
    const key = (await admin.call('POST', '/api/dashboard/api-keys', { name: 'nul' })).body.key;
    const send = (body: string) =>
      request(`${relay.url}/api/n8n/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body }).then(readAnswer);
    expect((await send('{"action":"get_config","note":"a\\u0000b"}')).body.code).toBe('invalid_request');
    expect((await send('{"action":"get_config","note":"a\\u0000b"')).body.code).toBe('invalid_json');
    // An escaped backslash before u0000 is text, not a NUL.
    expect((await send('{"action":"get_config","note":"C:\\\\u0000"}')).body.code).toBe('no_odoo_connection');
  });

  it('refuses a webhook call without a body by naming the missing field, as for any body without an action', async () => {
    const key = (await admin.call('POST', '/api/dashboard/api-keys', { name: 'webhook' })).body.key;
    for (const body of ['', '  \n']) {
      const r = await request(`${relay.url}/api/n8n/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body }).then(readAnswer);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ success: false, code: 'invalid_request', details: { field: 'action' } });
    }
  });
});
