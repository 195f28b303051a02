import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { Webhook } from 'standardwebhooks';
import { actionSchemas, type ActionName } from '../src/actions/schema.js';

const AsyncFunction = (async () => undefined).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<unknown>;

/** Every JSON action in the n8n recipes must be a body the relay accepts. */
describe('docs/n8n-recipes.md', () => {
  const doc = fs.readFileSync(new URL('../docs/n8n-recipes.md', import.meta.url), 'utf8');
  const blocks = [...doc.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const actions = blocks.map((b) => JSON.parse(b)).filter((v) => typeof v.action === 'string');

  it('has the seed’s use cases as actions', () => {
    expect(actions.length).toBeGreaterThanOrEqual(8);
  });

  it.each(actions.map((a, i) => [i, a]))('recipe %i parses as a valid action', (_i, body) => {
    const schema = actionSchemas[body.action as ActionName];
    expect(schema, `unknown action ${body.action}`).toBeDefined();
    expect(schema.safeParse(body).success).toBe(true);
  });

  it("verifies a real signature with the 'Receiving record events' Code node, and refuses a forged one", async () => {
    const section = doc.slice(doc.indexOf('## Receiving record events'));
    const code = /```js\n([\s\S]*?)```/.exec(section)![1]!;
    const secret = `whsec_${Buffer.from('a 32-byte secret for the recipe!').toString('base64')}`;
    const payload = JSON.stringify({ type: 'res.partner.created', record_id: 7, data: { name: 'Zoë "Q" </tag> \u2028' } });
    const id = 'msg_recipe';
    const timestamp = new Date();
    const signature = new Webhook(secret).sign(id, timestamp, payload);
    const run = (sig: string) => {
      const headers = { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)), 'webhook-signature': sig };
      const node = new AsyncFunction('require', '$input', code.replace("'whsec_…'", JSON.stringify(secret)));
      const context = { helpers: { getBinaryDataBuffer: async () => Buffer.from(payload) } };
      return node.call(context, createRequire(import.meta.url), { first: () => ({ json: { headers } }) });
    };
    expect(await run(signature)).toEqual([{ json: JSON.parse(payload) }]);
    const forged = new Webhook(`whsec_${Buffer.from('another secret, the attacker’s!!').toString('base64')}`).sign(id, timestamp, payload);
    await expect(run(forged)).rejects.toThrow('invalid webhook signature');
  });

  it('has a paste-able n8n HTTP Request node whose body is a valid action', () => {
    const workflow = blocks.map((b) => JSON.parse(b)).find((v) => Array.isArray(v.nodes));
    const node = workflow.nodes[0];
    expect(node.type).toBe('n8n-nodes-base.httpRequest');
    expect(node.parameters).toMatchObject({ method: 'POST', authentication: 'genericCredentialType', genericAuthType: 'httpHeaderAuth' });
    expect(node.parameters.url.endsWith('/api/n8n/webhook')).toBe(true);
    expect(actionSchemas.test_connection.safeParse(JSON.parse(node.parameters.jsonBody)).success).toBe(true);
  });
});

/** The README's table of the seed's three workflows: each body is an action the relay accepts. */
describe('README.md n8n workflows', () => {
  const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Use it from n8n'), readme.indexOf('## Dashboard'));
  // An n8n expression that writes a JSON value (`{{ JSON.stringify($json.name) }}`) stands for a string here.
  const bodies = [...section.matchAll(/`(\{"action".*?\})`/g)].map((m) => JSON.parse(m[1]!.replace(/\{\{ JSON\.stringify\([^)]*\) \}\}/g, '"x"')));

  it('shows the three workflows, each a valid action', () => {
    expect(bodies.filter((b) => b.action === 'execute_method').map((b) => `${b.model}.${b.method}`)).toEqual([
      'res.partner.create',
      'sale.order.search_read',
      'product.product.search_read',
    ]);
    for (const body of bodies) expect(actionSchemas[body.action as ActionName].safeParse(body).success, JSON.stringify(body)).toBe(true);
  });
});
