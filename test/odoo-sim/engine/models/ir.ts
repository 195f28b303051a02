/**
 * Technical models: ir.model / ir.model.fields (rows generated from the registry), external
 * identifiers (ir.model.data), server actions, automation rules.
 */
import { boolean, char, integer, magicFields, many2many, many2one, one2many, selection, text } from '../fields.js';
import type { FieldType, ModelDef } from '../model.js';

const FIELD_TYPES: FieldType[] = [
  'binary', 'boolean', 'char', 'date', 'datetime', 'float', 'html', 'integer', 'many2many', 'many2one',
  'monetary', 'one2many', 'selection', 'text',
];

export const irModel: ModelDef = {
  name: 'ir.model',
  description: 'Models',
  className: 'IrModel',
  order: 'model asc',
  fields: [
    ...magicFields(),
    char('name', 'Model Description', { required: true }),
    char('model', 'Model', { required: true }),
    selection('state', 'Type', [['manual', 'Custom Object'], ['base', 'Base Object']], { readonly: true, default: () => 'manual' }),
    boolean('transient', 'Transient Model', { default: () => false }),
    one2many('field_id', 'Fields', 'ir.model.fields', 'model_id'),
  ],
};

export const irModelFields: ModelDef = {
  name: 'ir.model.fields',
  description: 'Fields',
  className: 'IrModelFields',
  order: 'name asc',
  displayName: (row) => `${row.field_description} (${row.model})`,
  fields: [
    ...magicFields(),
    char('name', 'Field Name', { required: true }),
    char('field_description', 'Field Label', { required: true }),
    char('model', 'Model Name', { required: true }),
    many2one('model_id', 'Model', 'ir.model', { required: true, ondelete: 'cascade' }),
    selection('ttype', 'Field Type', FIELD_TYPES.map((t) => [t, t]), { required: true }),
    char('relation', 'Related Model'),
    boolean('required', 'Required'),
    boolean('readonly', 'Readonly'),
    boolean('store', 'Stored', { default: () => true }),
    selection('state', 'Type', [['manual', 'Custom Field'], ['base', 'Base Field']], { default: () => 'manual' }),
  ],
};

export const irActionsServer: ModelDef = {
  name: 'ir.actions.server',
  description: 'Server Actions',
  className: 'IrActionsServer',
  order: 'sequence asc, name asc, id asc',
  fields: [
    ...magicFields(),
    char('name', 'Action Name', { required: true }),
    selection('state', 'Type', [
      ['object_write', 'Update Record'], ['object_create', 'Create Record'], ['code', 'Execute Code'],
      ['webhook', 'Send Webhook Notification'], ['multi', 'Execute Existing Actions'],
    ], { required: true, default: () => 'object_write' }),
    // Odoo requires model_id; the simulator also accepts model_name alone (resolved on use).
    many2one('model_id', 'Model', 'ir.model'),
    char('model_name', 'Model Name'),
    integer('sequence', 'Sequence', { default: () => 5 }),
    char('webhook_url', 'Webhook URL'),
    many2many('webhook_field_ids', 'Webhook Fields', 'ir.model.fields'),
    text('code', 'Python Code'),
    many2many('base_automation_id', 'Automation Rule', 'base.automation'),
  ],
};

export const baseAutomation: ModelDef = {
  name: 'base.automation',
  description: 'Automation Rule',
  className: 'BaseAutomation',
  order: 'id asc',
  fields: [
    ...magicFields(),
    char('name', 'Automation Rule Name', { required: true }),
    // Odoo requires model_id; the simulator also accepts model_name alone (resolved on use).
    many2one('model_id', 'Model', 'ir.model'),
    char('model_name', 'Model Name'),
    boolean('active', 'Active', { default: () => true }),
    selection('trigger', 'Trigger', [
      ['on_create', 'On create'], ['on_write', 'On update'], ['on_create_or_write', 'On save'],
      ['on_unlink', 'On deletion'], ['on_change', 'On UI change'], ['on_time', 'Based on date field'],
      ['on_webhook', 'On webhook'], ['on_state_set', 'State is set to'], ['on_archive', 'On archived'],
      ['on_unarchive', 'On unarchived'],
    ], { required: true }),
    many2many('trigger_field_ids', 'Trigger Fields', 'ir.model.fields'),
    text('filter_pre_domain', 'Before Update Domain'),
    text('filter_domain', 'Apply on'),
    many2many('action_server_ids', 'Actions', 'ir.actions.server'),
  ],
};



/** External identifiers (module.name → model, res_id): what env.ref, get_metadata and subtype_xmlid look up. */
export const irModelData: ModelDef = {
  name: 'ir.model.data',
  description: 'Model Data',
  className: 'IrModelData',
  order: 'module asc, model asc, name asc',
  displayName: (row) => `${row.module}.${row.name}`,
  fields: [
    ...magicFields(),
    char('name', 'External Identifier', { required: true }),
    char('complete_name', 'Complete ID', { compute: (row) => `${row.module}.${row.name}` }),
    char('model', 'Model Name', { required: true }),
    char('module', 'Module', { required: true, default: () => '' }),
    // A many2one_reference in Odoo (paired with `model`); stored as an integer here.
    integer('res_id', 'Record ID'),
    boolean('noupdate', 'Non Updatable', { default: () => false }),
  ],
};
