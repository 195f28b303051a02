/**
 * XML-RPC codec (http://xmlrpc.com/spec.md plus the `nil` extension Odoo's Python side accepts).
 * Pure functions. Decoding maps: int/i4/i8 → number, boolean → boolean, string/untyped → string,
 * double → number, array → array, struct → object, nil → null, base64 → Buffer,
 * dateTime.iso8601 → Date (UTC, as Python's naive datetimes are). Encoding writes exactly the
 * layout of Python's `xmlrpc.client.Marshaller` (one element per line), so byte-level diffs with a
 * real Odoo stay small.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';

export class XmlRpcParseError extends Error {}

/** Python's marshaller refuses None unless `allow_none`; Odoo's server side does not allow it. */
export class XmlRpcMarshalError extends TypeError {}

export interface EncodeOptions {
  /** Write null as `<nil/>` (the extension); otherwise refuse it as Python does. Default true. */
  allowNone?: boolean;
}

export interface MethodCall {
  methodName: string;
  params: unknown[];
}

export type MethodResponse = { fault: false; value: unknown } | { fault: true; faultCode: unknown; faultString: unknown };

const parser = new XMLParser({
  ignoreDeclaration: true,
  ignorePiTags: true,
  parseTagValue: false, // strings must stay strings ("007" is not 7)
  trimValues: false, // whitespace inside <string> is data
  processEntities: true,
  htmlEntities: true, // numeric character references (&#10;) as Python's expat decodes them
  isArray: (name, jpath) =>
    name === 'param' || name === 'member' || (name === 'value' && String(jpath).endsWith('data.value')),
});

type Node = Record<string, unknown> | string;

const TYPES = ['int', 'i4', 'i8', 'boolean', 'string', 'double', 'array', 'struct', 'nil', 'base64', 'dateTime.iso8601'];

function decodeValue(node: unknown): unknown {
  // <value>text</value> (no type element) is a string; so is <value></value>.
  if (node === undefined || node === null) return '';
  if (typeof node === 'string') return node;
  const obj = node as Record<string, unknown>;
  const type = TYPES.find((t) => t in obj);
  if (type === undefined) {
    if ('#text' in obj) return String(obj['#text']);
    throw new XmlRpcParseError(`unknown XML-RPC value: ${Object.keys(obj).join(', ')}`);
  }
  const raw = obj[type];
  const text = typeof raw === 'string' ? raw : '';
  switch (type) {
    case 'int':
    case 'i4':
    case 'i8': {
      const n = Number(text.trim());
      if (!Number.isInteger(n)) throw new XmlRpcParseError(`invalid literal for int(): '${text}'`);
      return n;
    }
    case 'boolean': {
      const t = text.trim();
      if (t !== '0' && t !== '1') throw new XmlRpcParseError('bad boolean value');
      return t === '1';
    }
    case 'string':
      return typeof raw === 'object' && raw !== null ? String((raw as Node & Record<string, unknown>)['#text'] ?? '') : text;
    case 'double': {
      const n = Number(text.trim());
      if (Number.isNaN(n) && text.trim() !== 'nan') throw new XmlRpcParseError(`could not convert string to float: '${text}'`);
      return n;
    }
    case 'nil':
      return null;
    case 'base64':
      return Buffer.from(text.replace(/\s+/g, ''), 'base64');
    case 'dateTime.iso8601':
      return parseIsoDateTime(text.trim());
    case 'array': {
      const data = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).data : undefined;
      const values = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).value : undefined;
      return Array.isArray(values) ? values.map(decodeValue) : [];
    }
    case 'struct': {
      const members = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).member : undefined;
      const out: Record<string, unknown> = {};
      if (Array.isArray(members)) {
        for (const m of members as Array<Record<string, unknown>>) {
          out[String(m.name ?? '')] = decodeValue(m.value);
        }
      }
      return out;
    }
  }
  throw new XmlRpcParseError(`unsupported type ${type}`);
}

/** `20250101T10:00:00`, `2025-01-01T10:00:00`, optionally with Z or an offset. */
function parseIsoDateTime(text: string): Date {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) throw new XmlRpcParseError(`time data '${text}' does not match format '%Y%m%dT%H:%M:%S'`);
  const [, y, mo, d, h, mi, s, tz] = m;
  const base = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  if (!tz || tz === 'Z') return new Date(base);
  const sign = tz[0] === '-' ? -1 : 1;
  const digits = tz.slice(1).replace(':', '');
  const offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  return new Date(base - offsetMin * 60_000);
}

function parseDocument(xml: string): Record<string, unknown> {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new XmlRpcParseError(`not well-formed: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`);
  const doc = parser.parse(xml) as Record<string, unknown>;
  return doc;
}

function decodeParams(params: unknown): unknown[] {
  if (typeof params !== 'object' || params === null) return [];
  const list = (params as Record<string, unknown>).param;
  if (!Array.isArray(list)) return [];
  return list.map((p) => decodeValue((p as Record<string, unknown>).value));
}

/** Parses a `<methodCall>` request body. Throws XmlRpcParseError on anything malformed. */
export function decodeMethodCall(xml: string): MethodCall {
  const doc = parseDocument(xml);
  const call = doc.methodCall as Record<string, unknown> | undefined;
  if (typeof call !== 'object' || call === null) throw new XmlRpcParseError('no methodCall element');
  const methodName = typeof call.methodName === 'string' ? call.methodName.trim() : '';
  if (!methodName) throw new XmlRpcParseError('no methodName');
  return { methodName, params: decodeParams(call.params) };
}

/** Parses a `<methodResponse>` (for tests and clients). */
export function decodeMethodResponse(xml: string): MethodResponse {
  const doc = parseDocument(xml);
  const resp = doc.methodResponse as Record<string, unknown> | undefined;
  if (typeof resp !== 'object' || resp === null) throw new XmlRpcParseError('no methodResponse element');
  if ('fault' in resp) {
    const fault = decodeValue((resp.fault as Record<string, unknown>).value) as Record<string, unknown>;
    return { fault: true, faultCode: fault.faultCode, faultString: fault.faultString };
  }
  const params = decodeParams(resp.params);
  return { fault: false, value: params[0] };
}

/** Python's `xmlrpc.client.escape`: only &, < and > are escaped in text. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// XML 1.0 forbids control characters other than tab/newline/CR; Odoo strips them (CONTROL_CHARACTERS).
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\x00-\x08\x0b\x0c\x0e-\x1f]/g;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Appends the Marshaller layout of one value. */
function encodeValue(value: unknown, out: string[], allowNone = true): void {
  if (value === null || value === undefined) {
    if (!allowNone) throw new XmlRpcMarshalError('cannot marshal None unless allow_none is enabled');
    out.push('<value><nil/></value>');
  } else if (typeof value === 'boolean') {
    out.push(`<value><boolean>${value ? '1' : '0'}</boolean></value>\n`);
  } else if (typeof value === 'number') {
    if (Number.isInteger(value)) out.push(`<value><int>${value}</int></value>\n`);
    else out.push(`<value><double>${pythonFloatRepr(value)}</double></value>\n`);
  } else if (typeof value === 'bigint') {
    out.push(`<value><int>${value}</int></value>\n`);
  } else if (typeof value === 'string') {
    out.push(`<value><string>${escapeXml(value.replace(CONTROL_CHARS, ''))}</string></value>\n`);
  } else if (value instanceof Date) {
    const d = value;
    const s = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    out.push(`<value><dateTime.iso8601>${s}</dateTime.iso8601></value>\n`);
  } else if (value instanceof Uint8Array) {
    out.push(`<value><base64>\n${Buffer.from(value).toString('base64')}\n</base64></value>\n`);
  } else if (Array.isArray(value)) {
    out.push('<value><array><data>\n');
    for (const v of value) encodeValue(v, out, allowNone);
    out.push('</data></array></value>\n');
  } else if (typeof value === 'object') {
    out.push('<value><struct>\n');
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      out.push(`<member>\n<name>${escapeXml(k)}</name>\n`);
      encodeValue(v, out, allowNone);
      out.push('</member>\n');
    }
    out.push('</struct></value>\n');
  } else {
    out.push(`<value><string>${escapeXml(String(value))}</string></value>\n`);
  }
}

/** Python's repr of a float: always a decimal point or exponent (1e+16, 0.1, 2.5). */
export function pythonFloatRepr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  const s = String(n);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** Odoo's `dumps((result,))`: a methodResponse with one param. Throws XmlRpcMarshalError on None when not allowed. */
export function encodeMethodResponse(value: unknown, options: EncodeOptions = {}): string {
  const out: string[] = ['<?xml version="1.0"?>\n<methodResponse>\n<params>\n<param>\n'];
  encodeValue(value, out, options.allowNone ?? true);
  out.push('</param>\n</params>\n\n</methodResponse>\n');
  return out.join('');
}

/** Odoo's `dumps(Fault(code, string))`. */
export function encodeFault(faultCode: number | string, faultString: string): string {
  const out: string[] = ['<?xml version="1.0"?>\n<methodResponse>\n<fault>\n'];
  encodeValue({ faultCode, faultString }, out);
  out.push('</fault>\n\n</methodResponse>\n');
  return out.join('');
}

/** A `<methodCall>` as Python's client sends it (for tests, the bench and other processes). */
export function encodeMethodCall(methodName: string, params: unknown[]): string {
  const out: string[] = [`<?xml version='1.0'?>\n<methodCall>\n<methodName>${escapeXml(methodName)}</methodName>\n<params>\n`];
  for (const p of params) {
    out.push('<param>\n');
    encodeValue(p, out);
    out.push('</param>\n');
  }
  out.push('</params>\n</methodCall>\n');
  return out.join('');
}
