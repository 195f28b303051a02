/**
 * The paths the gateway benchmarks compare, each a server in front of one Odoo test server:
 * a bare keep-alive pass-through proxy, Fastify forwarding with none of the relay's features
 * (the floor), and the relay itself with API key + HMAC + rate limit + request log + metrics.
 * Shared by `bench/gateway.ts` (timed, in one process) and `bench/instructions.ts` (counted,
 * one path per process under callgrind).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { Pool } from 'undici';

export type PathName = 'direct' | 'proxy' | 'floor' | 'relay';

/** Where the load generator sends one path's requests, and what. */
export interface Path {
  name: PathName;
  origin: string;
  pathname: string;
  headers: Record<string, string>;
  body: string;
}

export interface PathServer {
  path: Path;
  /**
   * Finishes the work the server defers past its answers (the relay's request-log rows, written
   * in batches every 100 ms), so that a short measuring window can be charged with all of its
   * own work rather than leave some of it to the next window, which may be another path's.
   */
  settle?(): Promise<void>;
  close(): Promise<void>;
}

/** The seed's workload: `res.partner search_read [is_company = true]`, two fields, 10 rows. */
const domain = [['is_company', '=', true]];
const json2Path = '/json/2/res.partner/search_read';
const json2Body = JSON.stringify({ domain, fields: ['name', 'email'], limit: 10 });
const relayBody = JSON.stringify({ action: 'execute_method', model: 'res.partner', method: 'search_read', args: [domain], kwargs: { fields: ['name', 'email'], limit: 10 } });

/** The Odoo test server the paths talk to: its URL and the API key it accepts. */
export interface Odoo {
  url: string;
  apiKey: string;
}

function json2Headers(odoo: Odoo): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `bearer ${odoo.apiKey}`, 'x-odoo-database': 'odoo_demo' };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Starts the Odoo test server (Odoo 19, JSON-2, no automation noise) in a child process. */
export async function startOdooProcess(): Promise<Odoo & { child: ChildProcess }> {
  const apiKey = `bench_${crypto.randomBytes(12).toString('hex')}`;
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/odoo-sim/cli.ts', '--port', String(port), '--version', '19', '--api-key', apiKey, '--no-automation-noise'], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`${url}/web/version`);
      if (res.ok) return { url, apiKey, child };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('Odoo test server did not start');
}

/** Calling Odoo directly: no server of ours in between. */
export function directPath(odoo: Odoo): Path {
  return { name: 'direct', origin: odoo.url, pathname: json2Path, headers: json2Headers(odoo), body: json2Body };
}

/** The baseline: forwards method, path, headers and body, and the answer back, over keep-alive. */
export function startBareProxy(odoo: Odoo, connections: number): Promise<PathServer> {
  const pool = new Pool(odoo.url, { connections, keepAliveTimeout: 60_000 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      try {
        const answer = await pool.request({
          method: req.method as 'POST',
          path: req.url!,
          headers: { 'content-type': req.headers['content-type'] ?? 'application/json', authorization: req.headers.authorization ?? '' },
          body: Buffer.concat(chunks),
        });
        const body = Buffer.from(await answer.body.arrayBuffer());
        res.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type'] ?? 'application/json') });
        res.end(body);
      } catch {
        res.writeHead(502).end();
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        path: { ...directPath(odoo), name: 'proxy', origin: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` },
        close: async () => {
          server.close();
          await pool.close();
        },
      }),
    ),
  );
}

/** Fastify with one route that turns the webhook action into the JSON-2 call and answers like the relay. */
export async function startFastifyFloor(odoo: Odoo, connections: number): Promise<PathServer> {
  const { default: Fastify } = await import('fastify');
  const pool = new Pool(odoo.url, { connections, keepAliveTimeout: 60_000 });
  const headers = json2Headers(odoo);
  const app = Fastify();
  app.post('/api/n8n/webhook', async (request) => {
    const action = request.body as { model: string; method: string; args: unknown[]; kwargs: Record<string, unknown> };
    const answer = await pool.request({
      method: 'POST',
      path: `/json/2/${action.model}/${action.method}`,
      headers,
      body: JSON.stringify({ domain: action.args[0], ...action.kwargs }),
    });
    return { success: true, result: JSON.parse(await answer.body.text()) };
  });
  const origin = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    path: { name: 'floor', origin, pathname: '/api/n8n/webhook', headers: { 'content-type': 'application/json' }, body: relayBody },
    close: async () => {
      await app.close();
      await pool.close();
    },
  };
}

/**
 * The relay's modules as `npm start` runs them: tsc's build in dist/ (the bench scripts run
 * `tsc -p tsconfig.build.json` first), not tsx's on-the-fly transform of src/, which wraps
 * every function it creates in a naming helper (esbuild's keepNames): a cost per closure, and
 * so per call, that the relay users run does not pay.
 */
async function builtRelay() {
  const dist = path.resolve(import.meta.dirname, '../../dist/src');
  if (!fs.existsSync(path.join(dist, 'server.js'))) throw new Error('No build in dist/: run `npx tsc -p tsconfig.build.json` first');
  const load = (file: string) => import(pathToFileURL(path.join(dist, file)).href);
  return {
    ...((await load('config.js')) as typeof import('../../src/config.js')),
    ...((await load('server.js')) as typeof import('../../src/server.js')),
    ...((await load('auth/users.js')) as typeof import('../../src/auth/users.js')),
    ...((await load('auth/api-keys.js')) as typeof import('../../src/auth/api-keys.js')),
    ...((await load('connections/store.js')) as typeof import('../../src/connections/store.js')),
  };
}

/**
 * The relay on a fresh SQLite data folder with default settings, one user, the Odoo test server
 * as its connection and an API key with an HMAC secret (rate limit high enough not to refuse).
 */
export async function startBenchRelay(odoo: Odoo, connections: number): Promise<PathServer> {
  const { startRelay, loadConfig, createUser, saveDefaultConnection, createApiKey } = await builtRelay();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-bench-'));
  const relay = await startRelay(loadConfig({ DATA_DIR: dataDir, PORT: '0', ODOO_MAX_QUEUE: '10000' }), pino({ level: 'silent' }));
  const db = relay.ctx.storage.db;
  const user = await createUser(db, { username: 'bench', password: 'bench password 123', role: 'admin' });
  await saveDefaultConnection(db, relay.ctx.box, user.id, {
    url: odoo.url,
    database: 'odoo_demo',
    login: 'admin',
    secret: odoo.apiKey,
    maxConcurrent: connections,
  });
  const { key, hmacSecret } = await createApiKey(db, relay.ctx.box, { userId: user.id, name: 'bench', hmac: true, rateLimit: 1_000_000 }, 100);
  const signature = crypto.createHmac('sha256', hmacSecret!).update(relayBody).digest('hex');
  return {
    path: {
      name: 'relay',
      origin: relay.url,
      pathname: '/api/n8n/webhook',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-hmac-signature': signature },
      body: relayBody,
    },
    settle: () => relay.ctx.requestLog.flush(),
    close: async () => {
      await relay.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
