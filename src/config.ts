import { z } from 'zod';
import path from 'node:path';

/**
 * Environment → validated, typed config. Read once at start-up; a wrong variable stops the
 * process with a message naming it (12-factor: no config files to hunt for).
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const envSchema = z.object({
  HOST: z.string().default('127.0.0.1').describe('Interface to listen on; 0.0.0.0 to accept other hosts'),
  PORT: int(0, 65535).default(8787).describe('HTTP port'),
  DATA_DIR: z.string().default('./data').describe('Folder for the SQLite database and the master key file'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional()
    .describe('PostgreSQL connection URL; unset means embedded SQLite in DATA_DIR'),
  MASTER_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes in base64 (openssl rand -base64 32)')
    .optional()
    .describe('AES-256-GCM key for secrets at rest; unset means DATA_DIR/master.key, created on first run'),
  PUBLIC_URL: z.url().optional().describe('The URL users reach this relay at, shown in the dashboard'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BODY_LIMIT_BYTES: int(1024, 50 * 1024 * 1024).default(1024 * 1024).describe('Largest accepted request body'),
  JSON_MAX_DEPTH: int(4, 1000).default(64).describe('Deepest accepted nesting of arrays/objects in a request body'),
  DEFAULT_RATE_LIMIT: int(1, 1_000_000).default(100).describe('Requests per minute for a new API key'),
  REQUEST_LOG_RETENTION_DAYS: int(1, 3650).default(30),
  REQUEST_LOG_MAX_ROWS: int(1000, 100_000_000).default(1_000_000),
  IDEMPOTENCY_TTL_HOURS: int(1, 24 * 30).default(24),
  SESSION_TTL_HOURS: int(1, 24 * 365).default(24 * 7),
  HMAC_TOLERANCE_SECONDS: int(1, 3600).default(300).describe('Clock skew accepted for timestamped HMAC signatures'),
  AUTH_CACHE_SECONDS: int(0, 300)
    .default(5)
    .describe('How long API keys and Odoo connections are cached; changes made by other processes show within this time'),
  TRUST_PROXY: bool.default(false).describe('Trust X-Forwarded-* headers (behind a reverse proxy)'),
  SECURE_COOKIES: z.enum(['auto', 'true', 'false']).default('auto'),
  ODOO_MAX_QUEUE: int(0, 100_000)
    .default(100)
    .describe('Calls that may wait per Odoo connection when its concurrency cap is reached; more get 503 odoo_busy'),
  SHUTDOWN_GRACE_MS: int(0, 600_000).default(10_000),
});

export type Config = {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  masterKey: string | undefined;
  publicUrl: string | undefined;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  bodyLimitBytes: number;
  jsonMaxDepth: number;
  defaultRateLimit: number;
  requestLogRetentionDays: number;
  requestLogMaxRows: number;
  idempotencyTtlHours: number;
  sessionTtlHours: number;
  hmacToleranceSeconds: number;
  authCacheSeconds: number;
  trustProxy: boolean;
  secureCookies: 'auto' | 'true' | 'false';
  odooMaxQueue: number;
  shutdownGraceMs: number;
};

export class ConfigError extends Error {}

/** Validates the environment; throws ConfigError naming each wrong variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const picked = Object.fromEntries(
    Object.keys(envSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const parsed = envSchema.safeParse(picked);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid environment configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    host: e.HOST,
    port: e.PORT,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    masterKey: e.MASTER_KEY,
    publicUrl: e.PUBLIC_URL,
    logLevel: e.LOG_LEVEL,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    jsonMaxDepth: e.JSON_MAX_DEPTH,
    defaultRateLimit: e.DEFAULT_RATE_LIMIT,
    requestLogRetentionDays: e.REQUEST_LOG_RETENTION_DAYS,
    requestLogMaxRows: e.REQUEST_LOG_MAX_ROWS,
    idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
    sessionTtlHours: e.SESSION_TTL_HOURS,
    hmacToleranceSeconds: e.HMAC_TOLERANCE_SECONDS,
    authCacheSeconds: e.AUTH_CACHE_SECONDS,
    trustProxy: e.TRUST_PROXY,
    secureCookies: e.SECURE_COOKIES,
    odooMaxQueue: e.ODOO_MAX_QUEUE,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}

/** Variable names and their descriptions, for `odoo-relay --help` and docs/operations.md. */
export function describeConfig(): { name: string; description: string | undefined }[] {
  return Object.entries(envSchema.shape).map(([name, schema]) => ({ name, description: schema.description }));
}
