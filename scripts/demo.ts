/**
 * `npm run demo`: the relay in front of the bundled Odoo test server with demo data, a user,
 * a connection and an API key, so a newcomer sees a real answer within a minute.
 * Everything lives in a temporary folder and disappears on Ctrl-C. Listens on PORT/HOST like
 * the relay (8787 on 127.0.0.1); the Odoo test server on ODOO_SIM_PORT (any free port).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startOdooSim } from '../test/odoo-sim/server.js';
import { loadConfig } from '../src/config.js';
import { startRelay } from '../src/server.js';
import { explainStartupFailure } from '../src/startup-failure.js';
import { createUser } from '../src/auth/users.js';
import { createApiKey } from '../src/auth/api-keys.js';
import { saveDefaultConnection } from '../src/connections/store.js';
import { randomBase62 } from '../src/ids/random.js';

const odooApiKey = `demo_${randomBase62(24)}`;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-relay-demo-'));
const sim = await startOdooSim({ version: 19, apiKey: odooApiKey, port: Number(process.env.ODOO_SIM_PORT ?? 0) });
const config = loadConfig({ ...process.env, DATA_DIR: dataDir, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
let relay: Awaited<ReturnType<typeof startRelay>>;
try {
  relay = await startRelay(config);
} catch (err) {
  // Usually the port: a relay from the quick start (npm start) still listening on it. Nothing of
  // the demo is left behind (its folder holds a master key).
  await sim.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  const explained = explainStartupFailure(err, config);
  console.error(`The demo could not start: ${explained?.message ?? String(err)}`);
  process.exit(2);
}
const db = relay.ctx.storage.db;

const password = randomBase62(16);
const user = await createUser(db, { username: 'demo', password, role: 'admin' });
await saveDefaultConnection(db, relay.ctx.box, user.id, { url: sim.url, database: 'odoo_demo', login: 'admin', secret: odooApiKey });
const { key } = await createApiKey(db, relay.ctx.box, { userId: user.id, name: 'demo key' }, config.defaultRateLimit);

const endpoint = `${relay.url}/api/n8n/webhook`;
const curl = (body: object) =>
  `curl -s ${endpoint} -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' \\\n  -d '${JSON.stringify(body)}'`;

console.log(`
odoo-relay demo is running.

  Relay:      ${relay.url}   (dashboard login: demo / ${password})
  Odoo:       ${sim.url}   (test server, Odoo 19 with demo data; admin/admin)
  API key:    ${key}

Try it:

${curl({ action: 'test_connection' })}

${curl({ action: 'execute_method', model: 'res.partner', method: 'search_read', args: [[['is_company', '=', true]]], kwargs: { fields: ['name', 'email', 'phone'], limit: 5 } })}

${curl({ action: 'execute_method', model: 'res.partner', method: 'create', args: [{ name: 'New Customer', email: 'customer@example.com' }] })}

Ctrl-C stops both and deletes ${dataDir}.
`);

const stop = async () => {
  await relay.close();
  await sim.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
