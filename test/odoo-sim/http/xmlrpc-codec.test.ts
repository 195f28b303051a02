import { describe, expect, it } from 'vitest';
import {
  XmlRpcMarshalError, XmlRpcParseError, decodeMethodCall, decodeMethodResponse, encodeFault, encodeMethodCall, encodeMethodResponse, pythonFloatRepr,
} from './xmlrpc-codec.js';

describe('xmlrpc codec', () => {
  it('decodes every scalar type of a methodCall as Python would', () => {
    const xml = `<?xml version='1.0'?><methodCall><methodName>execute_kw</methodName><params>
<param><value><int>42</int></value></param>
<param><value><i4>-7</i4></value></param>
<param><value><boolean>1</boolean></value></param>
<param><value><boolean>0</boolean></value></param>
<param><value><string> spaced &amp; &lt;escaped&gt; &#233;</string></value></param>
<param><value>untyped is a string</value></param>
<param><value></value></param>
<param><value><double>2.5</double></value></param>
<param><value><nil/></value></param>
<param><value><base64>aGVsbG8=</base64></value></param>
<param><value><dateTime.iso8601>20250102T03:04:05</dateTime.iso8601></value></param>
<param><value><string>007</string></value></param>
</params></methodCall>`;
    const call = decodeMethodCall(xml);
    expect(call.methodName).toBe('execute_kw');
    const [i, i4, t, f, s, untyped, empty, d, nil, b64, dt, lead] = call.params;
    expect([i, i4, t, f, s, untyped, empty, d, nil]).toEqual([42, -7, true, false, ' spaced & <escaped> é', 'untyped is a string', '', 2.5, null]);
    expect(Buffer.isBuffer(b64) && b64.toString()).toBe('hello');
    expect((dt as Date).toISOString()).toBe('2025-01-02T03:04:05.000Z');
    expect(lead).toBe('007');
  });

  it('decodes nested arrays and structs, keeping order and empty containers', () => {
    const xml = `<methodCall><methodName>m</methodName><params><param><value><array><data>
<value><array><data><value><array><data><value><string>is_company</string></value><value><string>=</string></value><value><boolean>1</boolean></value></data></array></value></data></array></value>
<value><struct><member><name>fields</name><value><array><data><value><string>name</string></value><value><string>email</string></value></data></array></value></member><member><name>limit</name><value><int>3</int></value></member><member><name>ctx</name><value><struct></struct></value></member></struct></value>
<value><array><data></data></array></value>
</data></array></value></param></params></methodCall>`;
    expect(decodeMethodCall(xml).params).toEqual([[[['is_company', '=', true]], { fields: ['name', 'email'], limit: 3, ctx: {} }, []]]);
  });

  it('encodes a response in the layout of Python xmlrpc.client', () => {
    const xml = encodeMethodResponse({ server_version: '19.0', server_version_info: [19, 0, 0, 'final', 0, ''], ok: true, ratio: 0.5 });
    expect(xml).toBe(`<?xml version="1.0"?>
<methodResponse>
<params>
<param>
<value><struct>
<member>
<name>server_version</name>
<value><string>19.0</string></value>
</member>
<member>
<name>server_version_info</name>
<value><array><data>
<value><int>19</int></value>
<value><int>0</int></value>
<value><int>0</int></value>
<value><string>final</string></value>
<value><int>0</int></value>
<value><string></string></value>
</data></array></value>
</member>
<member>
<name>ok</name>
<value><boolean>1</boolean></value>
</member>
<member>
<name>ratio</name>
<value><double>0.5</double></value>
</member>
</struct></value>
</param>
</params>

</methodResponse>
`);
  });

  it('round-trips values through encode and decode', () => {
    const value = [1, -2, true, false, 'a<b>&c', 1.25, null, { nested: [{ x: 'y' }], empty: [] }, new Date('2024-05-06T07:08:09Z')];
    const decoded = decodeMethodCall(encodeMethodCall('m', [value])).params[0];
    expect(decoded).toEqual(value);
    expect(decodeMethodResponse(encodeMethodResponse(value))).toEqual({ fault: false, value });
    const bytes = Buffer.from([0, 1, 2, 250]);
    expect(decodeMethodCall(encodeMethodCall('m', [bytes])).params[0]).toEqual(bytes);
  });

  it('encodes and decodes faults', () => {
    const xml = encodeFault(2, 'Object x doesn\'t exist');
    expect(xml).toContain('<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>2</int></value>\n</member>');
    expect(xml.endsWith('</fault>\n\n</methodResponse>\n')).toBe(true);
    expect(decodeMethodResponse(xml)).toEqual({ fault: true, faultCode: 2, faultString: "Object x doesn't exist" });
  });

  it('refuses None when allow_none is off, as Odoo\'s server marshaller does', () => {
    expect(encodeMethodResponse([1, null])).toContain('<value><nil/></value>');
    expect(() => encodeMethodResponse([1, null], { allowNone: false })).toThrow(XmlRpcMarshalError);
    expect(() => encodeMethodResponse({ a: { b: null } }, { allowNone: false })).toThrow('cannot marshal None unless allow_none is enabled');
  });

  it('strips control characters XML 1.0 cannot carry, as Odoo does', () => {
    expect(encodeMethodResponse('a\u0001b\tc')).toContain('<string>ab\tc</string>');
  });

  it('rejects malformed documents', () => {
    expect(() => decodeMethodCall('<methodCall><methodName>x</methodName><params>')).toThrow(XmlRpcParseError);
    expect(() => decodeMethodCall('<nope/>')).toThrow(XmlRpcParseError);
    expect(() => decodeMethodCall('<methodCall><methodName>x</methodName><params><param><value><int>abc</int></value></param></params></methodCall>')).toThrow(XmlRpcParseError);
  });

  it('prints floats like Python repr', () => {
    expect(pythonFloatRepr(4350)).toBe('4350.0');
    expect(pythonFloatRepr(0.1)).toBe('0.1');
  });
});
