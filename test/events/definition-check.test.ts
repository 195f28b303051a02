/**
 * A subscription Odoo refuses (unknown model or field, a domain it cannot evaluate) is refused
 * when it is saved, with Odoo's reason, instead of being accepted and failing on every poll.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEventsRig, type EventsRig } from './helpers.js';

let rig: EventsRig;
beforeAll(async () => {
  rig = await startEventsRig({ simVersion: 19 });
});
afterAll(() => rig.close());

const base = { model: 'res.partner', targetUrl: 'http://127.0.0.1:9/hook', events: ['create', 'write'], captureMode: 'poll' };
const count = async () => (await rig.relay.ctx.storage.db.selectFrom('subscriptions').select('id').execute()).length;

describe('subscriptions Odoo refuses', () => {
  it.each([
    // The model's refusal names the field, so the dashboard's form marks it (details.field, as validation errors).
    ['an unknown model', { model: 'no.such.model' }, 404, 'odoo_unknown_model', 'model'],
    ['an unknown payload field', { fields: ['name', 'nonexistent_field'] }, 400, 'invalid_request', 'fields'],
    ['an unknown watched field', { changedFields: ['emial'] }, 400, 'invalid_request', 'changedFields'],
    ['an unknown operator in the domain', { domain: [['name', 'badop', 'x']] }, 400, 'odoo_bad_request', 'domain'],
    ['an unknown field in the domain', { domain: [['no_such_field', '=', 'x']] }, 400, 'odoo_bad_request', 'domain'],
    // Not model names at all: refused by the relay, before Odoo, naming the field.
    ['a model name ending in a dot', { model: 'res.partner.' }, 400, 'invalid_request', 'model'],
    ['a model name with an empty part', { model: 'res..partner' }, 400, 'invalid_request', 'model'],
  ])('refuses %s at creation and keeps nothing', async (_label, change, status, code, field) => {
    const before = await count();
    const res = await rig.api('POST', '/api/v1/subscriptions', { ...base, ...change });
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body).toMatchObject({ success: false, code });
    if (field) expect(res.body.details.field).toBe(field);
    expect(await count()).toBe(before);
  });

  it('refuses such a change to an existing subscription and keeps it as it was', async () => {
    const created = await rig.api('POST', '/api/v1/subscriptions', { ...base, domain: [['is_company', '=', true]], fields: ['name'] });
    expect(created.status).toBe(201);
    const id = created.body.subscription.id;
    const badDomain = await rig.api('PATCH', `/api/v1/subscriptions/${id}`, { domain: [['name', 'badop', 'x']] });
    expect(badDomain.body.code).toBe('odoo_bad_request');
    expect(badDomain.body.details.field).toBe('domain');
    const badFields = await rig.api('PATCH', `/api/v1/subscriptions/${id}`, { fields: ['name', 'nonexistent_field'] });
    expect(badFields.body).toMatchObject({ code: 'invalid_request', details: { field: 'fields', unknown: ['nonexistent_field'] } });
    const now = await rig.api('GET', `/api/v1/subscriptions/${id}`);
    expect(now.body.subscription).toMatchObject({ domain: [['is_company', '=', true]], fields: ['name'], captureEffective: 'poll' });
    const fine = await rig.api('PATCH', `/api/v1/subscriptions/${id}`, { fields: ['name', 'email'], domain: [] });
    expect(fine.status, JSON.stringify(fine.body)).toBe(200);
  });
});
