import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { actionSchemas, type ActionName } from '../src/actions/schema.js';

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
  const bodies = [...section.matchAll(/`(\{"action".*?\})`/g)].map((m) => JSON.parse(m[1]!));

  it('shows the three workflows, each a valid action', () => {
    expect(bodies.filter((b) => b.action === 'execute_method').map((b) => `${b.model}.${b.method}`)).toEqual([
      'res.partner.create',
      'sale.order.search_read',
      'product.product.search_read',
    ]);
    for (const body of bodies) expect(actionSchemas[body.action as ActionName].safeParse(body).success, JSON.stringify(body)).toBe(true);
  });
});
