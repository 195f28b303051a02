import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AutomationWebhookPost } from '../contract.js';
import { createSimEngine, type SimEngineWithInternals } from '../engine.js';

type R = Record<string, any>;
const ADMIN = 2;

function fieldIds(engine: SimEngineWithInternals, model: string, names: string[]): number[] {
  return engine.execute(ADMIN, 'ir.model.fields', 'search', [[['model', '=', model], ['name', 'in', names]]], {}) as number[];
}

/** Sets up a webhook rule through the RPC surface, the way a test (or an admin) would in Odoo. */
function addRule(
  engine: SimEngineWithInternals,
  opts: { model: string; trigger: string; fields: string[]; filter?: string; triggerFields?: string[]; url?: string; name?: string },
): { actionId: number; ruleId: number } {
  const [modelId] = engine.execute(ADMIN, 'ir.model', 'search', [[['model', '=', opts.model]]], {}) as number[];
  const actionId = engine.execute(ADMIN, 'ir.actions.server', 'create', [{
    name: opts.name ?? 'Relay partner hook',
    state: 'webhook',
    model_id: modelId,
    webhook_url: opts.url ?? 'http://127.0.0.1:18999/hook',
    webhook_field_ids: [[6, 0, fieldIds(engine, opts.model, opts.fields)]],
  }], {}) as number;
  const ruleId = engine.execute(ADMIN, 'base.automation', 'create', [{
    name: 'Relay rule',
    model_id: modelId,
    trigger: opts.trigger,
    filter_domain: opts.filter ?? false,
    trigger_field_ids: opts.triggerFields ? [[6, 0, fieldIds(engine, opts.model, opts.triggerFields)]] : [],
    action_server_ids: [[6, 0, [actionId]]],
  }], {}) as number;
  return { actionId, ruleId };
}

function collect(engine: SimEngineWithInternals): AutomationWebhookPost[] {
  const posts: AutomationWebhookPost[] = [];
  engine.onAutomationWebhook((p) => posts.push(p));
  return posts;
}

describe('automation webhooks with Odoo noise (default)', () => {
  const fixture = JSON.parse(
    readFileSync('/work/shared/odoo-fixtures/automation-webhook/on-create-or-write-res-partner.json', 'utf8'),
  ) as { posts: { body: R }[] };

  it('reproduces the recorded posts of a company write and a partner create', () => {
    const engine = createSimEngine();
    const { actionId } = addRule(engine, { model: 'res.partner', trigger: 'on_create_or_write', fields: ['name', 'email', 'write_date'] });
    const posts = collect(engine);

    engine.execute(ADMIN, 'res.partner', 'write', [[9], { email: 'acme-hook@example.com' }], {});
    const newId = engine.execute(ADMIN, 'res.partner', 'create', [{ name: 'Hooked Partner' }], {}) as number;

    // Same sequence shape as the recording: children first, then the company twice, then 13 creates.
    const recorded = fixture.posts.map((p) => p.body);
    expect(posts).toHaveLength(recorded.length);
    const sameShape = (b: R) => ({ ...b, _action: 'X', write_date: 'T' });
    const expectedBodies = recorded.map((b) => sameShape({ ...b, _id: b._id === 55 ? newId : b._id, id: b.id === 55 ? newId : b.id }));
    expect(posts.map((p) => sameShape(p.body))).toEqual(expectedBodies);
    // Keys in Odoo's (sorted) order, action name with id, microsecond write_date.
    expect(Object.keys(posts[0]!.body)).toEqual(Object.keys(recorded[0]!));
    expect(posts[0]!.body._action).toBe(`Relay partner hook(#${actionId})`);
    expect(posts[0]!.body.write_date).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/);
    expect(posts.every((p) => p.url === 'http://127.0.0.1:18999/hook')).toBe(true);
    // The company's contacts were written in the same transaction: same write_date.
    expect(new Set(posts.slice(0, 5).map((p) => p.body.write_date)).size).toBe(1);
  });

  it('stops emitting once the listener unsubscribes', () => {
    const engine = createSimEngine();
    addRule(engine, { model: 'res.partner', trigger: 'on_create', fields: ['name'] });
    const posts: AutomationWebhookPost[] = [];
    const off = engine.onAutomationWebhook((p) => posts.push(p));
    engine.execute(ADMIN, 'res.partner', 'create', [{ name: 'One' }], {});
    off();
    engine.execute(ADMIN, 'res.partner', 'create', [{ name: 'Two' }], {});
    expect(posts).toHaveLength(13);
    expect(new Set(posts.map((p) => p.body.name))).toEqual(new Set(['One']));
  });
});

describe('automation webhooks without noise', () => {
  const quiet = () => createSimEngine({ automationNoise: 'none' });

  it('sends one post per created record, with read-format values', () => {
    const engine = quiet();
    addRule(engine, { model: 'res.partner', trigger: 'on_create', fields: ['name', 'parent_id', 'email'] });
    const posts = collect(engine);
    const ids = engine.execute(ADMIN, 'res.partner', 'create', [[{ name: 'A', parent_id: 9 }, { name: 'B' }]], {}) as number[];
    expect(posts.map((p) => p.body)).toEqual([
      { _action: expect.stringMatching(/\(#\d+\)$/), _id: ids[0], _model: 'res.partner', email: false, id: ids[0], name: 'A', parent_id: [9, 'Acme Corporation'] },
      { _action: expect.stringMatching(/\(#\d+\)$/), _id: ids[1], _model: 'res.partner', email: false, id: ids[1], name: 'B', parent_id: false },
    ]);
    // an on_create rule ignores writes
    engine.execute(ADMIN, 'res.partner', 'write', [ids, { email: 'x@example.com' }], {});
    expect(posts).toHaveLength(2);
  });

  it('applies the stored Python filter_domain after the change', () => {
    const engine = quiet();
    addRule(engine, { model: 'sale.order', trigger: 'on_write', fields: ['name', 'state', 'amount_total'], filter: "[('state', '=', 'sale')]", name: 'Order confirmed' });
    const posts = collect(engine);
    const order = engine.execute(ADMIN, 'sale.order', 'create', [{ partner_id: 10, order_line: [[0, 0, { name: 'x', price_unit: 100, product_uom_qty: 2 }]] }], {}) as number;
    engine.execute(ADMIN, 'sale.order', 'write', [[order], { client_order_ref: 'PO-1' }], {});
    expect(posts).toHaveLength(0);
    engine.execute(ADMIN, 'sale.order', 'action_confirm', [[order]], {});
    expect(posts).toHaveLength(1);
    expect(posts[0]!.body).toMatchObject({ _model: 'sale.order', _id: order, state: 'sale', amount_total: 200 });
    expect(posts[0]!.body._action).toMatch(/^Order confirmed\(#\d+\)$/);
  });

  it('fires only when a trigger field changes', () => {
    const engine = quiet();
    addRule(engine, { model: 'res.partner', trigger: 'on_write', fields: ['phone'], triggerFields: ['phone'] });
    const posts = collect(engine);
    engine.execute(ADMIN, 'res.partner', 'write', [[3], { email: 'new@example.com' }], {});
    expect(posts).toHaveLength(0);
    engine.execute(ADMIN, 'res.partner', 'write', [[3], { phone: '+32 2 000 00 00' }], {});
    expect(posts.map((p) => p.body.phone)).toEqual(['+32 2 000 00 00']);
    engine.execute(ADMIN, 'res.partner', 'write', [[3], { phone: '+32 2 000 00 00' }], {});
    expect(posts).toHaveLength(1);
  });

  it('emits on unlink with the last values, before deletion', () => {
    const engine = quiet();
    addRule(engine, { model: 'res.partner', trigger: 'on_unlink', fields: ['name', 'email'] });
    const posts = collect(engine);
    const id = engine.execute(ADMIN, 'res.partner', 'create', [{ name: 'Doomed', email: 'doomed@example.com' }], {}) as number;
    engine.onAutomationWebhook(() => {
      // The record still exists while listeners run.
      expect(engine.execute(ADMIN, 'res.partner', 'read', [[id]], { fields: ['name'] })).toHaveLength(1);
    });
    engine.execute(ADMIN, 'res.partner', 'unlink', [[id]], {});
    expect(posts.map((p) => p.body)).toEqual([{ _action: expect.any(String), _id: id, _model: 'res.partner', email: 'doomed@example.com', id, name: 'Doomed' }]);
    expect(engine.execute(ADMIN, 'res.partner', 'read', [[id]], {})).toEqual([]);
  });

  it('ignores archived rules and non-webhook actions; accepts model_name instead of model_id', () => {
    const engine = quiet();
    const { ruleId } = addRule(engine, { model: 'res.partner', trigger: 'on_create', fields: ['name'] });
    engine.execute(ADMIN, 'base.automation', 'write', [[ruleId], { active: false }], {});
    const codeAction = engine.execute(ADMIN, 'ir.actions.server', 'create', [{ name: 'Code', state: 'code', model_name: 'res.partner', code: 'pass' }], {});
    engine.execute(ADMIN, 'base.automation', 'create', [{ name: 'Code rule', model_name: 'res.partner', trigger: 'on_create', action_server_ids: [[6, 0, [codeAction]]] }], {});
    const hook = engine.execute(ADMIN, 'ir.actions.server', 'create', [{ name: 'By name', state: 'webhook', model_name: 'res.partner', webhook_url: 'http://h/x' }], {});
    engine.execute(ADMIN, 'base.automation', 'create', [{ name: 'Name rule', model_name: 'res.partner', trigger: 'on_create_or_write', action_server_ids: [[6, 0, [hook]]] }], {});
    const posts = collect(engine);
    const id = engine.execute(ADMIN, 'res.partner', 'create', [{ name: 'Z' }], {});
    expect(posts).toEqual([{ url: 'http://h/x', body: { _action: `By name(#${hook})`, _id: id, _model: 'res.partner', id } }]);
  });
});
