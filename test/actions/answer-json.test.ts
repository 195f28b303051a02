import { describe, expect, it } from 'vitest';
import { answerJson, withResultJson } from '../../src/actions/answer-json.js';

const meta = { odooVersion: '19.0', protocol: 'json2', odooMs: 1.2 };

describe("webhook answers written with Odoo's own JSON text of the result", () => {
  it('are byte for byte what JSON.stringify gives when Odoo wrote compact JSON', () => {
    const result = [{ id: 9, name: 'Acme Corporation', country_id: [233, 'United States'] }];
    const answer = withResultJson({ success: true as const, result, meta }, JSON.stringify(result));
    expect(answerJson(answer)).toBe(JSON.stringify(answer));
  });

  it("keep Odoo's formatting (Python's spaces and \\u escapes) and mean the same JSON", () => {
    const text = '[{"id": 9, "name": "Soci\\u00e9t\\u00e9 G\\u00e9n\\u00e9rale", "amount": 1e-05, "active": true, "parent_id": false}]';
    const answer = withResultJson({ success: true as const, result: JSON.parse(text), meta }, text);
    const json = answerJson(answer)!;
    expect(json).toContain(text);
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(answer)));
    expect(Object.keys(JSON.parse(json))).toEqual(['success', 'result', 'meta']);
  });

  it('are not used for answers without such a text', () => {
    expect(answerJson({ success: true, result: 1, meta })).toBeUndefined();
    expect(answerJson(withResultJson({ success: true as const, result: 1, meta }, undefined))).toBeUndefined();
    expect(answerJson(null)).toBeUndefined();
    expect(answerJson('text')).toBeUndefined();
  });
});
