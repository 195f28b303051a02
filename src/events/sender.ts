/**
 * One HTTP POST of a signed webhook, reported as data.
 *
 * Remote failures (timeouts, refused connections, error statuses, SSRF refusals) are returned,
 * never thrown: the worker records each attempt in the delivery log and asks retry-schedule
 * what to do next. Redirects are not followed: following would re-send a signed body to a
 * host the subscriber never registered, possibly an internal one, so a 3xx is a failed attempt
 * whose `location` is logged for the user to fix the URL.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request, type Dispatcher } from 'undici';
import type { DeliveryError } from './retry-schedule.js';
import type { SignatureHeaders } from './signing.js';
import { checkTargetUrl, isSsrfRefusal, type AddressPolicy } from './ssrf-guard.js';

export const DEFAULT_TIMEOUT_MS = 5_000;
/** Enough to show the receiver's error message in the delivery log, no more. */
export const RESPONSE_BODY_PREFIX_BYTES = 1024;

/** Response headers worth logging; cookies and the like never reach the delivery log. */
const LOGGED_RESPONSE_HEADERS = ['content-type', 'content-length', 'retry-after', 'location', 'date', 'server', 'x-request-id'];
const MAX_LOGGED_HEADER_LENGTH = 512;

/** Headers the relay owns; a subscription's custom headers may not set them. */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'user-agent',
  'proxy-authorization',
  'proxy-connection',
]);

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_HEADER_VALUE = /[\u0000\r\n]|[^\u0000-\u00ff]/;
const MAX_HEADER_VALUE_LENGTH = 4096;

export type HeaderCheck = { ok: true } | { ok: false; problems: string[] };

/** Validate a subscription's custom headers; call it when the subscription is saved too. */
export function validateCustomHeaders(headers: Readonly<Record<string, string>>): HeaderCheck {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!HEADER_NAME.test(name)) problems.push(`invalid header name ${JSON.stringify(name)}`);
    else if (RESERVED_HEADERS.has(lower) || lower.startsWith('proxy-')) problems.push(`header ${lower} is set by the relay`);
    else if (seen.has(lower)) problems.push(`header ${lower} given twice`);
    if (typeof value !== 'string' || BAD_HEADER_VALUE.test(value) || value.length > MAX_HEADER_VALUE_LENGTH) {
      problems.push(`invalid value for header ${lower}`);
    }
    seen.add(lower);
  }
  return problems.length === 0 ? { ok: true } : { ok: false, problems };
}

function findRelayVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'odoo-relay' && pkg.version) return pkg.version;
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

export const USER_AGENT = `odoo-relay/${findRelayVersion()}`;

export interface SendWebhookInput {
  url: string;
  /** The exact bytes that were signed. */
  body: string;
  contentType: string;
  /** Standard Webhooks headers from `signDelivery`. */
  headers: SignatureHeaders;
  /** Per-subscription headers (e.g. `authorization` for the receiver); see `validateCustomHeaders`. */
  customHeaders?: Readonly<Record<string, string>>;
  /** Whole attempt: connect, headers and the capped body read. */
  timeoutMs?: number;
  /** Use `createGuardedAgent()` in production; it enforces the address policy at connect time. */
  dispatcher: Dispatcher;
  /** Static URL check; keep in line with the guarded agent's allow-list. */
  addressPolicy?: AddressPolicy;
  userAgent?: string;
}

export interface SendResult {
  /** 2xx received. */
  ok: boolean;
  status?: number;
  responseHeaders: Record<string, string>;
  /** First 1 KiB of the response body, UTF-8 decoded (lossy at the cut). */
  responseBodyPrefix: string;
  durationMs: number;
  error?: DeliveryError;
  /** Human-readable detail for the delivery log; never contains secrets. */
  errorMessage?: string;
  /** Raw `Retry-After`, for `nextAttemptDelay`. */
  retryAfter?: string;
}

/** POST one webhook; resolves with what happened, whatever happened remotely. */
export async function sendWebhook(input: SendWebhookInput): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const failure = (error: DeliveryError, errorMessage: string): SendResult => ({
    ok: false,
    responseHeaders: {},
    responseBodyPrefix: '',
    durationMs: elapsed(),
    error,
    errorMessage,
  });

  const target = checkTargetUrl(input.url, input.addressPolicy);
  if (!target.ok) return failure(target.code, target.reason);
  const custom = input.customHeaders ?? {};
  const headerCheck = validateCustomHeaders(custom);
  if (!headerCheck.ok) return failure('invalid_headers', headerCheck.problems.join('; '));

  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no complete response within ${timeoutMs} ms`)), timeoutMs);

  try {
    const response = await request(target.url, {
      method: 'POST',
      dispatcher: input.dispatcher,
      signal: controller.signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      headers: {
        ...lowerCaseKeys(custom),
        ...input.headers,
        'content-type': input.contentType,
        'user-agent': input.userAgent ?? USER_AGENT,
      },
      body: input.body,
    });

    const responseHeaders = loggedHeaders(response.headers);
    // Status decides the outcome; a body that then dawdles or breaks doesn't undo a 2xx.
    const responseBodyPrefix = await readPrefix(response.body, RESPONSE_BODY_PREFIX_BYTES);
    const result: SendResult = {
      ok: response.statusCode >= 200 && response.statusCode < 300,
      status: response.statusCode,
      responseHeaders,
      responseBodyPrefix,
      durationMs: elapsed(),
    };
    if (responseHeaders['retry-after'] !== undefined) result.retryAfter = responseHeaders['retry-after'];
    return result;
  } catch (error) {
    if (controller.signal.aborted) return failure('timeout', `no response within ${timeoutMs} ms`);
    return failure(...describeError(error));
  } finally {
    clearTimeout(timer);
  }
}

function lowerCaseKeys(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function loggedHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of LOGGED_RESPONSE_HEADERS) {
    const value = headers[name];
    if (value === undefined) continue;
    out[name] = (Array.isArray(value) ? value.join(', ') : value).slice(0, MAX_LOGGED_HEADER_LENGTH);
  }
  return out;
}

/** Read at most `limit` bytes, then drop the rest of the body (and its connection). */
async function readPrefix(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buffer = chunk as Buffer;
      chunks.push(buffer);
      size += buffer.length;
      if (size >= limit) break; // leaving the loop destroys the stream
    }
  } catch {
    // Whatever arrived before the error is still useful in the log.
  } finally {
    if (!body.destroyed) body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);

function describeError(error: unknown): [DeliveryError, string] {
  if (isSsrfRefusal(error)) return ['ssrf_refused', messageOf(error)];
  for (let e: unknown = error, depth = 0; e && depth < 8; depth++) {
    const code = String((e as { code?: unknown }).code ?? '');
    if (TIMEOUT_CODES.has(code)) return ['timeout', messageOf(e)];
    if (DNS_CODES.has(code)) return ['dns', messageOf(e)];
    if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED/.test(code)) return ['tls', messageOf(e)];
    e = (e as { cause?: unknown }).cause;
  }
  return ['network', messageOf(error)];
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.slice(0, 300);
}
