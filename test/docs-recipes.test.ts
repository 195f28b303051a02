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
