/**
 * A relay whose PUBLIC_URL names another origin than the address the dashboard was opened at
 * refuses its session requests as cross-site; the refusal says so, naming both origins, so the
 * operator fixes PUBLIC_URL instead of looking for an attacker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { startRelay, type RunningRelay } from '../../src/server.js';
import { httpPost } from '../helpers/relay.js';

const PUBLIC = 'https://relay.example.com';
const password = 'a long enough password';

let relay: RunningRelay;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-public-url-'));
  relay = await startRelay(loadConfig({ DATA_DIR: dataDir, PORT: '0', PUBLIC_URL: `${PUBLIC}/` }), pino({ level: 'silent' }));
});
afterAll(async () => {
  await relay.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('PUBLIC_URL differs from the address the page was opened at', () => {
  it('refuses setup naming both origins, as the browser sends it (same-origin fetch)', async () => {
    const own = new URL(relay.url).origin;
    const r = await httpPost(`${relay.url}/api/auth/setup`, { username: 'admin', password }, { origin: own, 'sec-fetch-site': 'same-origin' });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('cross_site_request');
    expect(r.body.error).toContain(own);
    expect(r.body.error).toContain(`PUBLIC_URL (${PUBLIC})`);
    expect(r.body.details).toEqual({ origin: own, publicUrl: PUBLIC });
  });

  it('says the same without Sec-Fetch-Site when the Origin is the relay’s own host', async () => {
    const own = new URL(relay.url).origin;
    const r = await httpPost(`${relay.url}/api/auth/login`, { username: 'admin', password }, { origin: own });
    expect(r.body.code).toBe('cross_site_request');
    expect(r.body.error).toContain('differs from PUBLIC_URL');
  });

  it('keeps the plain refusal for a page on another site', async () => {
    for (const headers of [{ origin: 'https://evil.example' }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }] as Record<string, string>[]) {
      const r = await httpPost(`${relay.url}/api/auth/setup`, { username: 'admin', password }, headers);
      expect(r.body.code).toBe('cross_site_request');
      expect(r.body.error).toBe('Cross-site requests are refused');
      expect(r.body.details).toBeFalsy();
    }
  });

  it('accepts the page opened at PUBLIC_URL, and explains a later mismatch on a cookie call too', async () => {
    const ok = await httpPost(`${relay.url}/api/auth/setup`, { username: 'admin', password }, { origin: PUBLIC, 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(200);
    const cookie = String(ok.headers['set-cookie']).split(';')[0]!;
    const own = new URL(relay.url).origin;
    const hook = await httpPost(`${relay.url}/api/n8n/webhook`, { action: 'get_config' }, { cookie, origin: own, 'sec-fetch-site': 'same-origin' });
    expect(hook.body.code).toBe('cross_site_request');
    expect(hook.body.error).toContain(`PUBLIC_URL (${PUBLIC})`);
    const keys = await httpPost(`${relay.url}/api/dashboard/api-keys`, { name: 'k' }, { cookie, origin: own, 'x-csrf-token': ok.body.csrfToken });
    expect(keys.body.code).toBe('csrf_failed');
    expect(keys.body.error).toContain('differs from PUBLIC_URL');
  });
});
