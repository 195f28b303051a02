/** Fault injection, in-process and through the /__sim admin routes. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { service, json2, xmlRpc } from './http/test-client.js';
import { startOdooSim, type OdooSim } from './server.js';

const DB = 'odoo_demo';
const API_KEY = 'faults-key-17';
const LIST = { service: 'db', method: 'list', args: [] };

async function post(url: string, path: string, body: unknown) {
  return fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function eventually(check: () => Promise<boolean>, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met in time');
}

describe('fault injection', () => {
  let sim: OdooSim;
  beforeAll(async () => {
    sim = await startOdooSim({ apiKey: API_KEY });
  });
  afterEach(() => sim.faults.reset());
  afterAll(() => sim.close());

  it('adds latency before answering', async () => {
    sim.faults.setLatency(150);
    const t0 = performance.now();
    expect((await service(sim.url, 'db', 'list', [])).result).toEqual([DB]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('fails exactly the asked fraction of calls with a protocol server error', async () => {
    sim.faults.setFailureRate(0.5, 'server_error');
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await service(sim.url, 'db', 'list', []));
    const failed = answers.filter((a) => a.error);
    expect(failed).toHaveLength(3);
    expect(failed[0].error).toMatchObject({ code: 0, message: 'Odoo Server Error', data: { name: 'psycopg2.OperationalError' } });
  });

  it('injects server_error as a fault with a traceback over XML-RPC and a 500 over JSON-2', async () => {
    sim.faults.setFailureRate(1, 'server_error');
    const x = await xmlRpc(sim.url, '/xmlrpc/2/common', 'version', []);
    expect(x).toMatchObject({ fault: true, faultCode: 1 });
    expect((x as { faultString: string }).faultString).toContain('psycopg2.OperationalError: server closed the connection unexpectedly');
    const j2 = await json2(sim.url, 'res.partner', 'search', { domain: [] }, { authorization: `bearer ${API_KEY}` });
    expect(j2.status).toBe(500);
    expect(j2.json.name).toBe('psycopg2.OperationalError');
  });

  it('injects access_denied in each protocol\'s own form', async () => {
    sim.faults.setFailureRate(1, 'access_denied');
    expect((await service(sim.url, 'db', 'list', [])).error?.data.name).toBe('odoo.exceptions.AccessDenied');
    const j2 = await json2(sim.url, 'res.partner', 'search', { domain: [] }, { authorization: `bearer ${API_KEY}` });
    expect(j2.status).toBe(401);
    expect(j2.json.name).toBe('werkzeug.exceptions.Unauthorized');
    expect(await xmlRpc(sim.url, '/xmlrpc/2/common', 'version', [])).toMatchObject({ fault: true, faultCode: 3 });
  });

  it('injects HTTP 500, 502 and garbage bodies', async () => {
    sim.faults.setFailureRate(1, 'http_500');
    let res = await post(sim.url, '/jsonrpc', { jsonrpc: '2.0', method: 'call', params: LIST, id: 1 });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('Internal Server Error');
    sim.faults.setFailureRate(1, 'http_502');
    res = await post(sim.url, '/jsonrpc', { jsonrpc: '2.0', method: 'call', params: LIST, id: 1 });
    expect(res.status).toBe(502);
    expect(await res.text()).toContain('502 Bad Gateway');
    sim.faults.setFailureRate(1, 'garbage');
    res = await post(sim.url, '/jsonrpc', { jsonrpc: '2.0', method: 'call', params: LIST, id: 1 });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow();
  });

  it('drops connections without answering', async () => {
    sim.faults.setDropConnections(true);
    await expect(service(sim.url, 'db', 'list', [])).rejects.toThrow();
    sim.faults.setDropConnections(false);
    expect((await service(sim.url, 'db', 'list', [])).result).toEqual([DB]);
  });

  it('refuses connections during an outage and recovers on the same port', async () => {
    sim.faults.setOutage(true);
    await eventually(async () => {
      try {
        await service(sim.url, 'db', 'list', []);
        return false;
      } catch (err) {
        return /ECONNREFUSED/.test(String((err as { cause?: unknown }).cause ?? err));
      }
    });
    sim.faults.setOutage(false);
    await eventually(async () => (await service(sim.url, 'db', 'list', [])).result !== undefined);
  });

  it('is steerable over HTTP: /__sim/faults, /__sim/seed, /__sim/reset', async () => {
    let res = await post(sim.url, '/__sim/faults', { latencyMs: 100, failureRate: 1, failureError: 'http_502' });
    expect(res.status).toBe(200);
    const t0 = performance.now();
    expect((await post(sim.url, '/jsonrpc', { jsonrpc: '2.0', method: 'call', params: LIST, id: 1 })).status).toBe(502);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(90);
    res = await post(sim.url, '/__sim/faults', { latencyMs: 0, failureRate: 0 });
    expect((await service(sim.url, 'db', 'list', [])).result).toEqual([DB]);

    expect((await post(sim.url, '/__sim/faults', { failureError: 'nope' })).status).toBe(400);

    const uid = (await service(sim.url, 'common', 'login', [DB, 'admin', 'admin'])).result;
    const count = async () => (await service(sim.url, 'object', 'execute_kw', [DB, uid, 'admin', 'res.partner', 'search_count', [[]]])).result as number;
    const before = await count();
    res = await post(sim.url, '/__sim/seed', { partners: 50 });
    const range = (await res.json()) as { firstId: number; lastId: number };
    expect(range.lastId - range.firstId).toBe(49);
    expect(await count()).toBe(before + 50);
    expect((await post(sim.url, '/__sim/reset', {})).status).toBe(200);
    expect(await count()).toBe(before);
  });

  it('seeds partners in-process', () => {
    const { firstId, lastId } = sim.seedPartners(10);
    expect(lastId - firstId).toBe(9);
  });
});
