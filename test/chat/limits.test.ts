import { describe, expect, it } from 'vitest';
import { effectiveLimit, fitToolResult, outputSchemaProblem, overBudget, RepeatDetector, stepTokens, tokensOf, toolCallSignature, usedTokens } from '../../src/chat/limits.js';
import { compileOutputSchema } from '../../src/chat/agent.js';
import { allowListDomain } from '../../src/chat/tools.js';
import { textMatcher } from '../odoo-sim/engine/domain.js';
import { ConversationStore, trimToTurns } from '../../src/chat/conversations.js';
import { invalidCallRefusal } from '../../src/chat/agent.js';
import type { ModelMessage } from 'ai';

describe('chat limits', () => {
  it('caps a tool call limit at the relay maximum', () => {
    expect(effectiveLimit(undefined, 50)).toBe(50);
    expect(effectiveLimit(10, 50)).toBe(10);
    expect(effectiveLimit(500, 50)).toBe(50);
    expect(effectiveLimit(0, 50)).toBe(50);
    expect(effectiveLimit(2.7, 50)).toBe(2);
  });

  it('recognises the same call whatever its key order, and calls the third repeat a loop', () => {
    expect(toolCallSignature('t', { a: 1, b: [1, { y: 2, x: 1 }] })).toBe(toolCallSignature('t', { b: [1, { x: 1, y: 2 }], a: 1 }));
    const d = new RepeatDetector();
    expect(d.seen('t', { a: 1 }).looping).toBe(false);
    expect(d.seen('t', { a: 2 }).looping).toBe(false);
    expect(d.seen('t', { a: 1 }).looping).toBe(false);
    expect(d.seen('t', { a: 1 })).toEqual({ count: 3, looping: true });
  });

  it('adds token usage across steps', () => {
    expect(overBudget([{ usage: { totalTokens: 400 } }, { usage: { inputTokens: 300, outputTokens: 200 } }], 1000)).toBe(false);
    expect(overBudget([{ usage: { totalTokens: 400 } }, { usage: { inputTokens: 400, outputTokens: 200 } }], 1000)).toBe(true);
    // A provider's zero is a count, not a missing one.
    expect(overBudget([{ usage: { inputTokens: 0, outputTokens: 0 }, request: { body: 'x'.repeat(4000) } }], 1)).toBe(false);
  });

  it('estimates a step the provider reported no usage for: about four characters a token, sent and received', () => {
    const step = { usage: { inputTokens: undefined, outputTokens: undefined, totalTokens: undefined }, request: { body: 'x'.repeat(4000) }, text: 'y'.repeat(400), toolCalls: [] };
    expect(stepTokens(step)).toBe(1100);
    expect(stepTokens({ request: { body: { messages: [{ role: 'user', content: 'z'.repeat(98) }] } }, toolCalls: [{ input: { model: 'res.partner' } }] })).toBe(Math.ceil((JSON.stringify({ messages: [{ role: 'user', content: 'z'.repeat(98) }] }).length + JSON.stringify([{ model: 'res.partner' }]).length) / 4));
    expect(usedTokens([step, { usage: { totalTokens: 50 } }])).toBe(1150);
    expect(overBudget([step, step], 2200)).toBe(true);
    expect(stepTokens({})).toBe(0);
  });

  it('accepts a small object schema and refuses the rest with a reason', () => {
    expect(outputSchemaProblem({ type: 'object', properties: { a: { type: 'string' } } })).toBeNull();
    expect(outputSchemaProblem([])).toMatch(/object/);
    expect(outputSchemaProblem({ type: 'string' })).toMatch(/"type": "object"/);
    expect(outputSchemaProblem({ type: 'object' })).toMatch(/properties/);
    expect(outputSchemaProblem({ type: 'object', properties: { a: { $ref: 'https://evil.example/s.json' } } })).toMatch(/\$ref/);
    let deep: any = { type: 'string' };
    for (let i = 0; i < 8; i++) deep = { type: 'object', properties: { x: deep } };
    expect(outputSchemaProblem(deep)).toMatch(/deeply/);
  });

  it('stops private methods and writes the request did not allow', () => {
    expect(invalidCallRefusal('_compute_password', true)?.code).toBe('private_method');
    expect(invalidCallRefusal('create', false)?.code).toBe('chat_writes_disabled');
    expect(invalidCallRefusal('unlink', false)?.code).toBe('chat_writes_disabled');
    expect(invalidCallRefusal('search_raed', false)).toBeNull(); // a typo goes back to the model
  });
});

describe('conversation memory', () => {
  const msg = (role: 'user' | 'assistant', content: string): ModelMessage => ({ role, content }) as ModelMessage;

  it('forgets after the idle time and keeps owners apart', () => {
    const store = new ConversationStore(1000, 10);
    store.save('key:a', 'c1', [msg('user', 'hi')], 1, 0);
    expect(store.get('key:a', 'c1', 500).turns).toBe(1);
    expect(store.get('key:b', 'c1', 500).turns).toBe(0);
    expect(store.get('key:a', 'c1', 2000)).toEqual({ messages: [], turns: 0 });
  });

  it('forgets the least recently used conversation past the count', () => {
    const store = new ConversationStore(60_000, 2);
    store.save('o', 'a', [], 1, 1);
    store.save('o', 'b', [], 1, 2);
    store.save('o', 'a', [], 2, 3); // a is now the most recent
    store.save('o', 'c', [], 1, 4);
    expect(store.size).toBe(2);
    expect(store.get('o', 'b', 5).turns).toBe(0);
    expect(store.get('o', 'a', 5).turns).toBe(2);
  });

  it('lets one turn at a time run on a conversation, numbers turns in order, and frees it however the turn ended', () => {
    const store = new ConversationStore(60_000, 10);
    const first = store.beginTurn('key:a', 'c1', 0)!;
    expect(first).toMatchObject({ history: [], number: 1 });
    expect(store.beginTurn('key:a', 'c1', 1)).toBeNull();
    expect(store.beginTurn('key:b', 'c1', 1)).not.toBeNull(); // another owner's conversation
    first.save([msg('user', 'q1'), msg('assistant', 'a1')]);
    first.end();
    const second = store.beginTurn('key:a', 'c1', 2)!;
    expect(second.number).toBe(2);
    expect(second.history.map((m) => m.content)).toEqual(['q1', 'a1']);
    first.end(); // ending twice does not free a later turn
    expect(store.beginTurn('key:a', 'c1', 3)).toBeNull();
    second.end(); // failed: nothing saved, the conversation is free and still at one turn
    expect(store.beginTurn('key:a', 'c1', 4)!.number).toBe(2);
  });

  it('trims whole turns so a tool call is never cut from its result', () => {
    const turns = [msg('user', 'q1'), msg('assistant', 'a1'), msg('user', 'q2'), msg('assistant', 'call'), { role: 'tool', content: [] } as ModelMessage, msg('assistant', 'a2')];
    expect(trimToTurns(turns, 10)).toBe(turns);
    expect(trimToTurns(turns, 4).map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    expect(trimToTurns(turns, 2).map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
  });
});

describe('fitToolResult', () => {
  it('passes a small result as it is', () => {
    const small = { rows: [{ id: 1, name: 'Azure' }] };
    expect(fitToolResult(small)).toBe(small);
  });

  it('cuts long texts first, saying how much was left out', () => {
    const out = fitToolResult({ rows: [{ id: 1, comment: 'x'.repeat(50_000) }] }, 10_000, 100) as { rows: { comment: string }[] };
    expect(out.rows[0]!.comment).toBe(`${'x'.repeat(100)}… [49900 more characters]`);
  });

  it('hands over the start of the JSON text, marked truncated, when cut texts are still too many', () => {
    const rows = Array.from({ length: 500 }, (_, i) => ({ id: i, name: `Partner ${i}`, email: `p${i}@example.com` }));
    const out = fitToolResult({ rows }, 2_000, 100) as { truncated: boolean; note: string; partial: string };
    expect(out.truncated).toBe(true);
    expect(out.partial).toHaveLength(2_000);
    expect(out.partial.startsWith('{"rows":[{"id":0,')).toBe(true);
    expect(out.note).toMatch(/Ask for fewer rows or fields/);
  });
});

describe('compileOutputSchema', () => {
  it('takes a property named pattern (a name, not the keyword) and checks answers against the schema', () => {
    const check = compileOutputSchema({ type: 'object', properties: { pattern: { type: 'string' } }, required: ['pattern'] });
    expect(check({ pattern: 'stripes' })).toEqual({ ok: true });
    expect(check({ pattern: 7 })).toMatchObject({ ok: false });
  });
});

describe('allowListDomain', () => {
  it('turns a model allow-list into an ir.model domain, LIKE wildcards in prefixes escaped', () => {
    expect(allowListDomain(null)).toEqual([]);
    expect(allowListDomain(['sale.*', '*'])).toEqual([]);
    expect(allowListDomain(['res.partner'])).toEqual([['model', '=', 'res.partner']]);
    const domain = allowListDomain(['res.partner', 'x_studio.*', 'sale.*']);
    expect(domain).toEqual(['|', '|', ['model', '=', 'res.partner'], ['model', '=like', 'x\\_studio.%'], ['model', '=like', 'sale.%']]);
    // As PostgreSQL reads the escaped prefix (the Odoo test server does the same).
    const matches = textMatcher('=like', 'x\\_studio.%');
    expect([matches('x_studio.lead'), matches('xystudio.lead')]).toEqual([true, false]);
  });
});

describe('tokensOf', () => {
  it('never counts below zero, so a provider reporting negative usage buys no budget', () => {
    expect(tokensOf({ inputTokens: -5, outputTokens: 2 })).toBe(0);
    expect(tokensOf({ totalTokens: -100 })).toBe(0);
    expect(tokensOf({ inputTokens: 10, outputTokens: 5 })).toBe(15);
    expect(overBudget([{ usage: { totalTokens: -1_000_000 } }, { usage: { totalTokens: 900 } }], 800)).toBe(true);
  });
});
