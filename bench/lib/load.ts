/**
 * A closed-loop HTTP load generator that runs in a worker thread (its own event loop, so it
 * competes with the server under test for CPU, not for the event loop): N keep-alive
 * connections each send the next request as soon as the previous answer is read.
 */
import { Worker } from 'node:worker_threads';

export interface LoadJob {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  seconds: number;
  /** Stop after this many requests in all (counted runs) instead of at the deadline; 0 means no count. */
  requests?: number;
  connections: number;
  /** A request counts as an error unless its status is this one. */
  expectStatus: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
}

/**
 * The closed loop itself, as source for the workers' eval'd CommonJS (this one's and
 * alternate.ts's): `connections` clients on an undici Pool, each sending the next request once
 * the previous answer is read, until the deadline or, when `budget` is set, that many requests
 * in all. Each request's latency goes to `latencies` when one is given.
 */
export const closedLoopSource = `
const { Pool } = require(${JSON.stringify(resolveModulePath('undici'))});
const keepAlivePool = (origin, connections) => new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60000 });
async function closedLoop(pool, target, connections, expectStatus, deadline, budget, latencies) {
  let requests = 0;
  let errors = 0;
  let left = budget || Infinity;
  async function client() {
    while (left-- > 0 && performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const res = await pool.request({ method: 'POST', path: target.path, headers: target.headers, body: target.body });
        await res.body.text();
        if (res.statusCode !== expectStatus) errors++;
      } catch { errors++; }
      requests++;
      latencies?.push(performance.now() - t0);
    }
  }
  await Promise.all(Array.from({ length: connections }, client));
  return { requests, errors };
}
`;

const workerSource = `
const { parentPort, workerData: job } = require('node:worker_threads');
${closedLoopSource}
(async () => {
  const pool = keepAlivePool(job.origin, job.connections);
  const latencies = [];
  const start = performance.now();
  const { errors } = await closedLoop(pool, job, job.connections, job.expectStatus, start + job.seconds * 1000, job.requests, latencies);
  const seconds = (performance.now() - start) / 1000;
  await pool.close();
  parentPort.postMessage({ latencies, errors, seconds });
})();
`;

/** A package's file path, for a worker thread's eval'd CommonJS source to require. */
function resolveModulePath(name: string): string {
  return (import.meta as unknown as { resolve(n: string): string }).resolve(name).replace(/^file:\/\//, '');
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs one load phase and summarizes it. */
export function runLoad(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSource, { eval: true, workerData: job });
    worker.once('error', reject);
    worker.once('message', (m: { latencies: number[]; errors: number; seconds: number }) => {
      void worker.terminate();
      const sorted = Float64Array.from(m.latencies).sort();
      resolve({
        requests: sorted.length,
        errors: m.errors,
        seconds: m.seconds,
        rps: sorted.length / m.seconds,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
      });
    });
  });
}
