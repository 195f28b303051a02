/** stock.warehouse, stock.location, stock.quant; qty_available is derived from internal quants. */
import { char, float, magicFields, many2one, selection, boolean } from '../fields.js';
import type { ComputeEnv, ModelDef } from '../model.js';

/** Quantity of a product.product in internal locations, like Odoo's qty_available without context. */
export function quantityOnHand(productId: number, env: ComputeEnv): number {
  let total = 0;
  for (const quantId of env.referencing('stock.quant', 'product_id', productId)) {
    const quant = env.row('stock.quant', quantId)!;
    const location = typeof quant.location_id === 'number' ? env.row('stock.location', quant.location_id) : undefined;
    if (location?.usage === 'internal') total += Number(quant.quantity) || 0;
  }
  return total;
}

export const stockWarehouse: ModelDef = {
  name: 'stock.warehouse',
  description: 'Warehouse',
  className: 'StockWarehouse',
  order: 'sequence asc, id asc',
  fields: [
    ...magicFields(),
    char('name', 'Warehouse', { required: true }),
    char('code', 'Short Name', { required: true }),
    boolean('active', 'Active', { default: () => true }),
    many2one('company_id', 'Company', 'res.company', { required: true, default: () => 1 }),
    many2one('partner_id', 'Address', 'res.partner'),
    many2one('lot_stock_id', 'Location Stock', 'stock.location'),
    float('sequence', 'Sequence', { default: () => 10 }),
  ],
};

export const stockLocation: ModelDef = {
  name: 'stock.location',
  description: 'Inventory Locations',
  className: 'StockLocation',
  order: 'complete_name asc, id asc',
  parentField: 'location_id',
  displayName: (row, env) => {
    const parent = typeof row.location_id === 'number' ? env.row('stock.location', row.location_id) : undefined;
    // View locations (WH, Partners) show their bare name; the others are prefixed by their parent.
    return parent && row.usage !== 'view' ? `${env.displayName('stock.location', parent)}/${row.name}` : String(row.name);
  },
  fields: [
    ...magicFields(),
    char('name', 'Location Name', { required: true }),
    char('complete_name', 'Full Location Name', { compute: (row, env) => env.displayName('stock.location', row) }),
    boolean('active', 'Active', { default: () => true }),
    selection('usage', 'Location Type', [
      ['supplier', 'Vendor'], ['view', 'Virtual'], ['internal', 'Internal'], ['customer', 'Customer'],
      ['inventory', 'Inventory Loss'], ['production', 'Production'], ['transit', 'Transit'],
    ], { required: true, default: () => 'internal' }),
    many2one('location_id', 'Parent Location', 'stock.location'),
    many2one('warehouse_id', 'Warehouse', 'stock.warehouse'),
    many2one('company_id', 'Company', 'res.company'),
  ],
};

export const stockQuant: ModelDef = {
  name: 'stock.quant',
  description: 'Quants',
  className: 'StockQuant',
  order: 'id asc',
  displayName: (row, env) => {
    const loc = typeof row.location_id === 'number' ? env.row('stock.location', row.location_id) : undefined;
    return loc ? env.displayName('stock.location', loc) : '';
  },
  fields: [
    ...magicFields(),
    many2one('product_id', 'Product', 'product.product', { required: true }),
    many2one('location_id', 'Location', 'stock.location', { required: true }),
    float('quantity', 'Quantity', { readonly: true }),
    float('reserved_quantity', 'Reserved Quantity', { readonly: true }),
    many2one('company_id', 'Company', 'res.company', { default: () => 1 }),
  ],
};
