import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as undiciRequest } from 'undici';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay, type HttpAnswer } from '../helpers/relay.js';
import { DashboardClient } from '../dashboard/helpers.js';
import { formOf, oauthClient, registerApp, type Consumer, type Token } from './client.js';
import { sha256Hex } from '../../src/ids/random.js';

/** Every refusal of the OAuth 1.0a endpoints and of signed resource calls, each with its code and status. */
const CALLBACK = 'https://client.example.com/oauth/callback';

let sim: OdooSim;
let relay: TestRelay;
let dashboard: DashboardClient;
let consumer: Consumer;
let appId: string;
let client: ReturnType<typeof oauthClient>;

const url = (path: string) => relay.url + path;

function expectRefusal(r: HttpAnswer, status: number, code: string) {
  expect(r.status, r.text).toBe(status);
  expect(r.body).toMatchObject({ success: false, code });
  if (status === 401) expect(r.headers['www-authenticate']).toBe(`OAuth realm="${relay.url}"`);
}

/** A request token, approved by the admin unless `approve` is false; returns it with its verifier. */
async function requestToken(c = client, approve = true, callback = CALLBACK): Promise<{ token: Token; verifier: string | null }> {
  const rt = await c.send('POST', url('/oauth1/request_token'), undefined, { oauthParams: { oauth_callback: callback } });
  expect(rt.status, rt.text).toBe(200);
  const f = formOf(rt.text);
  const token = { key: f.oauth_token!, secret: f.oauth_token_secret! };
  if (!approve) return { token, verifier: null };
  const ok = await dashboard.call('POST', '/api/dashboard/oauth1/authorize', { oauth_token: token.key, approve: true });
  expect(ok.status, ok.text).toBe(200);
  const verifier = ok.body.verifier ?? new URL(ok.body.redirectUrl).searchParams.get('oauth_verifier');
  return { token, verifier };
}

async function accessToken(c = client): Promise<Token> {
  const { token, verifier } = await requestToken(c);
  const at = await c.send('POST', url('/oauth1/access_token'), token, { oauthParams: { oauth_verifier: verifier! } });
  expect(at.status, at.text).toBe(200);
  const f = formOf(at.text);
  return { key: f.oauth_token!, secret: f.oauth_token_secret! };
}

beforeAll(async () => {
  sim = await startOdooSim({ version: 17, automationNoise: 'none' });
  relay = await startTestRelay();
  await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
  const registered = await registerApp(relay, { redirectUris: [CALLBACK], scopes: ['webhook', 'subscriptions'] });
  consumer = registered.consumer;
  appId = registered.app.id;
  client = oauthClient(consumer, 'HMAC-SHA1');
  dashboard = new DashboardClient(relay.url);
  await dashboard.login(relay.admin.username, 'correct horse battery');
});
afterAll(async () => {
  await relay?.close();
  await sim?.close();
});

describe('signed resource calls', () => {
  let access: Token;
  beforeAll(async () => {
    access = await accessToken();
  });

  it('refuses a wrong signature', async () => {
    const r = await client.send('GET', url('/api/v1/subscriptions'), access, { signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' });
    expectRefusal(r, 401, 'oauth1_invalid_signature');
  });

  it('refuses a form body on a resource call as such (415), not as a wrong signature', async () => {
    // Signed as RFC 5849 wants, the form's parameters included: the fault is the body, and the client is told so.
    const r = await client.send('POST', url('/api/n8n/webhook'), access, { form: { action: 'test_connection' } });
    expectRefusal(r, 415, 'unsupported_media_type');
  });

  it('refuses a signature made with the wrong consumer secret', async () => {
    const wrong = oauthClient({ key: consumer.key, secret: `${consumer.secret}x` }, 'HMAC-SHA1');
    expectRefusal(await wrong.send('GET', url('/api/v1/subscriptions'), access), 401, 'oauth1_invalid_signature');
  });

  it('refuses a signature made with the wrong token secret', async () => {
    expectRefusal(await client.send('GET', url('/api/v1/subscriptions'), { key: access.key, secret: 'not-the-secret' }), 401, 'oauth1_invalid_signature');
  });

  it('refuses a tampered query parameter', async () => {
    const r = await client.send('GET', url('/api/v1/subscriptions?limit=6'), access, { signUrl: url('/api/v1/subscriptions?limit=5') });
    expectRefusal(r, 401, 'oauth1_invalid_signature');
  });

  it('refuses a signature over another path or method', async () => {
    expectRefusal(await client.send('GET', url('/api/v1/subscriptions'), access, { signUrl: url('/api/v1/other') }), 401, 'oauth1_invalid_signature');
    const header = client.authorization('POST', url('/api/v1/subscriptions'), access);
    const res = await undiciRequest(url('/api/v1/subscriptions'), { method: 'GET', headers: { authorization: header } });
    expect(res.statusCode).toBe(401);
    expect(((await res.body.json()) as { code: string }).code).toBe('oauth1_invalid_signature');
  });

  it('refuses a replayed request', async () => {
    const opts = { nonce: 'same-nonce-twice', timestamp: Math.floor(Date.now() / 1000) };
    expect((await client.send('GET', url('/api/v1/subscriptions'), access, opts)).status).toBe(200);
    expectRefusal(await client.send('GET', url('/api/v1/subscriptions'), access, opts), 401, 'oauth1_nonce_reused');
    // The same nonce with another timestamp is another request.
    expect((await client.send('GET', url('/api/v1/subscriptions'), access, { ...opts, timestamp: opts.timestamp - 1 })).status).toBe(200);
  });

  it('refuses a timestamp more than 300 s behind or ahead', async () => {
    const now = Math.floor(Date.now() / 1000);
    const behind = await client.send('GET', url('/api/v1/subscriptions'), access, { timestamp: now - 400 });
    expectRefusal(behind, 401, 'oauth1_timestamp_out_of_window');
    expect(behind.body.details).toMatchObject({ windowSeconds: 300 });
    expectRefusal(await client.send('GET', url('/api/v1/subscriptions'), access, { timestamp: now + 400 }), 401, 'oauth1_timestamp_out_of_window');
    // Inside the window is fine.
    expect((await client.send('GET', url('/api/v1/subscriptions'), access, { timestamp: now - 250 })).status).toBe(200);
  });

  it('refuses an unknown consumer key', async () => {
    const stranger = oauthClient({ key: 'ck_unknown', secret: 'whatever' }, 'HMAC-SHA1');
    expectRefusal(await stranger.send('GET', url('/api/v1/subscriptions')), 401, 'oauth1_unknown_consumer');
  });

  it('refuses an unknown access token, a request token, and another app’s token', async () => {
    expectRefusal(await client.send('GET', url('/api/v1/subscriptions'), { key: 'o1a_unknown', secret: 'x' }), 401, 'oauth1_invalid_token');
    const { token } = await requestToken(client, true);
    expectRefusal(await client.send('GET', url('/api/v1/subscriptions'), token), 401, 'oauth1_invalid_token');
    const other = await registerApp(relay, { name: 'Other app', redirectUris: [CALLBACK], scopes: ['webhook', 'subscriptions'] });
    const otherClient = oauthClient(other.consumer, 'HMAC-SHA1');
    expectRefusal(await otherClient.send('GET', url('/api/v1/subscriptions'), access), 401, 'oauth1_invalid_token');
  });

  it('refuses PLAINTEXT (and names the supported methods)', async () => {
    const plain = oauthClient(consumer, 'PLAINTEXT');
    const r = await plain.send('GET', url('/api/v1/subscriptions'), access);
    expectRefusal(r, 400, 'oauth1_unsupported_signature_method');
    expect(r.body.details.supported).toEqual(['HMAC-SHA1', 'HMAC-SHA256']);
    expect(r.text).not.toContain(consumer.secret);
  });

  it('refuses RSA-SHA1', async () => {
    const header = client.authorization('GET', url('/api/v1/subscriptions'), access).replace('HMAC-SHA1', 'RSA-SHA1');
    const res = await undiciRequest(url('/api/v1/subscriptions'), { headers: { authorization: header } });
    expect(res.statusCode).toBe(400);
    expect(((await res.body.json()) as { code: string }).code).toBe('oauth1_unsupported_signature_method');
  });

  it.each([
    ['a duplicated parameter', (h: string) => h.replace(/oauth_nonce="([^"]*)"/, 'oauth_nonce="$1", oauth_nonce="other"'), 'oauth1_bad_request'],
    ['a missing oauth_nonce', (h: string) => h.replace(/oauth_nonce="[^"]*", /, ''), 'oauth1_bad_request'],
    ['a missing oauth_signature', (h: string) => h.replace(/, oauth_signature="[^"]*"/, ''), 'oauth1_bad_request'],
    ['a non-numeric timestamp', (h: string) => h.replace(/oauth_timestamp="[^"]*"/, 'oauth_timestamp="soon"'), 'oauth1_bad_request'],
    ['oauth_version 2.0', (h: string) => h.replace(/oauth_version="[^"]*"/, 'oauth_version="2.0"'), 'oauth1_bad_request'],
    ['an unparseable header', () => 'OAuth oauth_consumer_key=unquoted', 'oauth1_bad_request'],
  ])('refuses %s with 400', async (_label, edit, code) => {
    const header = edit(client.authorization('GET', url('/api/v1/subscriptions'), access));
    const res = await undiciRequest(url('/api/v1/subscriptions'), { headers: { authorization: header } });
    expect(res.statusCode).toBe(400);
    expect(((await res.body.json()) as { code: string }).code).toBe(code);
  });

  it('refuses protocol parameters in the query as well as the header', async () => {
    const r = await client.send('GET', url('/api/v1/subscriptions?oauth_token=x'), access);
    expectRefusal(r, 400, 'oauth1_bad_request');
  });

  it('refuses a write with an app that only has the read scope (403 forbidden_scope), logged for the app', async () => {
    const readOnly = await registerApp(relay, { name: 'Reader', redirectUris: [CALLBACK], scopes: ['read'] });
    const reader = oauthClient(readOnly.consumer, 'HMAC-SHA256');
    const token = await accessToken(reader);
    const create = await reader.send('POST', url('/api/n8n/webhook'), token, {
      json: { action: 'execute_method', model: 'res.partner', method: 'create', args: [{ name: 'Nope' }] },
    });
    expectRefusal(create, 403, 'forbidden_scope');
    expect(create.body.error).toContain('OAuth 1.0a token');
    // Reading is allowed; subscriptions are not.
    const read = await reader.send('POST', url('/api/n8n/webhook'), token, { json: { action: 'execute_method', model: 'res.partner', method: 'search_count', args: [[]] } });
    expect(read.status, read.text).toBe(200);
    expectRefusal(await reader.send('GET', url('/api/v1/subscriptions'), token), 403, 'forbidden_scope');
    await relay.ctx.requestLog.flush();
    const row = await relay.ctx.storage.db.selectFrom('request_log').selectAll().where('request_id', '=', String(create.headers['x-request-id'])).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ auth_method: 'oauth1', app_id: readOnly.app.id, code: 'forbidden_scope', status: 403 });
  });

  it('attributes a refused signature to the app in the request log', async () => {
    const r = await client.send('POST', url('/api/n8n/webhook'), access, { json: { action: 'test_connection' }, signature: 'bm9wZQ==' });
    expectRefusal(r, 401, 'oauth1_invalid_signature');
    await relay.ctx.requestLog.flush();
    const row = await relay.ctx.storage.db.selectFrom('request_log').selectAll().where('request_id', '=', String(r.headers['x-request-id'])).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ auth_method: 'oauth1', app_id: appId, user_id: relay.admin.id, code: 'oauth1_invalid_signature' });
  });
});

describe('POST /oauth1/request_token', () => {
  it('refuses a callback that is not registered', async () => {
    for (const cb of ['https://client.example.com/oauth/other', 'https://evil.example.com/oauth/callback', `${CALLBACK}?x=1`]) {
      const r = await client.send('POST', url('/oauth1/request_token'), undefined, { oauthParams: { oauth_callback: cb } });
      expectRefusal(r, 400, 'oauth1_callback_not_registered');
    }
  });

  it('refuses a callback that is not https or loopback http', async () => {
    const r = await client.send('POST', url('/oauth1/request_token'), undefined, { oauthParams: { oauth_callback: 'http://client.example.com/cb' } });
    expectRefusal(r, 400, 'oauth1_callback_not_registered');
    expect(r.body.error).toMatch(/https/);
  });

  it('requires oauth_callback', async () => {
    const r = await client.send('POST', url('/oauth1/request_token'));
    expectRefusal(r, 400, 'oauth1_bad_request');
    expect(r.body.details).toMatchObject({ parameter: 'oauth_callback' });
  });

  it('refuses an unsigned request with 401 and WWW-Authenticate', async () => {
    const res = await undiciRequest(url('/oauth1/request_token'), { method: 'POST' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`OAuth realm="${relay.url}"`);
    expect(((await res.body.json()) as { code: string }).code).toBe('unauthenticated');
  });

  it('refuses an oauth_token on the request-token request', async () => {
    const r = await client.send('POST', url('/oauth1/request_token'), { key: 'o1r_x', secret: 'y' }, { oauthParams: { oauth_callback: 'oob' } });
    expectRefusal(r, 400, 'oauth1_bad_request');
  });

  it('signs form-encoded body parameters, and refuses them when tampered', async () => {
    const ok = await client.send('POST', url('/oauth1/request_token'), undefined, { oauthParams: { oauth_callback: 'oob' }, form: { scope: 'read write', x: 'é' } });
    expect(ok.status, ok.text).toBe(200);
    const header = client.authorization('POST', url('/oauth1/request_token'), undefined, { oauthParams: { oauth_callback: 'oob' }, form: { scope: 'read' } });
    const res = await undiciRequest(url('/oauth1/request_token'), {
      method: 'POST',
      headers: { authorization: header, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'scope=read+write',
    });
    expect(res.statusCode).toBe(401);
    expect(((await res.body.json()) as { code: string }).code).toBe('oauth1_invalid_signature');
  });
});

describe('POST /oauth1/access_token', () => {
  it('refuses a verifier used twice (the request token is single-use)', async () => {
    const { token, verifier } = await requestToken();
    const first = await client.send('POST', url('/oauth1/access_token'), token, { oauthParams: { oauth_verifier: verifier! } });
    expect(first.status, first.text).toBe(200);
    const again = await client.send('POST', url('/oauth1/access_token'), token, { oauthParams: { oauth_verifier: verifier! } });
    expectRefusal(again, 401, 'oauth1_invalid_token');
  });

  it('refuses a wrong verifier', async () => {
    const { token } = await requestToken();
    expectRefusal(await client.send('POST', url('/oauth1/access_token'), token, { oauthParams: { oauth_verifier: 'wrongverifier0000000000000' } }), 401, 'oauth1_invalid_verifier');
  });

  it('requires oauth_verifier', async () => {
    const { token } = await requestToken();
    expectRefusal(await client.send('POST', url('/oauth1/access_token'), token), 400, 'oauth1_bad_request');
  });

  it('refuses a request token the user has not approved yet', async () => {
    const { token } = await requestToken(client, false);
    expectRefusal(await client.send('POST', url('/oauth1/access_token'), token, { oauthParams: { oauth_verifier: 'x' } }), 401, 'oauth1_invalid_token');
  });

  it('refuses an expired request token (older than 10 minutes), and the consent page no longer shows it', async () => {
    const { token, verifier } = await requestToken();
    await relay.ctx.storage.db.updateTable('oauth1_tokens').set({ expires_at: Date.now() - 1 }).where('token_hash', '=', sha256Hex(token.key)).execute();
    expectRefusal(await client.send('POST', url('/oauth1/access_token'), token, { oauthParams: { oauth_verifier: verifier! } }), 401, 'oauth1_invalid_token');
    const { token: waiting } = await requestToken(client, false);
    await relay.ctx.storage.db.updateTable('oauth1_tokens').set({ expires_at: Date.now() - 1 }).where('token_hash', '=', sha256Hex(waiting.key)).execute();
    const shown = await dashboard.call('GET', `/api/dashboard/oauth1/authorize?oauth_token=${waiting.key}`);
    expect(shown.status).toBe(404);
    const approve = await dashboard.call('POST', '/api/dashboard/oauth1/authorize', { oauth_token: waiting.key, approve: true });
    expect(approve.status).toBe(404);
  });

  it('refuses an access token in place of the request token', async () => {
    const access = await accessToken();
    expectRefusal(await client.send('POST', url('/oauth1/access_token'), access, { oauthParams: { oauth_verifier: 'x' } }), 401, 'oauth1_invalid_token');
  });

  it('requires the request token', async () => {
    expectRefusal(await client.send('POST', url('/oauth1/access_token'), undefined, { oauthParams: { oauth_verifier: 'x' } }), 400, 'oauth1_bad_request');
  });
});

describe('the consent step', () => {
  it('sends a denial back to the callback and forgets the request token', async () => {
    const { token } = await requestToken(client, false);
    const denied = await dashboard.call('POST', '/api/dashboard/oauth1/authorize', { oauth_token: token.key, approve: false });
    expect(denied.status).toBe(200);
    expect(denied.body).toMatchObject({ approved: false, redirectUrl: `${CALLBACK}?denied=${token.key}` });
    expectRefusal(await client.send('POST', url('/oauth1/access_token'), token, { oauthParams: { oauth_verifier: 'x' } }), 401, 'oauth1_invalid_token');
  });

  it('shows the verifier for oob instead of redirecting', async () => {
    const { token, verifier } = await requestToken(client, true, 'oob');
    expect(verifier).toMatch(/^[A-Za-z0-9]{24}$/);
    const at = await client.send('POST', url('/oauth1/access_token'), token, { oauthParams: { oauth_verifier: verifier! } });
    expect(at.status, at.text).toBe(200);
  });

  it('answers a request token once: a second approval is refused', async () => {
    const { token } = await requestToken();
    const again = await dashboard.call('POST', '/api/dashboard/oauth1/authorize', { oauth_token: token.key, approve: true });
    expect(again.status).toBe(404);
  });

  it('needs a dashboard session', async () => {
    const { token } = await requestToken(client, false);
    const anonymous = new DashboardClient(relay.url);
    expect((await anonymous.call('GET', `/api/dashboard/oauth1/authorize?oauth_token=${token.key}`)).status).toBe(401);
    expect((await anonymous.call('POST', '/api/dashboard/oauth1/authorize', { oauth_token: token.key, approve: true })).status).toBe(401);
    expect((await dashboard.call('POST', '/api/dashboard/oauth1/authorize', { oauth_token: token.key })).status).toBe(400);
  });

  it('GET /oauth1/authorize requires oauth_token', async () => {
    const res = await undiciRequest(url('/oauth1/authorize'));
    expect(res.statusCode).toBe(400);
    expect(((await res.body.json()) as { code: string }).code).toBe('invalid_request');
  });
});

describe('behind a proxy (PUBLIC_URL)', () => {
  let proxied: TestRelay;
  beforeAll(async () => {
    proxied = await startTestRelay({ env: { PUBLIC_URL: 'https://relay.example.com/' } });
  });
  afterAll(async () => {
    await proxied?.close();
  });

  it('verifies the signature over PUBLIC_URL + path, not the address the relay listens on', async () => {
    const { consumer: c } = await registerApp(proxied, { scopes: ['subscriptions'] });
    const signer = oauthClient(c, 'HMAC-SHA256');
    const target = `${proxied.url}/api/v1/subscriptions?limit=2`;
    const ok = await signer.send('GET', target, undefined, { signUrl: 'https://relay.example.com/api/v1/subscriptions?limit=2' });
    expect(ok.status, ok.text).toBe(200);
    const local = await signer.send('GET', target);
    expect(local.status).toBe(401);
    expect(local.body.code).toBe('oauth1_invalid_signature');
    expect(local.headers['www-authenticate']).toBe('OAuth realm="https://relay.example.com"');
  });
});
