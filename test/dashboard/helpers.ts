import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { request as undiciRequest } from 'undici';
import { loadConfig, type Config } from '../../src/config.js';
import { startRelay, type RunningRelay } from '../../src/server.js';
import { expect } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { readAnswer } from '../helpers/relay.js';

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

/** The dashboard password the browser tests set up their admin with. */
export const DASHBOARD_PASSWORD = 'correct horse battery staple';

/** Screenshots go to docs/screenshots with UPDATE_SCREENSHOTS=1, else to a temporary folder. */
export const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? path.resolve(import.meta.dirname, '..', '..', 'docs', 'screenshots')
  : path.join(os.tmpdir(), 'odoo-relay-dashboard-screenshots');

/** Polls a page condition; generous because the machine is shared and other test files run in parallel. */
export const until = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 50 });

/** Debian's Chromium, headless (fails with an install hint when it is missing). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
}

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
    return readAnswer(res);
  }

  async login(username: string, password: string): Promise<void> {
    const r = await this.call('POST', '/api/auth/login', { username, password });
    if (r.status !== 200) throw new Error(`login failed: ${r.text}`);
    this.csrfToken = r.body.csrfToken;
  }
}

/**
 * A desktop-sized page whose script errors and CSP violations are collected in `problems`
 * (HTTP 4xx/5xx console lines are expected answers, not problems): every dashboard test asserts
 * that list stays empty.
 */
export async function openDashboardPage(
  browser: import('playwright-core').Browser,
  options: { clipboardOrigin?: string } = {},
): Promise<{ context: import('playwright-core').BrowserContext; page: import('playwright-core').Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 820 }, deviceScaleFactor: 1, locale: 'en-US', timezoneId: 'UTC' });
  if (options.clipboardOrigin) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: options.clipboardOrigin });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4\d\d|status of 50\d/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  return { context, page, problems };
}

/**
 * First run in the browser (the setup page creates `admin`), then the Odoo connection saved
 * through the dashboard API — the connection page has its own browser test.
 */
export async function setUpAdminAndOdoo(
  page: import('playwright-core').Page,
  relayUrl: string,
  password: string,
  odooUrl: string,
  waitUntil: (fn: () => Promise<boolean>) => { toBe(v: boolean): Promise<void> },
): Promise<DashboardClient> {
  await page.goto(relayUrl);
  await waitUntil(() => page.getByRole('heading', { name: 'Welcome to odoo-relay' }).isVisible()).toBe(true);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await waitUntil(() => page.getByRole('heading', { name: 'Odoo connection' }).isVisible()).toBe(true);
  const client = new DashboardClient(relayUrl);
  await client.login('admin', password);
  const saved = await client.call('PUT', '/api/dashboard/connection', { url: odooUrl, database: 'odoo_demo', login: 'admin', secret: 'admin' });
  if (saved.status !== 200) throw new Error(`saving the Odoo connection failed: ${saved.status} ${saved.text}`);
  return client;
}
