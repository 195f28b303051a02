import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import pino from 'pino';
import type { Logger } from 'pino';
import { request as undiciRequest } from 'undici';
import { loadConfig, type Config } from '../../src/config.js';
import { startRelay, type RunningRelay } from '../../src/server.js';
import { createUser, type User } from '../../src/auth/users.js';
import { createApiKey, type NewApiKeyInput } from '../../src/auth/api-keys.js';
import { saveDefaultConnection, type OdooConnectionInput } from '../../src/connections/store.js';

export interface TestRelay extends RunningRelay {
  dataDir: string;
  admin: User;
  /** Creates an API key for the admin; returns the plaintext key (and HMAC secret). */
  createKey(input?: Partial<NewApiKeyInput>): Promise<{ key: string; hmacSecret: string | null; id: string }>;
  connectOdoo(input: OdooConnectionInput): Promise<void>;
  post(pathname: string, body: unknown, headers?: Record<string, string>): Promise<HttpAnswer>;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

/**
 * A real relay on loopback with a real SQLite file (or PostgreSQL when databaseUrl is given);
 * silent unless given a logger (test/helpers/log-capture.ts to read what it logs).
 */
export async function startTestRelay(overrides: Partial<Config> & { env?: Record<string, string>; logger?: Logger } = {}): Promise<TestRelay> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'relay-test-'));
  const { env, logger, ...rest } = overrides;
  // Instances sharing a PostgreSQL database share its master key, as operations.md asks (the
  // relay refuses to start with another); each SQLite relay keeps the key file of its folder.
  const databaseUrl = rest.databaseUrl ?? env?.DATABASE_URL;
  const sharedKey = databaseUrl ? { MASTER_KEY: crypto.createHash('sha256').update(databaseUrl).digest('base64') } : {};
  const config: Config = {
    ...loadConfig({ DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'silent', ...sharedKey, ...env }),
    ...rest,
  };
  const relay = await startRelay(config, logger ?? pino({ level: 'silent' }));
  const admin = await createUser(relay.ctx.storage.db, { username: `admin${crypto.randomInt(1e9)}`, password: 'correct horse battery', role: 'admin' });
  return {
    ...relay,
    dataDir,
    admin,
    async createKey(input = {}) {
      // A key whose expiry has passed: created without one (the relay refuses a past expiry),
      // then dated back, as if time had gone by.
      const expired = input.expiresAt != null && input.expiresAt <= Date.now() ? input.expiresAt : undefined;
      const r = await createApiKey(
        relay.ctx.storage.db,
        relay.ctx.box,
        { userId: admin.id, name: 'test key', ...input, ...(expired !== undefined ? { expiresAt: null } : {}) },
        config.defaultRateLimit,
      );
      if (expired !== undefined) await relay.ctx.storage.db.updateTable('api_keys').set({ expires_at: expired }).where('id', '=', r.apiKey.id).execute();
      return { key: r.key, hmacSecret: r.hmacSecret, id: r.apiKey.id };
    },
    async connectOdoo(input) {
      await saveDefaultConnection(relay.ctx.storage.db, relay.ctx.box, admin.id, input);
    },
    post: (pathname, body, headers = {}) => httpPost(relay.url + pathname, body, headers),
    async close() {
      await relay.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** POSTs a JSON value (or a raw string/Buffer body as is) and reads the answer. */
export function httpPost(url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const raw = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return send(url, 'POST', { 'content-type': 'application/json', ...headers }, raw);
}

export function httpGet(url: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return send(url, 'GET', headers);
}

async function send(url: string, method: 'GET' | 'POST', headers: Record<string, string>, body?: string | Buffer): Promise<HttpAnswer> {
  const res = await undiciRequest(url, { method, headers, body });
  return readAnswer(res);
}

/** An undici answer as status, headers, text and (when it is JSON) the parsed body. */
export async function readAnswer(res: { statusCode: number; headers: HttpAnswer['headers']; body: { text(): Promise<string> } }): Promise<HttpAnswer> {
  const text = await res.body.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: parsed, text };
}
