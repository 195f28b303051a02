import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OdooClient } from '../../src/odoo/client.js';
import { OdooError, type OdooErrorCode } from '../../src/odoo/errors.js';
import type { OdooConnectionSettingsInput } from '../../src/odoo/settings.js';
import { refusedUrl, startFixtureServer, type FixtureServer, type FixtureServerOptions } from './fixture-server.js';

const API_KEY = 'test-api-key-0123456789abcdef';
const PASSWORD = 'admin';
const COMPANIES = [['is_company', '=', true]];

/** Every error any test saw; checked at the end for leaked secrets. */
const seenErrors: OdooError[] = [];

async function failure(promise: Promise<unknown>): Promise<OdooError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(OdooError);
    seenErrors.push(error as OdooError);
    return error as OdooError;
  }
  throw new Error('expected the call to fail');
}

async function expectCode(promise: Promise<unknown>, code: OdooErrorCode): Promise<OdooError> {
  const error = await failure(promise);
  expect(error.code, error.message).toBe(code);
  return error;
}

let server: FixtureServer;
const clients: OdooClient[] = [];

async function setup(serverOptions: FixtureServerOptions, settings: Partial<OdooConnectionSettingsInput> = {}) {
  server = await startFixtureServer(serverOptions);
  const client = new OdooClient({ url: server.url, database: 'odoo_demo', login: 'admin', secret: API_KEY, ...settings });
  clients.push(client);
  return client;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
});

describe('OdooClient on Odoo 19 with an API key (JSON-2)', () => {
  let client: OdooClient;
  beforeEach(async () => {
    client = await setup({});
  });

  it('maps search_read to JSON-2 named params and replays the recorded answer', async () => {
    const rows = await client.executeKw('res.partner', 'search_read', [COMPANIES], { fields: ['name', 'country_id'], limit: 3, order: 'name' });
    expect(rows).toEqual([
      { id: 9, name: 'Acme Corporation', country_id: [233, 'United States'] },
      { id: 15, name: 'Azure Interior', country_id: [233, 'United States'] },
      { id: 10, name: 'Gemini Furniture', country_id: [203, 'San Marino'] },
    ]);
    const call = server.requests.find((r) => r.path === '/json/2/res.partner/search_read')!;
    expect(call.headers.authorization).toBe(`bearer ${API_KEY}`);
    expect(call.headers['x-odoo-database']).toBe('odoo_demo');
    expect(server.count('/jsonrpc')).toBe(0); // never logs in
  });

  it("makes exactly one round trip per executeKw once the version and the key's user are known", async () => {
    await client.executeKw('res.partner', 'read', [[1, 3], ['name', 'parent_id']]);
    // GET /web/version, the key's user (context_get, and its login, checked against the connection's), the call.
    expect(server.count()).toBe(4);
    expect(server.count('/json/2/res.users/context_get')).toBe(1);
    const before = server.count();
    for (let i = 0; i < 5; i++) await client.executeKw('res.partner', 'read', [[1, 3]], { fields: ['name', 'parent_id'] });
    expect(server.count() - before).toBe(5);
    expect(server.count('/web/version')).toBe(1);
  });

  it('reuses one keep-alive connection for sequential calls, shared by clients of the same origin', async () => {
    const other = new OdooClient({ url: server.url, database: 'odoo_demo', login: 'admin', secret: API_KEY });
    clients.push(other);
    for (let i = 0; i < 5; i++) {
      await client.executeKw('res.partner', 'read', [[1, 3], ['name', 'parent_id']]);
      await other.executeKw('res.partner', 'read', [[1, 3], ['name', 'parent_id']]);
    }
    // Each client learns the version and its key's user once (3 requests), then one per call.
    expect(server.count()).toBe(16);
    // undici may open a second socket if the next request is issued before the previous one is released.
    expect(server.connections()).toBeLessThanOrEqual(2);
  });

  it('returns an id for create of one dict (JSON-2 answers [id])', async () => {
    expect(await client.executeKw('res.partner', 'create', [{ name: 'Json2 Customer' }])).toBe(53);
  });

  it('writes and reports version with protocol json2', async () => {
    expect(await client.executeKw('res.partner', 'write', [[3], { phone: '+1 555 0100' }])).toBe(true);
    expect(await client.version()).toEqual({ serverVersion: '19.0', major: 19, minor: 0, serie: '19.0', protocol: 'json2' });
  });

  it('sends business methods on records as {ids}', async () => {
    server.setOverride((req) =>
      req.path === '/json/2/sale.order/action_confirm' ? { status: 200, body: JSON.stringify(true) } : undefined,
    );
    expect(await client.executeKw('sale.order', 'action_confirm', [[12]])).toBe(true);
    expect(server.requests.at(-1)!.body).toEqual({ ids: [12] });
  });

  it('maps JSON-2 errors', async () => {
    const missing = await expectCode(client.executeKw('res.partner', 'write', [[999999], { phone: '1' }]), 'odoo_missing_record');
    expect(missing.odooName).toBe('odoo.exceptions.MissingError');
    expect(missing.httpStatus).toBe(404);
    await expectCode(client.executeKw('res.partner', 'create', [[{ email: 'x@example.com' }]]), 'odoo_validation_error');
    await expectCode(client.executeKw('no.such.model', 'search_read', [[]], { limit: 1 }), 'odoo_unknown_model');
    await expectCode(client.executeKw('res.partner', '_compute_display_name', [[1]]), 'odoo_access_error');
  });

  it('refuses unmappable positional args before sending anything', async () => {
    await client.authenticate();
    const before = server.count();
    const error = await expectCode(client.executeKw('res.partner', 'message_post', [[3], 'hello']), 'odoo_unmappable_args');
    expect(error.message).toMatch(/kwargs/);
    expect(server.count()).toBe(before);
  });

  it('finds the uid by login when the server has no res.users.context_get', async () => {
    server.setOverride((req) => {
      if (req.path === '/json/2/res.users/context_get') {
        return { status: 404, body: JSON.stringify({ name: 'werkzeug.exceptions.NotFound', message: "The method 'res.users.context_get' does not exist", arguments: [], context: {}, debug: '' }) };
      }
      if (req.path === '/json/2/res.users/search') return { status: 200, body: '[2]' };
      return undefined;
    });
    expect(await client.authenticate()).toBe(2);
    expect(server.requests.find((r) => r.path === '/json/2/res.users/search')!.body).toEqual({ domain: [['login', '=', 'admin']], limit: 1 });
  });

  it.each<[string, string, unknown, unknown]>([
    ['', 'search', [], {}],
    ['res.partner/../x', 'search', [], {}],
    ['res.partner', 'search read', [], {}],
    ['res.partner', '../web', [], {}],
    ['res.partner', 'search', 'not-a-list', {}],
    ['res.partner', 'search', [], []],
  ])('refuses malformed call %j.%j before any round trip', async (model, method, args, kwargs) => {
    await expectCode(client.executeKw(model, method, args as unknown[], kwargs as Record<string, unknown>), 'odoo_bad_request');
    expect(server.count()).toBe(0);
  });

  it('authenticate() and testConnection() give the uid of the key', async () => {
    expect(await client.authenticate()).toBe(2);
    const first = await client.testConnection();
    expect(first).toMatchObject({ serverVersion: '19.0', protocol: 'json2', uid: 2 });
    expect(first.latencyMs).toBeGreaterThanOrEqual(0);
    const before = server.count('/json/2/res.users/context_get');
    await client.testConnection();
    expect(server.count('/json/2/res.users/context_get')).toBe(before + 1); // bypasses the cache
  });
});

describe('OdooClient with a password on Odoo 19 (auto → JSON-RPC fallback)', () => {
  it('falls back once to JSON-RPC and remembers it', async () => {
    const client = await setup({}, { secret: PASSWORD });
    expect(await client.executeKw('res.partner', 'search_count', [COMPANIES])).toBe(12);
    expect(server.requests.map((r) => r.rpc ?? r.path)).toEqual([
      '/web/version',
      // The key's user is asked first: a password is refused there, before the call is sent.
      '/json/2/res.users/context_get',
      'common.login',
      'object.execute_kw res.partner.search_count',
    ]);
    const before = server.count();
    expect(await client.executeKw('res.partner', 'search_count', [COMPANIES])).toBe(12);
    expect(server.count() - before).toBe(1);
    expect((await client.version()).protocol).toBe('jsonrpc');
    expect(await client.executeKw('res.partner', 'create', [{ name: 'Fixture Customer', email: 'fixture@example.com' }])).toBe(49);
  });

  it('concurrent first calls share one fallback login', async () => {
    const client = await setup({}, { secret: PASSWORD });
    const results = await Promise.all([1, 2, 3].map(() => client.executeKw('res.partner', 'search_count', [COMPANIES])));
    expect(results).toEqual([12, 12, 12]);
    expect(server.requests.filter((r) => r.rpc === 'common.login')).toHaveLength(1);
    expect(server.count('/web/version')).toBe(1);
  });

  it('authenticate() alone also detects the password and falls back', async () => {
    const client = await setup({}, { secret: PASSWORD });
    expect(await client.authenticate()).toBe(2);
    expect((await client.version()).protocol).toBe('jsonrpc');
    const before = server.count();
    await client.executeKw('res.partner', 'search_count', [COMPANIES]);
    expect(server.count() - before).toBe(1);
  });

  it('a wrong secret is odoo_auth_failed on both protocols, not a fallback loop', async () => {
    const client = await setup({}, { secret: 'wrong-secret-value' });
    const error = await expectCode(client.executeKw('res.partner', 'search_count', [COMPANIES]), 'odoo_auth_failed');
    expect(error.message).not.toContain('wrong-secret-value');
    expect(server.count('/jsonrpc')).toBe(1);
  });

  it('forced json2 with a password does not fall back', async () => {
    const client = await setup({}, { secret: PASSWORD, protocol: 'json2' });
    await expectCode(client.executeKw('res.partner', 'search_count', [COMPANIES]), 'odoo_auth_failed');
    expect(server.count('/jsonrpc')).toBe(0);
  });
});

describe('OdooClient on Odoo 18 (JSON-RPC)', () => {
  let client: OdooClient;
  beforeEach(async () => {
    client = await setup({ versionInfo: [18, 0, 0, 'final', 0, ''] }, { secret: PASSWORD });
  });

  it('logs in once, then one execute_kw per call', async () => {
    const rows = await client.executeKw('res.partner', 'search_read', [COMPANIES], {
      fields: ['name', 'email', 'phone', 'country_id'],
      limit: 3,
      order: 'name asc',
    });
    expect(rows).toHaveLength(3);
    expect(server.requests.map((r) => r.rpc ?? r.path)).toEqual(['/web/version', 'common.login', 'object.execute_kw res.partner.search_read']);
    const before = server.count();
    await client.executeKw('res.partner', 'search_count', [COMPANIES]);
    await client.executeKw('res.partner', 'write', [[3], { phone: '+1234567890' }]);
    expect(server.count() - before).toBe(2);
    expect(server.requests.filter((r) => r.rpc === 'common.login')).toHaveLength(1);
    expect((await client.version()).protocol).toBe('jsonrpc');
  });

  it('passes create through: one dict → id, a list → ids', async () => {
    expect(await client.executeKw('res.partner', 'create', [{ name: 'Fixture Customer', email: 'fixture@example.com' }])).toBe(49);
    expect(await client.executeKw('res.partner', 'create', [[{ name: 'Fixture A' }, { name: 'Fixture B' }]])).toEqual([50, 51]);
  });

  it('read of a missing id is [] (not an error); write/unlink of one is odoo_missing_record', async () => {
    expect(await client.executeKw('res.partner', 'read', [[999999]], { fields: ['name'] })).toEqual([]);
    await expectCode(client.executeKw('res.partner', 'write', [[999999], { phone: '1' }]), 'odoo_missing_record');
    await expectCode(client.executeKw('res.partner', 'unlink', [[999999]]), 'odoo_missing_record');
    await expectCode(client.executeKw('res.partner', 'no_such_method', [[]]), 'odoo_unknown_method');
    await expectCode(client.executeKw('no.such.model', 'search_read', [[]], { limit: 1 }), 'odoo_unknown_model');
    await expectCode(client.executeKw('res.partner', 'search', [[['name', 'bogus-op', 'x']]]), 'odoo_bad_request');
  });

  it('re-authenticates once and retries once on AccessDenied with a cached uid', async () => {
    await client.authenticate();
    let denials = 1;
    server.setOverride((req) => {
      if (req.rpc?.startsWith('object.execute_kw') && denials > 0) {
        denials--;
        return {
          status: 200,
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: 0, message: 'Odoo Server Error', data: { name: 'odoo.exceptions.AccessDenied', message: 'Access Denied' } } }),
        };
      }
      return undefined;
    });
    const before = server.requests.length;
    expect(await client.executeKw('res.partner', 'search_count', [COMPANIES])).toBe(12);
    expect(server.requests.slice(before).map((r) => r.rpc)).toEqual([
      'object.execute_kw res.partner.search_count',
      'common.login',
      'object.execute_kw res.partner.search_count',
    ]);
  });

  it('gives up after one retry when AccessDenied persists', async () => {
    await client.authenticate();
    server.setOverride((req) =>
      req.rpc?.startsWith('object.execute_kw')
        ? { status: 200, body: JSON.stringify({ jsonrpc: '2.0', id: 1, error: { code: 0, message: 'x', data: { name: 'odoo.exceptions.AccessDenied', message: 'Access Denied' } } }) }
        : undefined,
    );
    const before = server.requests.length;
    await expectCode(client.executeKw('res.partner', 'search_count', [COMPANIES]), 'odoo_auth_failed');
    expect(server.requests.slice(before).filter((r) => r.rpc?.startsWith('object.execute_kw'))).toHaveLength(2);
  });

  it('never retries other errors (no duplicate creates)', async () => {
    await client.authenticate();
    const before = server.requests.length;
    await expectCode(client.executeKw('res.partner', 'create', [{ email: 'no-name@example.com' }]), 'odoo_validation_error');
    expect(server.requests.slice(before).map((r) => r.rpc)).toEqual(['object.execute_kw res.partner.create']);
  });

  it('caches the uid across calls and concurrent first calls share one login', async () => {
    await Promise.all([
      client.executeKw('res.partner', 'search_count', [COMPANIES]),
      client.executeKw('res.partner', 'search_count', [COMPANIES]),
      client.executeKw('res.partner', 'search_count', [COMPANIES]),
    ]);
    expect(await client.authenticate()).toBe(2);
    expect(server.requests.filter((r) => r.rpc === 'common.login')).toHaveLength(1);
    expect(server.count('/web/version')).toBe(1);
  });

  it('testConnection logs in again and reports jsonrpc', async () => {
    await client.authenticate();
    const result = await client.testConnection();
    expect(result).toMatchObject({ serverVersion: '18.0', protocol: 'jsonrpc', uid: 2 });
    expect(server.requests.filter((r) => r.rpc === 'common.login')).toHaveLength(2);
  });

  it('lists databases, and maps a disabled list to odoo_access_error', async () => {
    expect(await client.listDatabases()).toEqual(['odoo_demo']);
  });
});

describe('OdooClient version detection', () => {
  it('falls back to common.version when /web/version is missing', async () => {
    const client = await setup({ webVersion: false, versionInfo: [17, 0, 0, 'final', 0, ''] }, { secret: PASSWORD });
    expect(await client.version()).toEqual({ serverVersion: '17.0', major: 17, minor: 0, serie: '17.0', protocol: 'jsonrpc' });
    expect(server.requests.map((r) => r.rpc ?? r.path)).toEqual(['/web/version', 'common.version']);
    await client.version();
    expect(server.count()).toBe(2);
  });

  it('uses JSON-2 on hosted saas~18.4', async () => {
    const client = await setup({ versionInfo: ['saas~18', 4, 0, 'final', 0, ''] });
    expect((await client.version()).protocol).toBe('json2');
  });

  it('forced jsonrpc on 19 never touches JSON-2', async () => {
    const client = await setup({}, { protocol: 'jsonrpc', secret: PASSWORD });
    expect(await client.executeKw('res.partner', 'search_count', [COMPANIES])).toBe(12);
    expect(server.count('/json/2')).toBe(0);
    expect(server.count('/web/version')).toBe(0);
  });

  it('db.list disabled → odoo_access_error', async () => {
    const client = await setup({ listDb: false }, { secret: PASSWORD });
    const error = await expectCode(client.listDatabases(), 'odoo_access_error');
    expect(error.message).toMatch(/listing is disabled/);
  });
});

describe('OdooClient transport failures', () => {
  it('times out a hung Odoo with odoo_timeout', async () => {
    const client = await setup({}, { timeoutMs: 300 });
    await client.version();
    server.setFault('hang');
    const started = Date.now();
    await expectCode(client.executeKw('res.partner', 'search_count', [COMPANIES]), 'odoo_timeout');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('refused connection → odoo_unreachable', async () => {
    server = await startFixtureServer();
    const client = new OdooClient({ url: await refusedUrl(), database: 'x', login: 'admin', secret: API_KEY });
    clients.push(client);
    const error = await expectCode(client.executeKw('res.partner', 'search_count', [COMPANIES]), 'odoo_unreachable');
    expect(error.message).toMatch(/refused/);
  });

  it('dropped connection → odoo_unreachable', async () => {
    const client = await setup({});
    await client.version();
    server.setFault('drop');
    const error = await expectCode(client.executeKw('res.partner', 'search_count', [COMPANIES]), 'odoo_unreachable');
    expect(error.message).toMatch(/dropped/);
  });

  it.each(['garbage', 'html', 'bad-gateway', 'huge'] as const)('%s answer → odoo_bad_response', async (fault) => {
    const client = await setup({});
    await client.version();
    server.setFault(fault);
    await expectCode(client.executeKw('res.partner', 'search_count', [COMPANIES]), 'odoo_bad_response');
  });

  it('garbage on JSON-RPC → odoo_bad_response', async () => {
    const client = await setup({}, { protocol: 'jsonrpc', secret: PASSWORD });
    server.setFault('garbage', '/jsonrpc');
    await expectCode(client.authenticate(), 'odoo_bad_response');
  });

  it('recovers after a fault clears', async () => {
    const client = await setup({});
    await client.version();
    server.setFault('drop');
    await expectCode(client.executeKw('res.partner', 'search_count', [COMPANIES], { limit: 100 }), 'odoo_unreachable');
    server.setFault(null);
    server.setOverride((req) => (req.path.endsWith('/search_count') ? { status: 200, body: '12' } : undefined));
    expect(await client.executeKw('res.partner', 'search_count', [COMPANIES])).toBe(12);
  });
});

describe('OdooClient concurrency cap', () => {
  it('maxConcurrent 1, maxQueue 1: the third concurrent slow call gets odoo_busy at once, the others are sent one after the other', async () => {
    const client = await setup({}, { maxConcurrent: 1, maxQueue: 1 });
    await client.version();
    server.setDelay(300);
    server.setOverride((req) => (req.path.endsWith('/search_count') ? { status: 200, body: '12' } : undefined));
    const sent = () => server.requests.filter((r) => r.path.endsWith('/search_count')).length;
    const before = sent();
    // Order of events rather than elapsed times: the machine may be slow, the order may not change.
    const events: string[] = [];
    const calls = [1, 2, 3].map((n) =>
      client.executeKw('res.partner', 'search_count', [COMPANIES]).then(
        (value) => {
          events.push(`call ${n} answered, ${sent() - before} sent`);
          return value;
        },
        (err: unknown) => {
          events.push(`call ${n} refused`);
          throw err;
        },
      ),
    );
    const busy = await expectCode(calls[2]!, 'odoo_busy');
    expect(busy.retryAfterSeconds).toBe(1);
    expect(await Promise.all(calls.slice(0, 2))).toEqual([12, 12]);
    // Refused before the first answer; the second call was sent only after the first was answered.
    expect(events).toEqual(['call 3 refused', 'call 1 answered, 1 sent', 'call 2 answered, 2 sent']);
  });

});

describe('OdooClient secret hygiene', () => {
  it("passes Odoo's message on unmasked: masking the secret where a caller's text comes back would confirm a guessed password", async () => {
    const client = await setup({});
    const guess = `x_${API_KEY}_y`;
    // As Odoo does (see the jsonrpc-unknown-field fixture): the unknown field's name is repeated.
    server.setOverride((req) => {
      if (!req.path.startsWith('/json/2/res.partner/')) return undefined;
      const field = (req.body as { domain: string[][] }).domain[0]![0];
      const message = `Invalid field res.partner.${field} in condition ('${field}', '=', 1)`;
      return { status: 500, body: JSON.stringify({ name: 'builtins.ValueError', message, arguments: [message], context: {}, debug: 'Traceback' }) };
    });
    const error = await client.executeKw('res.partner', 'search_count', [[[guess, '=', 1]]]).then(
      () => expect.fail('an unknown field is refused'),
      (err: OdooError) => err,
    );
    expect(error.code).toBe('odoo_bad_request');
    // The caller's own text, exactly as sent: the same answer whether the guess is right or not.
    expect(error.message).toContain(guess);
    expect(error.message).not.toContain('***');
  });

  afterAll(() => {
    expect(seenErrors.length).toBeGreaterThan(20);
    for (const error of seenErrors) {
      for (const secret of [API_KEY, 'wrong-secret-value']) {
        expect(error.message).not.toContain(secret);
        expect(JSON.stringify(error)).not.toContain(secret);
        expect(String(error.stack)).not.toContain(secret);
        expect(error.odooMessage ?? '').not.toContain(secret);
      }
      expect(JSON.stringify(error)).not.toMatch(/Traceback/);
    }
  });
});
