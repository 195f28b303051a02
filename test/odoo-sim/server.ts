/**
 * The Odoo test server's HTTP front: `startOdooSim()` puts a real HTTP server on loopback that
 * speaks Odoo's protocols (JSON-RPC, web session, JSON-2, XML-RPC) over the in-memory engine,
 * sends automation webhooks, and can be told to misbehave.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { OdooMajorVersion, SimEngine } from './contract.js';
import { createSimEngine } from './engine.js';
import { createAdminHandler } from './http/admin.js';
import type { SimState } from './http/context.js';
import { FaultState, type FailureKind, type FaultControls } from './http/faults.js';
import { createRequestListener } from './http/router.js';
import { UidCredentials } from './http/rpc-services.js';
import { SessionStore } from './http/session-store.js';
import { WebhookSender, type WebhookPostRecord } from './http/webhook-sender.js';

export type { FaultControls, FailureKind, WebhookPostRecord };

export interface OdooSimOptions {
  version?: 17 | 18 | 19;
  db?: string;
  apiKey?: string;
  host?: string;
  port?: number;
  automationNoise?: 'odoo' | 'none';
}

export interface OdooSim {
  url: string;
  port: number;
  engine: SimEngine;
  faults: FaultControls;
  webhookPosts: { url: string; body: unknown; status: number | 'error' }[];
  seedPartners(count: number): { firstId: number; lastId: number };
  close(): Promise<void>;
}

export async function startOdooSim(options: OdooSimOptions = {}): Promise<OdooSim> {
  const version: OdooMajorVersion = options.version ?? 19;
  const host = options.host ?? '127.0.0.1';
  const makeEngine = () =>
    createSimEngine({
      version,
      db: options.db ?? 'odoo_demo',
      apiKey: options.apiKey,
      automationNoise: options.automationNoise ?? 'odoo',
    });

  const webhookPosts: WebhookPostRecord[] = [];
  const sender = new WebhookSender(webhookPosts);
  let engine: SimEngine = makeEngine();
  let unsubscribe = engine.onAutomationWebhook((post) => sender.enqueue(post));

  const credentials = new UidCredentials(() => engine);
  const sessions = new SessionStore();
  const state: SimState = { version, engine: () => engine, credentials, sessions };
  const faultState = new FaultState();

  const sockets = new Set<Socket>();
  let server: Server;
  let port = options.port ?? 0;
  let outage = false;
  let transition: Promise<void> = Promise.resolve();

  const listener = createRequestListener({ state, faults: faultState, admin: (...a) => admin(...a) });

  function makeServer(): Server {
    const s = createServer({ keepAlive: true, noDelay: true }, listener);
    // Keep-alive clients (undici, requests) reuse sockets; werkzeug's default idle is similar.
    s.keepAliveTimeout = 5_000;
    s.headersTimeout = 10_000;
    s.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    return s;
  }

  function listen(s: Server, p: number): Promise<number> {
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(p, host, () => {
        s.off('error', reject);
        resolve((s.address() as AddressInfo).port);
      });
    });
  }

  function stopListening(): Promise<void> {
    const s = server;
    return new Promise((resolve) => {
      s.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  }

  server = makeServer();
  port = await listen(server, port);

  const faults: FaultControls = {
    setLatency: (ms) => faultState.setLatency(ms),
    setFailureRate: (rate, error) => faultState.setFailureRate(rate, error),
    setDropConnections: (on) => {
      faultState.dropConnections = on;
    },
    setOutage: (on) => {
      if (on === outage) return;
      outage = on;
      // Chained so on/off/on in quick succession ends in the last state asked for.
      transition = transition.then(async () => {
        if (on) {
          await stopListening();
        } else {
          server = makeServer();
          for (let attempt = 0; ; attempt++) {
            try {
              await listen(server, port);
              break;
            } catch (err) {
              // The port can linger for a moment after close; retry briefly, then give up loudly.
              if (attempt >= 50) throw err;
              await new Promise((r) => setTimeout(r, 20));
            }
          }
        }
      });
      transition.catch((err) => console.error('odoo-sim: could not re-listen after outage', err));
    },
    reset: () => {
      faultState.reset();
      faults.setOutage(false);
    },
  };

  const controls = {
    faults,
    seedPartners: (count: number) => engine.seedPartners(count),
    reset: () => {
      // A fresh engine with the seed data, no sessions, no faults, an empty webhook log.
      unsubscribe();
      engine = makeEngine();
      unsubscribe = engine.onAutomationWebhook((post) => sender.enqueue(post));
      credentials.clear();
      sessions.clear();
      webhookPosts.length = 0;
      faults.reset();
    },
  };
  const admin = createAdminHandler(controls);

  let closed = false;
  const sim: OdooSim = {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    get engine() {
      return engine;
    },
    faults,
    webhookPosts,
    seedPartners: (count) => engine.seedPartners(count),
    close: async () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      await transition.catch(() => undefined);
      if (!outage) await stopListening();
      await sender.close();
    },
  };
  return sim;
}
