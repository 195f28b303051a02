/**
 * What the relay costs over a bare proxy: `npm run bench:gateway [-- --seconds 5 --connections 16]`.
 *
 * One run, same machine, same Odoo test server (Odoo 19, JSON-2, in a child process):
 *   direct  load generator → Odoo test server
 *   proxy   load generator → bare keep-alive pass-through proxy (node:http + undici) → Odoo
 *   relay   load generator → relay (API key + HMAC + rate limit + request log) → Odoo
 * The relay and the proxy run in this process, one at a time; the load generator runs in a
 * worker thread. Added latency is each path's p50/p99 minus the direct path's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { Pool } from 'undici';
import { loadConfig } from '../src/config.js';
import { startRelay } from '../src/server.js';
import { createUser } from '../src/auth/users.js';
import { createApiKey } from '../src/auth/api-keys.js';
import { saveDefaultConnection } from '../src/connections/store.js';
import { runLoad, type LoadResult } from './lib/load.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '5' }, connections: { type: 'string', default: '16' } },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function startSimProcess(port: number, apiKey: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/odoo-sim/cli.ts', '--port', String(port), '--version', '19', '--api-key', apiKey, '--no-automation-noise'], {
    cwd: path.resolve(import.meta.dirname, '..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/web/version`);
      if (res.ok) return child;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('Odoo test server did not start');
}

/** The floor: forwards method, path, headers and body, and the answer back, over keep-alive. */
function startBareProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const pool = new Pool(target, { connections, keepAliveTimeout: 60_000 });
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
        url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
        close: async () => {
          server.close();
          await pool.close();
        },
      }),
    ),
  );
}

const odooKey = `bench_${crypto.randomBytes(12).toString('hex')}`;
const simPort = await freePort();
const sim = await startSimProcess(simPort, odooKey);
const simUrl = `http://127.0.0.1:${simPort}`;

const domain = [['is_company', '=', true]];
const json2Body = JSON.stringify({ domain, fields: ['name', 'email'], limit: 10 });
const json2Headers = { 'content-type': 'application/json', authorization: `bearer ${odooKey}`, 'x-odoo-database': 'odoo_demo' };
const json2Path = '/json/2/res.partner/search_read';

const results: Record<string, LoadResult & { busyUsPerRequest: number }> = {};
/** Latency with one connection: the time each path adds to a call, without queueing behind others. */
const latency: Record<string, LoadResult> = {};
/**
 * One measured phase after a warm-up. Besides throughput and latency it records how long this
 * thread's event loop was busy per request (the proxy's or the relay's own cost), which stays
 * meaningful when other work on the machine disturbs wall-clock figures.
 */
const phase = async (name: string, origin: string, pathname: string, headers: Record<string, string>, body: string) => {
  await runLoad({ origin, path: pathname, headers, body, seconds: 1, connections, expectStatus: 200 }); // warm-up
  const elu0 = performance.eventLoopUtilization();
  const r = await runLoad({ origin, path: pathname, headers, body, seconds, connections, expectStatus: 200 });
  const elu = performance.eventLoopUtilization(elu0);
  results[name] = { ...r, busyUsPerRequest: name === 'direct' ? NaN : (elu.active * 1000) / r.requests };
  latency[name] = await runLoad({ origin, path: pathname, headers, body, seconds: Math.min(seconds, 3), connections: 1, expectStatus: 200 });
};

await phase('direct', simUrl, json2Path, json2Headers, json2Body);

const proxy = await startBareProxy(simUrl);
await phase('proxy', proxy.url, json2Path, json2Headers, json2Body);
await proxy.close();

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-bench-'));
const relay = await startRelay(loadConfig({ DATA_DIR: dataDir, PORT: '0', ODOO_MAX_QUEUE: '10000' }), pino({ level: 'silent' }));
const db = relay.ctx.storage.db;
const user = await createUser(db, { username: 'bench', password: 'bench password 123', role: 'admin' });
await saveDefaultConnection(db, relay.ctx.box, user.id, {
  url: simUrl,
  database: 'odoo_demo',
  login: 'admin',
  secret: odooKey,
  maxConcurrent: connections,
});
const { key, hmacSecret } = await createApiKey(db, relay.ctx.box, { userId: user.id, name: 'bench', hmac: true, rateLimit: 1_000_000 }, 100);
const relayBody = JSON.stringify({ action: 'execute_method', model: 'res.partner', method: 'search_read', args: [domain], kwargs: { fields: ['name', 'email'], limit: 10 } });
const signature = crypto.createHmac('sha256', hmacSecret!).update(relayBody).digest('hex');
await phase('relay', relay.url, '/api/n8n/webhook', { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-hmac-signature': signature }, relayBody);
await relay.ctx.requestLog.flush();
if (process.env.BENCH_DEBUG) {
  const rows = await db.selectFrom('request_log').select(['duration_ms', 'odoo_ms']).execute();
  const avg = (k: 'duration_ms' | 'odoo_ms') => rows.reduce((a, r) => a + Number(r[k] ?? 0), 0) / rows.length;
  console.log(`relay-side: ${rows.length} rows, avg duration ${avg('duration_ms').toFixed(2)} ms, avg odoo ${avg('odoo_ms').toFixed(2)} ms`);
}
await relay.close();
fs.rmSync(dataDir, { recursive: true, force: true });
sim.kill();

const d = results.direct!;
const fmt = (n: number, digits = 2) => n.toFixed(digits).padStart(9);
console.log(`\nbench:gateway — ${seconds}s per phase, ${connections} keep-alive connections, Node ${process.version}, ${os.cpus().length} cores`);
console.log(`path     req/s     p50 ms    p99 ms   +p50 ms   +p99 ms  busy µs/req   errors`);
for (const [name, r] of Object.entries(results)) {
  const added = name === 'direct' ? ['        —', '        —'] : [fmt(r.p50 - d.p50), fmt(r.p99 - d.p99)];
  const busy = Number.isNaN(r.busyUsPerRequest) ? '—' : r.busyUsPerRequest.toFixed(0);
  console.log(`${name.padEnd(6)} ${fmt(r.rps, 0)} ${fmt(r.p50)} ${fmt(r.p99)} ${added[0]} ${added[1]} ${busy.padStart(12)} ${String(r.errors).padStart(8)}`);
}
const l = latency.direct!;
console.log(`\none connection (added latency without queueing):`);
console.log(`path     req/s     p50 ms    p99 ms   +p50 ms   +p99 ms`);
for (const [name, r] of Object.entries(latency)) {
  const added = name === 'direct' ? ['        —', '        —'] : [fmt(r.p50 - l.p50), fmt(r.p99 - l.p99)];
  console.log(`${name.padEnd(6)} ${fmt(r.rps, 0)} ${fmt(r.p50)} ${fmt(r.p99)} ${added[0]} ${added[1]}`);
}
const ratio = results.relay!.rps / results.proxy!.rps;
console.log(`\nrelay/proxy throughput ratio: ${ratio.toFixed(2)} (target ≥ 0.70)`);
console.log(`relay/proxy busy time per request: ${(results.relay!.busyUsPerRequest / results.proxy!.busyUsPerRequest).toFixed(2)}`);
console.log(
  `relay added p50 (one connection): ${(latency.relay!.p50 - l.p50).toFixed(2)} ms over direct, ${(latency.relay!.p50 - latency.proxy!.p50).toFixed(2)} ms over the proxy (target ≤ 1 ms)`,
);
process.exit(0);
