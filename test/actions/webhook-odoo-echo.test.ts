import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestRelay, type TestRelay } from '../helpers/relay.js';
import { captureLog, type CapturedLog } from '../helpers/log-capture.js';

/**
 * A proxy in front of Odoo that answers with a debug echo of the request it got (plain text,
 * HTTP 200): the JSON-RPC login body it echoes holds the connection secret, JSON-escaped. Nothing
 * of that body may reach the caller or the logs, neither the secret cut short nor escaped.
 */
const VERSION_17 = JSON.stringify({ version: '17.0', version_info: [17, 0, 0, 'final', 0, ''] });

async function startEchoingProxy(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/web/version') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(VERSION_17);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(`${req.method} ${req.url}\n${Buffer.concat(chunks).toString('utf8')}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * Every 6-character piece of the secret found in `text`: as written, and as one, two or three
 * rounds of JSON escaping write it (the echo escapes it once, an error message quoting the echo
 * and the JSON answer or log line around that message once more each).
 */
function piecesOf(secret: string, text: string): string[] {
  const forms = [secret];
  for (let i = 0; i < 3; i++) forms.push(JSON.stringify(forms.at(-1)!).slice(1, -1));
  const found = new Set<string>();
  for (const form of forms) {
    for (let i = 0; i + 6 <= form.length; i++) {
      const piece = form.slice(i, i + 6);
      if (/[a-z0-9]/i.test(piece) && text.includes(piece)) found.add(piece);
    }
  }
  return [...found];
}

describe.each([
  // Longer than what fits in a quoted 120-character snippet: only its start would be quoted.
  { label: 'a long secret the snippet would cut', secret: 'Cut0ffSecretQz7Wv5Xk9Jm3Rt8Yp2Ln4Hs6Bd1Fg' },
  // Quoted whole, but escaped: `"` and `\` arrive as `\"` and `\\`, so the secret as written is not found.
  { label: 'a secret with " and \\ that arrives JSON-escaped', secret: 'Es"c\\ape7Qz' },
])('an Odoo proxy echoing the login request, with $label', ({ secret }) => {
  let proxy: { url: string; close(): Promise<void> };
  let relay: TestRelay;
  let log: CapturedLog;
  let auth: Record<string, string>;

  beforeAll(async () => {
    proxy = await startEchoingProxy();
    log = captureLog('trace');
    relay = await startTestRelay({ logger: log.logger, env: { LOG_LEVEL: 'trace' } });
    await relay.connectOdoo({ url: proxy.url, database: 'db', login: 'u', secret });
    auth = { authorization: `Bearer ${(await relay.createKey()).key}` };
  });
  afterAll(async () => {
    await relay.close();
    await proxy.close();
  });

  it('answers 502 odoo_bad_response described by status, content type and size, quoting none of the body', async () => {
    const r = await relay.post('/api/n8n/webhook', { action: 'execute_method', model: 'res.partner', method: 'search_count', args: [[]] }, auth);
    expect(r.status).toBe(502);
    expect(r.body).toMatchObject({ success: false, code: 'odoo_bad_response' });
    // Nothing of the echoed body: not the secret, nor the JSON-RPC request around it.
    expect(piecesOf(secret, r.text)).toEqual([]);
    expect(piecesOf(secret, log.text())).toEqual([]);
    expect(r.text).not.toContain('jsonrpc');
    // Still enough for an operator to recognise a proxy in the way.
    expect(r.body.error).toMatch(/HTTP 200/);
    expect(r.body.error).toMatch(/text\/plain/);
    expect(r.body.error).toMatch(/\d+ bytes/);
  });
});
