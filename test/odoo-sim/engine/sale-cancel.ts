/**
 * sale.order's way back: action_cancel (→ cancel) and action_draft (cancel/sent → draft), as
 * addons/sale/models/sale_order.py has them. A locked order cannot be cancelled. Up to 18,
 * cancelling anything but a quotation in draft does not cancel: Odoo answers the window action
 * of its cancellation wizard (sale.order.cancel, for one order only) unless the context says
 * `disable_cancel_warning`; 18.2 removed that wizard (odoo/odoo#184032), so 19 cancels at once.
 */
import type { OdooMajorVersion } from '../contract.js';
import { userError, valueError } from './errors.js';
import { xmlidTarget } from './model-data.js';
import type { Row } from './model.js';
import type { Orm } from './orm.js';
import { pythonRepr } from './python-literal.js';

export function cancelSaleOrders(orm: Orm, ids: number[], uid: number, context: Record<string, unknown>, version: OdooMajorVersion): unknown {
  const orders = orm.existing('sale.order', ids, uid);
  if (orders.some((order) => order.locked)) throw userError('You cannot cancel a locked order. Please unlock it first.');
  const showWizard = version <= 18 && !context.disable_cancel_warning && orders.some((order) => order.state !== 'draft');
  if (showWizard) {
    if (ids.length !== 1) throw valueError(`Expected singleton: sale.order${pythonRepr(ids, true)}`);
    return cancelWizardAction(orm, orders[0]!);
  }
  // _action_cancel: write's True (draft invoices of the order would be cancelled too; invoices
  // are not linked to orders here).
  return orm.write('sale.order', ids, { state: 'cancel' }, uid, context);
}

/** Back to quotation: only cancelled and sent orders move, others are left as they are; always True. */
export function draftSaleOrders(orm: Orm, ids: number[], uid: number, context: Record<string, unknown>): true {
  const movable = orm.existing('sale.order', ids, uid).filter((order) => order.state === 'cancel' || order.state === 'sent');
  if (movable.length) orm.write('sale.order', movable.map((order) => order.id), { state: 'draft' }, uid, context);
  return true;
}

/** The order's type_name: a quotation until confirmed, and again once cancelled. */
function typeName(order: Row): string {
  return order.state === 'draft' || order.state === 'sent' || order.state === 'cancel' ? 'Quotation' : 'Sales Order';
}

/** The act_window Odoo 17/18 return to open the cancellation wizard, keys in Odoo's order. */
function cancelWizardAction(orm: Orm, order: Row): Record<string, unknown> {
  const view = xmlidTarget(orm, 'sale.sale_order_cancel_view_form');
  // env.ref raises when the view is gone; the template is looked up without raising.
  if (!view) throw valueError('External ID not found in the system: sale.sale_order_cancel_view_form');
  const name = typeName(order);
  return {
    name: `Cancel ${name}`,
    view_mode: 'form',
    res_model: 'sale.order.cancel',
    view_id: view.resId,
    type: 'ir.actions.act_window',
    context: {
      default_template_id: xmlidTarget(orm, 'sale.mail_template_sale_cancellation')?.resId ?? false,
      default_order_id: order.id,
      mark_so_as_canceled: true,
      default_email_layout_xmlid: 'mail.mail_notification_layout_with_responsible_signature',
      model_description: name,
    },
    target: 'new',
  };
}
