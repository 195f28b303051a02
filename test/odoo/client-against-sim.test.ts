/**
 * The Odoo client against the project's Odoo test server (test/odoo-sim) over real HTTP, as
 * Odoo 18 (JSON-RPC with a password), Odoo 19 with an API key (JSON-2) and Odoo 19 with a
 * password (JSON-2 refuses it; the client falls back to JSON-RPC). A counting proxy in front of
 * the sim checks round trips.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/secrets/secret-box.js';
import { checkConnectionToSave } from '../../src/connections/login-check.js';
import { OdooClient, resultOf } from '../../src/odoo/client.js';
import { OdooError, type OdooErrorCode } from '../../src/odoo/errors.js';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startCountingProxy, type CountingProxy } from './counting-proxy.js';

const API_KEY = 'sim-api-key-0123456789abcdef';
const COMPANIES = [['is_company', '=', true]];

async function expectCode(promise: Promise<unknown>, code: OdooErrorCode): Promise<OdooError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(OdooError);
    const odooError = error as OdooError;
    expect(odooError.code, odooError.message).toBe(code);
    // Secrets and tracebacks never leave the client.
    for (const text of [odooError.message, JSON.stringify(odooError)]) {
      expect(text).not.toContain(API_KEY);
      expect(text).not.toMatch(/Traceback/);
    }
    return odooError;
  }
  throw new Error(`expected ${code}`);
}

const flavours = [
  { label: 'Odoo 18, password (JSON-RPC)', version: 18 as const, secret: 'admin', protocol: 'jsonrpc' as const },
  { label: 'Odoo 19, API key (JSON-2)', version: 19 as const, secret: API_KEY, protocol: 'json2' as const },
  { label: 'Odoo 19, password (JSON-2 refused → JSON-RPC)', version: 19 as const, secret: 'admin', protocol: 'jsonrpc' as const },
];

describe.each(flavours)('$label', ({ version, secret, protocol }) => {
  let sim: OdooSim;
  let proxy: CountingProxy;
  let client: OdooClient;

  beforeAll(async () => {
    sim = await startOdooSim({ version, apiKey: API_KEY, automationNoise: 'none' });
    proxy = await startCountingProxy(sim.url);
    client = new OdooClient({ url: proxy.url, database: 'odoo_demo', login: 'admin', secret });
  });

  afterAll(async () => {
    await client?.close();
    await proxy?.close();
    await sim?.close();
  });

  it('detects the version and the protocol', async () => {
    const detected = await client.version();
    expect(detected).toMatchObject({ major: version, minor: 0, protocol: version === 19 && secret === 'admin' ? 'json2' : protocol });
    expect(await client.authenticate()).toBe(2);
    expect((await client.version()).protocol).toBe(protocol);
  });

  it('search_read', async () => {
    const rows = (await client.executeKw('res.partner', 'search_read', [COMPANIES], { fields: ['name'], limit: 3, order: 'name' })) as {
      id: number;
      name: string;
    }[];
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual({ id: expect.any(Number), name: 'Acme Corporation' });
  });

  it('refuses an answer larger than its maxResponseBytes, naming the setting', async () => {
    const small = new OdooClient({ url: sim.url, database: 'odoo_demo', login: 'admin', secret, maxResponseBytes: 2048 });
    try {
      expect((await small.executeKw('res.partner', 'search_read', [COMPANIES], { fields: ['name'], limit: 1 })) as unknown[]).toHaveLength(1);
      const error = await small.executeKw('res.partner', 'search_read', [[]], {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OdooError);
      expect((error as OdooError).code).toBe('odoo_bad_response');
      expect((error as OdooError).message).toMatch(/exceeds 2048 bytes \(ODOO_MAX_RESPONSE_BYTES\)/);
    } finally {
      await small.close();
    }
  });

  it("passes a renamed keyword under the server's own name, so one workflow runs on 18 and 19 (default_get: fields_list → fields in 19)", async () => {
    const before = await client.executeKw('res.partner', 'default_get', [], { fields_list: ['active', 'type'] });
    const after = await client.executeKw('res.partner', 'default_get', [], { fields: ['active', 'type'] });
    expect(after).toEqual(before);
    expect(before).toMatchObject({ active: true });
  });

  it('exactly one round trip per executeKw once warm', async () => {
    await client.executeKw('res.partner', 'search_count', [COMPANIES]);
    const before = proxy.count();
    for (let i = 0; i < 5; i++) expect(await client.executeKw('res.partner', 'search_count', [COMPANIES])).toBe(12);
    expect(proxy.count() - before).toBe(5);
    expect(proxy.requests.filter((r) => r.rpc === 'common.login').length).toBeLessThanOrEqual(1);
    expect(proxy.count('/web/version')).toBe(1);
    if (protocol === 'json2') expect(proxy.count('/jsonrpc')).toBe(0);
  });

  it('create one → id, then it is listed; write; unlink', async () => {
    const id = await client.executeKw('res.partner', 'create', [{ name: 'Relay Test Customer', email: 'relay@example.com' }]);
    expect(id).toEqual(expect.any(Number));
    const listed = await client.executeKw('res.partner', 'search_read', [[['name', '=', 'Relay Test Customer']]], { fields: ['name', 'email'] });
    expect(listed).toEqual([{ id, name: 'Relay Test Customer', email: 'relay@example.com' }]);

    const many = await client.executeKw('res.partner', 'create', [[{ name: 'Relay A' }, { name: 'Relay B' }]]);
    expect(many).toEqual([expect.any(Number), expect.any(Number)]);

    expect(await client.executeKw('res.partner', 'write', [[id], { phone: '+1 555 0100' }])).toBe(true);
    expect(await client.executeKw('res.partner', 'read', [[id], ['phone']])).toEqual([{ id, phone: '+1 555 0100' }]);

    expect(await client.executeKw('res.partner', 'unlink', [[id]])).toBe(true);
    expect(await client.executeKw('res.partner', 'read', [[id]], { fields: ['name'] })).toEqual([]);
    await expectCode(client.executeKw('res.partner', 'write', [[id], { phone: '1' }]), 'odoo_missing_record');
  });

  it("gives Odoo's own JSON text of a result only when it is the result exactly (JSON-2, not reshaped)", async () => {
    const kwargs = { fields: ['name'], limit: 2 };
    const listed = await client.executeKwVerbatim('res.partner', 'search_read', [COMPANIES], kwargs);
    const parsed = await client.executeKw('res.partner', 'search_read', [COMPANIES], kwargs);
    expect(parsed).toHaveLength(2);
    if (protocol === 'json2') expect(listed).toEqual({ json: expect.any(String) });
    else expect(listed).toEqual({ result: parsed });
    expect(resultOf(listed)).toEqual(parsed);
    // One record created through JSON-2 comes back as a list of one id and is unwrapped: no text.
    const created = await client.executeKwVerbatim('res.partner', 'create', [{ name: 'Verbatim Customer' }]);
    expect(created).toEqual({ result: expect.any(Number) });
  });

  it('read_group', async () => {
    const groups = (await client.executeKw('sale.order', 'read_group', [[['state', '=', 'sale']], ['amount_total:sum'], ['partner_id']], {
      lazy: false,
    })) as Record<string, unknown>[];
    expect(groups.length).toBeGreaterThan(0);
    expect(groups[0]).toMatchObject({ partner_id: [expect.any(Number), expect.any(String)], amount_total: expect.any(Number) });
  });

  it('action_confirm on a draft sale order', async () => {
    const [draft] = (await client.executeKw('sale.order', 'search', [[['state', '=', 'draft']]], { limit: 1 })) as number[];
    expect(draft).toEqual(expect.any(Number));
    expect(await client.executeKw('sale.order', 'action_confirm', [[draft]])).toBe(true);
    expect(await client.executeKw('sale.order', 'read', [[draft], ['state']])).toEqual([{ id: draft, state: 'sale' }]);
  });

  it('maps Odoo errors', async () => {
    await expectCode(client.executeKw('res.partner', 'create', [{ email: 'no-name@example.com' }]), 'odoo_validation_error');
    await expectCode(client.executeKw('no.such.model', 'search_read', [[]], { limit: 1 }), 'odoo_unknown_model');
    await expectCode(client.executeKw('res.partner', 'no_such_method', [[1]]), 'odoo_unknown_method');
    await expectCode(client.executeKw('res.partner', '_compute_display_name', [[1]]), 'odoo_access_error');
    await expectCode(client.executeKw('res.partner', 'search', [[['name', 'bogus-op', 'x']]]), 'odoo_bad_request');
    await expectCode(client.executeKw('res.partner', 'unlink', [[999999]]), 'odoo_missing_record');
  });

  it('testConnection authenticates now', async () => {
    const before = proxy.count();
    const result = await client.testConnection();
    expect(result).toMatchObject({ serverVersion: expect.stringMatching(new RegExp(`^${version}\\.0`)), protocol, uid: 2 });
    expect(proxy.count()).toBeGreaterThan(before);
  });

  it('lists databases', async () => {
    expect(await client.listDatabases()).toContain('odoo_demo');
  });

  it('maps faults: latency past the timeout, dropped connections, 502 pages', async () => {
    const impatient = new OdooClient({ url: proxy.url, database: 'odoo_demo', login: 'admin', secret, timeoutMs: 200 });
    try {
      await impatient.authenticate();
      sim.faults.setLatency(500);
      await expectCode(impatient.executeKw('res.partner', 'search_count', [COMPANIES]), 'odoo_timeout');
      sim.faults.setLatency(0);
      sim.faults.setDropConnections(true);
      await expectCode(impatient.executeKw('res.partner', 'search_count', [COMPANIES]), 'odoo_unreachable');
      sim.faults.setDropConnections(false);
      sim.faults.setFailureRate(1, 'http_502');
      await expectCode(impatient.executeKw('res.partner', 'search_count', [COMPANIES]), 'odoo_bad_response');
      sim.faults.setFailureRate(1, 'garbage');
      await expectCode(impatient.executeKw('res.partner', 'search_count', [COMPANIES]), 'odoo_bad_response');
      sim.faults.reset();
      expect(await impatient.executeKw('res.partner', 'search_count', [COMPANIES])).toBe(12);
    } finally {
      sim.faults.reset();
      await impatient.close();
    }
  });

  it('busy: maxConcurrent 1, maxQueue 1, third concurrent slow call refused', async () => {
    const small = new OdooClient({ url: sim.url, database: 'odoo_demo', login: 'admin', secret, maxConcurrent: 1, maxQueue: 1 });
    try {
      await small.authenticate();
      sim.faults.setLatency(200);
      const calls = [1, 2, 3].map(() => small.executeKw('res.partner', 'search_count', [COMPANIES]));
      const busy = await expectCode(calls[2]!, 'odoo_busy');
      expect(busy.retryAfterSeconds).toBe(1);
      expect(await Promise.all(calls.slice(0, 2))).toEqual([12, 12]);
    } finally {
      sim.faults.reset();
      await small.close();
    }
  });

  if (protocol === 'jsonrpc') {
    it('re-authenticates once when a cached uid meets AccessDenied', async () => {
      await client.authenticate();
      // Deterministic: with rate 1/3 the third protocol call fails with AccessDenied.
      sim.faults.setFailureRate(1 / 3, 'access_denied');
      try {
        const before = proxy.requests.length;
        for (let i = 0; i < 3; i++) expect(await client.executeKw('res.partner', 'search_count', [COMPANIES])).toBe(12);
        const rpcs = proxy.requests.slice(before).map((r) => r.rpc);
        expect(rpcs.filter((r) => r === 'common.login')).toHaveLength(1);
        expect(rpcs.filter((r) => r?.startsWith('object.execute_kw'))).toHaveLength(4);
      } finally {
        sim.faults.reset();
      }
    });
  }
});

describe('JSON-2 forced on Odoo 18', () => {
  it('is a clear odoo_bad_response, not a bogus result', async () => {
    const sim = await startOdooSim({ version: 18, apiKey: API_KEY, automationNoise: 'none' });
    const client = new OdooClient({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: API_KEY, protocol: 'json2' });
    try {
      const error = await expectCode(client.executeKw('res.partner', 'search_count', [COMPANIES]), 'odoo_bad_response');
      expect(error.message).toMatch(/Odoo 19/);
    } finally {
      await client.close();
      await sim.close();
    }
  });
});

describe('Odoo 19 with a wrong secret', () => {
  it('is odoo_auth_failed, and the secret appears nowhere', async () => {
    const sim = await startOdooSim({ version: 19, apiKey: API_KEY, automationNoise: 'none' });
    const client = new OdooClient({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'wrong-secret-1234' });
    try {
      const error = await expectCode(client.executeKw('res.partner', 'search_count', [COMPANIES]), 'odoo_auth_failed');
      expect(JSON.stringify(error)).not.toContain('wrong-secret-1234');
      await expectCode(client.testConnection(), 'odoo_auth_failed');
    } finally {
      await client.close();
      await sim.close();
    }
  });
});

describe('Odoo 18 with a database name that does not exist', () => {
  it('says so with its own code (psycopg2 refused to open it)', async () => {
    const sim = await startOdooSim({ version: 18, automationNoise: 'none' });
    const client = new OdooClient({ url: sim.url, database: 'odoo_dmeo', login: 'admin', secret: 'admin' });
    try {
      const tested = await expectCode(client.testConnection(), 'odoo_unknown_database');
      expect(tested.message).toContain('database "odoo_dmeo" does not exist');
    } finally {
      await client.close();
      await sim.close();
    }
  });
});

// Odoo 19 serves /json/2/ only inside a database, and answers its errors there in JSON. A name in
// X-Odoo-Database that names no database leaves the request database-less: Odoo's bare 404 page.
describe('Odoo 19 with a database name that does not exist', () => {
  it.each([
    ['an API key', API_KEY],
    ['a password', 'admin'],
  ])('says the database was not found (with %s), not that JSON-2 is missing', async (_label, secret) => {
    const sim = await startOdooSim({ version: 19, apiKey: API_KEY, automationNoise: 'none' });
    const client = new OdooClient({ url: sim.url, database: 'odoo_dmeo', login: 'admin', secret });
    try {
      const tested = await expectCode(client.testConnection(), 'odoo_unknown_database');
      expect(tested.message).toMatch(/^Odoo 19\.0 has no database 'odoo_dmeo'/);
      expect(tested.message).not.toMatch(/is this Odoo 19/);
      expect(tested.httpStatus).toBe(404);
      const called = await expectCode(client.executeKw('res.partner', 'search_count', [COMPANIES]), 'odoo_unknown_database');
      expect(called.message).toBe(tested.message);
    } finally {
      await client.close();
      await sim.close();
    }
  });
});

// JSON-2 acts as the API key's user: a connection naming another login would act with rights its
// settings do not show (an admin's key under a limited user's login).
describe("Odoo 19 with an API key of another user than the connection's login", () => {
  it("refuses the test naming the key's login, and the save names the login field", async () => {
    const sim = await startOdooSim({ version: 19, apiKey: API_KEY, automationNoise: 'none' });
    const client = new OdooClient({ url: sim.url, database: 'odoo_demo', login: 'demo', secret: API_KEY });
    try {
      const tested = await expectCode(client.testConnection(), 'odoo_auth_failed');
      expect(tested.message).toBe("This API key belongs to Odoo user 'admin', not to 'demo': JSON-2 acts as the key's user, so set the connection's login to 'admin' (or use an API key of 'demo')");
      expect(tested.keyLogin).toBe('admin');
      // A call is refused the same way: a connection saved while Odoo could not be asked is
      // checked at its first call, not only when tested.
      const called = new OdooClient({ url: sim.url, database: 'odoo_demo', login: 'demo', secret: API_KEY });
      try {
        expect((await expectCode(called.executeKw('res.partner', 'search_count', [COMPANIES]), 'odoo_auth_failed')).keyLogin).toBe('admin');
      } finally {
        await called.close();
      }
      const box = new SecretBox(crypto.randomBytes(32));
      const input = { url: sim.url, database: 'odoo_demo', login: 'demo', secret: API_KEY, protocol: 'json2' as const };
      const refused = await checkConnectionToSave(box, input, null, []).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: 'invalid_request', details: { field: 'login', keyLogin: 'admin' } });
      // The key's own login passes.
      expect(await checkConnectionToSave(box, { ...input, login: 'admin' }, null, [])).toMatchObject({ ok: true, result: { uid: 2 } });
    } finally {
      await client.close();
      await sim.close();
    }
  });
});
