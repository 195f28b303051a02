import { describe, expect, it } from 'vitest';
import type { OdooMajorVersion } from '../contract.js';
import { createSimEngine } from '../engine.js';
import { raised } from './testing.js';

const ADMIN = 2;
const READER = 7;

function setup(version: OdooMajorVersion) {
  const engine = createSimEngine({ version });
  const call = (method: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}, uid = ADMIN): any =>
    engine.execute(uid, 'sale.order', method, args, kwargs);
  const state = (id: number) => call('read', [[id]], { fields: ['state'] })[0].state;
  const order = (lineState: string) => call('search', [[['state', '=', lineState]]], { limit: 1, order: 'id asc' })[0] as number;
  return { engine, call, state, order };
}

describe('sale.order.action_cancel', () => {
  it.each([17, 18, 19] as const)('Odoo %i: cancels a quotation in draft and answers True', (version) => {
    const { call, state, order } = setup(version);
    const draft = order('draft');
    expect(call('action_cancel', [[draft]])).toBe(true);
    expect(state(draft)).toBe('cancel');
  });

  it('Odoo 19 cancels a confirmed order at once (the cancel wizard went in 18.2)', () => {
    const { call, state, order, engine } = setup(19);
    const confirmed = order('sale');
    expect(call('action_cancel', [[confirmed]])).toBe(true);
    expect(state(confirmed)).toBe('cancel');
    const sent = order('sent');
    expect(engine.executeNamed(ADMIN, 'sale.order', 'action_cancel', { ids: [sent] })).toBe(true);
    expect(state(sent)).toBe('cancel');
  });

  it.each([17, 18] as const)('Odoo %i answers the cancel wizard for a confirmed order, and cancels only with disable_cancel_warning', (version) => {
    const { call, state, order } = setup(version);
    const confirmed = order('sale');
    expect(call('action_cancel', [[confirmed]])).toEqual({
      name: 'Cancel Sales Order',
      view_mode: 'form',
      res_model: 'sale.order.cancel',
      view_id: expect.any(Number),
      type: 'ir.actions.act_window',
      context: {
        default_template_id: expect.any(Number),
        default_order_id: confirmed,
        mark_so_as_canceled: true,
        default_email_layout_xmlid: 'mail.mail_notification_layout_with_responsible_signature',
        model_description: 'Sales Order',
      },
      target: 'new',
    });
    expect(state(confirmed)).toBe('sale');
    // A sent quotation still reads as a quotation.
    expect(call('action_cancel', [[order('sent')]]).name).toBe('Cancel Quotation');
    // The wizard is for one order: several non-draft ones fail ensure_one.
    const [a, b] = call('search', [[['state', '=', 'sale']]], { limit: 2, order: 'id asc' });
    expect(raised(() => call('action_cancel', [[a, b]]))).toEqual(['builtins.ValueError', `Expected singleton: sale.order(${a}, ${b})`]);
    expect(call('action_cancel', [[a, b]], { context: { disable_cancel_warning: true } })).toBe(true);
    expect([state(a), state(b)]).toEqual(['cancel', 'cancel']);
  });

  it.each([17, 18, 19] as const)('Odoo %i refuses a locked order, missing orders and other models', (version) => {
    const { call, state, order } = setup(version);
    const confirmed = order('sale');
    call('write', [[confirmed], { locked: true }]);
    expect(raised(() => call('action_cancel', [[confirmed]]))).toEqual(['odoo.exceptions.UserError', 'You cannot cancel a locked order. Please unlock it first.']);
    expect(state(confirmed)).toBe('sale');
    expect(raised(() => call('action_cancel', [[999999]]))).toEqual(['odoo.exceptions.MissingError', 'Record does not exist or has been deleted.\n(Record: sale.order(999999,), User: 2)']);
    expect(raised(() => call('action_cancel', [[order('draft')]], {}, READER))[0]).toBe('odoo.exceptions.AccessError');
    expect(raised(() => setup(version).engine.execute(ADMIN, 'account.move', 'action_cancel', [[1]], {}))).toEqual([
      'builtins.AttributeError', "The method 'account.move.action_cancel' does not exist",
    ]);
  });
});

describe('sale.order.action_draft', () => {
  it.each([17, 18, 19] as const)('Odoo %i: cancelled and sent orders go back to quotation, others stay; always True', (version) => {
    const { call, state, order } = setup(version);
    const cancelled = order('cancel');
    const sent = order('sent');
    const confirmed = order('sale');
    expect(call('action_draft', [[cancelled, sent, confirmed]])).toBe(true);
    expect([state(cancelled), state(sent), state(confirmed)]).toEqual(['draft', 'draft', 'sale']);
    expect(call('action_draft', [[confirmed]])).toBe(true);
    expect(raised(() => call('action_draft', [[999999]]))[0]).toBe('odoo.exceptions.MissingError');
  });

  it('round-trips a quotation through cancel and back', () => {
    const { call, state, order } = setup(19);
    const draft = order('draft');
    call('action_cancel', [[draft]]);
    call('action_draft', [[draft]]);
    expect(state(draft)).toBe('draft');
    expect(call('action_confirm', [[draft]])).toBe(true);
  });
});
