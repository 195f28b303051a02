import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpPost, startTestRelay, type TestRelay } from '../helpers/relay.js';
import { computeHmacHex } from '../../src/auth/hmac.js';
import { startOdooSim, type OdooSim } from '../odoo-sim/server.js';
import { curlSnippet, n8nWorkflow, nodeSnippet, pythonSnippet, EXAMPLE_BODY } from '../../web/src/snippets.js';

const run = promisify(execFile);
const has = (cmd: string) => process.env.PATH!.split(path.delimiter).some((dir) => fs.existsSync(path.join(dir, cmd)));

/**
 * The Webhook page's snippets are run for real against a relay in front of the Odoo test
 * server, with the key and HMAC secret pasted in through the environment as the page says.
 */
describe('webhook snippets shown by the dashboard', () => {
  let relay: TestRelay;
  let sim: OdooSim;
  let key: { key: string; hmacSecret: string | null };
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    [relay, sim] = await Promise.all([startTestRelay(), startOdooSim({ version: 18, automationNoise: 'none' })]);
    await relay.connectOdoo({ url: sim.url, database: 'odoo_demo', login: 'admin', secret: 'admin' });
    key = await relay.createKey({ hmac: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-snippets-'));
    env = { ...process.env, RELAY_API_KEY: key.key, RELAY_HMAC_SECRET: key.hmacSecret! };
  });
  afterAll(async () => {
    await relay?.close();
    await sim?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const input = () => ({ endpoint: `${relay.url}/api/n8n/webhook`, keyPrefix: key.key.slice(0, 14), hmac: true });

  it('never contains a secret, only the prefix placeholder', () => {
    for (const text of [curlSnippet(input()), nodeSnippet(input()), pythonSnippet(input()), n8nWorkflow(input())]) {
      expect(text).not.toContain(key.key);
      expect(text).not.toContain(key.hmacSecret);
      expect(text).toContain(`${relay.url}/api/n8n/webhook`);
    }
    expect(nodeSnippet(input())).toContain(`${key.key.slice(0, 14)}…PASTE_THE_REST_OF_YOUR_KEY`);
  });

  it('Node.js: the seed example, signed, answers the partners', async () => {
    const file = path.join(dir, 'call.cjs');
    fs.writeFileSync(file, nodeSnippet(input()).replace('console.log(data)', 'console.log(JSON.stringify(data))'));
    const { stdout } = await run(process.execPath, [file], { env });
    const answer = JSON.parse(stdout);
    expect(answer.success).toBe(true);
    expect(answer.result.length).toBeGreaterThan(0);
  });

  it.runIf(has('python3'))('Python: the seed example, signed, answers the partners (needs python3)', async () => {
    const file = path.join(dir, 'call.py');
    fs.writeFileSync(file, pythonSnippet(input()).replace('print(json.loads(res.read()))', 'print(res.read().decode())'));
    const { stdout } = await run('python3', [file], { env });
    const answer = JSON.parse(stdout);
    expect(answer.success).toBe(true);
    expect(answer.result.length).toBeGreaterThan(0);
  });

  it.runIf(has('curl') && has('openssl') && has('bash'))('curl: signed with openssl, answers the partners (needs curl and openssl)', async () => {
    const { stdout } = await run('bash', ['-c', curlSnippet(input())], { env });
    const answer = JSON.parse(stdout);
    expect(answer.success).toBe(true);
    expect(answer.result.length).toBeGreaterThan(0);
  });

  it('n8n: a workflow whose signed string is exactly the body it sends', async () => {
    const wf = JSON.parse(n8nWorkflow(input()));
    expect(wf.nodes.map((n: any) => n.type)).toEqual(['n8n-nodes-base.code', 'n8n-nodes-base.crypto', 'n8n-nodes-base.httpRequest']);
    const [code, crypto, http] = wf.nodes;
    // What the Code node outputs, signed as the Crypto node does, sent as the HTTP node does.
    const [{ json }] = new Function(code.parameters.jsCode)() as [{ json: { body: string } }];
    expect(JSON.parse(json.body)).toEqual(EXAMPLE_BODY);
    const sent = await httpPost(`${relay.url}/api/n8n/webhook`, json.body, {
      authorization: `Bearer ${key.key}`,
      'x-hmac-signature': computeHmacHex(key.hmacSecret!, json.body),
    });
    expect(sent.body.success).toBe(true);
    expect(crypto.parameters).toMatchObject({ action: 'hmac', type: 'SHA256', value: '={{ $json.body }}', encoding: 'hex', dataPropertyName: 'signature' });
    expect(http.parameters).toMatchObject({ method: 'POST', url: `${relay.url}/api/n8n/webhook`, contentType: 'raw', rawContentType: 'application/json', body: '={{ $json.body }}' });
    expect(http.parameters.headerParameters.parameters).toEqual([{ name: 'X-HMAC-Signature', value: '={{ $json.signature }}' }]);
    expect(wf.connections['Build body'].main[0][0].node).toBe('Sign body');

    const plain = JSON.parse(n8nWorkflow({ ...input(), hmac: false }));
    expect(plain.nodes).toHaveLength(1);
    expect(JSON.parse(plain.nodes[0].parameters.jsonBody)).toEqual(EXAMPLE_BODY);
    expect(plain.nodes[0].credentials.httpHeaderAuth.name).toBe('Odoo Relay API key');
  });
});
