import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay, type HttpAnswer } from '../helpers/relay.js';
import { createUser } from '../../src/auth/users.js';
import { createApiKey } from '../../src/auth/api-keys.js';
import { saveDefaultConnection } from '../../src/connections/store.js';
import { computeHmacHex } from '../../src/auth/hmac.js';

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

let sim: OdooSim;
let relay: TestRelay;
/** A key of a user with a given Odoo connection (or none), for the rows that need one. */
let keyFor: (who: 'admin' | 'noOdoo' | 'downOdoo', opts?: { rateLimit?: number; scopes?: ('read' | 'webhook')[]; allowedModels?: string[]; hmac?: boolean }) => Promise<{ key: string; hmacSecret: string | null }>;

beforeAll(async () => {
  sim = await startOdooSim({ version: 18, automationNoise: 'none' });
  relay = await startTestRelay();
  const db = relay.ctx.storage.db;
  await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
  const noOdoo = await createUser(db, { username: 'no-odoo-user', password: 'correct horse battery' });
  const downOdoo = await createUser(db, { username: 'down-odoo-user', password: 'correct horse battery' });
  await saveDefaultConnection(db, relay.ctx.box, downOdoo.id, {
    url: `http://127.0.0.1:${await closedPort()}`,
    database: 'odoo_demo',
    login: 'admin',
    secret: 'admin',
    timeoutMs: 2000,
  });
  const owners = { admin: relay.admin.id, noOdoo: noOdoo.id, downOdoo: downOdoo.id };
  keyFor = async (who, opts = {}) => {
    const r = await createApiKey(db, relay.ctx.box, { userId: owners[who], name: `${who} key`, rateLimit: 50, ...opts }, 100);
    return { key: r.key, hmacSecret: r.hmacSecret };
  };
});
afterAll(async () => {
  await relay.close();
  await sim.close();
});

const exec = (model: string, method: string, args: unknown[] = [], kwargs = {}) => ({ action: 'execute_method', model, method, args, kwargs });

interface Row {
  label: string;
  status: number;
  code: string | null;
  limit?: number;
  send(): Promise<HttpAnswer>;
}

const bearer = (key: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${key}`, ...extra });

// Every answer to an API-key caller carries the three headers, whatever the outcome.
const rows: Row[] = [
  {
    label: '200 success',
    status: 200,
    code: null,
    send: async () => relay.post('/api/n8n/webhook', { action: 'get_config' }, bearer((await keyFor('admin')).key)),
  },
  {
    label: '400 invalid body',
    status: 400,
    code: 'invalid_request',
    send: async () => relay.post('/api/n8n/webhook', { action: 'execute_method', method: 'search_read' }, bearer((await keyFor('admin')).key)),
  },
  {
    label: '400 invalid JSON',
    status: 400,
    code: 'invalid_json',
    send: async () => relay.post('/api/n8n/webhook', '{"action": ', bearer((await keyFor('admin')).key)),
  },
  {
    label: '403 scope',
    status: 403,
    code: 'forbidden_scope',
    send: async () => relay.post('/api/n8n/webhook', exec('res.partner', 'create', [{ name: 'x' }]), bearer((await keyFor('admin', { scopes: ['read'] })).key)),
  },
  {
    label: '403 allow-list',
    status: 403,
    code: 'model_not_allowed',
    send: async () => relay.post('/api/n8n/webhook', exec('res.partner', 'search_count', [[]]), bearer((await keyFor('admin', { allowedModels: ['sale.*'] })).key)),
  },
  {
    label: '404 no Odoo connection',
    status: 404,
    code: 'no_odoo_connection',
    send: async () => relay.post('/api/n8n/webhook', { action: 'get_config' }, bearer((await keyFor('noOdoo')).key)),
  },
  {
    label: '413 body too large',
    status: 413,
    code: 'body_too_large',
    send: async () => relay.post('/api/n8n/webhook', exec('res.partner', 'create', [{ name: 'x'.repeat(1_100_000) }]), bearer((await keyFor('admin')).key)),
  },
  {
    label: '401 invalid_signature (HMAC key, wrong signature)',
    status: 401,
    code: 'invalid_signature',
    send: async () => {
      const body = JSON.stringify({ action: 'get_config' });
      const { key } = await keyFor('admin', { hmac: true });
      return relay.post('/api/n8n/webhook', body, bearer(key, { 'x-hmac-signature': computeHmacHex('not-the-secret', body) }));
    },
  },
  {
    label: '422 Odoo validation error',
    status: 422,
    code: 'odoo_validation_error',
    send: async () => relay.post('/api/n8n/webhook', exec('res.partner', 'create', [{ email: 'no-name@example.com' }]), bearer((await keyFor('admin')).key)),
  },
  {
    label: '502 Odoo unreachable',
    status: 502,
    code: 'odoo_unreachable',
    send: async () => relay.post('/api/n8n/webhook', exec('res.partner', 'search_count', [[]]), bearer((await keyFor('downOdoo')).key)),
  },
  {
    label: '429 rate limited',
    status: 429,
    code: 'rate_limited',
    limit: 1,
    send: async () => {
      const { key } = await keyFor('admin', { rateLimit: 1 });
      const first = await relay.post('/api/n8n/webhook', { action: 'get_config' }, bearer(key));
      expect(first.status).toBe(200);
      return relay.post('/api/n8n/webhook', { action: 'get_config' }, bearer(key));
    },
  },
];

describe('X-RateLimit-* headers on every API-key answer', () => {
  it.each(rows)('$label', async ({ status, code, limit = 50, send }) => {
    const sentAt = Date.now();
    const r = await send();
    expect(r.status, r.text.slice(0, 300)).toBe(status);
    if (code) expect(r.body).toMatchObject({ success: false, code });
    else expect(r.body.success).toBe(true);

    expect(r.headers['x-ratelimit-limit']).toBe(String(limit));
    const remaining = String(r.headers['x-ratelimit-remaining']);
    expect(remaining).toMatch(/^\d+$/);
    expect(Number(remaining)).toBeLessThan(limit);
    const reset = String(r.headers['x-ratelimit-reset']);
    expect(reset).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/);
    const resetMs = Date.parse(reset);
    expect(Number.isNaN(resetMs)).toBe(false);
    // The window ends after the request arrived, within one minute of it.
    expect(resetMs).toBeGreaterThanOrEqual(sentAt);
    expect(resetMs).toBeLessThanOrEqual(Date.now() + 61_000);

    if (status === 429) {
      expect(remaining).toBe('0');
      const retryAfter = String(r.headers['retry-after']);
      expect(retryAfter).toMatch(/^\d+$/);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(60);
      expect(r.body).toMatchObject({ limit: 1, resetAt: reset });
    } else {
      expect(Number(remaining)).toBe(limit - 1);
    }
  });
});
