import { describe, expect, it } from 'vitest';
import { ExecuteAnswer } from '../../src/actions/answer-json.js';

const meta = { odooVersion: '19.0', protocol: 'json2', odooMs: 1.2 };

describe("execute_method answers written with Odoo's own JSON text of the result", () => {
  it('are byte for byte what JSON.stringify gives when Odoo wrote compact JSON', () => {
    const result = [{ id: 9, name: 'Acme Corporation', country_id: [233, 'United States'] }];
    const answer = new ExecuteAnswer({ json: JSON.stringify(result) }, meta);
    expect(answer.json()).toBe(JSON.stringify({ success: true, result, meta }));
    expect(JSON.stringify(answer)).toBe(JSON.stringify({ success: true, result, meta }));
    expect(answer.result).toEqual(result);
  });

  it("keep Odoo's formatting (Python's spaces and \\u escapes) and mean the same JSON", () => {
    const text = '[{"id": 9, "name": "Soci\\u00e9t\\u00e9 G\\u00e9n\\u00e9rale", "amount": 1e-05, "active": true, "parent_id": false}]';
    const answer = new ExecuteAnswer({ json: text }, meta);
    const json = answer.json();
    expect(json).toContain(text);
    expect(JSON.parse(json)).toEqual({ success: true, result: JSON.parse(text), meta });
    expect(Object.keys(JSON.parse(json))).toEqual(['success', 'result', 'meta']);
  });

  it('serialize a value the usual way when Odoo gave no text, and show JSON.stringify the value either way', () => {
    expect(new ExecuteAnswer({ result: 1 }, meta).json()).toBe(JSON.stringify({ success: true, result: 1, meta }));
    // The idempotency store keeps JSON.stringify's text: Odoo's spacing is not kept there.
    expect(JSON.stringify(new ExecuteAnswer({ json: '[ 1 ]' }, meta))).toBe(JSON.stringify({ success: true, result: [1], meta }));
  });

  it('quote meta strings as JSON does', () => {
    const odd = { odooVersion: 'saas~18.4"beta"', protocol: 'json2', odooMs: 0 };
    expect(JSON.parse(new ExecuteAnswer({ json: 'true' }, odd).json())).toEqual({ success: true, result: true, meta: odd });
  });
});
