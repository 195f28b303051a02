/**
 * Crash test: a relay child process is killed with SIGKILL while deliveries are in flight,
 * restarted on the same SQLite file, and every event still arrives at least once, always
 * under the webhook-id the outbox gave it before the first attempt.
 * CRASH_TEST_EVENTS scales the backlog (default 10,000, as the issue asks; about 15 s here).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { loadConfig } from '../../src/config.js';
import { createContext } from '../../src/context.js';
import { createUser } from '../../src/auth/users.js';
import { saveDefaultConnection } from '../../src/connections/store.js';
import { recordEvents } from '../../src/events/outbox.js';
import { buildEventPayload } from '../../src/events/payload.js';
import { FAST_EVENTS_ENV, until } from './helpers.js';

const COUNT = Number(process.env.CRASH_TEST_EVENTS ?? 10000);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let receiver: WebhookReceiver;
let sim: OdooSim;
const children: ChildProcess[] = [];
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-crash-'));

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await receiver?.close();
  await sim?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function startChild(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli.ts'), 'serve'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', () => {});
  children.push(child);
  return child;
}

describe('kill -9 while delivering', () => {
  it(`delivers all ${COUNT} events at least once, each under its one webhook-id`, async () => {
    receiver = await startReceiver();
    sim = await startOdooSim();
    const env = {
      ...FAST_EVENTS_ENV,
      DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'silent',
      MASTER_KEY: crypto.randomBytes(32).toString('base64'),
      EVENTS_WORKER_CONCURRENCY: '64',
    };
    // Set up and fill the outbox from this process (no worker here), then let a child deliver.
    const ctx = await createContext({ ...loadConfig(env), events: { ...loadConfig(env).events, worker: false } }, pino({ level: 'silent' }));
    const user = await createUser(ctx.storage.db, { username: 'crash', password: 'correct horse battery', role: 'admin' });
    await saveDefaultConnection(ctx.storage.db, ctx.box, user.id, { url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    const { subscription } = await ctx.events.createSubscription(user.id, { model: 'res.partner', targetUrl: receiver.url, captureMode: 'poll', events: ['create'], domain: [['id', '=', 0]] });
    const events = Array.from({ length: COUNT }, (_, i) => {
      const id = `evt_crash_${i}`;
      const payload = buildEventPayload({ id, model: 'res.partner', recordId: i + 1, event: 'create', occurredAt: new Date(), data: { n: i } });
      return { id, subscriptionId: subscription.id, model: 'res.partner', recordId: i + 1, event: 'create' as const, source: 'poll' as const, payload: JSON.stringify(payload), occurredAt: Date.now() };
    });
    await recordEvents(ctx.storage.db, events);
    const webhookIdOf = new Map((await ctx.storage.db.selectFrom('deliveries').select(['id', 'event_id']).execute()).map((d) => [d.event_id, d.id]));
    await ctx.close();
    expect(webhookIdOf.size).toBe(COUNT);

    const first = startChild(env);
    // Kill mid-backlog: some delivered, some in flight, the rest waiting.
    await until(() => receiver.requests.length >= Math.floor(COUNT / 3), 30_000, 'first third delivered');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const atKill = receiver.requests.length;
    expect(atKill).toBeLessThan(COUNT);

    startChild(env);
    const received = new Map<string, Set<string>>();
    await until(() => {
      for (const r of receiver.requests) {
        const eventId = JSON.parse(r.rawBody.toString()).id as string;
        let ids = received.get(eventId);
        if (!ids) received.set(eventId, (ids = new Set()));
        ids.add(String(r.headers['webhook-id']));
      }
      return received.size >= COUNT;
    }, 60_000, 'every event delivered');

    for (const [eventId, ids] of received) {
      expect([...ids], eventId).toEqual([webhookIdOf.get(eventId)]);
    }
    // At least once: duplicates are allowed (sends whose outcome the killed process never wrote).
    expect(receiver.requests.length).toBeGreaterThanOrEqual(COUNT);
    console.log(`crash test: ${COUNT} events, killed after ${atKill} requests, ${receiver.requests.length - COUNT} re-sent after restart`);
  }, 120_000);
});
