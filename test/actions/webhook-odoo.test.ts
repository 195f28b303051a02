import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { ODOO_PROTOCOL_CASES, SIM_API_KEY } from '../helpers/odoo-versions.js';

/**
 * The webhook end to end against the Odoo test server over HTTP, once per protocol the relay
 * speaks: JSON-RPC (17, 18, and 19 with a password) and JSON-2 (19 with an API key).
 */
const cases = ODOO_PROTOCOL_CASES;

describe.each(cases)('$label', ({ version, secret, protocol }) => {
  let sim: OdooSim;
  let relay: TestRelay;
  let auth: Record<string, string>;
  const call = (body: unknown, headers: Record<string, string> = {}) => relay.post('/api/n8n/webhook', body, { ...auth, ...headers });
  const exec = (model: string, method: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}) =>
    call({ action: 'execute_method', model, method, args, kwargs });

  beforeAll(async () => {
    sim = await startOdooSim({ version, apiKey: SIM_API_KEY, automationNoise: 'none' });
    relay = await startTestRelay();
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret });
    auth = { authorization: `Bearer ${(await relay.createKey()).key}` };
  });
  afterAll(async () => {
    await relay.close();
    await sim.close();
  });

  it('test_connection reports version, uid, protocol and latency', async () => {
    const r = await call({ action: 'test_connection' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ success: true, result: { connected: true, serverVersion: `${version}.0`, protocol, uid: 2 } });
    expect(r.body.result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('get_config shows the connection without its secret', async () => {
    const r = await call({ action: 'get_config' });
    expect(r.status).toBe(200);
    expect(r.body.result).toMatchObject({ url: sim.url, database: 'odoo_demo', login: 'admin', version: `${version}.0`, protocol });
    expect(r.text).not.toContain(secret === 'admin' ? '"admin"}' : secret);
    expect(r.text).not.toContain(SIM_API_KEY);
  });

  it("runs the seed's search_read on companies", async () => {
    const r = await exec('res.partner', 'search_read', [[['is_company', '=', true]]], { fields: ['name', 'email', 'phone'], limit: 10 });
    expect(r.status).toBe(200);
    expect(r.body.success).toBe(true);
    expect(r.body.result.length).toBeGreaterThan(0);
    expect(r.body.result.length).toBeLessThanOrEqual(10);
    for (const row of r.body.result) expect(Object.keys(row).sort()).toEqual(['email', 'id', 'name', 'phone']);
    expect(r.body.meta).toMatchObject({ odooVersion: `${version}.0`, protocol });
  });

  it('answers the same JSON bytes whether the result is passed on as Odoo wrote it (JSON-2) or serialized again', async () => {
    const r = await exec('res.partner', 'search_read', [[['is_company', '=', true]]], { fields: ['name', 'email'], limit: 3 });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(r.text).toBe(JSON.stringify(r.body));
    expect(Object.keys(r.body)).toEqual(['success', 'result', 'meta']);
  });

  it('reads kwargs that are null or absent as none', async () => {
    const base = { action: 'execute_method', model: 'res.partner', method: 'search_count', args: [[['is_company', '=', true]]] };
    const withNull = await call({ ...base, kwargs: null });
    const without = await call(base);
    expect(withNull.status).toBe(200);
    expect(without.status).toBe(200);
    expect(withNull.body.result).toEqual(expect.any(Number));
    expect(without.body.result).toBe(withNull.body.result);
  });

  it("runs the seed's confirmed sales orders query with order and limit", async () => {
    const r = await exec('sale.order', 'search_read', [[['state', '=', 'sale'], ['date_order', '>=', '2025-01-01']]], {
      fields: ['name', 'partner_id', 'amount_total'],
      order: 'date_order desc',
      limit: 50,
    });
    expect(r.status).toBe(200);
    expect(r.body.result.length).toBeGreaterThan(0);
    const first = r.body.result[0];
    expect(Array.isArray(first.partner_id) && typeof first.partner_id[1] === 'string').toBe(true);
    expect(typeof first.amount_total).toBe('number');
  });

  it('finds low-stock products (qty_available < 10)', async () => {
    const r = await exec('product.product', 'search_read', [[['qty_available', '<', 10]]], { fields: ['name', 'qty_available'], limit: 20 });
    expect(r.status).toBe(200);
    expect(r.body.result.length).toBeGreaterThan(0);
    for (const p of r.body.result) expect(p.qty_available).toBeLessThan(10);
  });

  it('creates, updates and deletes a customer as in the seed', async () => {
    const created = await exec('res.partner', 'create', [{ name: 'New Customer', email: 'customer@example.com' }]);
    expect(created.status).toBe(200);
    const id = created.body.result;
    expect(Number.isInteger(id)).toBe(true);
    const written = await exec('res.partner', 'write', [[id], { phone: '+1234567890' }]);
    expect(written.body).toMatchObject({ success: true, result: true });
    const read = await exec('res.partner', 'read', [[id]], { fields: ['name', 'phone'] });
    expect(read.body.result).toEqual([{ id, name: 'New Customer', phone: '+1234567890' }]);
    const deleted = await exec('res.partner', 'unlink', [[id]]);
    expect(deleted.body).toMatchObject({ success: true, result: true });
    expect((await exec('res.partner', 'read', [[id]], { fields: ['name'] })).body.result).toEqual([]);
  });

  it('creates several records from a list and confirms a quotation', async () => {
    const many = await exec('res.partner', 'create', [[{ name: 'Batch A' }, { name: 'Batch B' }]]);
    expect(many.status).toBe(200);
    expect(many.body.result).toHaveLength(2);
    const draft = await exec('sale.order', 'search_read', [[['state', '=', 'draft']]], { fields: ['name'], limit: 1 });
    const orderId = draft.body.result[0].id;
    const confirmed = await exec('sale.order', 'action_confirm', [[orderId]]);
    expect(confirmed.status).toBe(200);
    const after = await exec('sale.order', 'read', [[orderId]], { fields: ['state'] });
    expect(after.body.result[0].state).toBe('sale');
  });

  it('copies a record with overrides (copy): the new id on Odoo 17, a list of ids from 18 on, as Odoo answers', async () => {
    const original = (await exec('res.partner', 'create', [{ name: `Copied ${version} ${protocol}`, email: 'original@example.com', city: 'Namur' }])).body.result as number;
    const r = await exec('res.partner', 'copy', [[original]], { default: { email: 'copy@example.com' } });
    expect(r.status, r.text).toBe(200);
    const copyId = version === 17 ? r.body.result : r.body.result[0];
    if (version !== 17) expect(r.body.result).toEqual([copyId]);
    expect(copyId).toBeGreaterThan(original);
    const [copied] = (await exec('res.partner', 'read', [[copyId]], { fields: ['name', 'email', 'city'] })).body.result;
    expect(copied).toEqual({ id: copyId, name: `Copied ${version} ${protocol} (copy)`, email: 'copy@example.com', city: 'Namur' });
  });

  it('reads many2one fields as bare ids with load other than _classic_read', async () => {
    const [named] = (await exec('res.partner', 'read', [[9]], { fields: ['country_id'] })).body.result;
    expect(named.country_id).toEqual([expect.any(Number), expect.any(String)]);
    const [bare] = (await exec('res.partner', 'read', [[9]], { fields: ['country_id'], load: null })).body.result;
    expect(bare.country_id).toBe(named.country_id[0]);
  });

  it('creates a quotation whose line gives only its product and quantity: Odoo fills the description and price', async () => {
    const [product] = (await exec('product.product', 'search_read', [[['sale_ok', '=', true]]], { fields: ['display_name', 'lst_price'], limit: 1 })).body.result;
    const order = await exec('sale.order', 'create', [{ partner_id: 9, order_line: [[0, 0, { product_id: product.id, product_uom_qty: 2 }]] }]);
    expect(order.status, order.text).toBe(200);
    const [line] = (await exec('sale.order.line', 'search_read', [[['order_id', '=', order.body.result]]], { fields: ['name', 'price_unit'] })).body.result;
    expect(line).toMatchObject({ name: product.display_name, price_unit: product.lst_price });
    const [read] = (await exec('sale.order', 'read', [[order.body.result]], { fields: ['amount_total'] })).body.result;
    expect(read.amount_total).toBeCloseTo(2 * product.lst_price, 2);
  });

  it('groups with read_group', async () => {
    const r = await exec('sale.order', 'read_group', [[], ['amount_total:sum'], ['state']], { lazy: false });
    expect(r.status).toBe(200);
    expect(r.body.result.length).toBeGreaterThan(0);
    expect(r.body.result[0]).toHaveProperty('state');
  });

  it('asks records whether the user has access (has_access, a record method since Odoo 18)', async () => {
    const r = await exec('res.partner', 'has_access', [[1], 'write']);
    if (version === 17) {
      expect(r.body.code).toBe('odoo_unknown_method');
      return;
    }
    expect(r.status).toBe(200);
    expect(r.body.result).toBe(true);
  });

  it.each([
    ['a create without the required name', 'res.partner', 'create', [{ email: 'no-name@example.com' }], 422, 'odoo_validation_error', 'odoo.exceptions.ValidationError'],
    ['a write on a missing record', 'res.partner', 'write', [[999999], { name: 'x' }], 404, 'odoo_missing_record', 'odoo.exceptions.MissingError'],
    ['an unknown model', 'no.such.model', 'search_read', [[]], 404, 'odoo_unknown_model', null],
    ['an unknown method', 'res.partner', 'no_such_method', [[]], 400, 'odoo_unknown_method', null],
    ['a bad domain operator', 'res.partner', 'search_read', [[['name', 'bogus-op', 'x']]], 400, 'odoo_bad_request', 'builtins.ValueError'],
    // search_count(domain, limit=None): the domain has no default since Odoo 17. JSON-2 binds the
    // body before calling and answers UnprocessableEntity; execute_kw gets Python's TypeError.
    ['a search_count without its domain', 'res.partner', 'search_count', [], 400, 'odoo_bad_request', protocol === 'json2' ? 'werkzeug.exceptions.UnprocessableEntity' : 'builtins.TypeError'],
  ])('passes Odoo refusals through: %s', async (_label, model, method, args, status, code, odooName) => {
    const r = await exec(model, method, args);
    expect(r.status).toBe(status);
    expect(r.body).toMatchObject({ success: false, code });
    if (odooName) expect(r.body.details.name).toBe(odooName);
    expect(typeof r.body.error).toBe('string');
    expect(r.text).not.toContain('Traceback');
  });

  it.each([
    ['res.partner', 'write', [['9'], { phone: 'quoted' }], 9, 'phone'],
    ['res.partner', 'unlink', [[3, '4']], 3, 'name'],
    ['sale.order', 'action_confirm', [['2']], 2, 'state'],
  ] as const)('refuses quoted record ids (a quoted n8n expression) the same way on every version, before Odoo: %s.%s', async (model, method, args, id, field) => {
    const read = () => sim.engine.execute(2, model, 'read', [[id], [field]], {});
    const before = read();
    const r = await exec(model, method, args as unknown as unknown[]);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ success: false, code: 'odoo_bad_request' });
    expect(r.body.error).toMatch(new RegExp(`^${method}: record ids must be numbers, got the text "\\d+"; in n8n, write the expression without quotes`));
    expect(read()).toEqual(before);
  });

  it('replays an Idempotency-Key instead of creating twice', async () => {
    const name = `Idempotent ${version}-${protocol}-${Date.now()}`;
    const body = { action: 'execute_method', model: 'res.partner', method: 'create', args: [{ name }] };
    const key = `form-${name}`;
    const first = await call(body, { 'idempotency-key': key });
    const second = await call(body, { 'idempotency-key': key });
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(second.headers['idempotent-replayed']).toBe('true');
    const count = await exec('res.partner', 'search_count', [[['name', '=', name]]]);
    expect(count.body.result).toBe(1);
    const other = await call({ ...body, args: [{ name: `${name} changed` }] }, { 'idempotency-key': key });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('idempotency_key_reused');
  });
});

describe('scopes, allow-lists and Odoo access rights', () => {
  let sim: OdooSim;
  let relay: TestRelay;
  beforeAll(async () => {
    sim = await startOdooSim({ version: 18, automationNoise: 'none' });
    relay = await startTestRelay();
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
  });
  afterAll(async () => {
    await relay.close();
    await sim.close();
  });
  const exec = (key: string, model: string, method: string, args: unknown[] = [], kwargs = {}) =>
    relay.post('/api/n8n/webhook', { action: 'execute_method', model, method, args, kwargs }, { authorization: `Bearer ${key}` });

  it('a read-scoped key reads but cannot write', async () => {
    const { key } = await relay.createKey({ scopes: ['read'] });
    expect((await exec(key, 'res.partner', 'search_count', [[]])).status).toBe(200);
    const refused = await exec(key, 'res.partner', 'create', [{ name: 'nope' }]);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'forbidden_scope', details: { method: 'create' } });
    // The Bearer insufficient_scope challenge is for OAuth 2.0 clients, not API keys.
    expect(refused.headers['www-authenticate']).toBeUndefined();
  });

  it('a key limited to sale.* and search_read cannot reach other models or methods', async () => {
    const { key } = await relay.createKey({ allowedModels: ['sale.*'], allowedMethods: ['search_read'] });
    expect((await exec(key, 'sale.order', 'search_read', [[]], { limit: 1 })).status).toBe(200);
    expect((await exec(key, 'res.partner', 'search_read', [[]], { limit: 1 })).body.code).toBe('model_not_allowed');
    expect((await exec(key, 'sale.order', 'unlink', [[1]])).body.code).toBe('method_not_allowed');
  });

  it("Odoo's own access rights apply to the connection's user (403 odoo_access_error)", async () => {
    const reader = await startTestRelay();
    await reader.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'portal_reader', secret: 'reader' });
    const { key } = await reader.createKey();
    const ok = await reader.post('/api/n8n/webhook', { action: 'execute_method', model: 'res.partner', method: 'search_count', args: [[]] }, { authorization: `Bearer ${key}` });
    expect(ok.status).toBe(200);
    const r = await reader.post(
      '/api/n8n/webhook',
      { action: 'execute_method', model: 'res.partner', method: 'write', args: [[1], { name: 'x' }] },
      { authorization: `Bearer ${key}` },
    );
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: 'odoo_access_error', details: { name: 'odoo.exceptions.AccessError' } });
    await reader.close();
  });

  it('records each call in the request log without bodies', async () => {
    const { key, id } = await relay.createKey({ name: 'logged' });
    await exec(key, 'res.partner', 'search_read', [[['name', 'ilike', 'secret-looking-value']]], { limit: 1 });
    await relay.ctx.requestLog.flush();
    const rows = await relay.ctx.storage.db.selectFrom('request_log').selectAll().where('api_key_id', '=', id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'execute_method', model: 'res.partner', method: 'search_read', status: 200, auth_method: 'api_key' });
    expect(rows[0]!.key_prefix).toMatch(/^sk_live_/);
    expect(rows[0]!.odoo_ms).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain('secret-looking-value');
  });
});

describe('when Odoo misbehaves', () => {
  let sim: OdooSim;
  let relay: TestRelay;
  let auth: Record<string, string>;
  beforeAll(async () => {
    sim = await startOdooSim({ version: 18, automationNoise: 'none' });
    relay = await startTestRelay({ env: { ODOO_MAX_QUEUE: '1' } });
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin', timeoutMs: 500, maxConcurrent: 1 });
    auth = { authorization: `Bearer ${(await relay.createKey({ rateLimit: 10_000 })).key}` };
  });
  afterAll(async () => {
    await relay.close();
    await sim.close();
  });
  const count = () =>
    relay.post('/api/n8n/webhook', { action: 'execute_method', model: 'res.partner', method: 'search_count', args: [[]] }, auth);

  it('answers 504 odoo_timeout when Odoo is too slow', async () => {
    expect((await count()).status).toBe(200);
    sim.faults.setLatency(1500);
    const r = await count();
    sim.faults.reset();
    expect(r.status).toBe(504);
    expect(r.body.code).toBe('odoo_timeout');
  });

  it('keeps the Idempotency-Key of a create that timed out, so the retry cannot create twice', async () => {
    const name = `Slow create ${Date.now()}`;
    const body = { action: 'execute_method', model: 'res.partner', method: 'create', args: [{ name }] };
    const key = { 'idempotency-key': `form-${name}` };
    sim.faults.setLatency(1000);
    const first = await relay.post('/api/n8n/webhook', body, { ...auth, ...key });
    expect(first.status).toBe(504);
    expect(first.body).toMatchObject({ code: 'odoo_timeout', details: { mayHaveRun: true } });
    // Odoo's worker goes on and commits after the relay gave up.
    await new Promise((r) => setTimeout(r, 800));
    sim.faults.reset();
    const retry = await relay.post('/api/n8n/webhook', body, { ...auth, ...key });
    expect(retry.status).toBe(409);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toMatchObject({ success: false, code: 'idempotency_outcome_unknown', details: { firstError: 'odoo_timeout', firstRequestId: first.body.requestId } });
    const created = await relay.post('/api/n8n/webhook', { action: 'execute_method', model: 'res.partner', method: 'search_count', args: [[['name', '=', name]]] }, auth);
    expect(created.body.result).toBe(1);
  });

  it('frees the Idempotency-Key when the call cannot have changed anything: a read that timed out, a create Odoo never received', async () => {
    const read = { action: 'execute_method', model: 'res.partner', method: 'search_count', args: [[]] };
    sim.faults.setLatency(1000);
    const slow = await relay.post('/api/n8n/webhook', read, { ...auth, 'idempotency-key': 'slow-read' });
    expect(slow.status).toBe(504);
    await new Promise((r) => setTimeout(r, 800));
    sim.faults.reset();
    expect((await relay.post('/api/n8n/webhook', read, { ...auth, 'idempotency-key': 'slow-read' })).status).toBe(200);

    const name = `Outage create ${Date.now()}`;
    const create = { action: 'execute_method', model: 'res.partner', method: 'create', args: [{ name }] };
    sim.faults.setOutage(true);
    const down = await relay.post('/api/n8n/webhook', create, { ...auth, 'idempotency-key': name });
    expect(down.body.code).toBe('odoo_unreachable');
    sim.faults.setOutage(false);
    await new Promise((r) => setTimeout(r, 50));
    const retried = await relay.post('/api/n8n/webhook', create, { ...auth, 'idempotency-key': name });
    expect(retried.status).toBe(200);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    const count = await relay.post('/api/n8n/webhook', { action: 'execute_method', model: 'res.partner', method: 'search_count', args: [[['name', '=', name]]] }, auth);
    expect(count.body.result).toBe(1);
  });

  it("counts Odoo's time from the send, not from the wait for a free slot", async () => {
    // Known version and uid first: each call below is then one round trip.
    expect((await count()).status).toBe(200);
    sim.faults.setLatency(400);
    try {
      const [first, second] = await Promise.all([count(), count()]);
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      // One slot: the later call waited for the earlier one (≥ 400 ms), then Odoo took ≥ 400 ms.
      // Counted with the wait, the later time would exceed the earlier by 400 ms or more; half
      // of that leaves room for a slow machine either way.
      const [early, late] = [first.body.meta.odooMs, second.body.meta.odooMs].sort((a: number, b: number) => a - b);
      expect(early).toBeGreaterThanOrEqual(390);
      expect(late - early).toBeLessThan(200);
    } finally {
      sim.faults.reset();
    }
  });

  it('does not send a queued call whose client has gone, and logs the call as client_closed_request', async () => {
    sim.faults.setLatency(400);
    const busy = count();
    const name = `Abandoned create ${Date.now()}`;
    // Queued behind the slow count; the client gives up before its turn (as n8n's timeout would, and then retry).
    const gaveUp = new AbortController();
    const idempotencyKey = `abandoned-${name}`;
    const abandoned = request(`${relay.url}/api/n8n/webhook`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify({ action: 'execute_method', model: 'res.partner', method: 'create', args: [{ name }] }),
      signal: gaveUp.signal,
    }).catch((err: Error) => err);
    setTimeout(() => gaveUp.abort(), 150);
    expect(await abandoned).toBeInstanceOf(Error);
    expect((await busy).status).toBe(200);
    sim.faults.reset();
    const created = await relay.post('/api/n8n/webhook', { action: 'execute_method', model: 'res.partner', method: 'search_count', args: [[['name', '=', name]]] }, auth);
    expect(created.body.result).toBe(0);
    await relay.ctx.requestLog.flush();
    const row = await relay.ctx.storage.db
      .selectFrom('request_log')
      .select(['status', 'code', 'method'])
      .where('method', '=', 'create')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 499, code: 'client_closed_request', method: 'create' });
    // Never sent: no Odoo time.
    const sentless = await relay.ctx.storage.db.selectFrom('request_log').select('odoo_ms').where('method', '=', 'create').where('status', '=', 499).executeTakeFirstOrThrow();
    expect(sentless.odoo_ms).toBeNull();
    const metrics = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metrics).toMatch(/relay_http_requests_total\{route="\/api\/n8n\/webhook",status="499"\} 1/);
    // Its retry (n8n's, after its timeout) runs the call: nothing ran, so the key was not kept.
    const retried = await relay.post('/api/n8n/webhook', { action: 'execute_method', model: 'res.partner', method: 'create', args: [{ name }] }, { ...auth, 'idempotency-key': idempotencyKey });
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });

  it('answers 503 odoo_busy with Retry-After when the per-connection queue is full', async () => {
    sim.faults.setLatency(300);
    const answers = await Promise.all([count(), count(), count(), count()]);
    sim.faults.reset();
    const busy = answers.filter((a) => a.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]!.body.code).toBe('odoo_busy');
    expect(Number(busy[0]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(0);
  });

  it('answers 502 odoo_bad_response for garbage', async () => {
    sim.faults.setFailureRate(1, 'garbage');
    const r = await count();
    sim.faults.reset();
    expect(r.status).toBe(502);
    expect(r.body.code).toBe('odoo_bad_response');
  });

  it('answers 502 odoo_unreachable during an outage and recovers after it', async () => {
    sim.faults.setOutage(true);
    const down = await count();
    expect(down.status).toBe(502);
    expect(down.body.code).toBe('odoo_unreachable');
    sim.faults.setOutage(false);
    await new Promise((r) => setTimeout(r, 50));
    expect((await count()).status).toBe(200);
  });

  it('answers 502 odoo_auth_failed when the Odoo password is wrong', async () => {
    const wrong = await startTestRelay();
    await wrong.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'not-the-password' });
    const { key } = await wrong.createKey();
    const r = await wrong.post('/api/n8n/webhook', { action: 'test_connection' }, { authorization: `Bearer ${key}` });
    expect(r.status).toBe(502);
    expect(r.body.code).toBe('odoo_auth_failed');
    expect(r.text).not.toContain('not-the-password');
    await wrong.close();
  });
});

describe('at shutdown', () => {
  it('answers calls still waiting for an Odoo slot 503 odoo_busy, unsent, while the running call finishes', async () => {
    const sim = await startOdooSim({ version: 18, automationNoise: 'none' });
    const relay = await startTestRelay();
    try {
      await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin', maxConcurrent: 1 });
      const auth = { authorization: `Bearer ${(await relay.createKey()).key}` };
      const create = (name: string) => relay.post('/api/n8n/webhook', { action: 'execute_method', model: 'res.partner', method: 'create', args: [{ name }] }, auth);
      expect((await create('Warm-up')).status).toBe(200);
      sim.faults.setLatency(500);
      const running = create('Running at shutdown');
      await new Promise((r) => setTimeout(r, 100));
      const waiting = create('Waiting at shutdown');
      await new Promise((r) => setTimeout(r, 100));
      const closing = relay.close();
      const [ran, refused] = await Promise.all([running, waiting]);
      await closing;
      expect(ran.status).toBe(200);
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ code: 'odoo_busy', error: 'The relay is shutting down: this call was not sent to Odoo; retry it' });
      expect(refused.headers['retry-after']).toBeDefined();
      sim.faults.reset();
      const names = (sim.engine.execute(2, 'res.partner', 'search_read', [[['name', 'like', 'at shutdown']], ['name']], {}) as { name: string }[]).map((r) => r.name);
      expect(names).toEqual(['Running at shutdown']);
    } finally {
      await relay.close();
      await sim.close();
    }
  });
});
