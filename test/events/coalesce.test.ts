import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ChangeCoalescer, parseOdooWebhookPost, type ChangeSignal } from '../../src/events/coalesce.js';

interface Fixture {
  posts: { headers: Record<string, string>; body: Record<string, unknown> }[];
}
// Recorded from a real Odoo 19.0 (copy of odoo-fixtures/automation-webhook/on-create-or-write-res-partner.json).
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/odoo19-automation-webhook-res-partner.json', import.meta.url), 'utf8'),
) as Fixture;
const signals = fixture.posts.map((p) => parseOdooWebhookPost(p.body)!);

describe('parseOdooWebhookPost', () => {
  it('reads every post of the recorded fixture, normalizing write_date to seconds', () => {
    expect(fixture.posts).toHaveLength(18);
    expect(signals[0]).toEqual({ model: 'res.partner', recordId: 36, writeDate: '2026-11-24 13:31:09' });
    expect(signals.at(-1)).toEqual({ model: 'res.partner', recordId: 55, writeDate: '2026-11-24 13:31:09' });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['an array', []],
    ['no _model', { _id: 1 }],
    ['no _id', { _model: 'res.partner' }],
    ['a string id', { _model: 'res.partner', _id: '1' }],
    ['an odd model name', { _model: 'Res Partner', _id: 1 }],
  ])('rejects %s', (_name, body) => {
    expect(parseOdooWebhookPost(body)).toBeNull();
  });

  it('accepts a post without write_date (coalesced by record only)', () => {
    expect(parseOdooWebhookPost({ _model: 'res.partner', _id: 3, name: 'x' })).toEqual({
      model: 'res.partner',
      recordId: 3,
      writeDate: null,
    });
  });
});

describe('ChangeCoalescer', () => {
  it('turns the fixture’s 18 posts into one hint per changed record', () => {
    const c = new ChangeCoalescer({ quietMs: 1_000 });
    // Odoo sent all posts within one request cycle: 5 ms apart is generous.
    signals.forEach((s, i) => expect(c.offer(s, i * 5)).toEqual([]));
    expect(c.due(18 * 5)).toEqual([]); // still inside the quiet window
    const hints = c.due(18 * 5 + 1_000);
    expect(hints.map((h) => [h.recordId, h.posts])).toEqual([
      [36, 1],
      [19, 1],
      [20, 1],
      [9, 2],
      [55, 13],
    ]);
    expect(c.size).toBe(0);
  });

  it('releases on the trailing edge: each repeat post extends the quiet window', () => {
    const c = new ChangeCoalescer({ quietMs: 1_000, maxWaitMs: 60_000 });
    const s = signals.at(-1)!;
    c.offer(s, 0);
    c.offer(s, 900);
    expect(c.due(1_000)).toEqual([]);
    expect(c.nextDueAt()).toBe(1_900);
    expect(c.due(1_900)).toMatchObject([{ recordId: 55, posts: 2, firstSeenAt: 0, lastSeenAt: 900 }]);
  });

  it('bounds the wait for a record that keeps being posted', () => {
    const c = new ChangeCoalescer({ quietMs: 1_000, maxWaitMs: 3_000 });
    const s = signals[0];
    for (let t = 0; t <= 2_800; t += 400) c.offer(s, t);
    expect(c.due(2_999)).toEqual([]);
    expect(c.due(3_000)).toHaveLength(1);
  });

  it('keeps a later real change (new write_date) as a separate hint', () => {
    const c = new ChangeCoalescer();
    const first: ChangeSignal = { model: 'res.partner', recordId: 9, writeDate: '2026-11-24 13:31:09' };
    c.offer(first, 0);
    c.offer({ ...first, writeDate: '2026-11-24 13:31:10' }, 10);
    c.offer({ ...first, model: 'res.company' }, 20);
    expect(c.due(5_000).map((h) => `${h.model}:${h.writeDate}`)).toEqual([
      'res.partner:2026-11-24 13:31:09',
      'res.partner:2026-11-24 13:31:10',
      'res.company:2026-11-24 13:31:09',
    ]);
  });

  it('posts after a release start a new hint (nothing is swallowed for good)', () => {
    const c = new ChangeCoalescer({ quietMs: 100 });
    c.offer(signals[0], 0);
    expect(c.due(100)).toHaveLength(1);
    c.offer(signals[0], 150);
    expect(c.due(250)).toMatchObject([{ recordId: 36, posts: 1, firstSeenAt: 150 }]);
  });

  it('evicts the oldest pending hints early instead of growing without bound', () => {
    const c = new ChangeCoalescer({ maxPending: 2 });
    const mk = (id: number): ChangeSignal => ({ model: 'res.partner', recordId: id, writeDate: null });
    expect(c.offer(mk(1), 0)).toEqual([]);
    expect(c.offer(mk(2), 1)).toEqual([]);
    expect(c.offer(mk(3), 2).map((h) => h.recordId)).toEqual([1]);
    expect(c.size).toBe(2);
    expect(c.flush().map((h) => h.recordId)).toEqual([2, 3]);
    expect(c.nextDueAt()).toBeNull();
  });
});
