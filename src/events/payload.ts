/**
 * The event payload subscribers receive, and its JSON and XML serializations.
 *
 * Shape (documented for users in docs/events-payload.md):
 *   { id, type, timestamp, model, record_id, event, changed_fields?, data }
 * `data` holds field values exactly as Odoo returns them (`false` for empty, many2one as
 * `[id, "display name"]`), because n8n users already know those shapes from the Odoo node.
 * XML carries the same content with an explicit type on every value so it parses back
 * without guessing (see `toXml`).
 */
import { createHash } from 'node:crypto';
import { XMLBuilder } from 'fast-xml-parser';
import { FIELD_NAME } from '../odoo/names.js';

export type RecordEvent = 'create' | 'write' | 'unlink';
export type PayloadFormat = 'json' | 'xml';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface EventPayload {
  /** `evt_…`, the same for every capture of the same change (see `eventIdFor`). */
  id: string;
  /** `<model>.created | .updated | .deleted`, e.g. `res.partner.created`. */
  type: string;
  /** When the change happened (Odoo `write_date`, or detection time for deletions), ISO 8601 UTC. */
  timestamp: string;
  model: string;
  record_id: number;
  event: RecordEvent;
  /** Fields the change touched, when the capture path knows them. */
  changed_fields?: string[];
  /** The record's fields after the change (for `unlink`: the last values kept of the `changedFields`, if any). */
  data: Record<string, JsonValue>;
}

const TYPE_SUFFIX: Record<RecordEvent, string> = {
  create: 'created',
  write: 'updated',
  unlink: 'deleted',
};

export const CONTENT_TYPES: Record<PayloadFormat, string> = {
  json: 'application/json',
  xml: 'application/xml',
};

/**
 * A deterministic event id: the push hook and the poller may both see one change, and the
 * outbox de-duplicates on this id instead of delivering it twice.
 */
export function eventIdFor(change: {
  model: string;
  recordId: number;
  event: RecordEvent;
  /** Normalized write_date for create/write; detection time or a sweep id for unlink. */
  version: string;
}): string {
  const digest = createHash('sha256')
    .update(`${change.model}\u0000${change.recordId}\u0000${change.event}\u0000${change.version}`)
    .digest('hex');
  return `evt_${digest.slice(0, 32)}`;
}


export interface BuildPayloadInput {
  id: string;
  model: string;
  recordId: number;
  event: RecordEvent;
  occurredAt: Date;
  data: Record<string, JsonValue>;
  changedFields?: readonly string[];
}

/** Assemble the payload; `changed_fields` is omitted when unknown, never guessed. */
export function buildEventPayload(input: BuildPayloadInput): EventPayload {
  if (!/^[a-z_][a-z0-9_.]*$/.test(input.model)) throw new RangeError(`invalid model name: ${input.model}`);
  if (!Number.isSafeInteger(input.recordId) || input.recordId <= 0) {
    throw new RangeError(`invalid record id: ${input.recordId}`);
  }
  const payload: EventPayload = {
    id: input.id,
    type: `${input.model}.${TYPE_SUFFIX[input.event]}`,
    timestamp: new Date(Math.floor(input.occurredAt.getTime() / 1000) * 1000)
      .toISOString()
      .replace('.000Z', 'Z'),
    model: input.model,
    record_id: input.recordId,
    event: input.event,
    data: wellFormed(withRecordId(input.data, input.recordId)) as Record<string, JsonValue>,
  };
  if (input.changedFields !== undefined) {
    // Odoo field names are identifiers; anything else is a capture bug worth failing loudly on.
    const bad = input.changedFields.find((f) => !FIELD_NAME.test(f));
    if (bad !== undefined) throw new RangeError(`invalid field name: ${JSON.stringify(bad)}`);
    payload.changed_fields = [...new Set(input.changedFields)].sort();
  }
  return payload;
}

// A lone UTF-16 surrogate has no UTF-8 encoding: replace it (U+FFFD) once, here, so the JSON
// and XML bodies carry the same text instead of each format mangling it differently.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function wellFormed(value: JsonValue): JsonValue {
  if (typeof value === 'string') return value.replace(LONE_SURROGATE, '\uFFFD');
  // JSON would silently turn these into null; XML would carry "NaN". Neither is the data.
  if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError(`non-finite number: ${value}`);
  if (Array.isArray(value)) return value.map(wellFormed);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [key, v] of Object.entries(value)) {
      Object.defineProperty(out, key.replace(LONE_SURROGATE, '\uFFFD'), {
        value: wellFormed(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return value;
}

/** `id` first for readability, and always the record's id, whatever the capture passed in. */
function withRecordId(data: Record<string, JsonValue>, recordId: number): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = { id: recordId, ...data };
  out.id = recordId;
  return out;
}

export interface SerializedPayload {
  body: string;
  contentType: string;
}

/**
 * The exact bytes to sign and send for a payload as the outbox stores it (its JSON text), with
 * their content type. JSON goes out as stored; XML is rendered from it at send time, so there
 * is one stored form and both formats carry the same content.
 */
export function serializePayload(storedJson: string, format: PayloadFormat): SerializedPayload {
  return {
    body: format === 'json' ? storedJson : toXml(JSON.parse(storedJson) as EventPayload),
    contentType: CONTENT_TYPES[format],
  };
}

// ---------------------------------------------------------------------------------------
// XML
//
// <webhook>
//   <id>evt_…</id> <type>…</type> <timestamp>…</timestamp> <model>…</model>
//   <record_id>55</record_id> <event>create</event>
//   <changed_fields><item>email</item></changed_fields>            (only when known)
//   <data>
//     <field name="name" type="string">Acme</field>
//     <field name="email" type="boolean">false</field>
//     <field name="parent_id" type="many2one"><id>9</id><name>Acme</name></field>
//     <field name="category_id" type="array"><item type="number">3</item></field>
//     <field name="note" type="string" encoding="base64">…</field>    (text XML 1.0 cannot carry)
//   </data>
// </webhook>
//
// Field names go in attributes, so any key is safe (element names are restricted in XML).
// `many2one` is `[id, name]` in JSON; decoding turns it back into that pair.
// ---------------------------------------------------------------------------------------

type XmlNode = Record<string, unknown>;

const TEXT = '#text';
const ATTRS = ':@';

const builder = new XMLBuilder({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  suppressEmptyNode: true,
});

// Outside XML 1.0's Char production, or changed by parsers (CR is normalized to LF in text).
const NOT_XML_TEXT_SAFE = /[\u0000-\u0008\u000B\u000C\u000D\u000E-\u001F\uFFFE\uFFFF]/;
// Attribute values are stricter: parsers turn TAB, LF and CR into spaces.
const NOT_XML_ATTR_SAFE = /[\u0000-\u001F\uFFFE\uFFFF]/;

function el(name: string, children: XmlNode[], attrs?: Record<string, string>): XmlNode {
  const node: XmlNode = { [name]: children };
  if (attrs) node[ATTRS] = attrs;
  return node;
}

function text(value: string): XmlNode[] {
  return value === '' ? [] : [{ [TEXT]: value }];
}

function isMany2one(value: JsonValue): value is [number, string] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    Number.isSafeInteger(value[0]) &&
    typeof value[1] === 'string'
  );
}

function valueNode(tag: string, value: JsonValue, attrs: Record<string, string> = {}): XmlNode {
  if (value === null) return el(tag, [], { ...attrs, type: 'null' });
  if (typeof value === 'boolean') return el(tag, text(String(value)), { ...attrs, type: 'boolean' });
  if (typeof value === 'number') return el(tag, text(String(value)), { ...attrs, type: 'number' });
  if (typeof value === 'string') {
    return NOT_XML_TEXT_SAFE.test(value)
      ? el(tag, text(Buffer.from(value, 'utf8').toString('base64')), { ...attrs, type: 'string', encoding: 'base64' })
      : el(tag, text(value), { ...attrs, type: 'string' });
  }
  if (isMany2one(value)) {
    return el(tag, [el('id', text(String(value[0]))), valueNode('name', value[1])], { ...attrs, type: 'many2one' });
  }
  if (Array.isArray(value)) {
    return el(tag, value.map((item) => valueNode('item', item)), { ...attrs, type: 'array' });
  }
  return el(tag, objectFields(value), { ...attrs, type: 'object' });
}

function objectFields(object: Record<string, JsonValue>): XmlNode[] {
  return Object.entries(object).map(([name, value]) =>
    valueNode(
      'field',
      value,
      NOT_XML_ATTR_SAFE.test(name)
        ? { name: Buffer.from(name, 'utf8').toString('base64'), name_encoding: 'base64' }
        : { name },
    ),
  );
}

/** XML serialization; reading it back (test/helpers/xml-payload.ts) gives `p` again. */
export function toXml(payload: EventPayload): string {
  const children: XmlNode[] = [
    el('id', text(payload.id)),
    el('type', text(payload.type)),
    el('timestamp', text(payload.timestamp)),
    el('model', text(payload.model)),
    el('record_id', text(String(payload.record_id))),
    el('event', text(payload.event)),
  ];
  if (payload.changed_fields !== undefined) {
    children.push(el('changed_fields', payload.changed_fields.map((f) => el('item', text(f)))));
  }
  children.push(el('data', objectFields(payload.data)));
  const declaration = { '?xml': [{ [TEXT]: '' }], [ATTRS]: { version: '1.0', encoding: 'UTF-8' } };
  return builder.build([declaration, el('webhook', children)]) as string;
}
