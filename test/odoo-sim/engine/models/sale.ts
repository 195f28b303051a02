/** sale.order and sale.order.line; amounts are computed from lines (no taxes in this simulator). */
import { boolean, char, date, datetime, float, magicFields, many2one, monetary, one2many, selection, text, integer } from '../fields.js';
import type { ComputeEnv, ModelDef, Row } from '../model.js';

export function lineSubtotal(line: Row): number {
  const qty = Number(line.product_uom_qty) || 0;
  const price = Number(line.price_unit) || 0;
  const discount = Number(line.discount) || 0;
  return round2(qty * price * (1 - discount / 100));
}

export function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function orderAmount(row: Row, env: ComputeEnv): number {
  let total = 0;
  for (const id of env.referencing('sale.order.line', 'order_id', row.id)) total += lineSubtotal(env.row('sale.order.line', id)!);
  return round2(total);
}

export const saleOrder: ModelDef = {
  name: 'sale.order',
  description: 'Sales Order',
  className: 'SaleOrder',
  mailThread: true,
  order: 'date_order desc, id desc',
  fields: [
    ...magicFields(),
    char('name', 'Order Reference', {
      required: true,
      default: (ctx) => `S${String(ctx.nextSequence('sale.order')).padStart(5, '0')}`,
    }),
    many2one('partner_id', 'Customer', 'res.partner', { required: true }),
    many2one('partner_invoice_id', 'Invoice Address', 'res.partner'),
    many2one('partner_shipping_id', 'Delivery Address', 'res.partner'),
    selection('state', 'Status', [
      ['draft', 'Quotation'], ['sent', 'Quotation Sent'], ['sale', 'Sales Order'], ['cancel', 'Cancelled'],
    ], { readonly: true, default: () => 'draft' }),
    datetime('date_order', 'Order Date', { required: true, default: (ctx) => ctx.now }),
    date('validity_date', 'Expiration'),
    one2many('order_line', 'Order Lines', 'sale.order.line', 'order_id'),
    monetary('amount_untaxed', 'Untaxed Amount', { readonly: true, compute: orderAmount }),
    monetary('amount_tax', 'Taxes', { readonly: true, compute: () => 0 }),
    monetary('amount_total', 'Total', { readonly: true, compute: orderAmount }),
    many2one('currency_id', 'Currency', 'res.currency', { default: () => 1 }),
    many2one('company_id', 'Company', 'res.company', { required: true, default: () => 1 }),
    many2one('user_id', 'Salesperson', 'res.users', { default: (ctx) => ctx.uid }),
    char('client_order_ref', 'Customer Reference'),
    text('note', 'Terms and conditions'),
    // Odoo 17+ locks confirmed orders when "Lock Confirmed Sales" is on (off by default); a locked
    // order cannot be cancelled.
    boolean('locked', 'Locked', { default: () => false, help: 'Locked orders cannot be modified.' }),
    selection('invoice_status', 'Invoice Status', [
      ['upselling', 'Upselling Opportunity'], ['invoiced', 'Fully Invoiced'], ['to invoice', 'To Invoice'], ['no', 'Nothing to Invoice'],
    ], { readonly: true, default: () => 'no' }),
  ],
};

/** `read` of the line's product, or undefined when it has none. */
function withProduct(row: Row, env: ComputeEnv, read: (product: Row) => unknown): unknown {
  const product = typeof row.product_id === 'number' ? env.row('product.product', row.product_id) : undefined;
  return product ? read(product) : undefined;
}

export const saleOrderLine: ModelDef = {
  name: 'sale.order.line',
  description: 'Sales Order Line',
  className: 'SaleOrderLine',
  order: 'order_id asc, sequence asc, id asc',
  displayName: (row, env) => {
    const order = typeof row.order_id === 'number' ? env.row('sale.order', row.order_id) : undefined;
    return `${order ? order.name : ''} - ${row.name || ''}`;
  },
  fields: [
    ...magicFields(),
    many2one('order_id', 'Order Reference', 'sale.order', { required: true, ondelete: 'cascade' }),
    integer('sequence', 'Sequence', { default: () => 10 }),
    // Odoo fills both from the product when a line is created without them.
    text('name', 'Description', { required: true, fromRecord: (row, env) => withProduct(row, env, (p) => env.displayName('product.product', p)) }),
    many2one('product_id', 'Product', 'product.product'),
    float('product_uom_qty', 'Quantity', { default: () => 1 }),
    float('price_unit', 'Unit Price', { fromRecord: (row, env) => withProduct(row, env, (p) => env.value('product.product', p, 'lst_price')) }),
    float('discount', 'Discount (%)'),
    monetary('price_subtotal', 'Subtotal', { readonly: true, compute: (row) => lineSubtotal(row) }),
    monetary('price_total', 'Total', { readonly: true, compute: (row) => lineSubtotal(row) }),
    many2one('order_partner_id', 'Customer', 'res.partner', {
      compute: (row, env) => {
        const order = typeof row.order_id === 'number' ? env.row('sale.order', row.order_id) : undefined;
        return order ? order.partner_id : false;
      },
    }),
    selection('state', 'Order Status', saleOrder.fields.find((f) => f.name === 'state')!.selection!, {
      compute: (row, env) => {
        const order = typeof row.order_id === 'number' ? env.row('sale.order', row.order_id) : undefined;
        return order ? order.state : false;
      },
    }),
    many2one('currency_id', 'Currency', 'res.currency', { compute: () => 1 }),
  ],
};
