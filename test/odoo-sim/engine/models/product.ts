/** product.category, product.template and product.product (one variant per template here). */
import { boolean, char, float, magicFields, many2one, one2many, selection, text } from '../fields.js';
import type { ComputeEnv, ModelDef, Row } from '../model.js';
import { quantityOnHand } from './stock.js';

const productType = selection('type', 'Product Type', [['consu', 'Goods'], ['service', 'Service'], ['combo', 'Combo']], {
  default: () => 'consu',
});

export const productCategory: ModelDef = {
  name: 'product.category',
  description: 'Product Category',
  className: 'ProductCategory',
  order: 'complete_name asc',
  parentField: 'parent_id',
  displayName: (row, env) => {
    const parent = typeof row.parent_id === 'number' ? env.row('product.category', row.parent_id) : undefined;
    const name = String(row.name || '');
    return parent ? `${env.displayName('product.category', parent)} / ${name}` : name;
  },
  fields: [
    ...magicFields(),
    char('name', 'Name', { required: true }),
    char('complete_name', 'Complete Name', { compute: (row, env) => env.displayName('product.category', row) }),
    many2one('parent_id', 'Parent Category', 'product.category'),
    one2many('child_id', 'Child Categories', 'product.category', 'parent_id'),
  ],
};

function variantsOf(template: Row, env: ComputeEnv): number[] {
  return env.referencing('product.product', 'product_tmpl_id', template.id);
}

export const productTemplate: ModelDef = {
  name: 'product.template',
  description: 'Product',
  className: 'ProductTemplate',
  order: 'is_favorite desc, name asc, id asc',
  displayName: (row) => (row.default_code ? `[${row.default_code}] ${row.name}` : String(row.name || '')),
  fields: [
    ...magicFields(),
    char('name', 'Name', { required: true }),
    char('default_code', 'Internal Reference'),
    boolean('active', 'Active', { default: () => true }),
    boolean('is_favorite', 'Favorite', { default: () => false }),
    productType,
    boolean('is_storable', 'Track Inventory', { default: () => false }),
    boolean('sale_ok', 'Can be Sold', { default: () => true }),
    boolean('purchase_ok', 'Can be Purchased', { default: () => true }),
    float('list_price', 'Sales Price', { default: () => 1 }),
    float('standard_price', 'Cost'),
    many2one('categ_id', 'Product Category', 'product.category', { default: () => 1 }),
    many2one('company_id', 'Company', 'res.company'),
    text('description_sale', 'Sales Description'),
    char('barcode', 'Barcode'),
    one2many('product_variant_ids', 'Products', 'product.product', 'product_tmpl_id'),
    float('qty_available', 'Quantity On Hand', {
      compute: (row, env) => variantsOf(row, env).reduce((sum, id) => sum + quantityOnHand(id, env), 0),
    }),
  ],
};

/** Variant fields that simply mirror their template. */
function fromTemplate(field: string) {
  return (row: Row, env: ComputeEnv) => {
    const tmpl = typeof row.product_tmpl_id === 'number' ? env.row('product.template', row.product_tmpl_id) : undefined;
    return tmpl ? (tmpl[field] ?? false) : false;
  };
}

export const productProduct: ModelDef = {
  name: 'product.product',
  description: 'Product Variant',
  className: 'ProductProduct',
  order: 'is_favorite desc, default_code asc, name asc, id asc',
  displayName: (row, env) => {
    const name = String(env.value('product.product', row, 'name') || '');
    const code = env.value('product.product', row, 'default_code');
    return code ? `[${code}] ${name}` : name;
  },
  fields: [
    ...magicFields(),
    many2one('product_tmpl_id', 'Product Template', 'product.template', { required: true, ondelete: 'cascade' }),
    char('name', 'Name', { compute: fromTemplate('name') }),
    char('default_code', 'Internal Reference'),
    char('barcode', 'Barcode'),
    boolean('active', 'Active', { default: () => true }),
    boolean('is_favorite', 'Favorite', { compute: fromTemplate('is_favorite') }),
    { ...productType, compute: fromTemplate('type'), default: undefined },
    boolean('is_storable', 'Track Inventory', { compute: fromTemplate('is_storable') }),
    boolean('sale_ok', 'Can be Sold', { compute: fromTemplate('sale_ok') }),
    float('list_price', 'Sales Price', { compute: fromTemplate('list_price') }),
    float('lst_price', 'Sales Price', { compute: fromTemplate('list_price') }),
    float('standard_price', 'Cost', { compute: fromTemplate('standard_price') }),
    many2one('categ_id', 'Product Category', 'product.category', { compute: fromTemplate('categ_id') }),
    float('qty_available', 'Quantity On Hand', { compute: (row, env) => quantityOnHand(row.id, env) }),
    one2many('stock_quant_ids', 'Stock Quants', 'stock.quant', 'product_id'),
  ],
};
