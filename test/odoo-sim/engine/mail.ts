/**
 * message_post, mail.thread's way to write on a record's chatter, as Odoo's MailThread.message_post
 * (addons/mail/models/mail_thread.py) does it: one record only, the author from the user (or
 * `author_id` / `email_from`), a text body escaped (HTML only with body_is_html), the subtype
 * from `subtype_xmlid` or `subtype_id` (Note when neither names one), and the thread's first
 * message as parent. Followers, notifications and attachment storage are not simulated.
 */
import type { Call } from './dispatch.js';
import { foreignKeyViolation, missingError, userError, valueError } from './errors.js';
import { xmlidTarget } from './model-data.js';
import type { Orm } from './orm.js';
import { pythonRepr, pythonTruthy } from './python-literal.js';
import type { Row } from './model.js';

type Params = Record<string, unknown>;

/** message_post's own keyword parameters (all keyword-only); 19 added outgoing_email_to. */
export function messagePostParams(version: number): string[] {
  return [
    'body', 'subject', 'message_type', 'email_from', 'author_id', 'parent_id', 'subtype_xmlid', 'subtype_id', 'partner_ids',
    ...(version >= 19 ? ['outgoing_email_to'] : []),
    'incoming_email_to', 'incoming_email_cc', 'attachments', 'attachment_ids', 'body_is_html',
  ];
}

/**
 * What `**kwargs` may carry: mail.message values _message_create accepts, and the notification
 * options _notify_thread accepts. Anything else is the ValueError below.
 */
const MESSAGE_VALUES = new Set([
  'attachment_ids', 'author_guest_id', 'author_id', 'body', 'create_date', 'date', 'email_add_signature', 'email_from',
  'email_layout_xmlid', 'incoming_email_cc', 'incoming_email_to', 'is_internal', 'mail_activity_type_id', 'mail_server_id',
  'message_id', 'message_type', 'model', 'parent_id', 'partner_ids', 'record_alias_domain_id', 'record_company_id',
  'record_name', 'reply_to', 'reply_to_force_new', 'res_id', 'subject', 'subtype_id', 'tracking_value_ids',
]);
const NOTIFY_OPTIONS = new Set([
  'force_email_company', 'force_email_lang', 'force_send', 'mail_auto_delete', 'model_description', 'notify_author',
  'notify_author_mention', 'notify_skip_followers', 'resend_existing', 'scheduled_date', 'send_after_commit', 'skip_existing',
  'subtitles',
]);
/** Extra values stored on the simulated mail.message (the other accepted ones have no column here). */
const STORED_EXTRAS = ['date', 'is_internal', 'record_name'];

const unsupported = (names: string[]) =>
  valueError(`Those values are not supported when posting or notifying: ${[...names].sort().join(', ')}`);

const isIdList = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isInteger(x));

/** The call (its params: the named parameters, then any other keyword under its own name) and the keywords this version knows. */
export type PostContext = Pick<Call, 'orm' | 'access' | 'uid' | 'model' | 'ids' | 'params'> & { known: Set<string> };

/** Posts on one record; returns the new mail.message id. */
export function messagePost({ orm, access, uid, model, ids, params, known }: PostContext): number {
  // ensure_one() comes first: a recordset prints as res.partner(1, 3).
  if (ids.length !== 1) throw valueError(`Expected singleton: ${model}${pythonRepr(ids, true)}`);
  const extras = Object.keys(params).filter((k) => !known.has(k));
  const forbidden = extras.filter((k) => k === 'model' || k === 'res_id' || k === 'subtype');
  if (forbidden.length) throw unsupported(forbidden);
  const notAccepted = extras.filter((k) => !MESSAGE_VALUES.has(k) && !NOTIFY_OPTIONS.has(k));
  if (notAccepted.length) throw unsupported(notAccepted);
  if (!ids[0]) throw valueError('Posting a message should be done on a business document. Use message_notify to send a notification to an user.');
  const messageType = params.message_type ?? 'notification';
  if (messageType === 'user_notification') throw valueError('Use message_notify to send a notification to an user.');
  checkAttachments(params.attachments, params.attachment_ids);
  const partnerIds = params.partner_ids;
  if (pythonTruthy(partnerIds) && !isIdList(partnerIds)) {
    throw valueError(`Posting a message should receive partners as a list of IDs (received ${pythonRepr(partnerIds)})`);
  }
  const recipients = isIdList(partnerIds) ? partnerIds : [];

  const [authorId, emailFrom] = messageAuthor(orm, uid, params.author_id, params.email_from);
  const subtypeId = (pythonTruthy(params.subtype_xmlid) ? xmlidTarget(orm, params.subtype_xmlid)?.resId : params.subtype_id)
    || xmlidTarget(orm, 'mail.mt_note')?.resId || false;
  const record = orm.row(model, ids[0]!);
  if (!record) throw missingError(model, ids, uid);
  // The document right Odoo's mail.message checks for a post (mail.thread's _mail_post_access).
  access.check(uid, model, orm.model(model).def.description, 'write');
  const missingPartner = recipients.find((id) => !orm.row('res.partner', id));
  if (missingPartner !== undefined) {
    // The recipients' relation table belongs to no model, so Odoo names `base` in the message.
    throw foreignKeyViolation('Base', 'base', 'mail_message_res_partner_rel_res_partner_id_fkey');
  }

  const values: Params = {
    author_id: authorId,
    email_from: emailFrom,
    model,
    res_id: ids[0],
    body: messageBody(orm, uid, params.body, params.body_is_html),
    message_type: messageType,
    parent_id: threadParent(orm, model, ids[0]!, params.parent_id),
    subject: pythonTruthy(params.subject) ? params.subject : false,
    subtype_id: subtypeId,
    partner_ids: [[6, 0, recipients]],
    record_name: orm.displayName(model, record),
  };
  for (const name of STORED_EXTRAS) if (pythonTruthy(params[name])) values[name] = params[name];
  return orm.create('mail.message', [values], uid)[0]!;
}

/**
 * _message_compute_author: no author_id means the user's partner (or, given email_from only, the
 * partner with that email); the address is the author's `"Name" <email>`. No address at all is a
 * UserError.
 */
function messageAuthor(orm: Orm, uid: number, authorParam: unknown, emailParam: unknown): [number | false, string | false] {
  let authorId: unknown = authorParam;
  let emailFrom: unknown = emailParam;
  if (authorId === undefined || authorId === null) {
    if (pythonTruthy(emailFrom)) {
      authorId = partnerByEmail(orm, String(emailFrom))?.id ?? false;
    } else {
      const partnerId = orm.row('res.users', uid)?.partner_id as number;
      authorId = partnerId;
      emailFrom = emailFormatted(orm.row('res.partner', partnerId));
    }
  }
  if ((emailFrom === undefined || emailFrom === null) && pythonTruthy(authorId)) {
    const author = orm.row('res.partner', authorId as number);
    if (!author) throw missingError('res.partner', [authorId as number], uid);
    emailFrom = emailFormatted(author);
  }
  if (!pythonTruthy(emailFrom)) throw userError("Unable to send message, please configure the sender's email address.");
  return [typeof authorId === 'number' ? authorId : false, String(emailFrom)];
}

/** res.partner.email_formatted: the name, quoted, and the normalised (lower-case) address. */
function emailFormatted(partner: Row | undefined): string | false {
  const email = typeof partner?.email === 'string' ? partner.email.trim() : '';
  if (!email) return false;
  const name = typeof partner!.name === 'string' && partner!.name ? partner!.name : 'False';
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}" <${email.toLowerCase()}>`;
}

function partnerByEmail(orm: Orm, text: string): Row | undefined {
  const address = (/<([^>]+)>/.exec(text)?.[1] ?? text).trim().toLowerCase();
  for (const partner of orm.rows('res.partner')) if (typeof partner.email === 'string' && partner.email.toLowerCase() === address) return partner;
  return undefined;
}

/**
 * A text body is escaped (markupsafe) and then stored through the Html field's sanitizer,
 * whose parser wraps loose text in a paragraph and writes quotes back as plain characters. An
 * internal user's body_is_html=True keeps the HTML (its sanitizing is not simulated).
 */
function messageBody(orm: Orm, uid: number, body: unknown, bodyIsHtml: unknown): string {
  if (body === undefined || body === null || body === false || body === '') return '';
  const text = typeof body === 'string' ? body : pythonRepr(body);
  const internal = orm.row('res.users', uid)?.share !== true;
  if (bodyIsHtml && internal) return text;
  return `<p>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</p>`;
}

/**
 * _message_compute_parent_id of a flat thread (every Odoo model here): without a parent, the
 * record's first message; with one, the root of that message's chain.
 */
function threadParent(orm: Orm, model: string, resId: number, parentParam: unknown): number | false {
  if (!pythonTruthy(parentParam)) {
    for (const message of orm.rows('mail.message')) {
      if (message.model === model && message.res_id === resId && message.message_type !== 'user_notification') return message.id;
    }
    return false;
  }
  let parent = orm.row('mail.message', parentParam as number);
  if (!parent || !parent.parent_id) return parentParam as number;
  const seen = new Set<number>();
  while (parent && typeof parent.parent_id === 'number' && !seen.has(parent.id)) {
    seen.add(parent.id);
    const up = orm.row('mail.message', parent.parent_id);
    if (!up) break;
    parent = up;
  }
  return parent!.id;
}

/**
 * The shapes Odoo accepts before it would create attachments: `attachments` as [name, content]
 * or [name, content, info] lists, `attachment_ids` as ids. Its first message prints
 * attachment_ids, not attachments, as Odoo's does. Nothing is stored: no ir.attachment here.
 */
function checkAttachments(attachments: unknown, attachmentIds: unknown): void {
  if (pythonTruthy(attachments)) {
    const ok = Array.isArray(attachments) && attachments.every((a) => Array.isArray(a) && (a.length === 2 || a.length === 3));
    if (!ok) throw valueError(`Posting a message should receive attachments as a list of list or tuples (received ${pythonRepr(attachmentIds)})`);
  }
  if (pythonTruthy(attachmentIds) && !isIdList(attachmentIds)) {
    throw valueError(`Posting a message should receive attachments records as a list of IDs (received ${pythonRepr(attachmentIds)})`);
  }
}
