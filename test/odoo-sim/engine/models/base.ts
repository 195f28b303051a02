/** res.partner, res.users, res.company, res.currency, res.country: the base module's models. */
import { boolean, char, integer, magicFields, many2many, many2one, one2many, selection, text } from '../fields.js';
import type { ComputeEnv, ModelDef, Row } from '../model.js';

const companyDefault = () => 1;

/** The partner at the top of the parent chain that is a company (Odoo's commercial entity). */
export function commercialPartner(row: Row, env: ComputeEnv): Row {
  let current = row;
  const seen = new Set<number>();
  while (!current.is_company && typeof current.parent_id === 'number' && !seen.has(current.id)) {
    seen.add(current.id);
    const parent = env.row('res.partner', current.parent_id);
    if (!parent) break;
    current = parent;
  }
  return current;
}

export const resPartner: ModelDef = {
  name: 'res.partner',
  description: 'Contact',
  className: 'ResPartner',
  mailThread: true,
  order: 'complete_name asc, id desc',
  parentField: 'parent_id',
  // Contacts of a company read as "Company, Person", as in Odoo.
  displayName: (row, env) => {
    const name = typeof row.name === 'string' ? row.name : '';
    if (typeof row.parent_id === 'number' && !row.is_company) {
      const parent = env.row('res.partner', row.parent_id);
      if (parent) {
        const parentName = env.displayName('res.partner', parent);
        return name ? `${parentName}, ${name}` : parentName;
      }
    }
    return name;
  },
  fields: [
    ...magicFields(),
    char('name', 'Name'),
    char('complete_name', 'Complete Name', { compute: (row, env) => env.displayName('res.partner', row) }),
    boolean('active', 'Active', { default: () => true }),
    boolean('is_company', 'Is a Company', { default: () => false }),
    selection('company_type', 'Company Type', [['person', 'Individual'], ['company', 'Company']], {
      compute: (row) => (row.is_company ? 'company' : 'person'),
    }),
    many2one('parent_id', 'Related Company', 'res.partner'),
    one2many('child_ids', 'Contact', 'res.partner', 'parent_id'),
    many2one('commercial_partner_id', 'Commercial Entity', 'res.partner', {
      compute: (row, env) => commercialPartner(row, env).id,
    }),
    selection('type', 'Address Type', [
      ['contact', 'Contact'], ['invoice', 'Invoice Address'], ['delivery', 'Delivery Address'], ['other', 'Other Address'],
    ], { default: () => 'contact' }),
    char('ref', 'Reference'),
    char('email', 'Email'),
    char('phone', 'Phone'),
    char('mobile', 'Mobile'),
    char('website', 'Website Link'),
    char('function', 'Job Position'),
    char('street', 'Street'),
    char('street2', 'Street2'),
    char('zip', 'Zip'),
    char('city', 'City'),
    many2one('state_id', 'State', 'res.country.state'),
    many2one('country_id', 'Country', 'res.country'),
    char('vat', 'Tax ID'),
    text('comment', 'Notes'),
    char('lang', 'Language', { default: () => 'en_US' }),
    many2one('company_id', 'Company', 'res.company'),
    many2one('user_id', 'Salesperson', 'res.users'),
    many2many('category_id', 'Tags', 'res.partner.category'),
    integer('customer_rank', 'Customer Rank', { default: () => 0 }),
    integer('supplier_rank', 'Supplier Rank', { default: () => 0 }),
    one2many('sale_order_ids', 'Sales Order', 'sale.order', 'partner_id'),
    one2many('invoice_ids', 'Invoices', 'account.move', 'partner_id'),
    many2one('currency_id', 'Currency', 'res.currency', { compute: () => 1 }),
  ],
};

export const resPartnerCategory: ModelDef = {
  name: 'res.partner.category',
  description: 'Partner Tags',
  className: 'ResPartnerCategory',
  order: 'name asc',
  parentField: 'parent_id',
  fields: [
    ...magicFields(),
    char('name', 'Tag Name', { required: true }),
    many2one('parent_id', 'Parent Category', 'res.partner.category'),
    boolean('active', 'Active', { default: () => true }),
  ],
};

export const resUsers: ModelDef = {
  name: 'res.users',
  description: 'User',
  className: 'ResUsers',
  order: 'name asc, login asc',
  fields: [
    ...magicFields(),
    char('name', 'Name', { compute: (row, env) => partnerField(row, env, 'name') }),
    char('email', 'Email', { compute: (row, env) => partnerField(row, env, 'email') }),
    char('login', 'Login', { required: true }),
    boolean('active', 'Active', { default: () => true }),
    many2one('partner_id', 'Related Partner', 'res.partner', { required: true }),
    many2one('company_id', 'Company', 'res.company', { required: true, default: companyDefault }),
    many2many('company_ids', 'Companies', 'res.company'),
    boolean('share', 'Share User', { readonly: true }),
    char('tz', 'Timezone', { default: () => 'Europe/Brussels' }),
    char('lang', 'Language', { default: () => 'en_US' }),
  ],
};

function partnerField(row: Row, env: ComputeEnv, field: string): unknown {
  const partner = typeof row.partner_id === 'number' ? env.row('res.partner', row.partner_id) : undefined;
  return partner ? (partner[field] ?? false) : false;
}

export const resCompany: ModelDef = {
  name: 'res.company',
  description: 'Companies',
  className: 'ResCompany',
  order: 'sequence asc, name asc',
  parentField: 'parent_id',
  fields: [
    ...magicFields(),
    char('name', 'Company Name', { required: true }),
    many2one('partner_id', 'Partner', 'res.partner', { required: true }),
    many2one('currency_id', 'Currency', 'res.currency', { required: true, default: () => 1 }),
    many2one('parent_id', 'Parent Company', 'res.company'),
    one2many('child_ids', 'Branches', 'res.company', 'parent_id'),
    integer('sequence', 'Sequence', { default: () => 10 }),
    boolean('active', 'Active', { default: () => true }),
    char('email', 'Email', { compute: (row, env) => partnerField(row, env, 'email') }),
    char('phone', 'Phone', { compute: (row, env) => partnerField(row, env, 'phone') }),
    many2one('country_id', 'Country', 'res.country', { compute: (row, env) => partnerField(row, env, 'country_id') }),
  ],
};

export const resCurrency: ModelDef = {
  name: 'res.currency',
  description: 'Currency',
  className: 'ResCurrency',
  order: 'active desc, name asc',
  fields: [
    ...magicFields(),
    char('name', 'Currency', { required: true }),
    char('symbol', 'Symbol', { required: true }),
    char('full_name', 'Name'),
    boolean('active', 'Active', { default: () => true }),
    selection('position', 'Symbol Position', [['after', 'After Amount'], ['before', 'Before Amount']], { default: () => 'after' }),
    integer('decimal_places', 'Decimal Places', { default: () => 2 }),
  ],
};

export const resCountry: ModelDef = {
  name: 'res.country',
  description: 'Country',
  className: 'ResCountry',
  order: 'name asc',
  fields: [
    ...magicFields(),
    char('name', 'Country Name', { required: true }),
    char('code', 'Country Code'),
    many2one('currency_id', 'Currency', 'res.currency'),
  ],
};

export const resCountryState: ModelDef = {
  name: 'res.country.state',
  description: 'Country state',
  className: 'ResCountryState',
  order: 'country_id asc, code asc',
  fields: [
    ...magicFields(),
    char('name', 'State Name', { required: true }),
    char('code', 'State Code', { required: true }),
    many2one('country_id', 'Country', 'res.country', { required: true }),
  ],
};
