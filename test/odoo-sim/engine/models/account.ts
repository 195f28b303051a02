/** account.move and account.move.line: invoices with totals, residual and payment state. */
import { char, date, float, magicFields, many2one, monetary, one2many, selection } from '../fields.js';
import type { ComputeEnv, ModelDef, Row } from '../model.js';
import { round2 } from './sale.js';

export function moveLineSubtotal(line: Row): number {
  return round2((Number(line.quantity) || 0) * (Number(line.price_unit) || 0) * (1 - (Number(line.discount) || 0) / 100));
}

export function moveTotal(row: Row, env: ComputeEnv): number {
  let total = 0;
  for (const id of env.referencing('account.move.line', 'move_id', row.id)) total += moveLineSubtotal(env.row('account.move.line', id)!);
  return round2(total);
}

export const accountMove: ModelDef = {
  name: 'account.move',
  description: 'Journal Entry',
  className: 'AccountMove',
  mailThread: true,
  order: 'date desc, name desc, invoice_date desc, id desc',
  displayName: (row) => (row.state === 'draft' && (!row.name || row.name === '/') ? `Draft Invoice (* ${row.id})` : String(row.name || '/')),
  fields: [
    ...magicFields(),
    char('name', 'Number', { readonly: true, default: () => '/' }),
    char('ref', 'Reference'),
    date('date', 'Date', { required: true, default: (ctx) => ctx.now.slice(0, 10) }),
    selection('move_type', 'Type', [
      ['entry', 'Journal Entry'], ['out_invoice', 'Customer Invoice'], ['out_refund', 'Customer Credit Note'],
      ['in_invoice', 'Vendor Bill'], ['in_refund', 'Vendor Credit Note'], ['out_receipt', 'Sales Receipt'], ['in_receipt', 'Purchase Receipt'],
    ], { required: true, readonly: true, default: () => 'entry' }),
    selection('state', 'Status', [['draft', 'Draft'], ['posted', 'Posted'], ['cancel', 'Cancelled']], {
      required: true, readonly: true, default: () => 'draft',
    }),
    many2one('partner_id', 'Partner', 'res.partner'),
    many2one('commercial_partner_id', 'Commercial Entity', 'res.partner', {
      compute: (row, env) => {
        const p = typeof row.partner_id === 'number' ? env.row('res.partner', row.partner_id) : undefined;
        return p ? env.value('res.partner', p, 'commercial_partner_id') : false;
      },
    }),
    date('invoice_date', 'Invoice/Bill Date'),
    date('invoice_date_due', 'Due Date'),
    char('invoice_origin', 'Origin'),
    one2many('invoice_line_ids', 'Invoice lines', 'account.move.line', 'move_id'),
    one2many('line_ids', 'Journal Items', 'account.move.line', 'move_id'),
    monetary('amount_untaxed', 'Untaxed Amount', { readonly: true, compute: moveTotal }),
    monetary('amount_tax', 'Tax', { readonly: true, compute: () => 0 }),
    monetary('amount_total', 'Total', { readonly: true, compute: moveTotal }),
    // Stored: payments are not simulated, so the residual is set by seed data and action_post.
    monetary('amount_residual', 'Amount Due', { readonly: true }),
    selection('payment_state', 'Payment Status', [
      ['not_paid', 'Not Paid'], ['in_payment', 'In Payment'], ['paid', 'Paid'], ['partial', 'Partially Paid'],
      ['reversed', 'Reversed'], ['blocked', 'Blocked'], ['invoicing_legacy', 'Invoicing App Legacy'],
    ], { readonly: true, default: () => 'not_paid' }),
    many2one('currency_id', 'Currency', 'res.currency', { required: true, default: () => 1 }),
    many2one('company_id', 'Company', 'res.company', { default: () => 1 }),
    many2one('invoice_user_id', 'Salesperson', 'res.users', { default: (ctx) => ctx.uid }),
  ],
};

export const accountMoveLine: ModelDef = {
  name: 'account.move.line',
  description: 'Journal Item',
  className: 'AccountMoveLine',
  order: 'date desc, move_name desc, id asc',
  fields: [
    ...magicFields(),
    many2one('move_id', 'Journal Entry', 'account.move', { required: true, ondelete: 'cascade' }),
    char('move_name', 'Number', {
      compute: (row, env) => {
        const m = typeof row.move_id === 'number' ? env.row('account.move', row.move_id) : undefined;
        return m ? m.name : false;
      },
    }),
    date('date', 'Date', {
      compute: (row, env) => {
        const m = typeof row.move_id === 'number' ? env.row('account.move', row.move_id) : undefined;
        return m ? m.date : false;
      },
    }),
    char('name', 'Label'),
    many2one('product_id', 'Product', 'product.product'),
    float('quantity', 'Quantity', { default: () => 1 }),
    float('price_unit', 'Unit Price'),
    float('discount', 'Discount (%)'),
    monetary('price_subtotal', 'Subtotal', { readonly: true, compute: (row) => moveLineSubtotal(row) }),
    monetary('price_total', 'Total', { readonly: true, compute: (row) => moveLineSubtotal(row) }),
    many2one('partner_id', 'Partner', 'res.partner', {
      compute: (row, env) => {
        const m = typeof row.move_id === 'number' ? env.row('account.move', row.move_id) : undefined;
        return m ? m.partner_id : false;
      },
    }),
    many2one('currency_id', 'Currency', 'res.currency', { compute: () => 1 }),
  ],
};
