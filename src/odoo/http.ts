/**
 * One keep-alive undici Pool per Odoo origin, shared by every client of that origin and closed
 * when the last one lets go; a request helper with a hard per-call deadline and a body-size cap
 * that turns network failures into OdooErrors.
 */
import { Pool, type Dispatcher } from 'undici';
import { OdooError } from './errors.js';
import type { RawOdooResponse } from './envelope.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from './settings.js';

interface SharedPool {
  pool: Pool;
  users: number;
}

const pools = new Map<string, SharedPool>();

function acquirePool(origin: string): Pool {
  let shared = pools.get(origin);
  if (!shared) {
    shared = {
      pool: new Pool(origin, {
        // Stay under Werkzeug/proxy idle timeouts so we rarely write to a socket the server just closed.
        keepAliveTimeout: 4_000,
        keepAliveMaxTimeout: 30_000,
        connect: { timeout: 10_000 },
      }),
      users: 0,
    };
    pools.set(origin, shared);
  }
  shared.users += 1;
  return shared.pool;
}

async function releasePool(origin: string): Promise<void> {
  const shared = pools.get(origin);
  if (!shared) return;
  shared.users -= 1;
  if (shared.users <= 0) {
    pools.delete(origin);
    await shared.pool.close().catch(() => undefined);
  }
}

/** Headers every request to Odoo carries; callers extend a copy once, not per call. */
export const DEFAULT_HEADERS: Readonly<Record<string, string>> = Object.freeze({ 'user-agent': 'odoo-relay', accept: 'application/json' });

export interface OdooHttpRequest {
  method: 'GET' | 'POST';
  /** Path below the base URL, starting with `/`. */
  path: string;
  /** The complete header set (DEFAULT_HEADERS when absent); build it once per transport. */
  headers?: Readonly<Record<string, string>>;
  body?: string;
  timeoutMs: number;
}

/** HTTP access to one Odoo base URL. */
export class OdooHttp {
  readonly origin: string;
  private readonly basePath: string;
  private pool: Pool | undefined;
  private closed = false;

  constructor(
    baseUrl: string,
    private readonly maxBodyBytes = DEFAULT_MAX_RESPONSE_BYTES,
  ) {
    const url = new URL(baseUrl);
    // Never keep user:password@ from a URL: it would end up in error messages.
    this.origin = `${url.protocol}//${url.host}`;
    this.basePath = url.pathname.replace(/\/+$/, '');
  }

  /**
   * Sends one request and reads the whole (capped) body; network failures become OdooErrors.
   * undici's dispatch handler receives the answer's chunks directly: `pool.request` would wrap
   * them in a Readable stream, whose events, buffering and ticks were a visible share of a
   * pass-through call's CPU, only for us to collect them again. The deadline is enforced
   * without an AbortController (one per call cost as much): undici bounds the wait for headers
   * and every pause in the body, and the chunk handler refuses to go on past the deadline.
   */
  request(req: OdooHttpRequest): Promise<RawOdooResponse> {
    const pool = (this.pool ??= acquirePool(this.origin));
    const answer = this.send(pool, req);
    // A call queued before close() and sent after it takes the shared pool again: it gives it
    // back when done, or the origin's pool (and its sockets) stayed open for good.
    return this.closed ? answer.finally(() => this.close()) : answer;
  }

  private send(pool: Pool, req: OdooHttpRequest): Promise<RawOdooResponse> {
    return new Promise((resolve, reject) => {
      const handler = new BodyCollector(this.maxBodyBytes, performance.now() + req.timeoutMs, resolve, (error, timedOut) =>
        reject(networkError(error, timedOut, this.origin, req.timeoutMs)),
      );
      try {
        pool.dispatch(
          {
            method: req.method,
            path: this.basePath + req.path,
            headers: req.headers ?? DEFAULT_HEADERS,
            body: req.body,
            headersTimeout: req.timeoutMs,
            bodyTimeout: req.timeoutMs,
          },
          handler,
        );
      } catch (error) {
        // A pool that refuses the request outright (closed, bad options) throws instead of calling back.
        handler.onResponseError(undefined, error as Error);
      }
    });
  }

  /** Lets go of the shared pool (closed when no client uses it any more). */
  async close(): Promise<void> {
    this.closed = true;
    if (!this.pool) return;
    this.pool = undefined;
    await releasePool(this.origin);
  }
}

/**
 * undici dispatch handler that collects one answer's body up to a cap and a deadline, then
 * settles exactly once: with the answer, or with the first failure.
 */
class BodyCollector implements Dispatcher.DispatchHandler {
  private chunks: Buffer[] = [];
  private size = 0;
  private status = 0;
  private contentType = '';
  private retryAfter: string | undefined;
  private location: string | undefined;
  private settled = false;

  constructor(
    private readonly max: number,
    private readonly deadline: number,
    private readonly resolve: (response: RawOdooResponse) => void,
    private readonly reject: (error: unknown, timedOut: boolean) => void,
  ) {}

  /** undici takes a handler for its current callback set only when it has this one. */
  onRequestStart(): void {}

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.status = statusCode;
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > this.max) return this.stop(controller, tooLarge(statusCode, this.max), false);
    const contentType = headers['content-type'];
    this.contentType = Array.isArray(contentType) ? contentType.join(', ') : (contentType ?? '');
    // Only answers that are not Odoo's own carry these; a success reads neither.
    if (statusCode >= 300 && statusCode !== 500) {
      this.retryAfter = firstHeader(headers['retry-after']);
      this.location = firstHeader(headers.location);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    // A body that keeps trickling in never trips undici's per-pause bodyTimeout; this does.
    if (performance.now() > this.deadline) return this.stop(controller, new Error('deadline passed while reading the body'), true);
    this.size += chunk.length;
    if (this.size > this.max) return this.stop(controller, tooLarge(this.status, this.max), false);
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    this.settled = true;
    const chunks = this.chunks;
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    this.resolve({ status: this.status, contentType: this.contentType, text, retryAfter: this.retryAfter, location: this.location });
  }

  onResponseError(_controller: unknown, error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error, false);
  }

  /** Fails the call now and drops the connection's rest of the answer. */
  private stop(controller: Dispatcher.DispatchController, error: Error, timedOut: boolean): void {
    this.settled = true;
    this.chunks = [];
    this.reject(error, timedOut);
    controller.abort(error);
  }
}

function tooLarge(status: number, max: number): OdooError {
  const limit = max >= 1024 * 1024 ? `${Math.round(max / 1024 / 1024)} MB` : `${max} bytes`;
  return new OdooError('odoo_bad_response', `Odoo answer exceeds ${limit} (ODOO_MAX_RESPONSE_BYTES); narrow the query (limit, fields) or page through it`, {
    httpStatus: status,
  });
}

/** Maps an undici/Node network failure to an OdooError (pure; exported for tests). */
export function networkError(error: unknown, timedOut: boolean, origin: string, timeoutMs: number): OdooError {
  if (error instanceof OdooError) return error;
  const code = errorCode(error);
  if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    // Said plainly because a write that timed out may still commit on Odoo: callers must not blindly retry it.
    return new OdooError('odoo_timeout', `Odoo at ${origin} did not answer within ${timeoutMs} ms (the call may still complete on Odoo)`, { mayHaveRun: true });
  }
  const reason =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'host not found'
        : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED'
          ? 'connection dropped'
          : code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT'
            ? 'connect timed out'
            : code
              ? `network error ${code}`
              : 'network error';
  const mayHaveRun = reason === 'connection dropped' ? ' (a write may or may not have been applied)' : '';
  return new OdooError('odoo_unreachable', `Odoo at ${origin} is unreachable: ${reason}${mayHaveRun}`, mayHaveRun ? { mayHaveRun: true } : {});
}

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_ABORTED' && code !== 'ABORT_ERR') return code;
  }
  return undefined;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
