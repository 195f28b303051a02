/**
 * crm.lead and crm.stage: not in the list, but n8n's Odoo node has an "opportunity"
 * resource on crm.lead, so flows built with it can run against the simulator.
 */
import { boolean, char, date, float, integer, magicFields, many2one, monetary, selection, text } from '../fields.js';
import type { ModelDef } from '../model.js';

export const crmStage: ModelDef = {
  name: 'crm.stage',
  description: 'CRM Stages',
  className: 'CrmStage',
  order: 'sequence asc, name asc, id asc',
  fields: [
    ...magicFields(),
    char('name', 'Stage Name', { required: true }),
    integer('sequence', 'Sequence', { default: () => 1 }),
    boolean('is_won', 'Is Won Stage?', { default: () => false }),
  ],
};

export const crmLead: ModelDef = {
  name: 'crm.lead',
  description: 'Lead/Opportunity',
  className: 'CrmLead',
  mailThread: true,
  order: 'priority desc, id desc',
  fields: [
    ...magicFields(),
    char('name', 'Opportunity', { required: true }),
    selection('type', 'Type', [['lead', 'Lead'], ['opportunity', 'Opportunity']], { required: true, default: () => 'opportunity' }),
    boolean('active', 'Active', { default: () => true }),
    many2one('partner_id', 'Customer', 'res.partner'),
    char('contact_name', 'Contact Name'),
    char('email_from', 'Email'),
    char('phone', 'Phone'),
    many2one('stage_id', 'Stage', 'crm.stage', { default: () => 1 }),
    many2one('user_id', 'Salesperson', 'res.users', { default: (ctx) => ctx.uid }),
    many2one('company_id', 'Company', 'res.company', { default: () => 1 }),
    monetary('expected_revenue', 'Expected Revenue'),
    float('probability', 'Probability', { default: () => 10 }),
    selection('priority', 'Priority', [['0', 'Low'], ['1', 'Medium'], ['2', 'High'], ['3', 'Very High']], { default: () => '0' }),
    date('date_deadline', 'Expected Closing'),
    text('description', 'Notes'),
    many2one('currency_id', 'Currency', 'res.currency', { compute: () => 1 }),
  ],
};
