import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { queryRequestLog } from '../../src/request-log/query.js';
import { request } from 'undici';
import { OUTSTANDING_INVOICES_TURN, openAiToolResults, startScriptedLlm, type ScriptedLlm } from './scripted-llm.js';

/**
 * The chat action end to end: n8n → relay → scripted OpenAI-compatible model (real HTTP on
 * loopback) → tools → Odoo test server (real HTTP), and back. The model's turns are recorded
 * scripts; the Odoo data and every relay rule on the way are real.
 */
const LLM_KEY = 'sk-llm-SECRET-4f9a1c2b3d5e';
const OUTSTANDING = 'List all customers with outstanding invoices over $1000';

interface OdooCall {
  model: string;
  method: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
}

describe('chat over an OpenAI-compatible provider', () => {
  let llm: ScriptedLlm;
  let sim: OdooSim;
  let relay: TestRelay;
  let writeKey: string;
  let readKey: string;
  const odooCalls: OdooCall[] = [];
  const defaults = { maxSteps: 5, maxTokens: 60_000, timeoutMs: 60_000, maxRowsPerCall: 50 };

  const ask = (body: Record<string, unknown>, key = writeKey) =>
    relay.post('/api/n8n/webhook', { action: 'chat', ...body }, { authorization: `Bearer ${key}` });
  const odooMethods = () => odooCalls.filter((c) => c.model !== 'res.users').map((c) => `${c.model}.${c.method}`);

  beforeAll(async () => {
    llm = await startScriptedLlm({ wire: 'openai', expectKey: LLM_KEY });
    sim = await startOdooSim({ version: 17, automationNoise: 'none' });
    const engine = sim.engine;
    const execute = engine.execute.bind(engine);
    engine.execute = (uid, model, method, args, kwargs) => {
      odooCalls.push({ model, method, args, kwargs });
      return execute(uid, model, method, args, kwargs);
    };
    relay = await startTestRelay({
      env: { CHAT_PROVIDER: 'openai-compatible', CHAT_BASE_URL: llm.baseUrl, CHAT_API_KEY: LLM_KEY, CHAT_MODEL: 'scripted-model', CHAT_MAX_RETRIES: '0' },
    });
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    writeKey = (await relay.createKey({ scopes: ['webhook'] })).key;
    readKey = (await relay.createKey({ scopes: ['read'] })).key;
  });
  afterEach(() => {
    odooCalls.length = 0;
    Object.assign(relay.ctx.config.chatLimits, defaults);
  });
  afterAll(async () => {
    await relay?.close();
    await sim?.close();
    await llm?.close();
  });

  it("answers the seed's question from a read_group, with data, steps, usage and one request-log row per tool call", async () => {
    llm.play([
      OUTSTANDING_INVOICES_TURN,
      (body) => {
        const groups = openAiToolResults(body).at(-1)!.content.groups as { partner_id: [number, string]; amount_residual: number }[];
        const lines = groups.map((g) => `| ${g.partner_id[1]} | $${g.amount_residual.toLocaleString('en-US')} |`);
        return { text: ['| Customer | Outstanding |', '|---|---|', ...lines].join('\n'), usage: { input: 1200, output: 80 } };
      },
    ]);
    const r = await ask({ message: OUTSTANDING });
    expect(r.status, r.text).toBe(200);
    expect(r.body.success).toBe(true);
    expect(r.body.answer).toContain('| Azure Interior | $4,000 |');
    expect(r.body.answer).toContain('| Gemini Furniture | $3,250 |');
    expect(r.body.answer).toContain('| Lumber Inc | $1,620 |');
    expect(r.body.answer).not.toContain('Deco Addict'); // 750 due: under the threshold
    expect(r.body.data.map((g: any) => g.partner_id[1])).toEqual(['Azure Interior', 'Gemini Furniture', 'Lumber Inc']);
    expect(r.body.data[0]).not.toHaveProperty('__domain');
    expect(r.body.steps).toEqual([
      expect.objectContaining({ tool: 'read_group', rowCount: 3, args: expect.objectContaining({ model: 'account.move', groupby: ['partner_id'] }) }),
    ]);
    expect(r.body.steps[0].durationMs).toBeGreaterThanOrEqual(0);
    expect(r.body.usage).toMatchObject({ inputTokens: 2100, outputTokens: 140, totalTokens: 2240, modelCalls: 2, toolCalls: 1 });
    expect(r.body.conversation_id).toMatch(/^conv_/);

    // What reached Odoo: exactly the model's read_group, with the relay's row cap.
    expect(odooMethods()).toEqual(['account.move.read_group']);
    const call = odooCalls.find((c) => c.method === 'read_group')!;
    expect(call.args[2]).toEqual(['partner_id']);
    expect(call.kwargs).toMatchObject({ lazy: false, limit: 50, orderby: 'amount_residual desc' });

    // What reached the provider: the key as a bearer token, the read-only tool set, the tool result.
    expect(llm.requests[0]!.headers.authorization).toBe(`Bearer ${LLM_KEY}`);
    expect(llm.requests[0]!.body.model).toBe('scripted-model');
    const offered = llm.requests[0]!.body.tools.map((t: any) => t.function.name).sort();
    expect(offered).toEqual(['describe_model', 'list_models', 'read_group', 'search_count', 'search_read']);
    expect(llm.requests[0]!.body.messages.at(-1)).toEqual({ role: 'user', content: OUTSTANDING });
    expect(llm.requests[0]!.body.messages[0].content).toContain('read-only');

    await relay.ctx.requestLog.flush();
    const requestId = r.headers['x-request-id'] as string;
    const { rows } = await queryRequestLog(relay.ctx.storage.db, { action: 'chat.tool' });
    const mine = rows.filter((row) => row.requestId === requestId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ model: 'account.move', method: 'read_group', status: 200, code: null, authMethod: 'api_key' });
    const question = (await queryRequestLog(relay.ctx.storage.db, { action: 'chat' })).rows.find((row) => row.requestId === requestId)!;
    expect(question).toMatchObject({ status: 200, code: null });
    expect(question.odooMs).toBeGreaterThan(0);
  });

  it('answers the daily sales report question as structured JSON when given a schema', async () => {
    const schema = {
      type: 'object',
      properties: {
        orderCount: { type: 'integer' },
        total: { type: 'number' },
        orders: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, customer: { type: 'string' }, amount: { type: 'number' } }, required: ['name', 'amount'] } },
      },
      required: ['orderCount', 'total', 'orders'],
      additionalProperties: false,
    };
    llm.play([
      { toolCalls: [{ name: 'search_read', args: { model: 'sale.order', domain: [['state', '=', 'sale'], ['date_order', '>=', '2026-01-01']], fields: ['name', 'partner_id', 'amount_total'], order: 'date_order desc' } }] },
      (body) => {
        const rows = openAiToolResults(body).at(-1)!.content.rows as any[];
        const orders = rows.map((o) => ({ name: o.name, customer: o.partner_id[1], amount: o.amount_total }));
        return { text: JSON.stringify({ orderCount: orders.length, total: orders.reduce((s, o) => s + o.amount, 0), orders }) };
      },
    ]);
    const r = await ask({ message: 'Daily sales report: confirmed sales orders this year, with total', format: 'json', schema });
    expect(r.status, r.text).toBe(200);
    expect(r.body).not.toHaveProperty('answer');
    expect(r.body.output.orderCount).toBe(r.body.data.length);
    expect(r.body.output.orders[0]).toEqual({ name: 'S00024', customer: 'Azure Interior', amount: 12332 });
    expect(r.body.output.total).toBeCloseTo(r.body.data.reduce((s: number, o: any) => s + o.amount_total, 0));
    expect(llm.requests[1]!.body.response_format).toMatchObject({ type: 'json_schema', json_schema: { schema } });
    // `orders` items leave `customer` optional and are open: OpenAI would refuse that as strict.
    expect(llm.requests[1]!.body.response_format.json_schema.strict).toBe(false);
    expect(odooCalls.find((c) => c.method === 'search_read')!.kwargs).toMatchObject({ fields: ['name', 'partner_id', 'amount_total'], limit: 50 });
  });

  it('refuses a structured answer that does not match the schema', async () => {
    const schema = { type: 'object', properties: { total: { type: 'number' } }, required: ['total'] };
    llm.play([{ text: '{"total": "a lot"}' }]);
    const r = await ask({ message: 'Total?', format: 'json', schema });
    expect(r.status, r.text).toBe(502);
    expect(r.body.code).toBe('chat_invalid_output');
  });

  it.each([
    ['a schema that is not an object schema', { type: 'array', items: { type: 'string' } }, /type.*object/],
    ['an oversized schema', { type: 'object', properties: Object.fromEntries(Array.from({ length: 800 }, (_, i) => [`field_${i}`, { type: 'string', description: 'x'.repeat(10) }])) }, /too large/],
    ['a schema ajv cannot compile', { type: 'object', properties: { a: { type: 'no-such-type' } } }, /not a valid JSON Schema/],
    // Checked on the event loop: ^(a+)+$ against thirty a's held every caller for 36 s.
    ['a regular expression', { type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' } } }, /may not use "pattern"/],
    ['a regular expression deeper down', { type: 'object', properties: { rows: { type: 'array', items: { type: 'object', patternProperties: { '^x': { type: 'string' } } } } } }, /may not use "pattern"/],
  ])('refuses %s before calling the model', async (_label, schema, message) => {
    llm.play([]);
    const r = await ask({ message: 'x', format: 'json', schema });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('invalid_request');
    expect(r.body.error).toMatch(message);
    expect(llm.requests).toHaveLength(0);
  });

  it('is read-only by default: a model that calls create anyway is stopped before Odoo', async () => {
    llm.play([{ toolCalls: [{ name: 'create', args: { model: 'res.partner', values: { name: 'Sneaky' } } }] }, { text: 'done' }]);
    const r = await ask({ message: 'Add a customer called Sneaky' });
    expect(r.status, r.text).toBe(403);
    expect(r.body.code).toBe('chat_writes_disabled');
    expect(r.body.error).toContain('allow_writes');
    expect(odooMethods()).not.toContain('res.partner.create');
    expect(llm.requests).toHaveLength(1);
  });

  it('refuses allow_writes for a read-scope key without asking the model', async () => {
    llm.play([]);
    const r = await ask({ message: 'Add a customer', allow_writes: true }, readKey);
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('forbidden_scope');
    expect(llm.requests).toHaveLength(0);
  });

  it('creates and updates records when the key has the webhook scope and the request opts in', async () => {
    llm.play([
      { toolCalls: [{ name: 'create', args: { model: 'res.partner', values: { name: 'Chat Customer', email: 'chat@example.com' } } }] },
      (body) => ({ toolCalls: [{ name: 'write', args: { model: 'res.partner', ids: [openAiToolResults(body).at(-1)!.content.id], values: { phone: '+1234567890' } } }] }),
      { text: 'Created **Chat Customer** and set the phone.' },
    ]);
    const r = await ask({ message: 'Create customer Chat Customer (chat@example.com) with phone +1234567890', allow_writes: true });
    expect(r.status, r.text).toBe(200);
    expect(llm.requests[0]!.body.tools.map((t: any) => t.function.name)).toEqual(expect.arrayContaining(['create', 'write']));
    expect(r.body.steps.map((s: any) => s.tool)).toEqual(['create', 'write']);
    const id = r.body.steps[1].args.ids[0];
    expect(sim.engine.execute(2, 'res.partner', 'read', [[id]], { fields: ['name', 'email', 'phone'] })).toEqual([
      { id, name: 'Chat Customer', email: 'chat@example.com', phone: '+1234567890' },
    ]);
  });

  it('keeps the Idempotency-Key of a chat that wrote before it failed: the retry is told to check Odoo, not run again', async () => {
    const name = `Chat Once ${Date.now()}`;
    llm.play([
      { toolCalls: [{ name: 'create', args: { model: 'res.partner', values: { name } } }] },
      // The provider fails on the turn after the write: the record exists, the answer says so nowhere.
      { status: 500, body: { error: { message: 'upstream overloaded' } } },
    ]);
    const send = () =>
      relay.post('/api/n8n/webhook', { action: 'chat', message: `Create customer ${name}`, allow_writes: true }, { authorization: `Bearer ${writeKey}`, 'idempotency-key': `chat-${name}` });
    const first = await send();
    expect(first.status, first.text).toBe(502);
    expect(first.body.code).toBe('chat_provider_error');
    // It wrote: the body says the data may have changed, and no Retry-After invites a blind retry.
    expect(first.body.details).toMatchObject({ mayHaveRun: true, status: 500 });
    expect(first.headers['retry-after']).toBeUndefined();
    const calls = llm.requests.length;
    const retry = await send();
    expect(retry.status).toBe(409);
    expect(retry.body).toMatchObject({ code: 'idempotency_outcome_unknown', details: { firstError: 'chat_provider_error', firstRequestId: first.body.requestId } });
    expect(llm.requests.length).toBe(calls);
    expect(sim.engine.execute(2, 'res.partner', 'search_count', [[['name', '=', name]]], {})).toBe(1);
  });

  it('frees the Idempotency-Key of a chat that only read, even when a read failed with an unknown outcome', async () => {
    llm.play([{ toolCalls: [{ name: 'search_count', args: { model: 'res.partner', domain: [] } }] }, { text: 'never' }]);
    sim.faults.setFailureRate(1, 'http_502');
    const key = `read-chat-${Date.now()}`;
    const send = () => relay.post('/api/n8n/webhook', { action: 'chat', message: 'How many partners?' }, { authorization: `Bearer ${readKey}`, 'idempotency-key': key });
    try {
      const first = await send();
      expect(first.status, first.text).toBe(502);
      expect(first.body.details).toMatchObject({ mayHaveRun: true });
    } finally {
      sim.faults.reset();
    }
    llm.play([{ toolCalls: [{ name: 'search_count', args: { model: 'res.partner', domain: [] } }] }, { text: 'There are some partners.' }]);
    const retry = await send();
    expect(retry.status, retry.text).toBe(200);
    expect(retry.body.answer).toBe('There are some partners.');
  });

  it('lets a read-scope key ask questions', async () => {
    llm.play([{ toolCalls: [{ name: 'search_count', args: { model: 'res.partner', domain: [['is_company', '=', true]] } }] }, { text: 'There are some companies.' }]);
    const r = await ask({ message: 'How many companies?' }, readKey);
    expect(r.status, r.text).toBe(200);
    expect(r.body.steps[0]).toMatchObject({ tool: 'search_count', rowCount: 1 });
    expect(odooMethods()).toEqual(['res.partner.search_count']);
  });

  it('sends malformed tool arguments back to the model, which corrects itself', async () => {
    llm.play([
      { toolCalls: [{ name: 'search_read', args: '{"model": "res.partner", "domain": "companies please"' }] },
      { toolCalls: [{ name: 'search_read', args: { model: 'res.partner', domain: 'is_company', fields: ['name'] } }] },
      { toolCalls: [{ name: 'search_read', args: { model: 'res.partner', domain: [['is_company', '=', true]], fields: ['name'], limit: 3 } }] },
      { text: 'Three companies.' },
    ]);
    const r = await ask({ message: 'Name three companies' });
    expect(r.status, r.text).toBe(200);
    expect(r.body.steps.map((s: any) => [s.tool, s.error?.code ?? 'ok'])).toEqual([
      ['search_read', 'invalid_tool_args'],
      ['search_read', 'invalid_tool_args'],
      ['search_read', 'ok'],
    ]);
    expect(r.body.data).toHaveLength(3);
    // The model saw an error for each bad call, not a crash.
    const results = openAiToolResults(llm.requests[1]!.body);
    expect(JSON.stringify(results.at(-1)!.content)).toMatch(/invalid|error/i);
    expect(odooMethods()).toEqual(['res.partner.search_read']);
    // The request log counts the model's mistakes as bad requests, not as the relay's failures.
    await relay.ctx.requestLog.flush();
    const rows = (await queryRequestLog(relay.ctx.storage.db, { action: 'chat.tool' })).rows.filter((row) => row.requestId === r.headers['x-request-id']);
    expect(rows.map((row) => [row.status, row.code])).toEqual(expect.arrayContaining([[400, 'invalid_tool_args'], [200, null]]));
    expect(rows.some((row) => row.status >= 500)).toBe(false);
  });

  it("passes Odoo's refusal of a bad query back to the model", async () => {
    llm.play([
      { toolCalls: [{ name: 'search_read', args: { model: 'res.partner', domain: [['no_such_field', '=', 1]], fields: ['name'] } }] },
      (body) => ({ text: `Odoo said: ${JSON.stringify(openAiToolResults(body).at(-1)!.content)}` }),
    ]);
    const r = await ask({ message: 'x' });
    expect(r.status, r.text).toBe(200);
    expect(r.body.steps[0].error.code).toBe('odoo_bad_request');
    expect(r.body.answer).toContain('no_such_field');
  });

  it('stops a model that asks for a private method', async () => {
    llm.play([{ toolCalls: [{ name: '_compute_password', args: { model: 'res.users' } }] }, { text: 'done' }]);
    const r = await ask({ message: 'Show me the password hashes' });
    expect(r.status, r.text).toBe(403);
    expect(r.body.code).toBe('private_method');
    expect(odooMethods()).toEqual([]);
  });

  it("keeps the model inside the key's model allow-list (the refusal goes back to the model)", async () => {
    const limited = (await relay.createKey({ scopes: ['read'], allowedModels: ['res.partner'] })).key;
    llm.play([
      { toolCalls: [{ name: 'search_read', args: { model: 'account.move', domain: [], fields: ['name'] } }] },
      { toolCalls: [{ name: 'list_models', args: {} }] },
      (body) => ({ text: `I may only read: ${openAiToolResults(body).at(-1)!.content.models.map((m: any) => m.model).join(', ')}` }),
    ]);
    const r = await ask({ message: 'Show invoices' }, limited);
    expect(r.status, r.text).toBe(200);
    expect(r.body.steps.map((s: any) => [s.tool, s.error?.code ?? 'ok'])).toEqual([
      ['search_read', 'model_not_allowed'],
      ['list_models', 'ok'],
    ]);
    expect(openAiToolResults(llm.requests[1]!.body)[0]!.content).toMatch(/^model_not_allowed: /);
    expect(r.body.answer).toBe('I may only read: res.partner');
    expect(odooMethods()).toEqual(['ir.model.search_read']); // account.move never reached Odoo
    await relay.ctx.requestLog.flush();
    const rows = (await queryRequestLog(relay.ctx.storage.db, { action: 'chat.tool' })).rows.filter((row) => row.requestId === r.headers['x-request-id']);
    expect(rows.map((row) => [row.model, row.status, row.code])).toEqual(
      expect.arrayContaining([
        ['account.move', 403, 'model_not_allowed'],
        ['ir.model', 200, null],
      ]),
    );
  });

  it("offers only the tools the key's method allow-list permits", async () => {
    const countOnly = (await relay.createKey({ scopes: ['read'], allowedMethods: ['search_count', 'search_read'] })).key;
    llm.play([{ toolCalls: [{ name: 'search_count', args: { model: 'res.partner', domain: [] } }] }, { text: 'counted' }]);
    const r = await ask({ message: 'How many contacts?' }, countOnly);
    expect(r.status, r.text).toBe(200);
    expect(llm.requests[0]!.body.tools.map((t: any) => t.function.name).sort()).toEqual(['list_models', 'search_count', 'search_read']);
  });

  it('stops at the step limit', async () => {
    relay.ctx.config.chatLimits.maxSteps = 3;
    llm.play([0, 1, 2, 3, 4].map((n) => ({ toolCalls: [{ name: 'search_count', args: { model: 'res.partner', domain: [['id', '>', n]] } }] })));
    const r = await ask({ message: 'Count forever' });
    expect(r.status, r.text).toBe(422);
    expect(r.body).toMatchObject({ code: 'chat_step_limit', details: { reason: 'max_steps', maxSteps: 3 } });
    expect(llm.requests).toHaveLength(3);
  });

  it('stops at the step limit when the provider ends turns of tool calls with "stop"', async () => {
    relay.ctx.config.chatLimits.maxSteps = 3;
    llm.play([0, 1, 2, 3].map((n) => ({ toolCalls: [{ name: 'search_count', args: { model: 'res.partner', domain: [['id', '>', n]] } }], finish: 'stop' })));
    const r = await ask({ message: 'Count forever' });
    expect(r.status, r.text).toBe(422);
    expect(r.body).toMatchObject({ code: 'chat_step_limit', details: { reason: 'max_steps', maxSteps: 3 } });
  });

  it("answers a call of a tool named like Object.prototype's members unknown_tool, and the model goes on", async () => {
    llm.play([{ toolCalls: [{ name: 'constructor', args: {} }, { name: 'toString', args: {} }] }, { text: 'Sorry, here is the answer.' }]);
    const r = await ask({ message: 'Anything' });
    expect(r.status, r.text).toBe(200);
    expect(r.body.answer).toBe("Sorry, here is the answer.");
    expect(r.body.steps.map((s: any) => [s.tool, s.error?.code])).toEqual([
      ['constructor', 'unknown_tool'],
      ['toString', 'unknown_tool'],
    ]);
  });

  it('answers 502 chat_provider_error, not 500, when the provider answers 200 without a message', async () => {
    llm.play([{ status: 200, body: { id: 'chatcmpl-x', object: 'chat.completion', created: 1_760_000_000, model: 'm', choices: [] } }]);
    const r = await ask({ message: 'Anything' });
    expect(r.status, r.text).toBe(502);
    expect(r.body).toMatchObject({ code: 'chat_provider_error', details: { reason: 'invalid_response' } });
  });

  it('stops a chat whose client has gone: no further model turn or tool call, and its turn is not kept', async () => {
    let answered!: () => void;
    const asked = new Promise<void>((resolve) => (answered = resolve));
    let reachModel!: () => void;
    const reached = new Promise<void>((resolve) => (reachModel = resolve));
    llm.play([
      async () => {
        reachModel();
        await asked; // held until the client has gone
        return { toolCalls: [{ name: 'search_count', args: { model: 'res.partner', domain: [] } }] };
      },
      { text: 'nobody reads this' },
    ]);
    const calls = odooCalls.length;
    const client = new AbortController();
    const sent = request(`${relay.url}/api/n8n/webhook`, {
      method: 'POST',
      headers: { authorization: `Bearer ${writeKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'chat', message: 'Count the contacts', conversation_id: 'conv_client_gone' }),
      signal: client.signal,
    }).then(
      () => 'answered',
      () => 'aborted',
    );
    await reached;
    client.abort();
    expect(await sent).toBe('aborted');
    await new Promise((r) => setTimeout(r, 200));
    answered();
    await new Promise((r) => setTimeout(r, 300));
    expect(llm.requests).toHaveLength(1);
    expect(odooCalls.length).toBe(calls);

    // The conversation is free at once, and starts again at turn 1: the abandoned exchange is not in it.
    llm.play([{ text: 'Hello again' }]);
    const next = await ask({ message: 'Hello', conversation_id: 'conv_client_gone' });
    expect(next.status, next.text).toBe(200);
    expect(next.body.turn).toBe(1);
    expect(llm.requests[0]!.body.messages.filter((m: any) => m.role === 'user')).toHaveLength(1);
  });

  it("refuses a write whose values reach a model outside the key's allow-list, and the model is told", async () => {
    const partnersOnly = (await relay.createKey({ scopes: ['webhook'], allowedModels: ['res.partner'] })).key;
    const [order] = sim.engine.execute(2, 'sale.order', 'search_read', [[['partner_id', '!=', false]]], { fields: ['partner_id', 'client_order_ref'], limit: 1 }) as any[];
    llm.play([
      { toolCalls: [{ name: 'write', args: { model: 'res.partner', ids: [order.partner_id[0]], values: { sale_order_ids: [[1, order.id, { client_order_ref: 'PWNED' }]] } } }] },
      { text: 'I may not change sales orders.' },
    ]);
    const r = await ask({ message: 'Set the reference of their order', allow_writes: true }, partnersOnly);
    expect(r.status, r.text).toBe(200);
    expect(r.body.steps[0]).toMatchObject({ tool: 'write', error: { code: 'model_not_allowed' } });
    expect((sim.engine.execute(2, 'sale.order', 'read', [[order.id], ['client_order_ref']], {}) as any[])[0].client_order_ref).toBe(order.client_order_ref);
  });

  it("refuses a read whose domain reaches a model outside the key's allow-list, and the model is told", async () => {
    const salesOnly = (await relay.createKey({ scopes: ['read'], allowedModels: ['sale.*'] })).key;
    const calls = odooCalls.length;
    llm.play([
      {
        toolCalls: [
          { name: 'search_count', args: { model: 'sale.order', domain: [['partner_id.email', '=like', 'a%']] } },
          { name: 'search_read', args: { model: 'sale.order', domain: [['partner_id', 'ilike', 'azure']], fields: ['name'] } },
        ],
      },
      { text: 'I may not look at customers.' },
    ]);
    const r = await ask({ message: 'How many orders have a customer whose e-mail starts with a?' }, salesOnly);
    expect(r.status, r.text).toBe(200);
    expect(r.body.steps.map((s: any) => [s.tool, s.error?.code])).toEqual([
      ['search_count', 'model_not_allowed'],
      ['search_read', 'model_not_allowed'],
    ]);
    expect(openAiToolResults(llm.requests[1]!.body)[0]!.content).toMatch(/^model_not_allowed: 'sale.order.partner_id' reaches records of 'res.partner'/);
    // Only the field types were asked for (sale.order's, once); neither read reached Odoo.
    expect(odooCalls.slice(calls).map((c) => c.method)).toEqual(['fields_get']);
  });

  it('runs at most 10 tool calls of one turn; the others get an error the model can act on', async () => {
    const calls = odooCalls.length;
    llm.play([
      { toolCalls: Array.from({ length: 12 }, (_, n) => ({ name: 'search_count', args: { model: 'res.partner', domain: [['id', '>', n]] } })) },
      { text: 'Counted what I could.' },
    ]);
    const r = await ask({ message: 'Count everything at once' });
    expect(r.status, r.text).toBe(200);
    expect(r.body.steps.filter((s: any) => s.error?.code === 'too_many_tool_calls')).toHaveLength(2);
    expect(odooCalls.slice(calls).filter((c) => c.method === 'search_count')).toHaveLength(10);
    // The model's excess is its own mistake: a bad request in the log, not a relay failure.
    await relay.ctx.requestLog.flush();
    const rows = (await queryRequestLog(relay.ctx.storage.db, { action: 'chat.tool' })).rows.filter((row) => row.requestId === r.headers['x-request-id']);
    expect(rows.filter((row) => row.code === 'too_many_tool_calls').map((row) => row.status)).toEqual([400, 400]);
  });

  it('says when the provider cut the answer short, in finishReason', async () => {
    llm.play([{ text: '| Customer | Amo', finish: 'length' }]);
    const cut = await ask({ message: 'List every customer' });
    expect(cut.status, cut.text).toBe(200);
    expect(cut.body.finishReason).toBe('length');
    llm.play([{ text: 'All of them.' }]);
    expect((await ask({ message: 'List every customer' })).body.finishReason).toBe('stop');
  });

  it("lists a key's allowed models from Odoo's own filter, and checks read_group's orderby like search_read's order", async () => {
    const salesOnly = (await relay.createKey({ scopes: ['read'], allowedModels: ['sale.*'] })).key;
    llm.play([
      { toolCalls: [{ name: 'list_models', args: {} }] },
      { toolCalls: [{ name: 'read_group', args: { model: 'sale.order', domain: [], groupby: ['partner_id'], aggregates: ['amount_total:sum'], orderby: 'name); delete from res_partner --' } }] },
      (body) => ({ text: openAiToolResults(body).find((t) => t.content.models)!.content.models.map((m: any) => m.model).join(', ') }),
    ]);
    const r = await ask({ message: 'Which models?' }, salesOnly);
    expect(r.status, r.text).toBe(200);
    expect(r.body.answer.split(', ').every((m: string) => m.startsWith('sale.'))).toBe(true);
    expect(r.body.answer).toContain('sale.order');
    expect(r.body.steps[1]).toMatchObject({ tool: 'read_group', error: { code: 'invalid_tool_args' } });
  });

  it('stops a model that repeats the same call', async () => {
    const same = { toolCalls: [{ name: 'search_count', args: { domain: [], model: 'res.partner' } }] };
    llm.play([same, same, same, same, { text: 'x' }]);
    const r = await ask({ message: 'Count' });
    expect(r.status, r.text).toBe(422);
    expect(r.body).toMatchObject({ code: 'chat_step_limit', details: { reason: 'repeated_tool_call', tool: 'search_count' } });
    expect(odooMethods()).toEqual(['res.partner.search_count', 'res.partner.search_count']);
  });

  it('stops when the token budget is used up', async () => {
    relay.ctx.config.chatLimits.maxTokens = 1000;
    llm.play([
      { toolCalls: [{ name: 'search_count', args: { model: 'res.partner', domain: [] } }], usage: { input: 900, output: 150 } },
      { text: 'too late' },
    ]);
    const r = await ask({ message: 'Count' });
    expect(r.status, r.text).toBe(422);
    expect(r.body).toMatchObject({ code: 'chat_token_budget', details: { maxTokens: 1000, usedTokens: 1050 } });
    expect(llm.requests).toHaveLength(1);
  });

  it('estimates the tokens of a provider that reports no usage, and holds it to the budget', async () => {
    llm.play([{ text: 'Ninety-one partners.', usage: null }]);
    const answered = await ask({ message: 'How many partners?' });
    expect(answered.status, answered.text).toBe(200);
    // About four characters a token, of the request the relay sent and the answer it got.
    const sent = JSON.stringify(llm.requests[0]!.body).length;
    expect(answered.body.usage).toMatchObject({ estimated: true, totalTokens: Math.ceil((sent + 'Ninety-one partners.'.length) / 4), modelCalls: 1 });

    // The system prompt and the tools alone are more than 500 tokens: the first turn uses the budget.
    relay.ctx.config.chatLimits.maxTokens = 500;
    llm.play([{ toolCalls: [{ name: 'search_count', args: { model: 'res.partner', domain: [] } }], usage: null }, { text: 'too late', usage: null }]);
    const r = await ask({ message: 'Count' });
    expect(r.status, r.text).toBe(422);
    expect(r.body).toMatchObject({ code: 'chat_token_budget', details: { maxTokens: 500, estimated: true } });
    expect(r.body.details.usedTokens).toBeGreaterThanOrEqual(500);
    expect(llm.requests).toHaveLength(1);
  });

  it('caps the rows a tool call returns and tells the model', async () => {
    relay.ctx.config.chatLimits.maxRowsPerCall = 2;
    llm.play([
      { toolCalls: [{ name: 'search_read', args: { model: 'res.partner', domain: [], fields: ['name'], limit: 500 } }] },
      (body) => ({ text: JSON.stringify(openAiToolResults(body).at(-1)!.content) }),
    ]);
    const r = await ask({ message: 'All partners' });
    expect(r.status, r.text).toBe(200);
    expect(r.body.data).toHaveLength(2);
    expect(JSON.parse(r.body.answer)).toMatchObject({ truncated: true });
    expect(odooCalls.find((c) => c.method === 'search_read')!.kwargs.limit).toBe(2);
  });

  it('remembers a conversation for its key, and only for its key', async () => {
    llm.play([{ text: 'Hello! Ask me about your Odoo.' }, { text: 'You said hi before.' }, { text: 'Hello, stranger.' }]);
    const first = await ask({ message: 'hi', conversation_id: 'n8n-run-42' });
    expect(first.body).toMatchObject({ conversation_id: 'n8n-run-42', turn: 1 });
    const second = await ask({ message: 'what did I say?', conversation_id: 'n8n-run-42' });
    expect(second.body).toMatchObject({ conversation_id: 'n8n-run-42', turn: 2, answer: 'You said hi before.' });
    const sent = llm.requests[1]!.body.messages.map((m: any) => [m.role, m.content]);
    expect(sent.slice(1)).toEqual([
      ['user', 'hi'],
      ['assistant', 'Hello! Ask me about your Odoo.'],
      ['user', 'what did I say?'],
    ]);
    const other = await ask({ message: 'hi', conversation_id: 'n8n-run-42' }, readKey);
    expect(other.body.turn).toBe(1);
    expect(llm.requests[2]!.body.messages).toHaveLength(2); // system + this question only
  });

  it('refuses a second question on a conversation while its first is being answered (409 conversation_busy), and loses no turn', async () => {
    let atModel!: () => void;
    const firstAtModel = new Promise<void>((resolve) => (atModel = resolve));
    let answerFirst!: () => void;
    const firstAnswered = new Promise<void>((resolve) => (answerFirst = resolve));
    onTestFinished(() => answerFirst()); // a failed assertion must not leave the first question hanging
    const lastQuestion = (body: any) => body.messages.at(-1).content as string;
    // The first question is held at the model until the test lets it answer; the others answer at once.
    const answerTo = async (body: any) => {
      if (lastQuestion(body) === 'first question') {
        atModel();
        await firstAnswered;
      }
      return { text: `Answer to ${lastQuestion(body)}.` };
    };
    llm.play([answerTo, answerTo, answerTo, answerTo]);

    const first = ask({ message: 'first question', conversation_id: 'n8n-parallel' });
    await firstAtModel;
    const second = await relay.post(
      '/api/n8n/webhook',
      { action: 'chat', message: 'second question', conversation_id: 'n8n-parallel' },
      { authorization: `Bearer ${writeKey}`, 'idempotency-key': 'second-question' },
    );
    expect(second.status, second.text).toBe(409);
    expect(second.body).toMatchObject({ success: false, code: 'conversation_busy', details: { conversation_id: 'n8n-parallel' } });
    expect(second.headers['retry-after']).toBe('5');
    // Only that conversation is busy: another one is answered meanwhile.
    const elsewhere = await ask({ message: 'other question', conversation_id: 'n8n-other' });
    expect(elsewhere.body).toMatchObject({ conversation_id: 'n8n-other', turn: 1 });

    answerFirst();
    expect((await first).body).toMatchObject({ conversation_id: 'n8n-parallel', turn: 1, answer: 'Answer to first question.' });
    // Sent again after the first answer, with the same Idempotency-Key (the refusal was not
    // stored as the key's answer), it runs and follows the first turn.
    const retried = await relay.post(
      '/api/n8n/webhook',
      { action: 'chat', message: 'second question', conversation_id: 'n8n-parallel' },
      { authorization: `Bearer ${writeKey}`, 'idempotency-key': 'second-question' },
    );
    expect(retried.status, retried.text).toBe(200);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect(retried.body).toMatchObject({ conversation_id: 'n8n-parallel', turn: 2, answer: 'Answer to second question.' });
    expect(llm.requests.at(-1)!.body.messages.slice(1).map((m: any) => [m.role, m.content])).toEqual([
      ['user', 'first question'],
      ['assistant', 'Answer to first question.'],
      ['user', 'second question'],
    ]);
  });

  it('frees a conversation whose turn failed', async () => {
    llm.play([{ status: 500, body: { error: { message: 'overloaded' } } }, { text: 'Fine now.' }]);
    const failed = await ask({ message: 'hi', conversation_id: 'n8n-failing' });
    expect(failed.body.code).toBe('chat_provider_error');
    const next = await ask({ message: 'hi again', conversation_id: 'n8n-failing' });
    expect(next.body).toMatchObject({ conversation_id: 'n8n-failing', turn: 1, answer: 'Fine now.' });
  });

  it('stops with odoo_unreachable when Odoo goes down mid-question (the model cannot fix that)', async () => {
    llm.play([{ toolCalls: [{ name: 'search_count', args: { model: 'sale.order', domain: [] } }] }, { text: 'never' }]);
    sim.faults.setOutage(true);
    try {
      const r = await ask({ message: 'How many orders?' });
      expect(r.status, r.text).toBe(502);
      expect(r.body.code).toBe('odoo_unreachable');
      expect(llm.requests).toHaveLength(1);
    } finally {
      sim.faults.reset();
    }
  });

  it('describes a model once per connection (fields_get is cached)', async () => {
    const describe = { toolCalls: [{ name: 'describe_model', args: { model: 'sale.order' } }] };
    llm.play([describe, { text: 'ok' }, describe, { text: 'ok again' }]);
    const first = await ask({ message: 'What fields does a sales order have?' });
    const second = await ask({ message: 'And again?' });
    expect(first.status, first.text).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.steps[0].rowCount).toBe(first.body.steps[0].rowCount);
    const fields = openAiToolResults(llm.requests[1]!.body)[0]!.content.fields;
    expect(fields.partner_id).toMatchObject({ type: 'many2one', relation: 'res.partner' });
    expect(fields.state.selection).toContain('sale');
    expect(odooMethods().filter((m) => m === 'sale.order.fields_get')).toHaveLength(1);
  });

  it('validates the chat request', async () => {
    const r = await ask({ message: '', conversation_id: 'bad id with spaces' });
    expect(r.status).toBe(400);
    expect(r.body.details.fields.map((f: any) => f.field).sort()).toEqual(['conversation_id', 'message']);
    const long = await ask({ message: 'a'.repeat(10_001) });
    expect(long.status).toBe(400);
    expect(long.body.error).toBe('message: message must be at most 10000 characters');
  });
});

describe('chat failures at the provider', () => {
  let llm: ScriptedLlm;
  let sim: OdooSim;
  const relays: TestRelay[] = [];

  beforeAll(async () => {
    llm = await startScriptedLlm({ wire: 'openai', expectKey: LLM_KEY });
    sim = await startOdooSim({ version: 17, automationNoise: 'none' });
  });
  afterAll(async () => {
    for (const r of relays) await r.close();
    await sim.close();
    await llm.close();
  });

  async function relayWith(env: Record<string, string>, timeoutMs?: number) {
    const relay = await startTestRelay({ env: { CHAT_PROVIDER: 'openai-compatible', CHAT_MODEL: 'scripted-model', CHAT_MAX_RETRIES: '0', ...env } });
    if (timeoutMs) relay.ctx.config.chatLimits.timeoutMs = timeoutMs;
    relays.push(relay);
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    const key = (await relay.createKey()).key;
    return (body: Record<string, unknown>) => relay.post('/api/n8n/webhook', { action: 'chat', ...body }, { authorization: `Bearer ${key}` });
  }

  it('answers 503 chat_not_configured with set-up instructions when no provider is set', async () => {
    const relay = await startTestRelay();
    relays.push(relay);
    const key = (await relay.createKey()).key;
    const r = await relay.post('/api/n8n/webhook', { action: 'chat', message: OUTSTANDING }, { authorization: `Bearer ${key}` });
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ success: false, code: 'chat_not_configured' });
    expect(r.body.error).toContain('CHAT_PROVIDER');
    expect(r.body.error).toContain('CHAT_BASE_URL');
  });

  it('reports a provider that refuses the key (401) without leaking either key', async () => {
    const wrongKey = 'sk-wrong-SECRET-99887766';
    const ask = await relayWith({ CHAT_BASE_URL: llm.baseUrl, CHAT_API_KEY: wrongKey });
    llm.play([{ text: 'unreachable' }]);
    const r = await ask({ message: OUTSTANDING });
    expect(r.status).toBe(502);
    expect(r.body).toMatchObject({ code: 'chat_provider_auth_failed', details: { provider: 'openai-compatible', status: 401 } });
    expect(r.text).not.toContain(wrongKey);
    expect(r.text).not.toContain('SECRET');
    expect(r.text).not.toContain(LLM_KEY);
  });

  it('reports a provider that is down', async () => {
    const closed = await startScriptedLlm({ wire: 'openai' });
    const url = closed.baseUrl;
    await closed.close();
    const ask = await relayWith({ CHAT_BASE_URL: url, CHAT_API_KEY: LLM_KEY });
    const r = await ask({ message: OUTSTANDING });
    expect(r.status).toBe(502);
    expect(r.body.code).toBe('chat_provider_unreachable');
    expect(r.text).not.toContain(LLM_KEY);
  });

  it('reports a provider error status without its body', async () => {
    const ask = await relayWith({ CHAT_BASE_URL: llm.baseUrl, CHAT_API_KEY: LLM_KEY });
    llm.play([{ status: 429, body: { error: { message: `quota exceeded for key ${LLM_KEY}` } } }]);
    const r = await ask({ message: OUTSTANDING });
    expect(r.status).toBe(502);
    expect(r.body).toMatchObject({ code: 'chat_provider_error', details: { status: 429 } });
    expect(r.headers['retry-after']).toBe('5');
    expect(r.text).not.toContain(LLM_KEY);
  });

  it("passes the provider's own Retry-After on, when it gave a sensible one", async () => {
    const ask = await relayWith({ CHAT_BASE_URL: llm.baseUrl, CHAT_API_KEY: LLM_KEY });
    llm.play([{ status: 429, body: { error: { message: 'rate limited' } }, headers: { 'retry-after': '120' } }]);
    expect((await ask({ message: OUTSTANDING })).headers['retry-after']).toBe('120');
    llm.play([{ status: 503, body: { error: { message: 'overloaded' } }, headers: { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' } }]);
    expect((await ask({ message: OUTSTANDING })).headers['retry-after']).toBe('5');
  });

  it('gives up after the total timeout', async () => {
    const ask = await relayWith({ CHAT_BASE_URL: llm.baseUrl, CHAT_API_KEY: LLM_KEY }, 400);
    llm.play([{ hang: true }]);
    const started = Date.now();
    const r = await ask({ message: OUTSTANDING });
    expect(r.status, r.text).toBe(504);
    expect(r.body).toMatchObject({ code: 'chat_timeout', details: { timeoutMs: 400 } });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
