import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { ODOO_PROTOCOL_CASES, SIM_API_KEY } from '../helpers/odoo-versions.js';

/**
 * Methods n8n flows call beyond CRUD, through the webhook as n8n sends them (`execute_method`
 * with positional `args` and `kwargs`), against the Odoo test server: the chatter
 * (message_post), sale.order.action_cancel / action_draft, web_search_read / web_read,
 * get_metadata and check_access. The answers are Odoo's own, which differ by version: the relay
 * passes them on as they are.
 */
// message_post and the others are checked from 18 on.
const cases = ODOO_PROTOCOL_CASES.filter((c) => c.version >= 18);

describe.each(cases)('$label', ({ version, secret, protocol }) => {
  let sim: OdooSim;
  let relay: TestRelay;
  let auth: Record<string, string>;
  const exec = (model: string, method: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}) =>
    relay.post('/api/n8n/webhook', { action: 'execute_method', model, method, args, kwargs }, auth);
  const orderIn = async (state: string) =>
    (await exec('sale.order', 'search', [[['state', '=', state]]], { limit: 1, order: 'id asc' })).body.result[0] as number;
  const stateOf = async (id: number) => (await exec('sale.order', 'read', [[id]], { fields: ['state'] })).body.result[0].state;

  beforeAll(async () => {
    sim = await startOdooSim({ version, apiKey: SIM_API_KEY, automationNoise: 'none' });
    relay = await startTestRelay();
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret });
    auth = { authorization: `Bearer ${(await relay.createKey({ rateLimit: 10_000 })).key}` };
    const warm = await exec('res.partner', 'search_count', [[]]);
    expect(warm.body.meta.protocol).toBe(protocol);
  });
  afterAll(async () => {
    await relay.close();
    await sim.close();
  });

  it('posts a note with message_post (ids as args, the rest as kwargs): the message id on 18, [id] on 19', async () => {
    const r = await exec('res.partner', 'message_post', [[9]], { body: 'Called about the invoice', message_type: 'comment', subtype_xmlid: 'mail.mt_note' });
    expect(r.status, r.text).toBe(200);
    const messageId = version >= 19 ? r.body.result[0] : r.body.result;
    expect(version >= 19 ? r.body.result : [r.body.result]).toEqual([expect.any(Number)]);
    const read = await exec('mail.message', 'search_read', [[['model', '=', 'res.partner'], ['res_id', '=', 9]]], { fields: ['body', 'message_type', 'subtype_id', 'author_id'] });
    expect(read.body.result).toEqual([{ id: messageId, body: '<p>Called about the invoice</p>', message_type: 'comment', subtype_id: [2, 'Note'], author_id: [3, 'Mitchell Admin'] }]);
    // One id given bare, as n8n expressions often do.
    expect((await exec('sale.order', 'message_post', [1], { body: 'Bare id' })).status).toBe(200);
  });

  it("passes message_post's refusals on as 400 odoo_bad_request", async () => {
    const two = await exec('res.partner', 'message_post', [[9, 10]], { body: 'x' });
    expect(two.status).toBe(400);
    expect(two.body).toMatchObject({ success: false, code: 'odoo_bad_request', details: { name: 'builtins.ValueError' } });
    expect(two.body.error).toContain('Expected singleton: res.partner(9, 10)');
    const unknown = await exec('res.partner', 'message_post', [[9]], { body: 'x', colour: 'red' });
    expect(unknown.body).toMatchObject({ code: 'odoo_bad_request' });
    expect(unknown.body.error).toContain('Those values are not supported when posting or notifying: colour');
  });

  it('cancels a confirmed order (19), or answers the cancel wizard and cancels with disable_cancel_warning (18)', async () => {
    const confirmed = await orderIn('sale');
    const r = await exec('sale.order', 'action_cancel', [[confirmed]]);
    expect(r.status, r.text).toBe(200);
    if (version >= 19) {
      expect(r.body.result).toBe(true);
    } else {
      expect(r.body.result).toMatchObject({ type: 'ir.actions.act_window', res_model: 'sale.order.cancel', context: { default_order_id: confirmed } });
      expect(await stateOf(confirmed)).toBe('sale');
      expect((await exec('sale.order', 'action_cancel', [[confirmed]], { context: { disable_cancel_warning: true } })).body.result).toBe(true);
    }
    expect(await stateOf(confirmed)).toBe('cancel');
    expect((await exec('sale.order', 'action_draft', [[confirmed]])).body).toMatchObject({ success: true, result: true });
    expect(await stateOf(confirmed)).toBe('draft');
  });

  it('refuses to cancel a locked order: 422 odoo_user_error', async () => {
    const confirmed = await orderIn('sale');
    await exec('sale.order', 'write', [[confirmed], { locked: true }]);
    const r = await exec('sale.order', 'action_cancel', [[confirmed]]);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ success: false, code: 'odoo_user_error', error: expect.stringContaining('You cannot cancel a locked order') });
    expect(await stateOf(confirmed)).toBe('sale');
  });

  it('reads with web_search_read (positional domain and specification) and web_read', async () => {
    const page = await exec('sale.order', 'web_search_read', [[['state', '=', 'sale']], { name: {}, partner_id: { fields: { display_name: {} } } }], { limit: 2, order: 'id asc' });
    expect(page.status, page.text).toBe(200);
    expect(page.body.result.records).toHaveLength(2);
    expect(page.body.result.length).toBeGreaterThanOrEqual(2);
    expect(page.body.result.records[0]).toEqual({ id: expect.any(Number), name: expect.any(String), partner_id: { id: expect.any(Number), display_name: expect.any(String) } });
    const read = await exec('res.partner', 'web_read', [[19], { name: {}, parent_id: { fields: { display_name: {} } } }]);
    expect(read.body.result).toEqual([{ id: 19, name: 'Douglas Fletcher', parent_id: { id: 9, display_name: 'Acme Corporation' } }]);
  });

  it('answers get_metadata, and check_access with null when allowed (Odoo answers None)', async () => {
    const meta = await exec('res.partner', 'get_metadata', [[1]]);
    expect(meta.body.result).toEqual([expect.objectContaining({ id: 1, xmlid: 'base.main_partner', noupdate: true })]);
    const allowed = await exec('res.partner', 'check_access', [[1], 'write']);
    expect(allowed.status, allowed.text).toBe(200);
    expect(allowed.body).toMatchObject({ success: true, result: null });
    const missing = await exec('res.partner', 'check_access', [[999999]], { operation: 'read' });
    expect(missing.body).toMatchObject({ success: false, code: 'odoo_missing_record' });
  });
});
