import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { startScriptedLlm, type ScriptedLlm } from './scripted-llm.js';

/** The same agent over the Anthropic Messages wire format (scripted server), against Odoo 19 over JSON-2. */
const ANTHROPIC_KEY = 'sk-ant-SECRET-0a1b2c3d4e';
const SIM_API_KEY = 'sim-admin-api-key-0123456789';

describe('chat over Anthropic', () => {
  let llm: ScriptedLlm;
  let sim: OdooSim;
  let relay: TestRelay;
  let key: string;

  beforeAll(async () => {
    llm = await startScriptedLlm({ wire: 'anthropic', expectKey: ANTHROPIC_KEY });
    sim = await startOdooSim({ version: 19, apiKey: SIM_API_KEY, automationNoise: 'none' });
    relay = await startTestRelay({
      env: { CHAT_PROVIDER: 'anthropic', CHAT_BASE_URL: llm.baseUrl, CHAT_API_KEY: ANTHROPIC_KEY, CHAT_MODEL: 'claude-scripted', CHAT_MAX_RETRIES: '0' },
    });
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: SIM_API_KEY });
    key = (await relay.createKey({ scopes: ['read'] })).key;
  });
  afterAll(async () => {
    await relay?.close();
    await sim?.close();
    await llm?.close();
  });

  it('finds low-stock products with tool_use blocks and answers', async () => {
    llm.play([
      { toolCalls: [{ name: 'search_read', args: { model: 'product.product', domain: [['qty_available', '<', 10]], fields: ['name', 'qty_available'] } }] },
      (body) => {
        const toolResult = body.messages.at(-1).content.find((c: any) => c.type === 'tool_result');
        const text = typeof toolResult.content === 'string' ? toolResult.content : toolResult.content.map((c: any) => c.text).join('');
        const rows = JSON.parse(text).rows as { name: string; qty_available: number }[];
        return { text: rows.map((p) => `- ${p.name}: ${p.qty_available}`).join('\n') };
      },
    ]);
    const r = await relay.post('/api/n8n/webhook', { action: 'chat', message: 'Which products have fewer than 10 in stock?' }, { authorization: `Bearer ${key}` });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data.length).toBeGreaterThan(0);
    for (const p of r.body.data) expect(p.qty_available).toBeLessThan(10);
    expect(r.body.answer.split('\n')).toHaveLength(r.body.data.length);
    expect(llm.requests[0]!.path).toBe('/v1/messages');
    expect(llm.requests[0]!.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(llm.requests[0]!.body.tools.map((t: any) => t.name).sort()).toEqual(['describe_model', 'list_models', 'read_group', 'search_count', 'search_read']);
    expect(r.body.usage).toMatchObject({ inputTokens: 200, outputTokens: 40, modelCalls: 2 });
  });
});
