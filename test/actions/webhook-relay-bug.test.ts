/**
 * A bug in the relay's own Odoo client is the relay's fault: 500 internal_error, logged with the
 * Odoo secret masked, not a 502 that blames Odoo. The bug is simulated by making the JSON-2
 * transport throw a TypeError carrying the secret; everything else is real.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { Json2Transport } from '../../src/odoo/json2-transport.js';

const SECRET = 'odoo-api-key-that-must-stay-secret';
let relay: TestRelay;
let sim: OdooSim;
let key: string;
const logged: string[] = [];

beforeAll(async () => {
  sim = await startOdooSim({ version: 19, automationNoise: 'none', apiKey: SECRET });
  relay = await startTestRelay();
  await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: SECRET });
  key = (await relay.createKey()).key;
  // The relay's logger is silent in tests: listen to what it would write.
  const error = relay.ctx.logger.error.bind(relay.ctx.logger);
  vi.spyOn(relay.ctx.logger, 'error').mockImplementation(((obj: unknown, ...rest: unknown[]) => {
    logged.push(JSON.stringify(obj, (_k, v) => (v instanceof Error ? { message: v.message, stack: v.stack } : v)));
    return (error as (...a: unknown[]) => void)(obj, ...rest);
  }) as typeof relay.ctx.logger.error);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await relay?.close();
  await sim?.close();
});
afterEach(() => {
  logged.length = 0;
});

const call = () =>
  relay.post('/api/n8n/webhook', { action: 'execute_method', model: 'res.partner', method: 'search_read', args: [[]], kwargs: { limit: 1 } }, { authorization: `Bearer ${key}` });

describe('a bug in the Odoo client', () => {
  it('is answered 500 internal_error and logged without the Odoo secret', async () => {
    expect((await call()).status).toBe(200);
    const broken = vi.spyOn(Json2Transport.prototype, 'callText').mockImplementation(() => {
      throw new TypeError(`Cannot read properties of undefined (sending with ${SECRET})`);
    });
    try {
      const r = await call();
      expect(r.status).toBe(500);
      expect(r.body).toMatchObject({ success: false, code: 'internal_error' });
      expect(r.text).not.toContain(SECRET);
      expect(logged.length).toBeGreaterThan(0);
      expect(logged.join('\n')).toContain('Cannot read properties of undefined (sending with ***)');
      expect(logged.join('\n')).not.toContain(SECRET);
      // Counted and logged as the failure it was: a missing code used to read as success.
      const metrics = await (await fetch(`${relay.url}/metrics`)).text();
      expect(metrics).toMatch(/relay_webhook_actions_total\{action="execute_method",code="internal_error"\} 1/);
      await relay.ctx.requestLog.flush();
      const row = await relay.ctx.storage.db.selectFrom('request_log').select(['status', 'code']).where('request_id', '=', r.body.requestId).executeTakeFirstOrThrow();
      expect(row).toEqual({ status: 500, code: 'internal_error' });
    } finally {
      broken.mockRestore();
    }
    expect((await call()).status).toBe(200);
  });
});
