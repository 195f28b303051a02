import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { DashboardClient } from '../dashboard/helpers.js';
import { createUser } from '../../src/auth/users.js';
import { loadConfig } from '../../src/config.js';
import { parseAllowedOrigins } from '../../src/connections/origin-policy.js';

const PASSWORD = 'correct horse battery';

describe('ODOO_ALLOWED_ORIGINS', () => {
  let allowed: OdooSim;
  /** Elsewhere: a server that counts what reaches it. */
  let other: { url: string; hits: number; close(): Promise<void> };
  let relay: TestRelay;
  let bob: DashboardClient;

  beforeAll(async () => {
    allowed = await startOdooSim({ version: 18, automationNoise: 'none' });
    let hits = 0;
    const server = http.createServer((_req, res) => {
      hits++;
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    other = {
      url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
      get hits() {
        return hits;
      },
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
    relay = await startTestRelay({ env: { ODOO_ALLOWED_ORIGINS: `${allowed.url}/` } });
    await createUser(relay.ctx.storage.db, { username: 'bob', password: PASSWORD, role: 'user' });
    bob = new DashboardClient(relay.url);
    await bob.login('bob', PASSWORD);
  });
  afterAll(async () => {
    await relay.close();
    await allowed.close();
    await other.close();
  });

  const form = (url: string) => ({ url, database: 'odoo_demo', login: 'admin', secret: 'admin' });

  it('refuses to save, test or list the databases of an Odoo elsewhere, before sending it anything', async () => {
    for (const [method, path] of [
      ['PUT', '/api/dashboard/connection'],
      ['POST', '/api/dashboard/connection/test'],
      ['POST', '/api/dashboard/connection/databases'],
    ] as const) {
      const r = await bob.call(method, path, form(other.url));
      expect(r.status, path).toBe(403);
      expect(r.body).toMatchObject({ code: 'odoo_url_not_allowed', details: { field: 'url', allowed: [allowed.url] } });
    }
    expect(other.hits).toBe(0);
    expect((await bob.call('GET', '/api/dashboard/connection')).body.connection).toBeNull();
  });

  it('lets a connection to an allowed origin be saved and used', async () => {
    expect((await bob.call('PUT', '/api/dashboard/connection', form(allowed.url))).status).toBe(200);
    const { key } = await relay.createKey();
    await relay.connectOdoo(form(allowed.url));
    expect((await relay.post('/api/n8n/webhook', { action: 'test_connection' }, { authorization: `Bearer ${key}` })).status).toBe(200);
  });

  it('refuses a connection saved before the origin was disallowed, when it is used', async () => {
    // Saved directly in the store, as before the setting existed.
    await relay.connectOdoo(form(other.url));
    const { key } = await relay.createKey();
    const r = await relay.post('/api/n8n/webhook', { action: 'test_connection' }, { authorization: `Bearer ${key}` });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('odoo_url_not_allowed');
    expect(other.hits).toBe(0);
  });

  it('is read as origins, and an entry that is not one stops the relay at start naming the variable', () => {
    expect(parseAllowedOrigins(' https://erp.example.com , http://10.0.0.5:8069/ ')).toEqual({ origins: ['https://erp.example.com', 'http://10.0.0.5:8069'] });
    expect(loadConfig({ ODOO_ALLOWED_ORIGINS: '' }).odooAllowedOrigins).toEqual([]);
    for (const bad of ['erp.example.com', 'https://erp.example.com/odoo', 'ftp://erp.example.com', 'https://u:p@erp.example.com']) {
      expect(() => loadConfig({ ODOO_ALLOWED_ORIGINS: bad }), bad).toThrow(/ODOO_ALLOWED_ORIGINS: /);
    }
  });
});
