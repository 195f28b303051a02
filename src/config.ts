import { z } from 'zod';
import { isIP } from 'node:net';
import path from 'node:path';
import { parseCidr } from './events/ssrf-guard.js';
import { parseAllowedOrigins } from './connections/origin-policy.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from './odoo/settings.js';

/**
 * Environment → validated, typed config. Read once at start-up; a wrong variable stops the
 * process with a message naming it (12-factor: no config files to hunt for).
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
/**
 * A whole number written in decimal digits. Not Number(): it reads ' ' as 0 (PORT=' ' listened
 * on a random port), '1e3' as 1000 and '0x50' as 80 — never what the operator meant. No sign
 * either: no number variable takes a negative value. An empty value is unset (loadConfig), but
 * a blank one is refused: it is a value someone wrote, and there is no number in it.
 */
/**
 * A base URL other URLs are built on (`${PUBLIC_URL}/oauth/token`): http or https, with no
 * query or fragment, which would end up in the middle of every URL built on it.
 */
function baseUrl() {
  // zod runs the refinements after a failed url check too: each one guards its own parse.
  return z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .refine((u) => {
      const parsed = URL.parse(u);
      return !parsed || (parsed.search === '' && parsed.hash === '');
    }, 'must have no ?query or #fragment: other URLs are built on it')
    .refine((u) => !urlHasCredentials(u), 'must not contain a user name or password: it is shown in the dashboard and sent to OAuth clients');
}

const int = (min: number, max: number) =>
  z
    .string()
    .transform((v, ctx) => {
      if (/^\d+$/.test(v)) return Number(v);
      ctx.addIssue({
        code: 'custom',
        message: v.trim() === '' ? 'is blank; leave it empty or unset it for the default' : 'must be a whole number in decimal digits (no sign, exponent, hex or spaces)',
      });
      return z.NEVER;
    })
    // Digits are whole already (.int() would add a second line about 2^53 to a huge value).
    .pipe(z.number().min(min).max(max));

/** proxy-addr's names for address ranges, accepted in TRUST_PROXY's list. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * An IP address or CIDR range proxy-addr reads: parseCidr's check, limited to the plain
 * notation (no brackets or zone ids, which parseCidr tolerates and proxy-addr does not) and to
 * one prefix (parseCidr reads the first).
 */
function isProxyAddress(text: string): boolean {
  if (PROXY_RANGE_NAMES.has(text)) return true;
  const parts = text.split('/');
  if (parts.length > 2 || isIP(parts[0]!) === 0) return false;
  try {
    parseCidr(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Which X-Forwarded-* hops to believe: `false`; `true` (every hop, so the client can name its
 * own address); a hop count; or the reverse proxies' addresses, CIDR ranges or proxy-addr's
 * names (`loopback`, `linklocal`, `uniquelocal`). Fastify takes each form as it is.
 */
const trustProxy = z
  .string()
  .transform((v, ctx): boolean | number | string[] => {
    const text = v.trim();
    if (text === 'true' || text === 'yes') return true;
    // A number is a hop count; 0 trusts none. (1 used to mean true: with the one proxy it
    // names, the client's address comes out the same, without trusting what the client wrote.)
    if (text === 'false' || text === 'no' || text === '0') return false;
    if (/^\d+$/.test(text) && Number(text) <= 100) return Number(text);
    const list = text.split(',').map((x) => x.trim()).filter(Boolean);
    const bad = list.filter((x) => !isProxyAddress(x));
    if (list.length === 0 || bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be true, false, a hop count or a comma-separated list of proxy addresses/CIDR ranges${bad.length ? ` ('${bad[0]}' is none)` : ''}` });
      return z.NEVER;
    }
    return list;
  });

const envSchema = z.object({
  HOST: z.string().default('127.0.0.1').describe('Interface to listen on; 0.0.0.0 to accept other hosts'),
  PORT: int(0, 65535).default(8787).describe('HTTP port'),
  DATA_DIR: z.string().default('./data').describe('Folder for the SQLite database and the master key file'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    // The driver parses it as a URL: a / # ? or @ in the password, unencoded, breaks it apart,
    // sometimes into a URL that still parses (`user:2024/pass@host`: '2024' read as a port, the
    // rest as the path, later printed as a host in errors), so an @ after the host refuses it too.
    .refine((u) => {
      const url = URL.parse(u);
      return url !== null && !`${url.pathname}${url.search}${url.hash}`.includes('@');
    }, 'is not a valid URL: percent-encode special characters in the user name and password (/ as %2F, # as %23, @ as %40) and give a port from 1 to 65535')
    .optional()
    .describe('PostgreSQL connection URL; unset means embedded SQLite in DATA_DIR'),
  MASTER_KEY: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes in base64 (openssl rand -base64 32)')
    .optional()
    .describe('AES-256-GCM key for secrets at rest; unset means DATA_DIR/master.key, created when missing; the relay refuses a key its stored secrets were not sealed with'),
  PUBLIC_URL: baseUrl()
    .optional()
    .describe('The URL users reach this relay at: origin checks, dashboard snippets, the OAuth issuer and endpoints, the URL OAuth 1.0a clients sign'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level of the JSON lines on stdout: fatal, error, warn, info, debug, trace or silent'),
  BODY_LIMIT_BYTES: int(1024, 50 * 1024 * 1024).default(1024 * 1024).describe('Largest accepted request body'),
  REQUEST_TIMEOUT_MS: int(1000, 3_600_000)
    .default(120_000)
    .describe('How long a client may take to send a whole request (headers and body); slower ones are cut off, so a trickling body cannot hold a connection open'),
  JSON_MAX_DEPTH: int(4, 1000).default(64).describe('Deepest accepted nesting of arrays/objects in a request body'),
  DEFAULT_RATE_LIMIT: int(1, 1_000_000).default(100).describe('Requests per minute for a new API key'),
  REQUEST_LOG_RETENTION_DAYS: int(1, 3650).default(30).describe('Request log rows older than this are deleted'),
  REQUEST_LOG_MAX_ROWS: int(1000, 100_000_000).default(1_000_000).describe('Most request log rows kept; the oldest are deleted first'),
  IDEMPOTENCY_TTL_HOURS: int(1, 24 * 30).default(24).describe('How long the answer to an Idempotency-Key is replayed'),
  SESSION_TTL_HOURS: int(1, 24 * 365).default(24 * 7).describe('Dashboard session lifetime'),
  HMAC_TOLERANCE_SECONDS: int(1, 3600).default(300).describe('Clock skew accepted for timestamped HMAC signatures'),
  AUTH_CACHE_SECONDS: int(0, 300)
    .default(5)
    .describe('How long API keys and Odoo connections are cached; changes made by other processes show within this time'),
  SHUTDOWN_DRAIN_MS: int(0, 600_000)
    .default(0)
    .describe('After SIGTERM/SIGINT, how long /readyz answers 503 while requests are still served, so a load balancer can stop routing here; 0 stops at once'),
  TRUST_PROXY: trustProxy
    .default(false)
    .describe("Trust X-Forwarded-* headers behind a reverse proxy: true, a hop count (1 = the nearest proxy only) or the proxies' addresses/CIDR ranges"),
  SECURE_COOKIES: z.enum(['auto', 'true', 'false']).default('auto').describe('Mark session cookies Secure: auto when the request came over HTTPS, true or false always'),
  ODOO_MAX_QUEUE: int(0, 100_000)
    .default(100)
    .describe('Calls that may wait per Odoo connection when its concurrency cap is reached; more get 503 odoo_busy'),
  ODOO_MAX_RESPONSE_BYTES: int(1024 * 1024, 1024 * 1024 * 1024)
    .default(DEFAULT_MAX_RESPONSE_BYTES)
    .describe("Largest answer read from Odoo per call; a larger one is 502 odoo_bad_response. Memory: an answer takes about 4-5 times its size while it is answered, per call in flight"),
  SHUTDOWN_GRACE_MS: int(0, 600_000).default(10_000).describe('How long shutdown waits for in-flight requests and deliveries to finish'),
  ODOO_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .describe('Comma-separated origins (https://erp.example.com, http://10.0.0.5:8069) Odoo connections may point at; unset, any. Set it on a relay shared by several users'),
  EVENTS_ALLOW_PRIVATE_TARGETS: z
    .string()
    .default('')
    .describe('Comma-separated CIDR ranges subscription URLs may point into (e.g. 10.1.0.0/16 for an n8n on the LAN); public addresses are always allowed'),
  EVENTS_WORKER: bool.default(true).describe('Run the delivery worker and the poller in this process'),
  EVENTS_WORKER_CONCURRENCY: int(1, 4096).default(128).describe('Deliveries in flight at once in this process'),
  EVENTS_ENDPOINT_CONCURRENCY: int(1, 1024).default(32).describe('Deliveries in flight at once to one receiver origin'),
  EVENTS_DISABLE_AFTER_FAILURES: int(1, 10_000).default(5).describe('Consecutive failed deliveries (retries used up) that disable a subscription'),
  EVENTS_RETRY_DELAYS_MS: z
    .string()
    .regex(/^\d+(,\d+)*$/, 'must be comma-separated milliseconds')
    .refine((v) => v.split(',').every((ms) => Number(ms) >= 1 && Number(ms) <= 7 * 86_400_000), 'each delay must be from 1 ms to 7 days (604800000)')
    .optional()
    .describe('Retry schedule in ms after attempt 1, 2, …; default 5 s, 5 min, 30 min, 2 h, 5 h'),
  EVENTS_POLL_INTERVAL_MS: int(200, 86_400_000).default(10_000).describe('How often poll-mode subscriptions ask Odoo for changes'),
  EVENTS_RECONCILE_INTERVAL_MS: int(200, 86_400_000).default(300_000).describe('How often push-mode subscriptions are reconciled by a poll'),
  EVENTS_SWEEP_INTERVAL_MS: int(200, 86_400_000).default(300_000).describe('How often deletions are detected by comparing id sets (poll capture)'),
  EVENTS_INGEST_URL: baseUrl().optional().describe('Base URL Odoo uses to reach this relay for push capture; defaults to PUBLIC_URL; unset means poll only'),
  EVENTS_POLL_SETTLE_SECONDS: int(0, 300).default(5).describe('Polls read only rows written at least this long ago, so a second is complete before its cursor passes'),
  EVENTS_RETENTION_DAYS: int(1, 3650).default(30).describe('Finished events, deliveries and attempts older than this are deleted'),
  EVENTS_COALESCE_QUIET_MS: int(0, 60_000).default(100).describe("Quiet time before a burst of Odoo's duplicate webhook posts becomes one re-read"),
  CHAT_PROVIDER: z
    .enum(['openai-compatible', 'anthropic'])
    .optional()
    .describe('LLM provider for the chat action; unset means chat answers 503 chat_not_configured'),
  CHAT_BASE_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
    .optional()
    .describe('Provider base URL: https://api.openai.com/v1, http://localhost:11434/v1 (Ollama), …; Anthropic defaults to https://api.anthropic.com/v1'),
  CHAT_API_KEY: z.string().optional().describe('Provider API key (a secret: never logged); optional for local servers such as Ollama'),
  CHAT_MODEL: z.string().min(1).max(200).optional().describe('Model name, e.g. gpt-4o-mini, llama3.1, claude-sonnet-4-5'),
  CHAT_MAX_STEPS: int(1, 50).default(8).describe('Most model turns (tool rounds) per chat request'),
  CHAT_MAX_ROWS: int(1, 1000).default(50).describe('Most rows one chat tool call returns to the model'),
  CHAT_TIMEOUT_MS: int(1000, 600_000).default(60_000).describe('Total time a chat request may take, model and Odoo calls included'),
  CHAT_MAX_TOKENS: int(1000, 10_000_000).default(60_000).describe('Token budget (input + output, all steps) per chat request'),
  CHAT_MAX_RETRIES: int(0, 5).default(1).describe('Retries of a failed provider call (network, 5xx, 429) before giving up'),
  CHAT_CONVERSATION_TTL_MINUTES: int(1, 24 * 60).default(60).describe('How long an idle conversation_id is remembered (in memory)'),
  CHAT_MAX_CONVERSATIONS: int(1, 100_000).default(1000).describe('Most conversations remembered at once; the least recently used is forgotten first'),
});

/** The relay-wide LLM provider (null: chat not configured). */
export interface ChatProviderConfig {
  provider: 'openai-compatible' | 'anthropic';
  baseUrl: string | undefined;
  apiKey: string | undefined;
  model: string;
}

/** Bounds on one chat request and on remembered conversations. */
export interface ChatLimits {
  maxSteps: number;
  maxRowsPerCall: number;
  timeoutMs: number;
  maxTokens: number;
  maxRetries: number;
  conversationTtlMs: number;
  maxConversations: number;
}

export type Config = {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  masterKey: string | undefined;
  publicUrl: string | undefined;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  bodyLimitBytes: number;
  /** Node's requestTimeout: the longest a request may take to arrive. */
  requestTimeoutMs: number;
  jsonMaxDepth: number;
  defaultRateLimit: number;
  requestLogRetentionDays: number;
  requestLogMaxRows: number;
  idempotencyTtlHours: number;
  sessionTtlHours: number;
  hmacToleranceSeconds: number;
  authCacheSeconds: number;
  /** Fastify's trustProxy: which X-Forwarded-* hops to believe. */
  trustProxy: boolean | number | string[];
  secureCookies: 'auto' | 'true' | 'false';
  odooMaxQueue: number;
  odooMaxResponseBytes: number;
  /** Origins Odoo connections may point at; empty: any. */
  odooAllowedOrigins: string[];
  shutdownGraceMs: number;
  /** After a stop signal, how long the relay stays up but not ready (0: no drain). */
  shutdownDrainMs: number;
  events: EventsConfig;
  chat: ChatProviderConfig | null;
  chatLimits: ChatLimits;
};

export interface EventsConfig {
  allowPrivateTargets: string[];
  worker: boolean;
  workerConcurrency: number;
  endpointConcurrency: number;
  disableAfterFailures: number;
  retryDelaysMs: number[] | undefined;
  pollIntervalMs: number;
  reconcileIntervalMs: number;
  sweepIntervalMs: number;
  ingestUrl: string | undefined;
  coalesceQuietMs: number;
  pollSettleSeconds: number;
  retentionDays: number;
}

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
  const allowList = e.EVENTS_ALLOW_PRIVATE_TARGETS.split(',').map((c) => c.trim()).filter(Boolean);
  for (const cidr of allowList) {
    try {
      parseCidr(cidr);
    } catch {
      throw new ConfigError(`Invalid environment configuration:\n  EVENTS_ALLOW_PRIVATE_TARGETS: '${cidr}' is not a CIDR range`);
    }
  }
  const odooOrigins = parseAllowedOrigins(e.ODOO_ALLOWED_ORIGINS);
  if ('problem' in odooOrigins) throw new ConfigError(`Invalid environment configuration:\n  ODOO_ALLOWED_ORIGINS: ${odooOrigins.problem}`);
  const chatProblems = chatConfigProblems(e);
  if (chatProblems.length > 0) {
    throw new ConfigError(`Invalid environment configuration:\n${chatProblems.map((p) => `  ${p}`).join('\n')}`);
  }
  return {
    host: e.HOST,
    port: e.PORT,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    masterKey: e.MASTER_KEY,
    publicUrl: e.PUBLIC_URL,
    logLevel: e.LOG_LEVEL,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
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
    odooMaxResponseBytes: e.ODOO_MAX_RESPONSE_BYTES,
    odooAllowedOrigins: odooOrigins.origins,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    events: {
      allowPrivateTargets: allowList,
      worker: e.EVENTS_WORKER,
      workerConcurrency: e.EVENTS_WORKER_CONCURRENCY,
      endpointConcurrency: e.EVENTS_ENDPOINT_CONCURRENCY,
      disableAfterFailures: e.EVENTS_DISABLE_AFTER_FAILURES,
      retryDelaysMs: e.EVENTS_RETRY_DELAYS_MS?.split(',').map(Number),
      pollIntervalMs: e.EVENTS_POLL_INTERVAL_MS,
      reconcileIntervalMs: e.EVENTS_RECONCILE_INTERVAL_MS,
      sweepIntervalMs: e.EVENTS_SWEEP_INTERVAL_MS,
      ingestUrl: e.EVENTS_INGEST_URL ?? e.PUBLIC_URL,
      coalesceQuietMs: e.EVENTS_COALESCE_QUIET_MS,
      pollSettleSeconds: e.EVENTS_POLL_SETTLE_SECONDS,
      retentionDays: e.EVENTS_RETENTION_DAYS,
    },
    chat: e.CHAT_PROVIDER
      ? { provider: e.CHAT_PROVIDER, baseUrl: e.CHAT_BASE_URL, apiKey: e.CHAT_API_KEY, model: e.CHAT_MODEL! }
      : null,
    chatLimits: {
      maxSteps: e.CHAT_MAX_STEPS,
      maxRowsPerCall: e.CHAT_MAX_ROWS,
      timeoutMs: e.CHAT_TIMEOUT_MS,
      maxTokens: e.CHAT_MAX_TOKENS,
      maxRetries: e.CHAT_MAX_RETRIES,
      conversationTtlMs: e.CHAT_CONVERSATION_TTL_MINUTES * 60_000,
      maxConversations: e.CHAT_MAX_CONVERSATIONS,
    },
  };
}

/** Cross-field rules of the chat variables (a half-configured provider fails at start-up, not at the first question). */
function chatConfigProblems(e: z.infer<typeof envSchema>): string[] {
  const problems: string[] = [];
  // fetch refuses both before sending, with an error that quotes the value (the URL, or the
  // `Bearer <key>` header) — refused here instead, by name, without echoing the value.
  if (e.CHAT_BASE_URL && urlHasCredentials(e.CHAT_BASE_URL)) {
    problems.push('CHAT_BASE_URL: must not contain a user name or password; give the provider key in CHAT_API_KEY');
  }
  if (e.CHAT_API_KEY && /[\u0000-\u001f\u007f]/.test(e.CHAT_API_KEY)) {
    problems.push('CHAT_API_KEY: contains a control character (a line break or tab copied with the key?); it cannot be sent in an HTTP header');
  }
  if (!e.CHAT_PROVIDER) {
    if (e.CHAT_MODEL || e.CHAT_BASE_URL || e.CHAT_API_KEY) problems.push('CHAT_PROVIDER: required when other CHAT_* provider variables are set (openai-compatible or anthropic)');
    return problems;
  }
  if (!e.CHAT_MODEL) problems.push(`CHAT_MODEL: required when CHAT_PROVIDER is set`);
  if (e.CHAT_PROVIDER === 'openai-compatible' && !e.CHAT_BASE_URL) {
    problems.push('CHAT_BASE_URL: required for openai-compatible (e.g. https://api.openai.com/v1 or http://localhost:11434/v1)');
  }
  if (e.CHAT_PROVIDER === 'anthropic' && !e.CHAT_API_KEY) problems.push('CHAT_API_KEY: required for anthropic');
  return problems;
}

function urlHasCredentials(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.username !== '' || parsed.password !== '';
  } catch {
    return false; // z.url() has already named an unreadable URL
  }
}

/** Variable names and their descriptions, for `odoo-relay --help` and docs/operations.md. */
export function describeConfig(): { name: string; description: string | undefined }[] {
  return Object.entries(envSchema.shape).map(([name, schema]) => {
    // What an unset variable becomes, as the schema itself says, so the help cannot drift from it.
    const unset = schema.safeParse(undefined);
    const fallback = unset.success && unset.data !== undefined && unset.data !== '' ? ` (default: ${typeof unset.data === 'string' ? unset.data : JSON.stringify(unset.data)})` : '';
    return { name, description: schema.description === undefined ? undefined : schema.description + fallback };
  });
}
