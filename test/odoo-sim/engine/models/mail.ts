/**
 * mail.message and mail.message.subtype: the chatter that message_post writes to (engine/mail.ts),
 * readable and searchable like any model.
 */
import { boolean, char, datetime, html, integer, magicFields, many2many, many2one, selection, text } from '../fields.js';
import type { ModelDef } from '../model.js';

export const mailMessageSubtype: ModelDef = {
  name: 'mail.message.subtype',
  description: 'Message subtypes',
  className: 'MailMessageSubtype',
  order: 'sequence asc, id asc',
  fields: [
    ...magicFields(),
    char('name', 'Message Type', { required: true }),
    text('description', 'Description'),
    boolean('internal', 'Internal Only'),
    char('res_model', 'Model'),
    boolean('default', 'Default', { default: () => true }),
    integer('sequence', 'Sequence', { default: () => 1 }),
    boolean('hidden', 'Hidden'),
  ],
};

/** Odoo's message types; user_notification is message_notify's, which message_post refuses. */
export const MESSAGE_TYPES: [string, string][] = [
  ['email', 'Email'], ['comment', 'Comment'], ['email_outgoing', 'Outgoing Email'], ['notification', 'System notification'],
  ['auto_comment', 'Automated Targeted Notification'], ['user_notification', 'User Specific Notification'],
];

export const mailMessage: ModelDef = {
  name: 'mail.message',
  description: 'Message',
  className: 'MailMessage',
  order: 'id desc',
  // Odoo's _rec_name is record_name (the document's name when the message was posted).
  displayName: (row) => (typeof row.record_name === 'string' && row.record_name ? row.record_name : `mail.message,${row.id}`),
  fields: [
    ...magicFields(),
    char('subject', 'Subject'),
    datetime('date', 'Date', { default: (ctx) => ctx.now }),
    html('body', 'Contents', { default: () => '' }),
    // Odoo types these two as a many2one_reference pair; the simulator stores the id as an integer.
    char('model', 'Related Document Model'),
    integer('res_id', 'Related Document ID'),
    char('record_name', 'Message Record Name'),
    selection('message_type', 'Type', MESSAGE_TYPES, { required: true, default: () => 'comment' }),
    many2one('subtype_id', 'Subtype', 'mail.message.subtype', { ondelete: 'set null' }),
    many2one('author_id', 'Author', 'res.partner', { ondelete: 'set null' }),
    char('email_from', 'From'),
    many2many('partner_ids', 'Recipients', 'res.partner'),
    many2one('parent_id', 'Parent Message', 'mail.message', { ondelete: 'set null' }),
    boolean('is_internal', 'Employee Only'),
  ],
};
