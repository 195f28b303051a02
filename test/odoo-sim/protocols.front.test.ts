/** The front's routes over real HTTP, on each supported Odoo version, with the real engine. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { Client } from 'undici';
import { cookieOf, json2, jsonRpc, service, xmlRpc } from './http/test-client.js';
import { startOdooSim, type OdooSim } from './server.js';

const DB = 'odoo_demo';
const API_KEY = 'front-test-key-93b1';

describe.each([17, 18, 19] as const)('Odoo %i', (version) => {
  let sim: OdooSim;
  let uid: number;
  beforeAll(async () => {
    sim = await startOdooSim({ version, apiKey: API_KEY });
    uid = (await service(sim.url, 'common', 'login', [DB, 'admin', 'admin'])).result as number;
  });
  afterAll(() => sim.close());

  describe('JSON-RPC /jsonrpc', () => {
    it('reports the version', async () => {
      const r = await service(sim.url, 'common', 'version', []);
      expect(r.result).toEqual({
        server_version: `${version}.0`, server_version_info: [version, 0, 0, 'final', 0, ''], server_serie: `${version}.0`, protocol_version: 1,
      });
    });

    it('logs in with password or API key, and refuses a bad password with false', async () => {
      expect(typeof uid).toBe('number');
      expect((await service(sim.url, 'common', 'login', [DB, 'admin', API_KEY])).result).toBe(uid);
      expect((await service(sim.url, 'common', 'authenticate', [DB, 'admin', 'admin', {}])).result).toBe(uid);
      expect((await service(sim.url, 'common', 'login', [DB, 'admin', 'wrong'])).result).toBe(false);
    });

    it('runs execute_kw and execute', async () => {
      const rows = (await service(sim.url, 'object', 'execute_kw', [DB, uid, 'admin', 'res.partner', 'search_read', [[['is_company', '=', true]]], { fields: ['name'], limit: 2 }])).result as Array<Record<string, unknown>>;
      expect(rows).toHaveLength(2);
      expect(Object.keys(rows[0]).sort()).toEqual(['id', 'name']);
      const count = (await service(sim.url, 'object', 'execute', [DB, uid, API_KEY, 'res.partner', 'search_count', [['is_company', '=', true]]])).result;
      expect(typeof count).toBe('number');
    });

    it('answers a wrong password on execute_kw with AccessDenied, in the version\'s error code', async () => {
      const r = await service(sim.url, 'object', 'execute_kw', [DB, uid, 'wrong', 'res.partner', 'search', [[]]]);
      expect(r.error).toMatchObject({
        code: version === 19 ? 0 : 200,
        message: 'Odoo Server Error',
        data: { name: 'odoo.exceptions.AccessDenied', message: 'Access Denied', arguments: ['Access Denied'], context: {} },
      });
    });

    it('reports engine exceptions with their Python names', async () => {
      const r = await service(sim.url, 'object', 'execute_kw', [DB, uid, 'admin', 'no.such.model', 'search', [[]]]);
      expect(r.error?.data).toMatchObject({ name: 'odoo.exceptions.UserError', message: "Object no.such.model doesn't exist" });
      expect(r.error?.data.debug).toMatch(/^Traceback \(most recent call last\):\n[\s\S]*odoo\.exceptions\.UserError: Object no\.such\.model doesn't exist\n$/);
    });

    it('serves the db service and refuses unknown databases like PostgreSQL would', async () => {
      expect((await service(sim.url, 'db', 'list', [])).result).toEqual([DB]);
      expect((await service(sim.url, 'db', 'server_version', [])).result).toBe(`${version}.0`);
      const r = await service(sim.url, 'object', 'execute_kw', ['nope', uid, 'admin', 'res.partner', 'search', [[]]]);
      expect(r.error?.data.name).toBe('psycopg2.OperationalError');
      expect(r.error?.data.message).toContain('database "nope" does not exist');
    });

    it('answers a malformed envelope with 400 Invalid JSON data', async () => {
      const res = await fetch(`${sim.url}/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toBe('Invalid JSON data');
      const list = await fetch(`${sim.url}/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[1, 2]' });
      expect(list.status).toBe(400);
      expect(await list.text()).toBe('Invalid JSON-RPC data');
    });

    it('refuses a request that is not JSON, as Odoo\'s dispatcher does', async () => {
      const res = await fetch(`${sim.url}/jsonrpc`, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params: {} }) });
      expect(res.status).toBe(version === 19 ? 415 : 400);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const type = version === 17 ? 'json' : 'jsonrpc';
      const text = await res.text();
      expect(text).toContain(`Request inferred type is compatible with [&#39;http&#39;] but &#39;/jsonrpc&#39; is type=&#39;${type}&#39;.`);
      if (version === 19) {
        expect(text).toContain('<br><br>Please verify the Content-Type request header and try again.');
        expect(res.headers.get('accept')).toBe('application/json, application/json-rpc');
      }
    });

    it('requires service, method and args like the controller signature does', async () => {
      const r = await jsonRpc(sim.url, '/jsonrpc', { service: 'db', method: 'list' });
      const owner = version === 19 ? 'JSONRPC' : 'RPC';
      expect(r.body.error?.data).toMatchObject({ name: 'builtins.TypeError', message: `${owner}.jsonrpc() missing 1 required positional argument: 'args'` });
      const none = await jsonRpc(sim.url, '/jsonrpc', {});
      expect(none.body.error?.data.message).toBe(`${owner}.jsonrpc() missing 3 required positional arguments: 'service', 'method', and 'args'`);
    });

    it('echoes the request id, including string ids', async () => {
      const res = await fetch(`${sim.url}/jsonrpc`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 'abc', params: { service: 'db', method: 'list', args: [] } }),
      });
      expect(await res.json()).toEqual({ jsonrpc: '2.0', id: 'abc', result: [DB] });
    });
  });

  describe('web session', () => {
    it('authenticates, sets the cookie, and runs call_kw as the session user', async () => {
      const auth = await jsonRpc(sim.url, '/web/session/authenticate', { db: DB, login: 'admin', password: 'admin' });
      expect(auth.status).toBe(200);
      expect(auth.headers.get('set-cookie')).toMatch(/^session_id=[\w-]+; Expires=.+ GMT; Max-Age=604800; HttpOnly; Path=\/$/);
      expect((auth.body.result as Record<string, unknown>).uid).toBe(uid);
      const cookie = cookieOf(auth.headers);

      const r = await jsonRpc(sim.url, '/web/dataset/call_kw', { model: 'res.partner', method: 'search_count', args: [[]], kwargs: {} }, cookie);
      expect(typeof r.body.result).toBe('number');
      const r2 = await jsonRpc(sim.url, '/web/dataset/call_kw/res.partner/read', { model: 'res.partner', method: 'read', args: [[3]], kwargs: { fields: ['name'] } }, cookie);
      expect((r2.body.result as unknown[])[0]).toMatchObject({ id: 3 });

      const unknown = await jsonRpc(sim.url, '/web/dataset/call_kw', { model: 'no.such.model', method: 'search', args: [[]], kwargs: {} }, cookie);
      expect(unknown.body.error?.data).toMatchObject({ name: 'builtins.KeyError', message: "'no.such.model'" });

      const info = await jsonRpc(sim.url, '/web/session/get_session_info', {}, cookie);
      expect((info.body.result as Record<string, unknown>).uid).toBe(uid);

      const destroyed = await jsonRpc(sim.url, '/web/session/destroy', {}, cookie);
      // destroy returns None, and Odoo leaves `result` out when it is None.
      expect(destroyed.body).toEqual({ jsonrpc: '2.0', id: 7 });
      const after = await jsonRpc(sim.url, '/web/dataset/call_kw', { model: 'res.partner', method: 'search_count', args: [[]], kwargs: {} }, cookie);
      expect(after.body.error).toMatchObject({ code: 100, message: 'Odoo Session Expired', data: { name: 'odoo.http.SessionExpiredException', message: 'Session expired' } });
    });

    it('refuses call_kw without a session with code 100', async () => {
      const r = await jsonRpc(sim.url, '/web/dataset/call_kw', { model: 'res.partner', method: 'search', args: [[]], kwargs: {} });
      expect(r.status).toBe(200);
      expect(r.body.error?.code).toBe(100);
      expect((await jsonRpc(sim.url, '/web/session/get_session_info', {})).body.error?.code).toBe(100);
    });

    it('refuses bad credentials with AccessDenied and no cookie', async () => {
      // An API key is not a password for an interactive (browser) login.
      const key = await jsonRpc(sim.url, '/web/session/authenticate', { db: DB, login: 'admin', password: API_KEY });
      expect(key.body.error?.data.name).toBe('odoo.exceptions.AccessDenied');
      const r = await jsonRpc(sim.url, '/web/session/authenticate', { db: DB, login: 'admin', password: 'nope' });
      expect(r.headers.get('set-cookie')).toBeNull();
      expect(r.body.error).toMatchObject({ code: version === 19 ? 0 : 200, data: { name: 'odoo.exceptions.AccessDenied', debug: 'odoo.exceptions.AccessDenied: Access Denied\n' } });
    });
  });

  describe('version routes', () => {
    it('GET /web/version', async () => {
      const res = await fetch(`${sim.url}/web/version`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await res.json()).toEqual({ version_info: [version, 0, 0, 'final', 0, ''], version: `${version}.0` });
    });

    it('POST /web/webclient/version_info', async () => {
      const r = await jsonRpc(sim.url, '/web/webclient/version_info', {});
      expect((r.body.result as Record<string, unknown>).server_serie).toBe(`${version}.0`);
    });
  });

  describe('XML-RPC', () => {
    it('answers common.version and login on /xmlrpc/2/common', async () => {
      const v = await xmlRpc(sim.url, '/xmlrpc/2/common', 'version', []);
      expect(v.status).toBe(200);
      expect(v.contentType).toBe('text/xml; charset=utf-8');
      expect(v).toMatchObject({ fault: false, value: { server_version: `${version}.0`, protocol_version: 1 } });
      expect(await xmlRpc(sim.url, '/xmlrpc/2/common', 'login', [DB, 'admin', 'admin'])).toMatchObject({ value: uid });
      expect(await xmlRpc(sim.url, '/xmlrpc/2/common', 'authenticate', [DB, 'admin', 'bad', {}])).toMatchObject({ value: false });
    });

    it('round-trips execute_kw: create, read, write, search_read', async () => {
      const created = await xmlRpc(sim.url, '/xmlrpc/2/object', 'execute_kw', [DB, uid, 'admin', 'res.partner', 'create', [{ name: 'XML <Partner> & Co', email: 'x@example.com' }]]);
      expect(created.fault).toBe(false);
      const id = (created as { value: number }).value;
      expect(typeof id).toBe('number');
      const read = await xmlRpc(sim.url, '/xmlrpc/2/object', 'execute_kw', [DB, uid, 'admin', 'res.partner', 'read', [[id]], { fields: ['name', 'email', 'parent_id'] }]);
      expect(read).toMatchObject({ fault: false, value: [{ id, name: 'XML <Partner> & Co', email: 'x@example.com', parent_id: false }] });
      expect(await xmlRpc(sim.url, '/xmlrpc/2/object', 'execute_kw', [DB, uid, 'admin', 'res.partner', 'write', [[id], { phone: '+1 555' }]])).toMatchObject({ value: true });
      const found = await xmlRpc(sim.url, '/xmlrpc/2/object', 'execute_kw', [DB, uid, 'admin', 'res.partner', 'search_read', [[['id', '=', id]]], { fields: ['phone'] }]);
      expect(found).toMatchObject({ value: [{ id, phone: '+1 555' }] });
    });

    it('maps exceptions to Odoo fault codes on /xmlrpc/2', async () => {
      const call = (model: string, method: string, args: unknown[], password = 'admin') =>
        xmlRpc(sim.url, '/xmlrpc/2/object', 'execute_kw', [DB, uid, password, model, method, args]);
      expect(await call('no.such.model', 'search', [[]])).toMatchObject({ fault: true, faultCode: 2, faultString: "Object no.such.model doesn't exist" });
      expect(await call('res.partner', 'search', [[]], 'wrong')).toMatchObject({ fault: true, faultCode: 3, faultString: 'Access Denied' });
      expect(await call('res.partner', '_compute_display_name', [[1]])).toMatchObject({ fault: true, faultCode: 4 });
      const app = await call('res.partner', 'search', [[['name', 'bogus-op', 'x']]]);
      expect(app).toMatchObject({ fault: true, faultCode: 1 });
      expect((app as { faultString: string }).faultString).toMatch(/^Traceback[\s\S]*ValueError: Invalid operator/);
    });

    it('answers an unknown database with the PostgreSQL fault, as recorded', async () => {
      const r = await xmlRpc(sim.url, '/xmlrpc/2/object', 'execute_kw', ['$DB', 2, 'admin', 'no.such.model', 'search', [[]]]);
      expect(r).toMatchObject({ fault: true, faultCode: 1 });
      expect((r as { faultString: string }).faultString).toContain('psycopg2.OperationalError: connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "$DB" does not exist');
    });

    it('uses string fault codes on the legacy /xmlrpc/ endpoint', async () => {
      const r = await xmlRpc(sim.url, '/xmlrpc/object', 'execute_kw', [DB, uid, 'admin', 'res.partner', 'write', [[999999], { phone: '1' }]]);
      expect(r).toMatchObject({ fault: true, faultString: '' });
      expect((r as { faultCode: string }).faultCode).toMatch(/^warning -- MissingError\n\nRecord does not exist or has been deleted\./);
      expect(await xmlRpc(sim.url, '/xmlrpc/common', 'version', [])).toMatchObject({ fault: false });
    });

    it('serves the db service and object.execute', async () => {
      expect(await xmlRpc(sim.url, '/xmlrpc/2/db', 'list', [])).toMatchObject({ fault: false, value: [DB] });
      expect(await xmlRpc(sim.url, '/xmlrpc/2/db', 'server_version', [])).toMatchObject({ value: `${version}.0` });
      const count = await xmlRpc(sim.url, '/xmlrpc/2/object', 'execute', [DB, uid, 'admin', 'res.partner', 'search_count', [['is_company', '=', true]]]);
      expect(count.fault).toBe(false);
      expect(typeof (count as { value: unknown }).value).toBe('number');
    });

    it('answers malformed XML with a fault', async () => {
      const res = await fetch(`${sim.url}/xmlrpc/2/common`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<methodCall><methodName>version' });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('<name>faultCode</name>\n<value><int>1</int></value>');
      expect(text).toContain('ExpatError');
    });
  });

  describe('JSON-2', () => {
    if (version < 19) {
      it('does not exist before Odoo 19', async () => {
        const r = await json2(sim.url, 'res.partner', 'search_read', { domain: [], limit: 1 }, { authorization: `bearer ${API_KEY}` });
        expect(r.status).toBe(404);
        expect(r.headers.get('content-type')).toBe('text/html;charset=utf-8');
      });
      return;
    }

    it('calls methods with named parameters and a bearer key (any case of the scheme)', async () => {
      for (const scheme of ['bearer', 'Bearer', 'BEARER']) {
        const r = await json2(sim.url, 'res.partner', 'search_read', { domain: [['is_company', '=', true]], fields: ['name'], limit: 2 }, { authorization: `${scheme} ${API_KEY}`, 'x-odoo-database': DB });
        expect(r.status).toBe(200);
        expect(r.headers.get('content-type')).toBe('application/json; charset=utf-8');
        expect(r.json).toHaveLength(2);
      }
      const read = await json2(sim.url, 'res.partner', 'read', { ids: [3], fields: ['name'] }, { authorization: `bearer ${API_KEY}` });
      expect(read.json).toEqual([{ id: 3, name: expect.any(String) }]);
    });

    it('refuses a bad key or no key with 401 and WWW-Authenticate', async () => {
      const bad = await json2(sim.url, 'res.partner', 'search_read', {}, { authorization: 'bearer nope' });
      expect(bad.status).toBe(401);
      expect(bad.headers.get('www-authenticate')).toBe('Bearer');
      expect(bad.json).toMatchObject({ name: 'werkzeug.exceptions.Unauthorized', message: 'Invalid apikey', arguments: ['Invalid apikey', 401], context: {} });
      const none = await json2(sim.url, 'res.partner', 'search_read', {});
      expect(none.status).toBe(401);
      expect(none.json.message).toBe('User not authenticated, use an API Key with a Bearer Authorization header.');
    });

    it('maps exceptions to statuses', async () => {
      const auth = { authorization: `bearer ${API_KEY}` };
      expect((await json2(sim.url, 'res.partner', '_compute_display_name', { ids: [1] }, auth)).status).toBe(403);
      expect((await json2(sim.url, 'res.partner', 'write', { ids: [999999], vals: { phone: '1' } }, auth)).status).toBe(404);
      const model = await json2(sim.url, 'no.such.model', 'search', { domain: [] }, auth);
      expect(model.status).toBe(404);
      expect(model.json).toMatchObject({ name: 'werkzeug.exceptions.NotFound', message: "the model 'no.such.model' does not exist", arguments: ["the model 'no.such.model' does not exist", 404] });
      const method = await json2(sim.url, 'res.partner', 'no_such_method', {}, auth);
      expect(method.status).toBe(404);
      expect(method.json.name).toBe('werkzeug.exceptions.NotFound');
      expect((await json2(sim.url, 'res.partner', 'create', { vals_list: [{ email: 'x@example.com' }] }, auth)).status).toBe(422);
      const positional = await json2(sim.url, 'res.partner', 'search_read', { args: [[]] }, auth);
      expect(positional.status).toBe(500);
      expect(positional.json.name).toBe('builtins.TypeError');
      // A body the controller cannot bind to the method is its own 422, before the method runs.
      const unbound = await json2(sim.url, 'res.partner', 'write', { ids: [3], values: { phone: '1' } }, auth);
      expect([unbound.status, unbound.json.name, unbound.json.message]).toEqual([422, 'werkzeug.exceptions.UnprocessableEntity', "missing a required argument: 'vals'"]);
      expect(unbound.json.arguments).toEqual(["missing a required argument: 'vals'", 422]);
      const withIds = await json2(sim.url, 'res.partner', 'search_count', { ids: [3], domain: [] }, auth);
      expect([withIds.status, withIds.json.message]).toEqual([422, 'cannot call res.partner.search_count with ids']);
    });

    it('rejects a body that is not a JSON object with 400, and GET with 405', async () => {
      const res = await fetch(`${sim.url}/json/2/res.partner/search`, { method: 'POST', headers: { authorization: `bearer ${API_KEY}`, 'content-type': 'application/json' }, body: '[1' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { name: string }).name).toBe('werkzeug.exceptions.BadRequest');
      const get = await fetch(`${sim.url}/json/2/res.partner/search`, { headers: { authorization: `bearer ${API_KEY}`, 'content-type': 'application/json' } });
      expect(get.status).toBe(405);
      // Without a JSON content type Odoo's dispatcher refuses the request before the method runs.
      const plain = await fetch(`${sim.url}/json/2/res.partner/search`, { method: 'POST', headers: { authorization: `bearer ${API_KEY}` }, body: '{}' });
      expect(plain.status).toBe(415);
      expect(plain.headers.get('accept')).toBe('application/json');
      expect(await plain.text()).toContain("but &#39;/json/2/&lt;model&gt;/&lt;method&gt;&#39; is type=&#39;json2&#39;");
    });

    it('accepts a web session cookie instead of a key', async () => {
      const auth = await jsonRpc(sim.url, '/web/session/authenticate', { db: DB, login: 'admin', password: 'admin' });
      const r = await json2(sim.url, 'res.partner', 'search_count', { domain: [] }, { cookie: cookieOf(auth.headers) });
      expect(r.status).toBe(200);
      expect(typeof r.json).toBe('number');
      // The cookie's database and X-Odoo-Database must agree.
      const clash = await json2(sim.url, 'res.partner', 'search_count', { domain: [] }, { cookie: cookieOf(auth.headers), 'x-odoo-database': 'other' });
      expect(clash.status).toBe(403);
      expect(clash.text).toContain('Cannot use both the session_id cookie and the x-odoo-database header.');
    });

    it('answers a database header naming no database with the plain 404 page', async () => {
      const r = await json2(sim.url, 'res.partner', 'search_count', { domain: [] }, { authorization: `bearer ${API_KEY}`, 'x-odoo-database': 'nope' });
      expect(r.status).toBe(404);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.text).toContain('<title>404 Not Found</title>');
    });
  });
});

describe('HTTP plumbing', () => {
  let sim: OdooSim;
  beforeAll(async () => {
    sim = await startOdooSim();
  });
  afterAll(() => sim.close());

  it('answers unknown routes with Odoo\'s HTML 404 page and an anonymous session cookie', async () => {
    const res = await fetch(`${sim.url}/no/such/route`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/html;charset=utf-8');
    expect(res.headers.get('set-cookie')).toMatch(/^session_id=/);
    expect(await res.text()).toContain('<h1 class="visually-hidden">Error 404</h1>');
  });

  it('answers a JSON POST to an unknown route with the same 404 page', async () => {
    const r = await fetch(`${sim.url}/web/dataset/no_such_thing`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toBe('text/html;charset=utf-8');
  });

  it('keeps connections alive across requests', async () => {
    const client = new Client(sim.url, { pipelining: 1 });
    let connects = 0;
    client.on('connect', () => connects++);
    for (let i = 0; i < 20; i++) {
      const res = await client.request({ method: 'POST', path: '/jsonrpc', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: i, params: { service: 'db', method: 'list', args: [] } }) });
      expect(res.statusCode).toBe(200);
      await res.body.json();
    }
    expect(connects).toBe(1);
    await client.close();
  });

  it('refuses bodies above Odoo\'s 128 MiB limit with 413, without reading them', async () => {
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(sim.port, '127.0.0.1', () => {
        socket.write('POST /jsonrpc HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200000000\r\n\r\n{');
      });
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 413 /);
  });

  it('answers GET on XML-RPC with 405, and on JSON routes with the dispatcher\'s refusal', async () => {
    expect((await fetch(`${sim.url}/xmlrpc/2/common`)).status).toBe(405);
    expect((await fetch(`${sim.url}/jsonrpc`)).status).toBe(415);
    const res = await fetch(`${sim.url}/jsonrpc`, { headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(await res.text()).toBe('Invalid JSON data');
  });
});
