/**
 * Outbound delivery figures: `npx tsx bench/delivery.ts [--backlog 20000] [--drain 100000] [--changes 200]`.
 *
 *  1. throughput   a backlog of signed JSON deliveries drained to a local receiver (one relay, SQLite)
 *  2. memory       RSS and heap sampled while a larger backlog drains (should stay flat)
 *  3. latency      push mode against the Odoo test server (Odoo 17+ posting, 13 posts per create):
 *                  from the create's RPC answer to the receiver's arrival, p50/p95/p99
 * The receiver and the Odoo test server run in child processes; the relay in this one.
 * The throughput phase starts after a warm-up of 2,000 deliveries (JIT), which is not counted.
 */
import { fork, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { startRelay, type RunningRelay } from '../src/server.js';
import { createUser } from '../src/auth/users.js';
import { saveDefaultConnection } from '../src/connections/store.js';
import { recordEvents, type NewEvent } from '../src/events/outbox.js';
import { buildEventPayload } from '../src/events/payload.js';
import net from 'node:net';
import { spawn } from 'node:child_process';

const { values } = parseArgs({
  options: {
    backlog: { type: 'string', default: '20000' },
    drain: { type: 'string', default: '100000' },
    changes: { type: 'string', default: '200' },
  },
});
const BACKLOG = Number(values.backlog);
const DRAIN = Number(values.drain);
const CHANGES = Number(values.changes);
const here = path.dirname(fileURLToPath(import.meta.url));

function startReceiverChild(): Promise<{ child: ChildProcess; url: string; ask<T>(cmd: string): Promise<T> }> {
  const child = fork(path.join(here, 'lib/receiver-child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ask = <T>(cmd: string) =>
    new Promise<T>((resolve) => {
      child.once('message', (m) => resolve(m as T));
      child.send({ cmd });
    });
  return new Promise((resolve) => child.once('message', (m: any) => resolve({ child, url: `http://127.0.0.1:${m.port}/hook`, ask })));
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The Odoo test server (Odoo 19, real automation noise) in its own process. */
async function startSimChild(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, '../test/odoo-sim/cli.ts'), '--port', String(port), '--version', '19'], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/web/version`)).ok) return { url, child };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('Odoo test server did not start');
}

async function startBenchRelay(extraEnv: Record<string, string> = {}) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-bench-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'silent',
    MASTER_KEY: crypto.randomBytes(32).toString('base64'),
    EVENTS_ALLOW_PRIVATE_TARGETS: '127.0.0.0/8',
    EVENTS_POLL_INTERVAL_MS: '3600000',
    EVENTS_SWEEP_INTERVAL_MS: '3600000',
    EVENTS_RECONCILE_INTERVAL_MS: '3600000',
    ...extraEnv,
  });
  const relay = await startRelay(config, pino({ level: 'silent' }));
  const user = await createUser(relay.ctx.storage.db, { username: 'bench', password: 'correct horse battery', role: 'admin' });
  return { relay, user, dataDir };
}

function fakeEvents(subscriptionId: string, from: number, count: number): NewEvent[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const id = `evt_bench_${subscriptionId}_${n}`;
    const payload = buildEventPayload({ id, model: 'res.partner', recordId: n + 1, event: 'write', occurredAt: new Date(now), data: { name: `Partner ${n}`, email: `p${n}@example.com`, city: 'Bench City', parent_id: [1, 'Acme'] } });
    return { id, subscriptionId, model: 'res.partner', recordId: n + 1, event: 'write' as const, source: 'poll' as const, payload: JSON.stringify(payload), occurredAt: now };
  });
}

let filled = 0;
async function fill(relay: RunningRelay, subscriptionId: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 5000) await recordEvents(relay.ctx.storage.db, fakeEvents(subscriptionId, filled + i, Math.min(5000, count - i)));
  filled += count;
}

const mb = (n: number) => `${(n / 1048576).toFixed(0)} MB`;
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  const receiver = await startReceiverChild();
  const sim = await startSimChild();
  console.log(`node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, SQLite`);

  // ---- 1 + 2: throughput and memory ----
  const { relay, user, dataDir } = await startBenchRelay({ EVENTS_WORKER: 'false', ...(process.env.BENCH_ENDPOINT ? { EVENTS_ENDPOINT_CONCURRENCY: process.env.BENCH_ENDPOINT } : {}) });
  await saveDefaultConnection(relay.ctx.storage.db, relay.ctx.box, user.id, { url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
  const { subscription } = await relay.ctx.events.createSubscription(user.id, { model: 'res.partner', targetUrl: receiver.url, captureMode: 'poll', domain: [['id', '=', 0]] });

  for (const [label, count] of [['warm-up', 2000], ['throughput', BACKLOG], ['memory', DRAIN]] as const) {
    await receiver.ask('reset');
    await fill(relay, subscription.id, count);
    if (label === 'memory') global.gc?.();
    const worker = relay.ctx.events.worker;
    const before = worker.delivered;
    const samples: { rss: number; heap: number }[] = [];
    const t0 = performance.now();
    if (label === 'warm-up') await worker.start();
    else worker.wake();
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const m = process.memoryUsage();
      samples.push({ rss: m.rss, heap: m.heapUsed });
      if (worker.delivered - before >= count) break;
    }
    const seconds = (performance.now() - t0) / 1000;
    const { count: got } = await receiver.ask<{ count: number }>('count');
    if (label === 'warm-up') continue;
    if (label === 'throughput') {
      console.log(`throughput: ${count} deliveries in ${seconds.toFixed(2)} s = ${Math.round(count / seconds)}/s (receiver counted ${got})`);
    } else {
      const rss = samples.map((s) => s.rss);
      const heap = samples.map((s) => s.heap);
      const q = (xs: number[], from: number, to: number) => xs.slice(Math.floor(xs.length * from), Math.max(Math.floor(xs.length * from) + 1, Math.floor(xs.length * to)));
      const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      console.log(
        `memory: ${count} deliveries drained in ${seconds.toFixed(1)} s (${Math.round(count / seconds)}/s); RSS min ${mb(Math.min(...rss))} max ${mb(Math.max(...rss))}; ` +
          `heap first quarter avg ${mb(avg(q(heap, 0, 0.25)))}, last quarter avg ${mb(avg(q(heap, 0.75, 1)))}, max ${mb(Math.max(...heap))}`,
      );
    }
  }
  await relay.close();
  fs.rmSync(dataDir, { recursive: true, force: true });

  // ---- 3: push latency ----
  const push = await startBenchRelay({ EVENTS_COALESCE_QUIET_MS: '50' });
  push.relay.ctx.config.events.ingestUrl = push.relay.url;
  await saveDefaultConnection(push.relay.ctx.storage.db, push.relay.ctx.box, push.user.id, { url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
  const created = await push.relay.ctx.events.createSubscription(push.user.id, { model: 'res.partner', targetUrl: receiver.url, events: ['create'], fields: ['name', 'email'] });
  if (created.subscription.captureEffective !== 'push') throw new Error(`expected push capture, got ${created.subscription.captureNote}`);
  await receiver.ask('reset');
  const client = await push.relay.ctx.events.clientFor({ user_id: push.user.id, connection_id: created.subscription.connectionId });
  const changedAt = new Map<number, number>();
  for (let i = 0; i < CHANGES; i++) {
    const id = (await client.executeKw('res.partner', 'create', [{ name: `Latency ${i}`, email: `l${i}@example.com` }])) as number;
    changedAt.set(id, Date.now());
    await new Promise((r) => setTimeout(r, 20)); // ~40 changes/s: not backlogged
  }
  const arrivals: [number, number][] = [];
  for (let tries = 0; tries < 100 && arrivals.length < CHANGES; tries++) {
    arrivals.push(...(await receiver.ask<{ arrivals: [number, number][] }>('arrivals')).arrivals);
    await new Promise((r) => setTimeout(r, 100));
  }
  const latencies = arrivals.filter(([id]) => changedAt.has(id)).map(([id, at]) => at - changedAt.get(id)!).sort((a, b) => a - b);
  console.log(
    `push latency (change committed → receiver), ${latencies.length}/${CHANGES} changes (13 Odoo posts each), quiet ${push.relay.ctx.config.events.coalesceQuietMs} ms: ` +
      `p50 ${pct(latencies, 50)} ms, p95 ${pct(latencies, 95)} ms, p99 ${pct(latencies, 99)} ms, max ${latencies.at(-1)} ms`,
  );
  await push.relay.close();
  fs.rmSync(push.dataDir, { recursive: true, force: true });
  sim.child.kill();
  receiver.child.kill();
}

await main();
process.exit(0);
