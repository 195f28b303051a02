import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { request as undiciRequest } from 'undici';
import { loadConfig, type Config } from '../../src/config.js';
import { startRelay, type RunningRelay } from '../../src/server.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Browser tests need Debian's chromium; without it they fail loudly rather than skip. */
export function requireChromium(): string {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium: apt-get install chromium`);
  }
  return CHROMIUM;
}

export interface FreshRelay extends RunningRelay {
  dataDir: string;
}

/** A relay with an empty database (no users yet), so the first-run setup page shows. */
export async function startFreshRelay(env: Record<string, string> = {}, overrides: Partial<Config> = {}): Promise<FreshRelay> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-dash-'));
  const config: Config = { ...loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', ...env }), ...overrides };
  const relay = await startRelay(config, pino({ level: 'silent' }));
  return {
    ...relay,
    dataDir,
    async close() {
      await relay.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

/**
 * A dashboard API client as the browser is: a session cookie jar and the CSRF token from
 * login; `csrf: false` leaves the token out to test the refusal.
 */
export class DashboardClient {
  cookie = '';
  csrfToken = '';
  constructor(readonly baseUrl: string) {}

  async call(method: string, pathname: string, body?: unknown, opts: { csrf?: boolean; headers?: Record<string, string> } = {}): Promise<Answer> {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (this.cookie) headers.cookie = this.cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (opts.csrf !== false && this.csrfToken && method !== 'GET') headers['x-csrf-token'] = this.csrfToken;
    const res = await undiciRequest(this.baseUrl + pathname, {
      method: method as any,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const setCookie = res.headers['set-cookie'];
    for (const c of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
      const pair = c.split(';')[0]!;
      if (pair.startsWith('relay_session=')) this.cookie = pair;
    }
    const text = await res.body.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.statusCode, headers: res.headers, body: parsed, text };
  }

  async login(username: string, password: string): Promise<void> {
    const r = await this.call('POST', '/api/auth/login', { username, password });
    if (r.status !== 200) throw new Error(`login failed: ${r.text}`);
    this.csrfToken = r.body.csrfToken;
  }
}

let built: Promise<void> | undefined;
/** Builds the dashboard into dist/web with Vite (what `npm run build` does), once per test process. */
export function buildDashboard(): Promise<void> {
  built ??= (async () => {
    const { build } = await import('vite');
    const root = path.resolve(import.meta.dirname, '..', '..');
    await build({ configFile: path.join(root, 'web', 'vite.config.ts'), logLevel: 'warn' });
  })();
  return built;
}
