/**
 * The XML event payload read back into its JSON shape, as a receiver written in TypeScript would
 * read it: the inverse of `toXml` (src/events/payload.ts), for tests that check what a receiver
 * gets. It follows the format's rules for types and names, not toXml's code.
 */
import { XMLParser } from 'fast-xml-parser';
import type { EventPayload, JsonValue, RecordEvent } from '../../src/events/payload.js';

type XmlNode = Record<string, unknown>;

// fast-xml-parser's names, with preserveOrder: a text node's key and a node's attributes' key.
const TEXT = '#text';
const ATTRS = ':@';

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  htmlEntities: false,
});

function tagOf(node: XmlNode): string {
  const tag = Object.keys(node).find((k) => k !== ATTRS);
  if (tag === undefined) throw new Error('malformed XML node');
  return tag;
}

function childrenOf(node: XmlNode): XmlNode[] {
  return node[tagOf(node)] as XmlNode[];
}

function attrsOf(node: XmlNode): Record<string, string> {
  return (node[ATTRS] as Record<string, string> | undefined) ?? {};
}

function textOf(node: XmlNode): string {
  return childrenOf(node)
    .filter((child) => TEXT in child)
    .map((child) => String(child[TEXT]))
    .join('');
}

function elementsOf(node: XmlNode): XmlNode[] {
  return childrenOf(node).filter((child) => !(TEXT in child));
}

function child(node: XmlNode, tag: string): XmlNode | undefined {
  return elementsOf(node).find((c) => tagOf(c) === tag);
}

function requiredText(node: XmlNode, tag: string): string {
  const found = child(node, tag);
  if (!found) throw new Error(`missing <${tag}>`);
  return textOf(found);
}

function decodeValue(node: XmlNode): JsonValue {
  const { type, encoding } = attrsOf(node);
  const raw = textOf(node);
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      if (raw !== 'true' && raw !== 'false') throw new Error(`bad boolean: ${raw}`);
      return raw === 'true';
    case 'number': {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new Error(`bad number: ${raw}`);
      return n;
    }
    case 'string':
      return encoding === 'base64' ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    case 'many2one': {
      const name = child(node, 'name');
      if (!name) throw new Error('many2one without <name>');
      return [Number(requiredText(node, 'id')), decodeValue(name)];
    }
    case 'array':
      return elementsOf(node).map(decodeValue);
    case 'object':
      return decodeFields(node);
    default:
      throw new Error(`unknown value type: ${type}`);
  }
}

function decodeFields(node: XmlNode): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const field of elementsOf(node)) {
    const attrs = attrsOf(field);
    if (attrs.name === undefined) throw new Error('<field> without name');
    const name = attrs.name_encoding === 'base64' ? Buffer.from(attrs.name, 'base64').toString('utf8') : attrs.name;
    // defineProperty: a field literally named "__proto__" stays data, not a prototype.
    Object.defineProperty(out, name, { value: decodeValue(field), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Parse an XML payload produced by `toXml` back into the JSON shape. */
export function fromXml(xml: string): EventPayload {
  const root = (parser.parse(xml) as XmlNode[]).find((n) => tagOf(n) === 'webhook');
  if (!root) throw new Error('missing <webhook> root');
  const payload: EventPayload = {
    id: requiredText(root, 'id'),
    type: requiredText(root, 'type'),
    timestamp: requiredText(root, 'timestamp'),
    model: requiredText(root, 'model'),
    record_id: Number(requiredText(root, 'record_id')),
    event: requiredText(root, 'event') as RecordEvent,
    data: {},
  };
  const changed = child(root, 'changed_fields');
  if (changed) payload.changed_fields = elementsOf(changed).map(textOf);
  const data = child(root, 'data');
  if (!data) throw new Error('missing <data>');
  payload.data = decodeFields(data);
  return payload;
}
