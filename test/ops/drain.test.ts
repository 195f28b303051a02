/**
 * The shutdown drain (SHUTDOWN_DRAIN_MS): after a stop signal the relay answers /readyz 503 while
 * it still serves requests, so a load balancer takes it out before the listener closes. Drains are
 * long here and ended by a second signal or by close(): nothing depends on how fast the machine is.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
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

describe('RunningRelay.close()', () => {
  /** The answer on a raw socket: status, headers and JSON body of one HTTP/1.1 response. */
  function readResponse(socket: net.Socket): Promise<{ status: number; headers: Record<string, string>; body: any }> {
    return new Promise((resolve, reject) => {
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        text += chunk;
        const end = text.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
        const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        const body = text.slice(end + 4);
        if (Buffer.byteLength(body) < Number(headers['content-length'])) return;
        resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: JSON.parse(body) });
      });
      socket.on('error', reject);
    });
  }

  it('answers a request that completes once the listener is closing with 503 shutting_down in the envelope', async () => {
    const relay: TestRelay = await startTestRelay();
    cleanups.push(() => relay.close());
    const { key } = await relay.createKey();
    const { port } = new URL(relay.url);
    const body = JSON.stringify({ action: 'get_config' });
    // Begun before the close, so the connection is not idle and stays open: a client whose
    // request was on its way when the relay began to close.
    const socket = net.connect(Number(port), '127.0.0.1');
    cleanups.push(async () => socket.destroy());
    const answer = readResponse(socket);
    await new Promise<void>((resolve) => socket.write('POST /api/n8n/webhook HTTP/1.1\r\nHost: relay\r\n', () => resolve()));
    // This process is the relay's too: a pause lets its event loop read the bytes first.
    await new Promise((r) => setTimeout(r, 100));

    const closed = relay.close();
    socket.write(`Authorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    const refused = await answer;
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ success: false, code: 'shutting_down' });
    expect(refused.body.requestId).toBe(refused.headers['x-request-id']);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.headers.connection).toBe('close');
    await closed;
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

  it('says in the log when SHUTDOWN_GRACE_MS runs out with a call still in flight, and exits 1', async () => {
    const { dataDir, key } = await prepareDataDir();
    const serve = await startServe({ DATA_DIR: dataDir, SHUTDOWN_GRACE_MS: '500' });
    cleanups.push(() => serve.kill());
    sim.faults.setLatency(5000);
    cleanups.push(async () => sim.faults.reset());
    const call = httpPost(`${serve.url}/api/n8n/webhook`, SEARCH_COUNT, { authorization: `Bearer ${key}` }).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 300));
    serve.child.kill('SIGTERM');
    expect(await serve.exited, serve.output()).toBe(1);
    expect(messages(serve).slice(-2)).toEqual(['shutting down: finishing in-flight requests', 'shutdown grace ran out: stopping with requests still in flight']);
    expect(await call).toBeInstanceOf(Error);
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
