import { readFileSync } from 'node:fs';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import {
  buildEventPayload,
  eventIdFor,
  serializePayload,
  toXml,
  type EventPayload,
  type JsonValue,
} from '../../src/events/payload.js';
import { fromXml } from '../helpers/xml-payload.js';
import { normalizeOdooDatetime, odooDatetimeToIso } from '../../src/events/odoo-datetime.js';

const partner = buildEventPayload({
  id: 'evt_0123',
  model: 'res.partner',
  recordId: 9,
  event: 'write',
  occurredAt: new Date('2026-11-24T13:31:09.420Z'),
  changedFields: ['email', 'email', 'comment'],
  data: {
    name: 'Acme Corporation',
    email: 'acme-hook@example.com',
    phone: false,
    parent_id: false,
    country_id: [233, 'United States'],
    category_id: [1, 4],
    child_ids: [19, 20, 36],
    credit_limit: 1500.5,
    comment: '',
  },
});

describe('buildEventPayload', () => {
  it('builds the documented envelope', () => {
    expect(partner).toEqual({
      id: 'evt_0123',
      type: 'res.partner.updated',
      timestamp: '2026-11-24T13:31:09Z',
      model: 'res.partner',
      record_id: 9,
      event: 'write',
      changed_fields: ['comment', 'email'],
      data: expect.objectContaining({ id: 9, name: 'Acme Corporation', country_id: [233, 'United States'] }),
    });
  });

  it('puts the record id first in data and never lets data override it', () => {
    const p = buildEventPayload({ id: 'e', model: 'res.partner', recordId: 5, event: 'write', occurredAt: new Date(0), data: { name: 'x', id: 6 } });
    expect(Object.keys(p.data)).toEqual(['id', 'name']);
    expect(p.data.id).toBe(5);
  });

  it.each([
    ['create', 'sale.order.created'],
    ['write', 'sale.order.updated'],
    ['unlink', 'sale.order.deleted'],
  ] as const)('%s → type %s', (event, type) => {
    const p = buildEventPayload({ id: 'e', model: 'sale.order', recordId: 1, event, occurredAt: new Date(0), data: {} });
    expect(p.type).toBe(type);
    expect(p).not.toHaveProperty('changed_fields');
  });

  it.each([
    ['bad model', { model: 'Res Partner', recordId: 1 }],
    ['zero id', { model: 'res.partner', recordId: 0 }],
    ['fractional id', { model: 'res.partner', recordId: 1.5 }],
    ['a non-finite number in data', { model: 'res.partner', recordId: 1, data: { x: [Number.NaN] } }],
    ['non-identifier changed field', { model: 'res.partner', recordId: 1, changedFields: ['name', 'bad\nfield'] }],
  ])('rejects %s', (_name, bad) => {
    expect(() =>
      buildEventPayload({ id: 'e', event: 'create', occurredAt: new Date(0), data: {}, ...bad }),
    ).toThrow(RangeError);
  });
});

describe('eventIdFor', () => {
  it('is the same for the same change and differs otherwise', () => {
    const change = { model: 'res.partner', recordId: 55, event: 'create' as const, version: '2026-11-24 13:31:09' };
    expect(eventIdFor(change)).toBe(eventIdFor({ ...change }));
    expect(eventIdFor(change)).toMatch(/^evt_[0-9a-f]{32}$/);
    expect(eventIdFor({ ...change, recordId: 56 })).not.toBe(eventIdFor(change));
    expect(eventIdFor({ ...change, event: 'write' })).not.toBe(eventIdFor(change));
    expect(eventIdFor({ ...change, version: '2026-11-24 13:31:10' })).not.toBe(eventIdFor(change));
  });
});

describe('serializePayload', () => {
  it('JSON is compact and carries application/json', () => {
    const { body, contentType } = serializePayload(JSON.stringify(partner), 'json');
    expect(contentType).toBe('application/json');
    expect(body).not.toMatch(/\n/);
    expect(JSON.parse(body)).toEqual(partner);
  });

  it('XML is well-formed, typed and carries application/xml', () => {
    const { body, contentType } = serializePayload(JSON.stringify(partner), 'xml');
    expect(contentType).toBe('application/xml');
    expect(XMLValidator.validate(body)).toBe(true);
    expect(body.startsWith('<?xml version="1.0" encoding="UTF-8"?><webhook>')).toBe(true);
    expect(body).toContain('<field name="country_id" type="many2one"><id>233</id><name type="string">United States</name></field>');
    expect(body).toContain('<field name="phone" type="boolean">false</field>');
    expect(body).toContain('<field name="child_ids" type="array"><item type="number">19</item>');
    expect(body).toContain('<changed_fields><item>comment</item><item>email</item></changed_fields>');
    expect(fromXml(body)).toEqual(partner);
  });
});

describe('XML round trip', () => {
  const tricky: Record<string, JsonValue> = {
    'key with spaces': 'v',
    '<script>': '&amp; "quoted" \'single\' <tag/> ]]>',
    'x_studio_ünïcode': 'Café ☕ 𝄞 👍',
    '1starts_with_digit': 1,
    __proto__: 'not a prototype',
    constructor: 'plain',
    '#text': 'collides with parser internals',
    ':@': 'as does this',
    empty: '',
    spaces: '  leading and trailing  ',
    multiline: 'line 1\nline 2\n',
    crlf: 'windows\r\nline',
    control: 'bell\u0007 and nul\u0000',
    'tab\tnew\nline\rkey': 'keys with whitespace XML would normalize',
    nothing: null,
    yes: true,
    no: false,
    negative: -42,
    float: 3.14159,
    tiny: 1e-7,
    big: Number.MAX_SAFE_INTEGER,
    empty_array: [],
    nested_array: [[1, 2], [], ['a']],
    many2one_list: [[1, 'One'], [2, 'Two']],
    not_many2one: ['Two', 1],
    pair_of_numbers: [1, 2],
    object: { nested: { deeper: [true, null, 'x'] }, 'odd key': 1 },
    empty_object: {},
  };

  it('preserves tricky keys and values exactly', () => {
    // JSON.parse makes "__proto__" an own data property, as a real Odoo response would.
    const data = JSON.parse(JSON.stringify(tricky)) as Record<string, JsonValue>;
    data['__proto__'] = 'not a prototype';
    Object.defineProperty(data, '__proto__', { value: 'not a prototype', enumerable: true });
    const payload = buildEventPayload({ id: 'evt_x', model: 'res.partner', recordId: 7, event: 'create', occurredAt: new Date(0), data });
    const xml = toXml(payload);
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).not.toMatch(/[\u0000-\u0008\r]/);
    const back = fromXml(xml);
    expect(JSON.stringify(back)).toBe(JSON.stringify(payload));
    expect(Object.getPrototypeOf(back.data)).toBe(Object.prototype);
  });

  it('replaces lone surrogates once, so JSON and XML carry the same text', () => {
    const payload = buildEventPayload({ id: 'e', model: 'm', recordId: 1, event: 'create', occurredAt: new Date(0), data: { ['k\uDC00']: 'bad \uD800 pair', ok: '𝄞' } });
    expect(payload.data).toEqual({ id: 1, 'k\uFFFD': 'bad \uFFFD pair', ok: '𝄞' });
    expect(fromXml(toXml(payload))).toEqual(JSON.parse(serializePayload(JSON.stringify(payload), 'json').body));
  });

  it('round-trips randomly generated payloads (property)', () => {
    let seed = 20261125;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
    const strings = ['', ' ', 'a', 'é', '<&>', '\t', '\r', '\u0001', 'x y', '😀', '0', 'false', 'null'];
    const gen = (depth: number): JsonValue => {
      const kind = pick(depth > 2 ? ['s', 'n', 'b', 'z'] : ['s', 'n', 'b', 'z', 'a', 'o', 'm']);
      switch (kind) {
        case 's': return Array.from({ length: Math.floor(rand() * 4) }, () => pick(strings)).join('');
        case 'n': return pick([0, -1, 1.5, 2 ** 40, -0.001]);
        case 'b': return rand() < 0.5;
        case 'z': return null;
        case 'a': return Array.from({ length: Math.floor(rand() * 4) }, () => gen(depth + 1));
        case 'm': return [Math.floor(rand() * 1000) + 1, pick(strings)];
        default: return Object.fromEntries(Array.from({ length: Math.floor(rand() * 4) }, () => [pick(strings) + 'k', gen(depth + 1)]));
      }
    };
    for (let i = 0; i < 300; i++) {
      const data = Object.fromEntries(Array.from({ length: 1 + Math.floor(rand() * 6) }, (_, j) => [`f${j}${pick(strings)}`, gen(0)]));
      const payload: EventPayload = buildEventPayload({
        id: `evt_${i}`,
        model: 'res.partner',
        recordId: i + 1,
        event: pick(['create', 'write', 'unlink'] as const),
        occurredAt: new Date(i * 1000),
        data,
        changedFields: rand() < 0.5 ? Object.keys(data).map((_, j) => `f${j}`) : undefined,
      });
      expect(fromXml(toXml(payload))).toEqual(payload);
    }
  });

  it.each([
    ['no root', '<?xml version="1.0"?><other/>'],
    ['unknown type', '<webhook><id>a</id><type>t</type><timestamp>x</timestamp><model>m</model><record_id>1</record_id><event>create</event><data><field name="a" type="date">x</field></data></webhook>'],
    ['bad number', '<webhook><id>a</id><type>t</type><timestamp>x</timestamp><model>m</model><record_id>1</record_id><event>create</event><data><field name="a" type="number">abc</field></data></webhook>'],
    ['missing data', '<webhook><id>a</id><type>t</type><timestamp>x</timestamp><model>m</model><record_id>1</record_id><event>create</event></webhook>'],
  ])('fromXml rejects %s', (_name, xml) => {
    expect(() => fromXml(xml)).toThrow();
  });
});

describe('Odoo datetimes', () => {
  it.each<[unknown, string | null]>([
    ['2026-11-24 13:31:09', '2026-11-24 13:31:09'],
    ['2026-11-24 13:31:09.420766', '2026-11-24 13:31:09'],
    ['2026-11-24T13:31:09Z', '2026-11-24 13:31:09'],
    [' 2026-11-24 13:31:09 ', '2026-11-24 13:31:09'],
    ['2026-11-24', null],
    [false, null],
    [undefined, null],
  ])('normalize %j → %j', (input, expected) => {
    expect(normalizeOdooDatetime(input)).toBe(expected);
  });

  it('converts to ISO 8601 UTC', () => {
    expect(odooDatetimeToIso('2026-11-24 13:31:09.807920')).toBe('2026-11-24T13:31:09Z');
    expect(() => odooDatetimeToIso('yesterday')).toThrow(RangeError);
  });
});

describe('docs/events-payload.md', () => {
  const doc = readFileSync(new URL('../../docs/events-payload.md', import.meta.url), 'utf8');
  const block = (lang: string) => doc.match(new RegExp('```' + lang + '\\n([\\s\\S]*?)```'))![1];

  it('shows the same content in its JSON and XML examples', () => {
    const json = JSON.parse(block('json')) as EventPayload;
    const xml = block('xml').replace(/>\s+</g, '><').trim();
    expect(fromXml(xml)).toEqual(json);
  });

  it('shows XML exactly as the relay serializes that payload', () => {
    const json = JSON.parse(block('json')) as EventPayload;
    expect(toXml(json)).toBe(block('xml').replace(/>\s+</g, '><').trim());
  });
});
