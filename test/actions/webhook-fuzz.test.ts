import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';

let relay: TestRelay;
let key: string;
beforeAll(async () => {
  relay = await startTestRelay();
  key = (await relay.createKey({ rateLimit: 1_000_000 })).key;
});
afterAll(() => relay.close());

const send = (raw: string | Buffer) => relay.post('/api/n8n/webhook', raw, { authorization: `Bearer ${key}` });

/** A deterministic pseudo-random generator, so a failing case can be replayed from its seed. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function randomValue(rand: () => number, depth: number): unknown {
  const pick = Math.floor(rand() * (depth > 4 ? 6 : 9));
  switch (pick) {
    case 0: return null;
    case 1: return rand() < 0.5;
    case 2: return Math.floor(rand() * 2 ** 40) * (rand() < 0.5 ? -1 : 1);
    case 3: return rand() * 1e308;
    case 4: return crypto.randomBytes(Math.floor(rand() * 20)).toString('latin1');
    case 5: return ['execute_method', 'chat', 'get_config', 'test_connection', '__proto__', ''][Math.floor(rand() * 6)];
    case 6: return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
    default: {
      const keys = ['action', 'model', 'method', 'args', 'kwargs', 'message', 'constructor', 'toString', 'x'];
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 5) }, () => [keys[Math.floor(rand() * keys.length)]!, randomValue(rand, depth + 1)]));
    }
  }
}

// A request that passed validation ends at the missing Odoo connection (no Odoo here) or at
// the unconfigured chat: those are the only answers outside 4xx allowed.
const validOutcome = (code: unknown) => code === 'no_odoo_connection' || code === 'chat_not_configured';

describe('webhook fuzzing: never a 5xx, never a crash, always the error envelope', () => {
  const expectClean4xx = (r: { status: number; body: any; text: string }, label: string) => {
    expect(r.status, label).toBeGreaterThanOrEqual(400);
    expect(r.status, label).toBeLessThan(500);
    expect(r.body, `${label}: ${r.text.slice(0, 200)}`).toMatchObject({ success: false });
    expect(typeof r.body.code).toBe('string');
    expect(typeof r.body.error).toBe('string');
  };

  it.each([
    ['empty body', ''],
    ['whitespace', '   '],
    ['truncated', '{"action":'],
    ['trailing garbage', '{"action":"get_config"} x'],
    ['array', '[1,2,3]'],
    ['string', '"execute_method"'],
    ['number', '42'],
    ['null', 'null'],
    ['__proto__ key', '{"action":"execute_method","__proto__":{"admin":true}}'],
    ['nested __proto__', '{"action":"execute_method","kwargs":{"__proto__":{"x":1}}}'],
    ['constructor.prototype', '{"action":"get_config","constructor":{"prototype":{"x":1}}}'],
    ['deep nesting', '['.repeat(10_000) + ']'.repeat(10_000)],
    ['deep object nesting', '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000)],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
    ['lone surrogate escape', '{"action":"chat","message":"\\ud800"}'],
    ['model injection', '{"action":"execute_method","model":"res.partner; DROP TABLE","method":"read"}'],
    ['method with dots', '{"action":"execute_method","model":"res.partner","method":"read.__class__"}'],
    ['huge number', '{"action":"execute_method","model":"res.partner","method":"read","args":[1e400]}'],
    ['wrong types everywhere', '{"action":"execute_method","model":1,"method":[],"args":{},"kwargs":"x"}'],
  ])('%s', async (label, raw) => {
    const r = await send(raw as string | Buffer);
    if (validOutcome(r.body?.code)) return;
    expectClean4xx(r, String(label));
  });

  it('survives 300 random bodies', async () => {
    const rand = prng(20261125);
    for (let i = 0; i < 300; i++) {
      const value = randomValue(rand, 0);
      const r = await send(JSON.stringify(value) ?? 'null');
      if (validOutcome(r.body?.code)) continue;
      expectClean4xx(r, `case ${i}: ${JSON.stringify(value)?.slice(0, 120)}`);
    }
    // Still healthy afterwards, and the prototype was not polluted.
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    const health = await fetch(`${relay.url}/healthz`);
    expect(health.status).toBe(200);
  });
});

/**
 * Past validation, into Odoo: random positional args and kwargs for common ORM methods, through
 * the JSON-RPC (18) and JSON-2 (19) clients to the Odoo test server. Whatever Odoo makes of them,
 * the answer is a success or a clean refusal: never a 5xx, never a crash.
 */
describe.each([18, 19] as const)('webhook fuzzing into Odoo %i', (version) => {
  let odooRelay: TestRelay;
  let sim: OdooSim;
  let auth: Record<string, string>;
  beforeAll(async () => {
    sim = await startOdooSim({ version, apiKey: 'fuzz-api-key-0123456789', automationNoise: 'none' });
    odooRelay = await startTestRelay();
    await odooRelay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: version === 19 ? 'fuzz-api-key-0123456789' : 'admin' });
    auth = { authorization: `Bearer ${(await odooRelay.createKey({ rateLimit: 1_000_000 })).key}` };
  });
  afterAll(async () => {
    await odooRelay?.close();
    await sim?.close();
  });

  it('answers 200 or a clean 4xx to 200 random argument lists', async () => {
    const rand = prng(20261204 + version);
    const models = ['res.partner', 'sale.order', 'product.product'];
    const methods = ['search_read', 'read', 'search', 'search_count', 'write', 'create', 'unlink', 'read_group', 'fields_get', 'name_search', 'default_get', 'action_confirm'];
    const statuses = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const args = Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, 2));
      const kwargs = rand() < 0.5 ? {} : Object.fromEntries(Array.from({ length: Math.floor(rand() * 3) }, () => [['fields', 'limit', 'domain', 'order', 'context', 'x'][Math.floor(rand() * 6)]!, randomValue(rand, 2)]));
      const body = { action: 'execute_method', model: models[Math.floor(rand() * models.length)], method: methods[Math.floor(rand() * methods.length)], args, kwargs };
      const r = await odooRelay.post('/api/n8n/webhook', body, auth);
      const label = `case ${i}: ${JSON.stringify(body).slice(0, 160)} → ${r.status} ${r.text.slice(0, 160)}`;
      statuses.add(r.status);
      expect(r.status, label).toBeLessThan(500);
      expect(r.body.success, label).toBe(r.status === 200);
      if (r.status !== 200) expect(typeof r.body.code, label).toBe('string');
    }
    // The cases reached Odoo and were not all refused up front.
    expect(statuses.has(200)).toBe(true);
    expect((await fetch(`${odooRelay.url}/healthz`)).status).toBe(200);
  });
});
