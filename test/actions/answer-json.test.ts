import { describe, expect, it } from 'vitest';
import { ExecuteAnswer } from '../../src/actions/answer-json.js';

const meta = { odooVersion: '19.0', protocol: 'json2', odooMs: 1.2 };

describe("execute_method answers written with Odoo's own JSON text of the result", () => {
  it('are byte for byte what JSON.stringify gives when Odoo wrote compact JSON', () => {
    const result = [{ id: 9, name: 'Acme Corporation', country_id: [233, 'United States'] }];
    const answer = new ExecuteAnswer(result, meta, JSON.stringify(result));
    expect(answer.json()).toBe(JSON.stringify(answer));
    expect(JSON.stringify(answer)).toBe(JSON.stringify({ success: true, result, meta }));
  });

  it("keep Odoo's formatting (Python's spaces and \\u escapes) and mean the same JSON", () => {
    const text = '[{"id": 9, "name": "Soci\\u00e9t\\u00e9 G\\u00e9n\\u00e9rale", "amount": 1e-05, "active": true, "parent_id": false}]';
    const answer = new ExecuteAnswer(JSON.parse(text), meta, text);
    const json = answer.json()!;
    expect(json).toContain(text);
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(answer)));
    expect(Object.keys(JSON.parse(json))).toEqual(['success', 'result', 'meta']);
  });

  it('have no such text when Odoo gave none, and never show it to JSON.stringify', () => {
    expect(new ExecuteAnswer(1, meta).json()).toBeUndefined();
    expect(JSON.stringify(new ExecuteAnswer([1], meta, '[ 1 ]'))).toBe(JSON.stringify({ success: true, result: [1], meta }));
  });
});
