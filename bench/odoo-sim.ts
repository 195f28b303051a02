/**
 * Throughput of the Odoo test server: `npm run bench:odoo-sim [-- --seconds 5 --connections 32]`.
 *
 * The sim runs in this (main) thread; the load generator runs in a worker thread with its own
 * event loop, so on a 2-core machine each gets roughly one core. Each run drives N keep-alive
 * connections (undici Pool) doing `execute_kw res.partner search_read` with a small domain and
 * limit 10 for a fixed time, then `db.list` (the front without the ORM), then a bare node:http
 * server answering the same JSON statically, so the ratio says what the sim costs over Node's own
 * HTTP floor and the middle line says how much of that is the front.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

interface LoadJob {
  url: string;
  path: string;
  body: string;
  seconds: number;
  connections: number;
}

interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  latenciesMs: number[];
}

/**
 * The load generator, as plain JavaScript run in a worker thread: workers do not inherit tsx's
 * TypeScript loader, and the generator needs nothing but undici.
 */
const LOAD_GENERATOR = `
const { workerData, parentPort } = require('node:worker_threads');
const { Pool } = require(workerData.undiciPath);
(async () => {
  const job = workerData.job;
  const pool = new Pool(job.url, { connections: job.connections, pipelining: 1, keepAliveTimeout: 30000 });
  const latencies = [];
  let errors = 0;
  const start = performance.now();
  const deadline = start + job.seconds * 1000;
  const headers = { 'content-type': 'application/json' };
  async function client() {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const res = await pool.request({ method: 'POST', path: job.path, headers, body: job.body });
        const text = await res.body.text();
        if (res.statusCode !== 200 || text.includes('"error"')) errors++;
      } catch {
        errors++;
      }
      latencies.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: job.connections }, client));
  const seconds = (performance.now() - start) / 1000;
  await pool.close();
  parentPort.postMessage({ requests: latencies.length, errors, seconds, latenciesMs: latencies });
})();
`;

function runInWorker(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const undiciPath = createRequire(import.meta.url).resolve('undici');
    const worker = new Worker(LOAD_GENERATOR, { eval: true, workerData: { job, undiciPath } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summarize(label: string, r: LoadResult) {
  const sorted = Float64Array.from(r.latenciesMs).sort();
  const rps = r.requests / r.seconds;
  const p50 = percentile(Array.from(sorted), 50);
  const p99 = percentile(Array.from(sorted), 99);
  console.log(`${label.padEnd(34)} ${rps.toFixed(0).padStart(8)} req/s   p50 ${p50.toFixed(2).padStart(6)} ms   p99 ${p99.toFixed(2).padStart(6)} ms   errors ${r.errors}/${r.requests}`);
  return { rps, p50, p99 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      connections: { type: 'string', default: '32' },
      partners: { type: 'string', default: '0' },
    },
  });
  const seconds = Math.min(60, Math.max(1, Number(values.seconds)));
  const connections = Math.min(256, Math.max(1, Number(values.connections)));
  const { startOdooSim } = await import('../test/odoo-sim/server.js');

  const sim = await startOdooSim({ version: 19 });
  sim.seedPartners(Number(values.partners));
  const login = await fetch(`${sim.url}/jsonrpc`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params: { service: 'common', method: 'login', args: ['odoo_demo', 'admin', 'admin'] } }),
  });
  const uid = ((await login.json()) as { result: number }).result;
  const body = JSON.stringify({
    jsonrpc: '2.0',
    method: 'call',
    id: 1,
    params: {
      service: 'object',
      method: 'execute_kw',
      args: ['odoo_demo', uid, 'admin', 'res.partner', 'search_read', [[['is_company', '=', true]]], { fields: ['name', 'email', 'country_id'], limit: 10 }],
    },
  });
  // Sanity: the call must succeed before it is measured.
  const probe = await fetch(`${sim.url}/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const probeJson = (await probe.json()) as { result?: unknown[]; error?: unknown };
  if (!Array.isArray(probeJson.result)) throw new Error(`search_read failed: ${JSON.stringify(probeJson.error)}`);

  const staticBody = JSON.stringify({ jsonrpc: '2.0', id: 1, result: probeJson.result });
  const bare = createServer({ keepAlive: true }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(staticBody) });
      res.end(staticBody);
    });
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;

  console.log(`odoo-sim bench: ${connections} keep-alive connections, ${seconds} s per run, ${values.partners} extra partners, node ${process.version}`);
  console.log(`workload: execute_kw res.partner search_read [('is_company','=',True)] limit 10 (${probeJson.result.length} rows)`);
  const warm = await runInWorker({ url: sim.url, path: '/jsonrpc', body, seconds: 1, connections });
  void warm;
  const simResult = summarize('odoo-sim search_read', await runInWorker({ url: sim.url, path: '/jsonrpc', body, seconds, connections }));
  // The same HTTP path without the ORM: how much of the gap to bare Node is the front's.
  const listBody = JSON.stringify({ jsonrpc: '2.0', method: 'call', id: 1, params: { service: 'db', method: 'list', args: [] } });
  summarize('odoo-sim db.list (front only)', await runInWorker({ url: sim.url, path: '/jsonrpc', body: listBody, seconds, connections }));
  const bareResult = summarize('bare node:http static JSON', await runInWorker({ url: bareUrl, path: '/', body, seconds, connections }));
  console.log(`ratio sim/bare: ${(simResult.rps / bareResult.rps).toFixed(2)}   target ≥ 5000 search_read/s: ${simResult.rps >= 5000 ? 'met' : 'NOT met'}`);

  await new Promise<void>((r) => bare.close(() => r()));
  bare.closeAllConnections();
  await sim.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
