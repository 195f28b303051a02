/**
 * The shutdown drain (SHUTDOWN_DRAIN_MS): after a stop signal the relay answers /readyz 503 while
 * it still serves requests, so a load balancer takes it out before the listener closes. Drains are
 * long here and ended by a second signal or by close(): nothing depends on how fast the machine is.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { httpGet, httpPost, startTestRelay, type TestRelay } from '../helpers/relay.js';
import { startServe, type ServeProcess } from '../helpers/cli.js';
import { loadConfig } from '../../src/config.js';
import { createContext } from '../../src/context.js';
import { createUser } from '../../src/auth/users.js';
import { createApiKey } from '../../src/auth/api-keys.js';
import { saveDefaultConnection } from '../../src/connections/store.js';

const SEARCH_COUNT = { action: 'execute_method', model: 'res.partner', method: 'search_count', args: [[]] };

let sim: OdooSim;
beforeAll(async () => {
  sim = await startOdooSim({ version: 18, automationNoise: 'none' });
});
afterAll(async () => {
  await sim.close();
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('RunningRelay.drain()', () => {
  it('answers /readyz 503 while a call is still served; close() ends the drain and the listener', async () => {
    const relay: TestRelay = await startTestRelay({ env: { SHUTDOWN_DRAIN_MS: '600000' } });
    cleanups.push(() => relay.close());
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    const { key } = await relay.createKey();
    expect((await httpGet(`${relay.url}/readyz`)).status).toBe(200);

    let drained = false;
    const drain = relay.drain().then(() => (drained = true));
    const ready = await httpGet(`${relay.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ success: false, code: 'not_ready', error: 'Shutting down' });
    const call = await relay.post('/api/n8n/webhook', SEARCH_COUNT, { authorization: `Bearer ${key}` });
    expect(call.status).toBe(200);
    expect(call.body.success).toBe(true);
    // Keep-alive clients are asked to reconnect, so the balancer can send them elsewhere.
    expect(call.headers.connection).toBe('close');
    expect((await httpGet(`${relay.url}/healthz`)).status).toBe(200);
    expect(drained).toBe(false);

    await relay.close();
    await drain;
    await expect(httpGet(`${relay.url}/readyz`)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('odoo-relay serve with SHUTDOWN_DRAIN_MS', { timeout: 120_000 }, () => {
  /** A data folder with a user, an API key and an Odoo connection, as serve finds it. */
  async function prepareDataDir(): Promise<{ dataDir: string; key: string }> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-drain-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', EVENTS_WORKER: 'false' });
    const ctx = await createContext(config, pino({ level: 'silent' }));
    try {
      const user = await createUser(ctx.storage.db, { username: 'ops', password: 'a long enough password', role: 'admin' });
      const { key } = await createApiKey(ctx.storage.db, ctx.box, { userId: user.id, name: 'drain' }, config.defaultRateLimit);
      await saveDefaultConnection(ctx.storage.db, ctx.box, user.id, { url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
      return { dataDir, key };
    } finally {
      await ctx.close();
    }
  }

  async function logged(serve: ServeProcess, msg: string): Promise<void> {
    while (!serve.stdout().includes(`"msg":"${msg}"`)) {
      if (serve.child.exitCode !== null) throw new Error(`serve exited before logging '${msg}':\n${serve.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const messages = (serve: ServeProcess) =>
    serve
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).msg as string);

  it('after SIGTERM: /readyz 503 and calls still answered; a second SIGTERM ends the drain, then the listener closes', async () => {
    const { dataDir, key } = await prepareDataDir();
    const serve = await startServe({ DATA_DIR: dataDir, SHUTDOWN_DRAIN_MS: '600000' });
    cleanups.push(() => serve.kill());
    // A keep-alive connection opened before the signal, as a balancer's or n8n's would be.
    expect((await httpGet(`${serve.url}/readyz`)).status).toBe(200);

    serve.child.kill('SIGTERM');
    await logged(serve, 'shutting down: not ready, still serving until the drain ends');
    const ready = await httpGet(`${serve.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ code: 'not_ready', error: 'Shutting down' });
    const call = await httpPost(`${serve.url}/api/n8n/webhook`, SEARCH_COUNT, { authorization: `Bearer ${key}` });
    expect(call.status).toBe(200);
    expect(call.body.success).toBe(true);
    expect(serve.child.exitCode).toBeNull();

    serve.child.kill('SIGTERM');
    expect(await serve.exited, serve.output()).toBe(0);
    expect(messages(serve).slice(-3)).toEqual([
      'shutting down: not ready, still serving until the drain ends',
      'second signal: ending the drain early',
      'shutting down: finishing in-flight requests',
    ]);
    await expect(httpGet(`${serve.url}/readyz`)).rejects.toThrow(/ECONNREFUSED/);
  });

  // SHUTDOWN_GRACE_MS counts from the end of the drain: counted from the signal, it would end
  // this process (exit 1) in the middle of a drain longer than itself.
  it('closes by itself once the drain is over, and exits 0 even when the drain is longer than SHUTDOWN_GRACE_MS', async () => {
    const { dataDir } = await prepareDataDir();
    const serve = await startServe({ DATA_DIR: dataDir, SHUTDOWN_DRAIN_MS: '3000', SHUTDOWN_GRACE_MS: '2000' });
    cleanups.push(() => serve.kill());
    serve.child.kill('SIGTERM');
    expect(await serve.exited, serve.output()).toBe(0);
    expect(messages(serve).slice(-2)).toEqual([
      'shutting down: not ready, still serving until the drain ends',
      'shutting down: finishing in-flight requests',
    ]);
  });
});
