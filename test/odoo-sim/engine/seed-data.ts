/**
 * Demo data modelled on Odoo's demo database (names, ids of the well-known records). Plain
 * tables only; seed.ts turns them into records through the ORM.
 */

export const COUNTRIES: [id: number, name: string, code: string][] = [
  [14, 'Australia', 'AU'], [21, 'Belgium', 'BE'], [38, 'Canada', 'CA'], [57, 'Germany', 'DE'],
  [76, 'France', 'FR'], [233, 'United States', 'US'], [203, 'San Marino', 'SM'], [110, 'India', 'IN'],
];

/** Business companies of the demo data: [id, name, email, phone, country id, city]. */
export const COMPANIES: [number, string, string, string, number, string][] = [
  [9, 'Acme Corporation', 'acme_corp@yourcompany.example.com', '(603)-996-3829', 233, 'Nashua'],
  [10, 'Gemini Furniture', 'gemini_furniture@fake.geminifurniture.com', '+378 0549 885555', 203, 'Serravalle'],
  [11, 'Lumber Inc', 'lumber-inv92@example.com', '(828)-316-0593', 233, 'Stockton'],
  // Named so that the first companies by name are those of the recorded fixture (Acme, Azure, Gemini).
  [12, 'Sunrise Decor', 'sunrise.decor@example.com', '(925)-555-0172', 233, 'Pleasant Hill'],
  [13, 'Ready Mat', 'ready.mat28@example.com', '(803)-873-6126', 233, 'Tracy'],
  [14, 'The Jackson Group', 'jackson.group82@example.com', '(334)-502-1024', 233, 'Tallahassee'],
  [15, 'Azure Interior', 'azure.Interior24@example.com', '(870)-931-0505', 233, 'Fremont'],
  [16, 'Wood Corner', 'wood.corner26@example.com', '(623)-853-7197', 233, 'Turlock'],
  [17, 'OpenWood', 'openwood@example.com', '+33 1 23 45 67 89', 76, 'Paris'],
];

/** Contacts of those companies: [id, name, parent id, email, function]. */
export const CONTACTS: [number, string, number, string, string][] = [
  [19, 'Douglas Fletcher', 9, 'douglas.fletcher51@example.com', 'Functional Consultant'],
  [20, 'Floyd Steward', 9, 'floyd.steward34@example.com', 'Analyst'],
  [21, 'Edwin Hansen', 10, 'edwin.hansen58@example.com', 'Marketing Manager'],
  [22, 'Jesse Brown', 10, 'jesse.brown74@example.com', 'Senior Consultant'],
  [23, 'Oscar Morgan', 10, 'oscar.morgan11@example.com', 'Order Clerk'],
  [24, 'Soham Palmer', 10, 'soham.palmer15@example.com', 'Director'],
  [25, 'Theodore Gardner', 11, 'theodore.gardner36@example.com', 'Purchase Manager'],
  [26, 'Lorraine Douglas', 12, 'lorraine.douglas35@example.com', 'Functional Consultant'],
  [27, 'Ron Gibson', 12, 'ron.gibson76@example.com', 'Consultant'],
  [28, 'Kim Snyder', 13, 'kim.snyder96@example.com', 'Sales Manager'],
  [29, 'Edith Sanchez', 13, 'edith.sanchez68@example.com', 'Consultant'],
  [30, 'Toni Rhodes', 14, 'toni.rhodes11@example.com', 'Managing Partner'],
  [31, 'Gordon Owens', 14, 'gordon.owens28@example.com', 'Sales Representative'],
  [32, 'Brandon Freeman', 15, 'brandon.freeman55@example.com', 'Creative Director'],
  [33, 'Colleen Diaz', 15, 'colleen.diaz83@example.com', 'Business Executive'],
  [34, 'Nicole Ford', 15, 'nicole.ford75@example.com', 'Director'],
  [35, 'Willie Burke', 16, 'willie.burke80@example.com', 'Service Manager'],
  [36, 'Addison Olson', 9, 'addison.olson28@example.com', 'Consultant'],
  [37, 'Billy Fox', 16, 'billy.fox45@example.com', 'Production Supervisor'],
  [38, 'Tom Ruiz', 17, 'tom.ruiz89@example.com', 'Software Developer'],
];

/** Individuals without a company: [id, name, email, country id]. */
export const INDIVIDUALS: [number, string, string, number][] = [
  [39, 'Chester Reed', 'chester.reed79@example.com', 233],
  [40, 'Jeff Lawson', 'jeff.lawson52@example.com', 233],
  [41, 'Mark Brown', 'mark.brown23@example.com', 21],
  [42, 'Jennie Fletcher', 'jennie.fletcher76@example.com', 38],
];

/** Products: [default code, name, list price, cost, category key, on-hand qty in WH/Stock, type]. */
export const PRODUCTS: [string, string, number, number, 'office' | 'furniture' | 'services', number, 'consu' | 'service'][] = [
  ['FURN_7800', 'Desk Combination', 450, 300, 'office', 60, 'consu'],
  ['FURN_0269', 'Office Chair Black', 120.5, 80, 'office', 45, 'consu'],
  ['FURN_8888', 'Office Lamp', 40, 25, 'office', 4, 'consu'],
  ['FURN_6666', 'Acoustic Bloc Screens', 295, 190, 'office', 16, 'consu'],
  ['FURN_0096', 'Customizable Desk', 750, 500, 'furniture', 28, 'consu'],
  ['E-COM11', 'Cabinet with Doors', 140, 120, 'furniture', 8, 'consu'],
  ['FURN_8220', 'Four Person Desk', 2350, 2100, 'furniture', 12, 'consu'],
  ['FURN_8900', 'Drawer Black', 25, 20, 'furniture', 150, 'consu'],
  ['FURN_9999', 'Large Meeting Table', 4000, 3500, 'furniture', 3, 'consu'],
  ['FURN_1118', 'Corner Desk Left Sit', 85, 78, 'furniture', 0, 'consu'],
  ['FURN_8855', 'Drawer', 110.5, 100, 'furniture', 30, 'consu'],
  ['FURN_5555', 'Cable Management Box', 100, 70, 'office', 90, 'consu'],
  ['FURN_7777', 'Office Chair', 70, 55, 'office', 6, 'consu'],
  ['FURN_0789', 'Individual Workplace', 885, 876, 'furniture', 20, 'consu'],
  ['FURN_2100', 'Pedal Bin', 47, 10, 'office', 22, 'consu'],
  ['FURN_3800', 'Three-Seat Sofa', 1500, 1000, 'furniture', 7, 'consu'],
  ['SERV_0001', 'Virtual Home Staging', 38.25, 25.5, 'services', 0, 'service'],
];

/** The chatter's message subtypes under their Odoo ids: [id, xmlid name in `mail`, name, sequence, internal, default]. */
export const MESSAGE_SUBTYPES: [number, string, string, number, boolean, boolean][] = [
  [1, 'mt_comment', 'Discussions', 0, false, true],
  [2, 'mt_note', 'Note', 100, true, false],
  [3, 'mt_activities', 'Activities', 90, true, false],
];

/**
 * External identifiers of the well-known records: [module, name, model, res_id, noupdate].
 * Countries get theirs (`base.<code>`) from COUNTRIES. The view and the mail template are not
 * records here (the simulator has no ir.ui.view or mail.template); their ids only stand for
 * "it exists", as the sale cancel wizard's action carries them.
 */
export const XMLIDS: [string, string, string, number, boolean][] = [
  ['base', 'main_partner', 'res.partner', 1, true],
  ['base', 'partner_root', 'res.partner', 2, true],
  ['base', 'partner_admin', 'res.partner', 3, true],
  ['base', 'public_partner', 'res.partner', 4, true],
  ['base', 'partner_demo', 'res.partner', 7, true],
  ['base', 'main_company', 'res.company', 1, true],
  ['base', 'user_root', 'res.users', 1, true],
  ['base', 'user_admin', 'res.users', 2, true],
  ['base', 'user_demo', 'res.users', 6, true],
  ['base', 'USD', 'res.currency', 1, false],
  ['base', 'EUR', 'res.currency', 2, false],
  ['base', 'GBP', 'res.currency', 3, false],
  ['sale', 'sale_order_cancel_view_form', 'ir.ui.view', 2263, false],
  ['sale', 'mail_template_sale_cancellation', 'mail.template', 27, true],
];
