/** Shared set-up for the outbound-event tests: a relay wired to the Odoo test server and a receiver. */
import type { OdooClient } from '../../src/odoo/index.js';
import { request } from 'undici';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import type { Config } from '../../src/config.js';

/** Environment that makes the event machinery fast enough for tests (loopback allowed, short retries). */
export const FAST_EVENTS_ENV: Record<string, string> = {
  EVENTS_ALLOW_PRIVATE_TARGETS: '127.0.0.0/8',
  EVENTS_RETRY_DELAYS_MS: '50,50,50,50,50',
  EVENTS_POLL_INTERVAL_MS: '200',
  EVENTS_RECONCILE_INTERVAL_MS: '2000',
  EVENTS_SWEEP_INTERVAL_MS: '200',
  EVENTS_POLL_SETTLE_SECONDS: '0',
  EVENTS_COALESCE_QUIET_MS: '50',
};

export interface EventsRig {
  relay: TestRelay;
  sim: OdooSim;
  key: string;
  api(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, key?: string): Promise<{ status: number; body: any; headers: Record<string, string | string[] | undefined> }>;
  close(): Promise<void>;
}

export async function startEventsRig(opts: { env?: Record<string, string>; simVersion?: 17 | 18 | 19; noise?: 'odoo' | 'none'; config?: Partial<Config> } = {}): Promise<EventsRig> {
  const sim = await startOdooSim({ version: opts.simVersion ?? 19, automationNoise: opts.noise ?? 'odoo' });
  const relay = await startTestRelay({ ...opts.config, env: { ...FAST_EVENTS_ENV, ...opts.env } });
  await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
  const { key } = await relay.createKey({ scopes: ['subscriptions'], rateLimit: 100_000 });
  const api: EventsRig['api'] = async (method, path, body, useKey = key) => {
    const res = await request(relay.url + path, {
      method,
      headers: { authorization: `Bearer ${useKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.body.text();
    return { status: res.statusCode, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  return {
    relay,
    sim,
    key,
    api,
    async close() {
      await relay.close();
      await sim.close();
    },
  };
}

export async function until<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** execute_kw on the Odoo test server as admin, through the relay's own client (any protocol). */
export async function odoo(rig: EventsRig, model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}): Promise<any> {
  const sub = await rig.relay.ctx.storage.db.selectFrom('odoo_connections').selectAll().executeTakeFirstOrThrow();
  return rig.relay.ctx.events.clientFor({ user_id: sub.user_id, connection_id: sub.id }).then((c) => c.executeKw(model, method, args, kwargs));
}

/** A door a test opens: the first call to arrive at it waits for `release()`; `reached` resolves with its arguments. */
export function door() {
  let arrived!: (args: unknown[]) => void;
  let opened!: () => void;
  let passed = false;
  const open = new Promise<void>((resolve) => (opened = resolve));
  return {
    reached: new Promise<unknown[]>((resolve) => (arrived = resolve)),
    /** Resolves at once for every call after the first. */
    async pass(args: unknown[]) {
      if (passed) return;
      passed = true;
      arrived(args);
      await open;
    },
    release() {
      opened();
    },
  };
}
export type Door = ReturnType<typeof door>;

/** The client, with the first `model.method` call through `at` waiting there before it goes to Odoo. */
export function holdingAt(client: OdooClient, model: string, method: string, at: Door): OdooClient {
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'executeKw') return Reflect.get(target, prop, receiver);
      return async (...args: Parameters<OdooClient['executeKw']>) => {
        if (args[0] === model && args[1] === method) await at.pass(args);
        return target.executeKw(...args);
      };
    },
  });
}

/**
 * A poll subscription to res.partner whose polls the test runs itself (pollSubscription with the
 * rig's pollDeps): the rig's poller is stopped. Returns the subscription's id.
 */
export async function pollByHand(rig: EventsRig, subscription: { targetUrl: string; fields?: string[] }): Promise<string> {
  const res = await rig.api('POST', '/api/v1/subscriptions', { model: 'res.partner', captureMode: 'poll', ...subscription });
  if (res.status !== 201) throw new Error(`subscription refused: ${res.status} ${JSON.stringify(res.body)}`);
  await rig.relay.ctx.events.poller.stop();
  return res.body.subscription.id as string;
}
