import { beforeEach, describe, expect, it } from 'vitest';
import { createSimEngine, type SimEngineWithInternals } from '../engine.js';
import { raised } from './testing.js';

type R = Record<string, any>;
const ADMIN = 2;
const DEMO = 6;
const READER = 7;

let engine: SimEngineWithInternals;
const clock = new Date('2026-11-24T13:27:11.123Z');
const call = (model: string, method: string, args: unknown[] = [], kwargs: R = {}, uid = ADMIN): any => engine.execute(uid, model, method, args, kwargs);
const messagesOf = (model: string, resId: number): R[] =>
  call('mail.message', 'search_read', [[['model', '=', model], ['res_id', '=', resId]]], {
    fields: ['body', 'subject', 'message_type', 'subtype_id', 'author_id', 'email_from', 'partner_ids', 'record_name', 'date', 'parent_id'],
    order: 'id asc',
  });

beforeEach(() => {
  engine = createSimEngine({ version: 19, now: () => clock });
});

describe('message_post', () => {
  it('posts on each chatter model and stores a mail.message read back with search_read', () => {
    for (const [model, id] of [['res.partner', 9], ['sale.order', 1], ['crm.lead', 1], ['account.move', 1]] as const) {
      const [messageId] = call(model, 'message_post', [[id]], { body: 'Called the customer', subject: 'Follow-up' });
      const [message] = messagesOf(model, id);
      expect(message).toEqual({
        id: messageId,
        body: '<p>Called the customer</p>',
        subject: 'Follow-up',
        // Odoo's defaults: a notification, with the Note subtype.
        message_type: 'notification',
        subtype_id: [2, 'Note'],
        author_id: [3, 'Mitchell Admin'],
        email_from: '"Mitchell Admin" <admin@yourcompany.example.com>',
        partner_ids: [],
        record_name: call(model, 'read', [[id]], { fields: ['display_name'] })[0].display_name,
        date: '2026-11-24 13:27:11',
        parent_id: false,
      });
    }
  });

  it('answers the message id up to 18 and a list of ids on 19, over execute_kw and JSON-2', () => {
    for (const version of [17, 18] as const) {
      const e = createSimEngine({ version });
      expect(e.execute(ADMIN, 'res.partner', 'message_post', [[9]], { body: 'x' })).toEqual(expect.any(Number));
    }
    const id = call('res.partner', 'message_post', [[9]], { body: 'x' });
    expect(id).toEqual([expect.any(Number)]);
    expect(engine.executeNamed(ADMIN, 'res.partner', 'message_post', { ids: [9], body: 'y' })).toEqual([id[0] + 1]);
  });

  it('files comments and notes under the subtype named by subtype_xmlid, and notes when it names none', () => {
    call('sale.order', 'message_post', [[2]], { body: 'To the customer', message_type: 'comment', subtype_xmlid: 'mail.mt_comment', partner_ids: [15] });
    call('sale.order', 'message_post', [[2]], { body: 'Internal', message_type: 'comment', subtype_xmlid: 'mail.mt_note' });
    // _xmlid_to_res_id answers False for an unknown xmlid (or one without a dot): the Note default applies.
    call('sale.order', 'message_post', [[2]], { body: 'Unknown', subtype_xmlid: 'mail.no_such_subtype' });
    call('sale.order', 'message_post', [[2]], { body: 'By id', subtype_id: 1 });
    expect(messagesOf('sale.order', 2).map((m) => [m.message_type, m.subtype_id[1], m.partner_ids])).toEqual([
      ['comment', 'Discussions', [15]],
      ['comment', 'Note', []],
      ['notification', 'Note', []],
      ['notification', 'Discussions', []],
    ]);
  });

  it('escapes a text body unless body_is_html, and threads later messages under the first', () => {
    const [first] = call('res.partner', 'message_post', [[10]], { body: 'Price < 5 & "cheap"' });
    call('res.partner', 'message_post', [[10]], { body: '<b>Bold</b>', body_is_html: true });
    call('res.partner', 'message_post', [[10]], { body: '<b>Bold</b>' });
    const [a, b, c] = messagesOf('res.partner', 10);
    expect(a.body).toBe('<p>Price &lt; 5 &amp; "cheap"</p>');
    expect(b.body).toBe('<b>Bold</b>');
    expect(c.body).toBe('<p>&lt;b&gt;Bold&lt;/b&gt;</p>');
    expect([b.parent_id[0], c.parent_id[0]]).toEqual([first, first]);
    expect(messagesOf('res.partner', 10)).toHaveLength(3);
  });

  it('takes the author from the user, author_id or email_from', () => {
    call('crm.lead', 'message_post', [[2]], { body: 'demo' }, DEMO);
    call('crm.lead', 'message_post', [[2]], { body: 'as Acme', author_id: 9 });
    call('crm.lead', 'message_post', [[2]], { body: 'by mail', email_from: 'Someone <Douglas.Fletcher51@example.com>' });
    expect(messagesOf('crm.lead', 2).map((m) => [m.author_id, m.email_from])).toEqual([
      [[7, 'My Company (San Francisco), Marc Demo'], '"Marc Demo" <mark.brown23@example.com>'],
      [[9, 'Acme Corporation'], '"Acme Corporation" <acme_corp@yourcompany.example.com>'],
      [[19, 'Acme Corporation, Douglas Fletcher'], 'Someone <Douglas.Fletcher51@example.com>'],
    ]);
    const noEmail = call('res.partner', 'create', [{ name: 'No Mail' }]);
    expect(raised(() => call('crm.lead', 'message_post', [[2]], { body: 'x', author_id: noEmail }))).toEqual([
      'odoo.exceptions.UserError', "Unable to send message, please configure the sender's email address.",
    ]);
  });

  it('refuses what Odoo refuses', () => {
    const cases: [() => unknown, string, string][] = [
      [() => call('res.partner', 'message_post', [[9, 10]], { body: 'x' }), 'builtins.ValueError', 'Expected singleton: res.partner(9, 10)'],
      [() => call('res.partner', 'message_post', [[]], { body: 'x' }), 'builtins.ValueError', 'Expected singleton: res.partner()'],
      [() => call('res.partner', 'message_post', [[999999]], { body: 'x' }), 'odoo.exceptions.MissingError', 'Record does not exist or has been deleted.\n(Record: res.partner(999999,), User: 2)'],
      [() => call('res.partner', 'message_post', [[9], 'positional body']), 'builtins.TypeError', 'MailThread.message_post() takes 1 positional argument but 2 were given'],
      [() => call('res.country', 'message_post', [[21]], { body: 'x' }), 'builtins.AttributeError', "The method 'res.country.message_post' does not exist"],
      [() => call('res.partner', 'message_post', [[9]], { body: 'x', model: 'sale.order' }), 'builtins.ValueError', 'Those values are not supported when posting or notifying: model'],
      [() => call('res.partner', 'message_post', [[9]], { body: 'x', colour: 'red', an_option: 1 }), 'builtins.ValueError', 'Those values are not supported when posting or notifying: an_option, colour'],
      [() => call('res.partner', 'message_post', [[9]], { body: 'x', message_type: 'user_notification' }), 'builtins.ValueError', 'Use message_notify to send a notification to an user.'],
      [() => call('res.partner', 'message_post', [[9]], { body: 'x', message_type: 'sms' }), 'builtins.ValueError', "Wrong value for mail.message.message_type: 'sms'"],
      [() => call('res.partner', 'message_post', [[9]], { body: 'x', partner_ids: '3' }), 'builtins.ValueError', "Posting a message should receive partners as a list of IDs (received '3')"],
      [() => call('res.partner', 'message_post', [[9]], { body: 'x', partner_ids: [[6, 0, [3]]] }), 'builtins.ValueError', 'Posting a message should receive partners as a list of IDs (received [[6, 0, [3]]])'],
      [() => call('res.partner', 'message_post', [[9]], { body: 'x', attachment_ids: ['a'] }), 'builtins.ValueError', "Posting a message should receive attachments records as a list of IDs (received ['a'])"],
      [() => call('res.partner', 'message_post', [[9]], { body: 'x', partner_ids: [999999] }), 'odoo.exceptions.ValidationError',
        'The operation cannot be completed: another model requires the record being deleted. If possible, archive it instead.\n\nModel: Base (base)\nConstraint: mail_message_res_partner_rel_res_partner_id_fkey'],
      [() => call('res.partner', 'message_post', [[9]], { body: 'x' }, READER), 'odoo.exceptions.AccessError',
        "You are not allowed to modify 'Contact' (res.partner) records.\n\nThis operation is allowed for the following groups:\n\t- Role / User\n\nContact your administrator to request access if necessary."],
    ];
    for (const [fn, name, message] of cases) expect(raised(fn)).toEqual([name, message]);
    // A refused post leaves nothing behind.
    expect(messagesOf('res.partner', 9)).toEqual([]);
  });

  it('takes outgoing_email_to from 19 on; 17 and 18 refuse it like any unknown value', () => {
    expect(call('res.partner', 'message_post', [[9]], { body: 'x', outgoing_email_to: 'a@example.com' })).toEqual([expect.any(Number)]);
    const e18 = createSimEngine({ version: 18 });
    expect(raised(() => e18.execute(ADMIN, 'res.partner', 'message_post', [[9]], { body: 'x', outgoing_email_to: 'a@example.com' }))).toEqual([
      'builtins.ValueError', 'Those values are not supported when posting or notifying: outgoing_email_to',
    ]);
  });

  it('deletes the messages with their record, as mail.thread.unlink does', () => {
    const partner = call('res.partner', 'create', [{ name: 'Short-lived', email: 'x@example.com' }]);
    call('res.partner', 'message_post', [[partner]], { body: 'x' });
    expect(messagesOf('res.partner', partner)).toHaveLength(1);
    call('res.partner', 'unlink', [[partner]]);
    expect(messagesOf('res.partner', partner)).toEqual([]);
  });
});
