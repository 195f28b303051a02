import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { openAiToolResults, startScriptedLlm, type ScriptedLlm } from './scripted-llm.js';
import { MAX_TOOL_RESULT_CHARS, MAX_TOOL_TEXT_CHARS } from '../../src/chat/limits.js';

const LLM_KEY = 'sk-llm-bounds-7c1d';

/**
 * What bounds one chat question end to end: CHAT_TIMEOUT_MS also over a slow Odoo call, and the
 * size of what a tool hands to the provider (a record with a huge text field).
 */
describe('chat bounds', () => {
  let llm: ScriptedLlm;
  let sim: OdooSim;
  let relay: TestRelay;
  let key: string;
  const defaults = { maxSteps: 5, maxTokens: 60_000, timeoutMs: 60_000, maxRowsPerCall: 50, maxRetries: 0 };
  const ask = (body: Record<string, unknown>) => relay.post('/api/n8n/webhook', { action: 'chat', ...body }, { authorization: `Bearer ${key}` });

  beforeAll(async () => {
    llm = await startScriptedLlm({ wire: 'openai', expectKey: LLM_KEY });
    sim = await startOdooSim({ version: 17, automationNoise: 'none' });
    relay = await startTestRelay({ env: { CHAT_PROVIDER: 'openai-compatible', CHAT_BASE_URL: llm.baseUrl, CHAT_API_KEY: LLM_KEY, CHAT_MODEL: 'm', CHAT_MAX_RETRIES: '0' } });
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    key = (await relay.createKey({ scopes: ['webhook'] })).key;
  });
  afterAll(async () => {
    sim?.faults.setLatency(0);
    await relay?.close();
    await sim?.close();
    await llm?.close();
  });

  it('answers chat_timeout at CHAT_TIMEOUT_MS while an Odoo call is still running', async () => {
    Object.assign(relay.ctx.config.chatLimits, { ...defaults, timeoutMs: 1000 });
    sim.faults.setLatency(4000);
    try {
      llm.play([{ toolCalls: [{ name: 'search_count', args: { model: 'res.partner', domain: [] } }] }, { text: 'done' }]);
      const started = performance.now();
      const r = await ask({ message: 'how many partners?' });
      const waited = performance.now() - started;
      expect(r.status).toBe(504);
      expect(r.body.code).toBe('chat_timeout');
      // Not a timing target: the answer must not wait for the 4 s Odoo call (it waited 12 s before).
      expect(waited).toBeLessThan(4000);
    } finally {
      sim.faults.setLatency(0);
      Object.assign(relay.ctx.config.chatLimits, defaults);
    }
  });

  it('hands the provider a bounded tool result, also on later turns of the conversation', async () => {
    const huge = 'X'.repeat(2_000_000);
    const id = sim.engine.execute(2, 'res.partner', 'create', [{ name: 'Huge note', comment: huge }], {}) as number;
    let sentBytes = 0;
    let seen: any;
    const read = { toolCalls: [{ name: 'search_read', args: { model: 'res.partner', domain: [['id', '=', id]], fields: ['name', 'comment'] } }] };
    llm.play([
      read,
      (body) => {
        sentBytes = JSON.stringify(body).length;
        seen = openAiToolResults(body).at(-1)!.content;
        return { text: 'a partner with a long note' };
      },
    ]);
    const r = await ask({ message: 'show the partner', conversation_id: 'bounds-1' });
    expect(r.status).toBe(200);
    const text = typeof seen === 'string' ? seen : JSON.stringify(seen);
    expect(text.length).toBeLessThanOrEqual(MAX_TOOL_RESULT_CHARS + 1000);
    expect(text).toContain('Huge note');
    expect(text).toContain(`${2_000_000 - MAX_TOOL_TEXT_CHARS} more characters`);
    expect(sentBytes).toBeLessThan(100_000);
    // The next turn sends the history, tool results included: still bounded.
    llm.play([
      (body) => {
        sentBytes = JSON.stringify(body).length;
        return { text: 'still the same partner' };
      },
    ]);
    expect((await ask({ message: 'and again?', conversation_id: 'bounds-1' })).status).toBe(200);
    expect(sentBytes).toBeLessThan(100_000);
  });
});
