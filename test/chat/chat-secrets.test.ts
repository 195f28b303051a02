import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { startRelay, type RunningRelay } from '../../src/server.js';
import { createUser } from '../../src/auth/users.js';
import { createApiKey } from '../../src/auth/api-keys.js';
import { saveDefaultConnection } from '../../src/connections/store.js';
import { httpPost, startTestRelay } from '../helpers/relay.js';
import { captureLog } from '../helpers/log-capture.js';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startScriptedLlm, type ScriptedLlm } from './scripted-llm.js';

/** The provider key never appears in the relay's logs or answers, whatever the provider does. */
const LLM_KEY = 'sk-llm-NEVER-LOG-ME-7f3e2d1c';

describe('the LLM API key stays secret', () => {
  let llm: ScriptedLlm;
  let sim: OdooSim;
  let relay: RunningRelay;
  let dataDir: string;
  let apiKey: string;
  const logLines: string[] = [];

  beforeAll(async () => {
    llm = await startScriptedLlm({ wire: 'openai', expectKey: LLM_KEY });
    sim = await startOdooSim({ version: 17, automationNoise: 'none' });
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-chat-secrets-'));
    const config = loadConfig({
      DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'trace',
      CHAT_PROVIDER: 'openai-compatible',
      CHAT_BASE_URL: llm.baseUrl,
      CHAT_API_KEY: LLM_KEY,
      CHAT_MODEL: 'scripted',
      CHAT_MAX_RETRIES: '0',
    });
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    relay = await startRelay(config, pino({ level: 'trace' }, sink));
    const user = await createUser(relay.ctx.storage.db, { username: 'secrets', password: 'correct horse battery', role: 'admin' });
    await saveDefaultConnection(relay.ctx.storage.db, relay.ctx.box, user.id, { url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    apiKey = (await createApiKey(relay.ctx.storage.db, relay.ctx.box, { userId: user.id, name: 'k' }, 100)).key;
  });
  afterAll(async () => {
    await relay?.close();
    await sim?.close();
    await llm?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('is absent from logs and bodies across success, provider errors and malformed provider answers', async () => {
    const ask = () => httpPost(`${relay.url}/api/n8n/webhook`, { action: 'chat', message: 'Count partners' }, { authorization: `Bearer ${apiKey}` });
    const bodies: string[] = [];

    llm.play([{ toolCalls: [{ name: 'search_count', args: { model: 'res.partner', domain: [] } }] }, { text: 'Many.' }]);
    const ok = await ask();
    expect(ok.status).toBe(200);
    bodies.push(ok.text);

    llm.play([{ status: 500, body: { error: { message: `upstream failed for ${LLM_KEY}` } } }]);
    const failed = await ask();
    expect(failed.body.code).toBe('chat_provider_error');
    bodies.push(failed.text);

    llm.play([{ status: 200, body: { not: 'a chat completion', echo: LLM_KEY } }]);
    const garbage = await ask();
    expect(garbage.body).toMatchObject({ code: 'chat_provider_error', details: { status: 200, reason: 'invalid_response' } });
    bodies.push(garbage.text);

    expect(llm.requests.at(-1)!.headers.authorization).toBe(`Bearer ${LLM_KEY}`); // it was really used
    for (const b of bodies) expect(b).not.toContain(LLM_KEY);
    expect(logLines.join('\n')).not.toContain(LLM_KEY);
  });
});

/**
 * Failures the relay has no chat code for (fetch refusing the request before it is sent) are
 * answered 500 internal_error and logged as "unhandled error": the log names the failure with
 * the key and URL credentials masked. The config refuses both values at start-up; the provider
 * here is set past loadConfig, as a per-user provider (provider.ts's resolver seam) would be.
 */
describe('a chat failure quoting the provider key or URL credentials', () => {
  let llm: ScriptedLlm;
  let sim: OdooSim;
  beforeAll(async () => {
    llm = await startScriptedLlm({ wire: 'openai' });
    sim = await startOdooSim({ version: 17, automationNoise: 'none' });
  });
  afterAll(async () => {
    await sim?.close();
    await llm?.close();
  });

  async function askWith(chat: { baseUrl: string; apiKey: string }) {
    const log = captureLog('trace');
    const relay = await startTestRelay({
      logger: log.logger,
      env: { LOG_LEVEL: 'trace' },
      chat: { provider: 'openai-compatible', model: 'scripted', ...chat },
    });
    try {
      await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
      const { key } = await relay.createKey();
      llm.play([{ text: 'Many.' }]);
      const answer = await relay.post('/api/n8n/webhook', { action: 'chat', message: 'Count partners' }, { authorization: `Bearer ${key}` });
      return { answer, log: log.text(), lines: log.lines.map((l) => JSON.parse(l) as Record<string, any>) };
    } finally {
      await relay.close();
    }
  }

  it('masks a key with a line break in the logged header error', async () => {
    const { answer, log, lines } = await askWith({ baseUrl: llm.baseUrl, apiKey: 'sk-first-half\nsecond-half-NEVER-LOG' });
    expect(answer.status).toBe(500);
    expect(answer.body.code).toBe('internal_error');
    const unhandled = lines.find((l) => l.msg === 'unhandled error');
    expect(unhandled?.err?.message).toMatch(/invalid header value/);
    expect(log).not.toContain('second-half-NEVER-LOG');
    expect(log).not.toContain('sk-first-half');
    expect(answer.text).not.toContain('NEVER-LOG');
  });

  it('masks the user name and password of a base URL with credentials', async () => {
    const withCredentials = llm.baseUrl.replace('http://', 'http://llm-user:Pa55word-NEVER-LOG@');
    const { answer, log, lines } = await askWith({ baseUrl: withCredentials, apiKey: 'sk-plain-key-NEVER-LOG' });
    expect(answer.status).toBe(500);
    const unhandled = lines.find((l) => l.msg === 'unhandled error');
    expect(unhandled?.err?.message).toMatch(/credentials/);
    expect(log).not.toContain('Pa55word-NEVER-LOG');
    expect(log).not.toContain('llm-user');
    expect(log).not.toContain('sk-plain-key-NEVER-LOG');
    expect(answer.text).not.toContain('NEVER-LOG');
  });
});
