import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import SQLite from 'better-sqlite3';
import { isStorageUnavailable } from '../../src/storage/unavailable.js';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { captureLog } from '../helpers/log-capture.js';

describe('isStorageUnavailable (pure)', () => {
  const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  it.each([
    ['a refused connection', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['PostgreSQL shutting down (57P01)', withCode('57P01', 'terminating connection due to administrator command')],
    ['PostgreSQL starting up (57P03)', withCode('57P03')],
    ['too many connections (53300)', withCode('53300')],
    ['a connection exception (class 08)', withCode('08006')],
    ["pg's lost connection", new Error('Connection terminated unexpectedly')],
    ["pg's connect timeout", new Error('timeout exceeded when trying to connect')],
    ['SQLite locked past its busy timeout', withCode('SQLITE_BUSY', 'database is locked')],
    ['a wrapped cause', new Error('Migration failed', { cause: withCode('ECONNRESET') })],
    ['every address refused', Object.assign(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')]), {})],
  ])('%s: unavailable', (_label, err) => {
    expect(isStorageUnavailable(err)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('23505')],
    ['a syntax error', withCode('42601')],
    ['a SQLite constraint', withCode('SQLITE_CONSTRAINT_UNIQUE')],
    ['a TypeError', new TypeError('Cannot read properties of undefined')],
    ['nothing', undefined],
  ])('%s: a bug, not unavailability', (_label, err) => {
    expect(isStorageUnavailable(err)).toBe(false);
  });
});

describe('the SQLite database locked by another process', () => {
  let sim: OdooSim;
  let relay: TestRelay;
  let key: string;
  const log = captureLog('info');
  beforeAll(async () => {
    sim = await startOdooSim({ version: 18, automationNoise: 'none' });
    // No delivery worker: its reclaim, a write every second on the locked database, would hold
    // the event loop for SQLite's 5 s busy timeout each time and make this file slow.
    relay = await startTestRelay({ logger: log.logger, env: { EVENTS_WORKER: 'false' } });
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    key = (await relay.createKey()).key;
  });
  afterAll(async () => {
    await relay.close();
    await sim.close();
  });

  it('answers a call that must write 503 storage_unavailable with Retry-After, not 500, and works again once released', { timeout: 30_000 }, async () => {
    const body = { action: 'execute_method', model: 'res.partner', method: 'search_count', args: [[]] };
    const other = new SQLite(relay.ctx.storage.sqlite!.name);
    try {
      other.exec('BEGIN EXCLUSIVE');
      // The Idempotency-Key's claim is a write: it waits out SQLite's busy timeout, then gives up.
      const locked = await relay.post('/api/n8n/webhook', body, { authorization: `Bearer ${key}`, 'idempotency-key': 'while-locked' });
      expect(locked.status).toBe(503);
      expect(locked.body).toMatchObject({ success: false, code: 'storage_unavailable' });
      expect(locked.headers['retry-after']).toBe('5');
      other.exec('COMMIT');
    } finally {
      other.close();
    }
    const again = await relay.post('/api/n8n/webhook', body, { authorization: `Bearer ${key}`, 'idempotency-key': 'while-locked' });
    expect(again.status).toBe(200);
  });

  it('logs the background writes that fail meanwhile once, without a stack, then once that they work again', { timeout: 60_000 }, async () => {
    const body = { action: 'execute_method', model: 'res.partner', method: 'search_count', args: [[]] };
    const lines = () => log.lines.map((l) => JSON.parse(l) as { msg: string; err?: unknown; reason?: string });
    const named = (msg: string) => lines().filter((l) => l.msg === msg);
    const other = new SQLite(relay.ctx.storage.sqlite!.name);
    try {
      other.exec('BEGIN EXCLUSIVE');
      // Reads still answer; the call's request-log row waits for the lock in the writer's thread.
      expect((await relay.post('/api/n8n/webhook', body, { authorization: `Bearer ${key}` })).status).toBe(200);
      await relay.ctx.requestLog.flush();
      // A second failed batch: counted, not logged again.
      expect((await relay.post('/api/n8n/webhook', body, { authorization: `Bearer ${key}` })).status).toBe(200);
      await relay.ctx.requestLog.flush();
      expect(named('request log write failed')).toHaveLength(1);
      expect(named('request log write failed')[0]!.reason).toBe('database is locked');
      expect(named('request log write failed')[0]!.err).toBeUndefined();
      expect(named('request log write still failing')).toHaveLength(0);
      other.exec('COMMIT');
    } finally {
      other.close();
    }
    await relay.post('/api/n8n/webhook', body, { authorization: `Bearer ${key}` });
    await relay.ctx.requestLog.flush();
    expect(named('request log write works again')).toHaveLength(1);
  });
});
