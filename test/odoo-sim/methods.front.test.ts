/**
 * The chatter, sale cancel/draft, web reads, get_metadata and check_access over real HTTP, on
 * each version and protocol: what each wire format makes of the same engine answers (an id or a
 * list of ids, a dict, None) and of their errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json2, service, xmlRpc } from './http/test-client.js';
import { startOdooSim, type OdooSim } from './server.js';

const DB = 'odoo_demo';
const API_KEY = 'methods-front-key-5e21';

describe.each([17, 18, 19] as const)('Odoo %i', (version) => {
  let sim: OdooSim;
  beforeAll(async () => {
    sim = await startOdooSim({ version, apiKey: API_KEY, automationNoise: 'none' });
  });
  afterAll(() => sim.close());

  const kw = async (model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}) =>
    service(sim.url, 'object', 'execute_kw', [DB, 2, 'admin', model, method, args, kwargs]);
  const xml = (model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}) =>
    xmlRpc(sim.url, '/xmlrpc/2/object', 'execute_kw', [DB, 2, 'admin', model, method, args, kwargs]);
  const firstOrder = async (state: string) =>
    ((await kw('sale.order', 'search', [[['state', '=', state]]], { limit: 1, order: 'id asc' })).result as number[])[0];

  describe('JSON-RPC and XML-RPC', () => {
    it('message_post answers the message id up to 18 and [id] on 19, and the message reads back', async () => {
      const r = await kw('sale.order', 'message_post', [[1]], { body: 'Over JSON-RPC', message_type: 'comment', subtype_xmlid: 'mail.mt_comment' });
      const x = await xml('sale.order', 'message_post', [[1]], { body: 'Over XML-RPC' });
      const [jsonId, xmlId] = version >= 19 ? [(r.result as number[])[0], (x as { value: number[] }).value[0]] : [r.result, (x as { value: number }).value];
      expect(version >= 19 ? r.result : [r.result]).toEqual([expect.any(Number)]);
      expect(xmlId).toBe((jsonId as number) + 1);
      const messages = await kw('mail.message', 'search_read', [[['model', '=', 'sale.order'], ['res_id', '=', 1]]], { fields: ['body', 'message_type', 'subtype_id'], order: 'id asc' });
      expect(messages.result).toEqual([
        { id: jsonId, body: '<p>Over JSON-RPC</p>', message_type: 'comment', subtype_id: [1, 'Discussions'] },
        { id: xmlId, body: '<p>Over XML-RPC</p>', message_type: 'notification', subtype_id: [2, 'Note'] },
      ]);
    });

    it('message_post on two records fails ensure_one, with the protocol\'s error shape', async () => {
      const r = await kw('res.partner', 'message_post', [[9, 10]], { body: 'x' });
      expect(r.error?.data).toMatchObject({ name: 'builtins.ValueError', message: 'Expected singleton: res.partner(9, 10)' });
      const x = await xml('res.partner', 'message_post', [[9, 10]], { body: 'x' });
      expect(x).toMatchObject({ fault: true, faultCode: 1 });
      expect((x as { faultString: string }).faultString).toMatch(/ValueError: Expected singleton: res\.partner\(9, 10\)\n$/);
    });

    it('action_cancel: True for a draft; for a confirmed order the wizard action up to 18, True on 19', async () => {
      expect((await kw('sale.order', 'action_cancel', [[await firstOrder('draft')]])).result).toBe(true);
      const confirmed = await firstOrder('sale');
      const r = await kw('sale.order', 'action_cancel', [[confirmed]]);
      if (version >= 19) {
        expect(r.result).toBe(true);
      } else {
        expect(r.result).toMatchObject({ type: 'ir.actions.act_window', res_model: 'sale.order.cancel', target: 'new', context: { default_order_id: confirmed } });
        // XML-RPC marshals the action as a struct.
        expect(await xml('sale.order', 'action_cancel', [[confirmed]])).toMatchObject({ fault: false, value: { res_model: 'sale.order.cancel' } });
        expect((await kw('sale.order', 'action_cancel', [[confirmed]], { context: { disable_cancel_warning: true } })).result).toBe(true);
      }
      expect((await kw('sale.order', 'read', [[confirmed]], { fields: ['state'] })).result).toEqual([{ id: confirmed, state: 'cancel' }]);
      expect((await kw('sale.order', 'action_draft', [[confirmed]])).result).toBe(true);
      expect((await kw('sale.order', 'read', [[confirmed]], { fields: ['state'] })).result).toEqual([{ id: confirmed, state: 'draft' }]);
    });

    it('a locked order is a UserError (XML-RPC fault code 2)', async () => {
      const confirmed = await firstOrder('sale');
      await kw('sale.order', 'write', [[confirmed], { locked: true }]);
      const r = await kw('sale.order', 'action_cancel', [[confirmed]]);
      expect(r.error?.data).toMatchObject({ name: 'odoo.exceptions.UserError', message: 'You cannot cancel a locked order. Please unlock it first.' });
      expect(await xml('sale.order', 'action_cancel', [[confirmed]])).toMatchObject({ fault: true, faultCode: 2, faultString: 'You cannot cancel a locked order. Please unlock it first.' });
      await kw('sale.order', 'write', [[confirmed], { locked: false }]);
    });

    it('web_search_read and web_read with a many2one display_name', async () => {
      const page = await kw('res.partner', 'web_search_read', [[['id', '=', 19]], { name: {}, parent_id: { fields: { display_name: {} } } }]);
      expect(page.result).toEqual({ length: 1, records: [{ id: 19, name: 'Douglas Fletcher', parent_id: { id: 9, display_name: 'Acme Corporation' } }] });
      const x = await xml('res.partner', 'web_read', [[19]], { specification: { parent_id: {} } });
      expect(x).toMatchObject({ fault: false, value: [{ id: 19, parent_id: 9 }] });
    });

    it('get_metadata, and check_access (18+) whose None JSON-RPC leaves out and XML-RPC cannot marshal', async () => {
      const meta = await xml('res.partner', 'get_metadata', [[1]]);
      expect(meta).toMatchObject({ fault: false, value: [{ id: 1, xmlid: 'base.main_partner', noupdate: true, xmlids: [{ xmlid: 'base.main_partner', noupdate: true }] }] });
      const r = await kw('res.partner', 'check_access', [[1]], { operation: 'write' });
      if (version === 17) {
        expect(r.error?.data).toMatchObject({ name: 'builtins.AttributeError', message: "The method 'res.partner.check_access' does not exist" });
        return;
      }
      expect(r).toEqual({ jsonrpc: '2.0', id: 7 });
      const x = await xml('res.partner', 'check_access', [[1], 'write']);
      expect(x).toMatchObject({ fault: true, faultCode: 1 });
      expect((x as { faultString: string }).faultString).toContain('cannot marshal None unless allow_none is enabled');
      const denied = await service(sim.url, 'object', 'execute_kw', [DB, 7, 'reader', 'res.partner', 'check_access', [[1], 'write']]);
      expect(denied.error?.data.name).toBe('odoo.exceptions.AccessError');
    });
  });

  // JSON-2 exists from 19 on.
  if (version >= 19) describe('JSON-2', () => {
    const auth = { authorization: `bearer ${API_KEY}` };

    it('message_post answers [id]; a bad call answers the exception with its status', async () => {
      const r = await json2(sim.url, 'crm.lead', 'message_post', { ids: [1], body: 'Over JSON-2', partner_ids: [15] }, auth);
      expect(r.status).toBe(200);
      expect(r.json).toEqual([expect.any(Number)]);
      const read = await json2(sim.url, 'mail.message', 'read', { ids: r.json, fields: ['model', 'res_id', 'partner_ids'] }, auth);
      expect(read.json).toEqual([{ id: r.json[0], model: 'crm.lead', res_id: 1, partner_ids: [15] }]);
      const two = await json2(sim.url, 'crm.lead', 'message_post', { ids: [1, 2], body: 'x' }, auth);
      expect([two.status, two.json.name, two.json.message]).toEqual([500, 'builtins.ValueError', 'Expected singleton: crm.lead(1, 2)']);
      const missing = await json2(sim.url, 'crm.lead', 'message_post', { ids: [999999], body: 'x' }, auth);
      expect([missing.status, missing.json.name]).toEqual([404, 'odoo.exceptions.MissingError']);
    });

    it('action_cancel and action_draft answer true; a locked order is 422', async () => {
      const confirmed = await firstOrder('sale');
      expect((await json2(sim.url, 'sale.order', 'action_cancel', { ids: [confirmed] }, auth)).json).toBe(true);
      expect((await json2(sim.url, 'sale.order', 'action_draft', { ids: [confirmed] }, auth)).json).toBe(true);
      await json2(sim.url, 'sale.order', 'write', { ids: [confirmed], vals: { locked: true } }, auth);
      const locked = await json2(sim.url, 'sale.order', 'action_cancel', { ids: [confirmed] }, auth);
      expect([locked.status, locked.json.name]).toEqual([422, 'odoo.exceptions.UserError']);
    });

    it('web_search_read, web_read, get_metadata, and check_access answering null', async () => {
      const page = await json2(sim.url, 'sale.order', 'web_search_read', { domain: [['state', '=', 'sale']], specification: { name: {}, partner_id: { fields: { display_name: {} } } }, limit: 2 }, auth);
      expect(page.status).toBe(200);
      expect(page.json.records).toHaveLength(2);
      expect(page.json.length).toBeGreaterThan(2);
      expect(page.json.records[0].partner_id).toEqual({ id: expect.any(Number), display_name: expect.any(String) });
      expect((await json2(sim.url, 'res.partner', 'web_read', { ids: [3], specification: { name: {} } }, auth)).json).toEqual([{ id: 3, name: 'Mitchell Admin' }]);
      expect((await json2(sim.url, 'res.users', 'get_metadata', { ids: [2] }, auth)).json).toMatchObject([{ id: 2, xmlid: 'base.user_admin' }]);
      const allowed = await json2(sim.url, 'res.partner', 'check_access', { ids: [1], operation: 'write' }, auth);
      expect([allowed.status, allowed.text]).toEqual([200, 'null']);
      const denied = await json2(sim.url, 'res.partner', 'check_access', { ids: [1], operation: 'write' }, { authorization: 'bearer reader-api-key' });
      expect([denied.status, denied.json.name]).toEqual([403, 'odoo.exceptions.AccessError']);
    });
  });
});
