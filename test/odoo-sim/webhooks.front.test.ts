/** Automation webhook POSTs reach a real loopback receiver, as real Odoo sends them. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { service } from './http/test-client.js';
import { startOdooSim, type OdooSim } from './server.js';

const DB = 'odoo_demo';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
}

async function startReceiver(status = 200, delayMs = 0) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      received.push({ path: req.url ?? '', headers: req.headers, raw, body: JSON.parse(raw) });
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end('ok');
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

async function until(check: () => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function setUpRule(sim: OdooSim, uid: number, url: string): Promise<void> {
  const kw = (model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}) =>
    service(sim.url, 'object', 'execute_kw', [DB, uid, 'admin', model, method, args, kwargs]).then((r) => {
      if (r.error) throw new Error(r.error.data.message);
      return r.result;
    });
  const [modelId] = (await kw('ir.model', 'search', [[['model', '=', 'res.partner']]])) as number[];
  const fieldIds = (await kw('ir.model.fields', 'search', [[['model', '=', 'res.partner'], ['name', 'in', ['name', 'email', 'write_date']]]])) as number[];
  const actionId = await kw('ir.actions.server', 'create', [{ name: 'Relay partner hook', state: 'webhook', model_id: modelId, webhook_url: url, webhook_field_ids: [[6, 0, fieldIds]] }]);
  await kw('base.automation', 'create', [{ name: 'Relay partner rule', trigger: 'on_create_or_write', model_id: modelId, action_server_ids: [[6, 0, [actionId]]] }]);
}

describe('automation webhooks', () => {
  let sim: OdooSim;
  let uid: number;
  beforeAll(async () => {
    sim = await startOdooSim();
    uid = (await service(sim.url, 'common', 'login', [DB, 'admin', 'admin'])).result as number;
  });
  afterAll(() => sim.close());

  it('posts 13 identical bodies for one create, with python-requests headers, after the RPC answered', async () => {
    const receiver = await startReceiver();
    try {
      await setUpRule(sim, uid, receiver.url);
      sim.webhookPosts.length = 0;
      const created = await service(sim.url, 'object', 'execute_kw', [DB, uid, 'admin', 'res.partner', 'create', [{ name: 'Hooked Partner' }]]);
      const id = created.result as number;
      await until(() => sim.webhookPosts.length >= 13);
      await new Promise((r) => setTimeout(r, 100));
      expect(receiver.received).toHaveLength(13);
      const first = receiver.received[0];
      expect(first.headers).toMatchObject({
        'user-agent': 'python-requests/2.28.1',
        'accept-encoding': 'gzip, deflate',
        accept: '*/*',
        connection: 'keep-alive',
        'content-type': 'application/json',
      });
      expect(first.body).toMatchObject({ _action: expect.stringMatching(/^Relay partner hook\(#\d+\)$/), _id: id, _model: 'res.partner', id, name: 'Hooked Partner', email: false });
      // Python's json.dumps spacing, so Content-Length matches what Odoo sends.
      expect(first.raw).toMatch(/^\{"_action": "Relay partner hook\(#\d+\)", "_id": \d+, /);
      expect(Number(first.headers['content-length'])).toBe(Buffer.byteLength(first.raw));
      for (const r of receiver.received) expect(r.raw).toBe(first.raw);
      expect(sim.webhookPosts.every((p) => p.status === 200 && p.url === receiver.url)).toBe(true);
    } finally {
      await receiver.close();
    }
  });

  it('records failures without retrying, and gives up after 1 s', async () => {
    const slow = await startReceiver(200, 1500);
    try {
      await service(sim.url, 'object', 'execute_kw', [DB, uid, 'admin', 'ir.actions.server', 'write', [[], {}]]);
      // Point the existing action at the slow receiver.
      const ids = (await service(sim.url, 'object', 'execute_kw', [DB, uid, 'admin', 'ir.actions.server', 'search', [[['state', '=', 'webhook']]]])).result as number[];
      await service(sim.url, 'object', 'execute_kw', [DB, uid, 'admin', 'ir.actions.server', 'write', [ids, { webhook_url: slow.url }]]);
      sim.webhookPosts.length = 0;
      const answer = await service(sim.url, 'object', 'execute_kw', [DB, uid, 'admin', 'res.partner', 'write', [[3], { email: 'slow@example.com' }]]);
      expect(answer.result).toBe(true);
      // The RPC answer does not wait for the webhooks: the post (1.5 s, given up after 1 s) has not ended yet.
      expect(sim.webhookPosts).toHaveLength(0);
      await until(() => sim.webhookPosts.length >= 1, 3000);
      expect(sim.webhookPosts[0].status).toBe('error');
      expect(sim.webhookPosts[0].url).toBe(slow.url);
    } finally {
      await slow.close();
    }
  });
});

describe('automation webhooks without Odoo\'s noise', () => {
  it('posts once per change, in order, when automationNoise is none', async () => {
    const sim = await startOdooSim({ automationNoise: 'none' });
    const receiver = await startReceiver();
    try {
      const uid = (await service(sim.url, 'common', 'login', [DB, 'admin', 'admin'])).result as number;
      await setUpRule(sim, uid, receiver.url);
      const a = (await service(sim.url, 'object', 'execute_kw', [DB, uid, 'admin', 'res.partner', 'create', [{ name: 'First' }]])).result;
      const b = (await service(sim.url, 'object', 'execute_kw', [DB, uid, 'admin', 'res.partner', 'create', [{ name: 'Second' }]])).result;
      await until(() => sim.webhookPosts.length >= 2);
      await new Promise((r) => setTimeout(r, 100));
      expect(receiver.received.map((r) => r.body._id)).toEqual([a, b]);
      expect(sim.webhookPosts.map((p) => p.status)).toEqual([200, 200]);
    } finally {
      await receiver.close();
      await sim.close();
    }
  });
});
