/**
 * The relay's Odoo client: one per Odoo connection (the relay caches them by connection id).
 * It picks JSON-2 or JSON-RPC, caches the server version and the uid so that a warm
 * `executeKw` is exactly one HTTP round trip, and caps the calls in flight.
 */
import { performance } from 'node:perf_hooks';
import { ConcurrencyLimit, type TaskCaller } from './concurrency-limit.js';
import { OdooError, isOdooError } from './errors.js';
import { kwargsForVersion } from './renamed-params.js';
import { OdooHttp } from './http.js';
import { toJson2Call, shapeJson2Result, takesIdsFirst } from './json2-params.js';
import { hasQuotedIds, quotedIds } from './record-ids.js';
import { Json2Transport } from './json2-transport.js';
import { JsonRpcTransport } from './jsonrpc-transport.js';
import {
  odooConnectionSettingsSchema,
  type OdooConnectionSettings,
  type OdooConnectionSettingsInput,
} from './settings.js';
import { parseOdooVersion, supportsJson2, type OdooServerVersion, type OdooWireProtocol, type ParsedOdooVersion } from './version.js';
import { METHOD_NAME, MODEL_NAME } from './names.js';

/** What `testConnection()` reports. */
export interface OdooConnectionTest {
  serverVersion: string;
  protocol: OdooWireProtocol;
  uid: number;
  /** Duration of the authentication round trip(s) just made. */
  latencyMs: number;
}

/** Suggested wait before retrying a call refused with `odoo_busy` at shutdown (another instance may take it). */
const BUSY_RETRY_AFTER_SECONDS = 1;
/** The longest wait suggested for a full queue: past it, the estimate is too uncertain to ask for more. */
const MAX_BUSY_RETRY_AFTER_SECONDS = 60;

/**
 * A call's result: Odoo's own JSON text of it when that text is exactly the result (JSON-2
 * without reshaping), else the value.
 */
export type VerbatimResult = { json: string } | { result: unknown };

/**
 * When a call was sent, for Odoo's time: a call may first wait for a slot (ODOO_MAX_CONCURRENT),
 * which is the relay's queue, not Odoo's work. NaN while it has not been sent.
 */
export interface CallTiming {
  sentAt: number;
}

/** The result a VerbatimResult holds, parsed from Odoo's text when it came as text. */
export function resultOf(answer: VerbatimResult): unknown {
  return 'json' in answer ? JSON.parse(answer.json) : answer.result;
}

/** Client of one Odoo database, for one login. */
export class OdooClient {
  readonly settings: OdooConnectionSettings;
  private readonly http: OdooHttp;
  private readonly jsonrpc: JsonRpcTransport;
  private readonly json2: Json2Transport;
  private readonly limit: ConcurrencyLimit;

  private versionPromise: Promise<ParsedOdooVersion> | undefined;
  /** The detected version, kept for synchronous reads once known. */
  private detected: ParsedOdooVersion | undefined;
  private versionAnswer: OdooServerVersion | undefined;
  private uid: number | undefined;
  private uidPromise: Promise<number> | undefined;
  /** auto mode: the secret was refused as a bearer key but accepted as a JSON-RPC password. */
  private json2Refused = false;
  /** auto mode: a JSON-2 call succeeded, so a later 401 means a revoked key, not a password. */
  private json2Accepted = false;
  private fallbackPromise: Promise<number> | undefined;
  private closed = false;

  constructor(settings: OdooConnectionSettingsInput) {
    this.settings = odooConnectionSettingsSchema.parse(settings);
    const { url, database, secret, timeoutMs, maxConcurrent, maxQueue, maxResponseBytes } = this.settings;
    this.http = new OdooHttp(url, maxResponseBytes);
    this.jsonrpc = new JsonRpcTransport(this.http, timeoutMs);
    this.json2 = new Json2Transport(this.http, database, secret, timeoutMs);
    this.limit = new ConcurrencyLimit(
      maxConcurrent,
      maxQueue,
      () =>
        new OdooError('odoo_busy', `Too many Odoo calls in flight for this connection (${maxConcurrent} running, ${maxQueue} waiting)`, {
          retryAfterSeconds: this.limit.drainSeconds(MAX_BUSY_RETRY_AFTER_SECONDS),
        }),
      () => new OdooError('client_closed_request', 'The caller went away while the call waited for a slot; it was not sent to Odoo'),
    );
  }

  /** Calls `model.method(*args, **kwargs)` as execute_kw would, over the best protocol. */
  executeKw(model: string, method: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}, timing?: CallTiming): Promise<unknown> {
    return this.call(model, method, args, kwargs, false, undefined, timing).then(resultOf);
  }

  /**
   * executeKw, answering Odoo's own JSON text of the result where the relay passes it on
   * unchanged (JSON-2 without reshaping): the webhook writes that text into its answer as it
   * is. The text is proved to be JSON without being parsed: building every record only to
   * serialize it again, or to throw it away, was one of the largest costs of a call.
   */
  executeKwVerbatim(model: string, method: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}, caller?: TaskCaller, timing?: CallTiming): Promise<VerbatimResult> {
    return this.call(model, method, args, kwargs, true, caller, timing);
  }

  /**
   * `caller`: the call is dropped, not sent, if its caller has gone by the time a queued call's
   * turn comes. `timing.sentAt` is set when the call leaves the queue for Odoo.
   */
  private call(
    model: string,
    method: string,
    args: unknown[],
    kwargs: Record<string, unknown>,
    verbatim: boolean,
    caller?: TaskCaller,
    timing?: CallTiming,
  ): Promise<VerbatimResult> {
    return this.guard(() => {
      checkCallShape(model, method, args, kwargs);
      return this.limit.run((startedAt) => {
        if (timing) timing.sentAt = startedAt;
        return this.execute(model, method, args, kwargs, verbatim);
      }, caller);
    });
  }

  /** Server version (from `GET /web/version`, else `common.version`), cached, with the protocol this client uses. */
  version(): Promise<OdooServerVersion> {
    const known = this.knownVersion();
    if (known && !this.closed) return Promise.resolve(known);
    return this.guard(async () => {
      const parsed = await this.detectVersion();
      return { ...parsed, protocol: await this.protocol() };
    });
  }

  /**
   * The version once detected, without waiting: every call reports it, and a promise per call
   * just to read a cached value was a visible share of the relay's cost per call.
   */
  knownVersion(): OdooServerVersion | undefined {
    const protocol = this.knownProtocol();
    if (!protocol || !this.detected) return undefined;
    if (this.versionAnswer?.protocol !== protocol) this.versionAnswer = { ...this.detected, protocol };
    return this.versionAnswer;
  }

  /** The uid of the configured login, cached after the first successful authentication. */
  authenticate(): Promise<number> {
    return this.guard(() => this.cachedUid());
  }

  /** Authenticates now (bypassing the uid cache) and measures it; for the dashboard's "test connection". */
  testConnection(): Promise<OdooConnectionTest> {
    return this.guard(() =>
      this.limit.run(async () => {
        const version = await this.detectVersion();
        this.uid = undefined;
        const started = performance.now();
        const uid = await this.cachedUid();
        const latencyMs = Math.round(performance.now() - started);
        return { serverVersion: version.serverVersion, protocol: await this.protocol(), uid, latencyMs };
      }),
    );
  }

  /** Database names on the server (`db.list`); `odoo_access_error` when the server hides the list. */
  listDatabases(): Promise<string[]> {
    return this.guard(() =>
      this.limit.run(async () => {
        try {
          const result = await this.jsonrpc.call('db', 'list', []);
          if (!Array.isArray(result) || !result.every((n) => typeof n === 'string')) {
            throw new OdooError('odoo_bad_response', 'db.list did not return a list of names');
          }
          return result as string[];
        } catch (error) {
          // Odoo raises AccessDenied from db.list when list_db is off: not a credentials problem.
          if (isOdooError(error, 'odoo_auth_failed')) {
            throw new OdooError('odoo_access_error', 'Database listing is disabled on this Odoo server (list_db = False)', {
              odooName: error.odooName,
              odooMessage: error.odooMessage,
            });
          }
          throw error;
        }
      }),
    );
  }

  /** Shutdown: calls waiting for a slot are refused `odoo_busy` (not sent, so safe to retry elsewhere), running ones finish. */
  stopQueue(): void {
    this.limit.closeQueue(
      () =>
        new OdooError('odoo_busy', 'The relay is shutting down: this call was not sent to Odoo; retry it', {
          retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS,
        }),
    );
  }

  /** Releases the HTTP pool share; later calls fail with `odoo_unreachable`. */
  async close(): Promise<void> {
    this.closed = true;
    await this.http.close();
  }

  // --- internals -----------------------------------------------------------------------------

  private execute(model: string, method: string, args: unknown[], kwargs: Record<string, unknown>, verbatim: boolean): Promise<VerbatimResult> {
    const protocol = this.knownProtocol();
    // The first call of this client detects the server's version first, and over JSON-2 learns
    // the key's user (checked against the login) before anything is sent as that user.
    // (A JSON-2 uid is only ever learnt through checkKeyLogin; a password falls back to JSON-RPC there.)
    if (protocol === undefined) return this.protocol().then(() => this.execute(model, method, args, kwargs, verbatim));
    if (protocol === 'json2' && this.uid === undefined) return this.cachedUid().then(() => this.execute(model, method, args, kwargs, verbatim));
    return this.executeOver(protocol, model, method, args, kwargs, verbatim);
  }

  private executeOver(
    protocol: OdooWireProtocol,
    model: string,
    method: string,
    args: unknown[],
    kwargs: Record<string, unknown>,
    verbatim: boolean,
  ): Promise<VerbatimResult> {
    kwargs = kwargsForVersion(method, kwargs, this.detected?.major);
    if (protocol === 'jsonrpc') return this.executeJsonRpc(model, method, args, kwargs).then((result) => ({ result }));

    // Chained rather than awaited: this runs on every call, and each await adds promises.
    const call = toJson2Call(method, args, kwargs);
    const answer: Promise<VerbatimResult> =
      verbatim && !call.unwrapSingleCreate
        ? this.json2.callText(model, method, call.params).then((json) => ({ json }))
        : this.json2.call(model, method, call.params).then((value) => ({ result: shapeJson2Result(call, value) }));
    return answer.then(
      (result) => {
        this.json2Accepted = true;
        return result;
      },
      async (error: unknown) => {
        if (!this.mayFallBackToJsonRpc(error)) throw this.json2Failure(error);
        // A 401 is decided before Odoo dispatches anything, so re-sending over JSON-RPC cannot
        // duplicate a create.
        await this.fallBackToJsonRpc();
        return { result: await this.executeJsonRpc(model, method, args, kwargs) };
      },
    );
  }

  private async executeJsonRpc(model: string, method: string, args: unknown[], kwargs: Record<string, unknown>): Promise<unknown> {
    const hadCachedUid = this.uid !== undefined;
    const uid = await this.cachedUid();
    const { database, secret } = this.settings;
    const send = (u: number) => this.jsonrpc.call('object', 'execute_kw', [database, u, secret, model, method, args, kwargs]);
    try {
      return await send(uid);
    } catch (error) {
      // A stale cached uid (user recreated, DB restored) shows up as AccessDenied: Odoo checks
      // credentials before running the method, so one re-login and one retry are safe. Never for
      // other errors — retrying a create that failed late could duplicate it.
      if (hadCachedUid && isOdooError(error, 'odoo_auth_failed')) {
        this.uid = undefined;
        return send(await this.cachedUid());
      }
      throw error;
    }
  }

  /** The protocol calls use now. */
  private async protocol(): Promise<OdooWireProtocol> {
    return this.knownProtocol() ?? (supportsJson2(await this.detectVersion()) ? 'json2' : 'jsonrpc');
  }

  /** The protocol, when it is known without asking the server. */
  private knownProtocol(): OdooWireProtocol | undefined {
    const wanted = this.settings.protocol;
    if (wanted !== 'auto') return wanted;
    if (this.json2Refused) return 'jsonrpc';
    if (!this.detected) return undefined;
    return supportsJson2(this.detected) ? 'json2' : 'jsonrpc';
  }

  private mayFallBackToJsonRpc(error: unknown): boolean {
    // A key of another user than the login was accepted as a key: no password to try.
    return this.settings.protocol === 'auto' && !this.json2Accepted && isOdooError(error, 'odoo_auth_failed') && error.keyLogin === undefined;
  }

  /**
   * The secret is no bearer key; if JSON-RPC accepts it (a password), use JSON-RPC from now on.
   * Concurrent first calls share one login: it costs ~340 ms of password hashing on Odoo.
   */
  private fallBackToJsonRpc(): Promise<number> {
    if (this.json2Refused && this.uid !== undefined) return Promise.resolve(this.uid);
    this.fallbackPromise ??= this.loginJsonRpc()
      .then((uid) => {
        this.uid = uid;
        this.json2Refused = true;
        return uid;
      })
      .finally(() => {
        this.fallbackPromise = undefined;
      });
    return this.fallbackPromise;
  }

  private detectVersion(): Promise<ParsedOdooVersion> {
    this.versionPromise ??= this.fetchVersion().then(
      (version) => (this.detected = version),
      (error: unknown) => {
        this.versionPromise = undefined; // retry detection on the next call
        throw error;
      },
    );
    return this.versionPromise;
  }

  private async fetchVersion(): Promise<ParsedOdooVersion> {
    const raw = await this.http.request({ method: 'GET', path: '/web/version', timeoutMs: this.settings.timeoutMs });
    if (raw.status === 200) {
      try {
        return parseOdooVersion(JSON.parse(raw.text));
      } catch {
        // fall through: an old server or a proxy page; ask the RPC service instead
      }
    }
    return parseOdooVersion(await this.jsonrpc.call('common', 'version', []));
  }

  private cachedUid(): Promise<number> {
    if (this.uid !== undefined) return Promise.resolve(this.uid);
    this.uidPromise ??= this.login()
      .then((uid) => {
        this.uid = uid;
        return uid;
      })
      .finally(() => {
        this.uidPromise = undefined;
      });
    return this.uidPromise;
  }

  private async login(): Promise<number> {
    if ((await this.protocol()) === 'jsonrpc') return this.loginJsonRpc();
    try {
      const uid = await this.uidOverJson2();
      this.json2Accepted = true;
      return uid;
    } catch (error) {
      if (!this.mayFallBackToJsonRpc(error)) throw error;
      return this.fallBackToJsonRpc();
    }
  }

  private async loginJsonRpc(): Promise<number> {
    const { database, login, secret } = this.settings;
    const result = await this.jsonrpc.call('common', 'login', [database, login, secret]);
    if (typeof result === 'number' && result > 0) return result;
    if (result === false || result === null) {
      throw new OdooError('odoo_auth_failed', `Odoo refused login '${login}' on database '${database}' (wrong login, password or API key)`);
    }
    throw new OdooError('odoo_bad_response', 'common.login returned neither a uid nor false');
  }

  /**
   * JSON-2 acts as the API key's user whatever login the connection names: a key of another user
   * (an admin's, with a limited user's login) would act with rights the settings do not show.
   * Checked with the uid, so once per client (its first call, a test, a save), not on every call:
   * a connection saved while Odoo could not be asked is checked at its first call.
   */
  private async checkKeyLogin(uid: number): Promise<void> {
    const rows = await this.json2.call('res.users', 'read', { ids: [uid], fields: ['login'] }).catch((error: unknown) => {
      throw this.json2Failure(error);
    });
    const keyLogin = Array.isArray(rows) ? (rows[0] as { login?: unknown } | undefined)?.login : undefined;
    if (typeof keyLogin !== 'string' || keyLogin === this.settings.login) return;
    throw new OdooError(
      'odoo_auth_failed',
      `This API key belongs to Odoo user '${keyLogin}', not to '${this.settings.login}': JSON-2 acts as the key's user, so set the connection's login to '${keyLogin}' (or use an API key of '${this.settings.login}')`,
      { keyLogin },
    );
  }

  /** JSON-2 has no login step: the key's owner is in the context Odoo returns. */
  private async uidOverJson2(): Promise<number> {
    let context: unknown;
    try {
      context = await this.json2.call('res.users', 'context_get', {});
    } catch (raw) {
      const error = this.json2Failure(raw);
      // Auth and transport failures are the answer, and so is a missing database (told apart by
      // json2Failure); anything else (a server without context_get) only means we must look the
      // user up instead.
      if (error !== raw || !isOdooError(error) || ['odoo_auth_failed', 'odoo_timeout', 'odoo_unreachable'].includes(error.code)) throw error;
    }
    const uid = (context as { uid?: unknown } | null | undefined)?.uid;
    if (typeof uid === 'number' && uid > 0) {
      await this.checkKeyLogin(uid);
      return uid;
    }
    // No uid in the context: find the login's user instead (its login matches by the search).
    const ids = await this.json2
      .call('res.users', 'search', { domain: [['login', '=', this.settings.login]], limit: 1 })
      .catch((error: unknown) => {
        throw this.json2Failure(error);
      });
    if (Array.isArray(ids) && typeof ids[0] === 'number') return ids[0];
    throw new OdooError('odoo_auth_failed', `The API key was accepted but login '${this.settings.login}' was not found`);
  }

  /**
   * A JSON-2 failure, told more exactly where the detected version allows. From Odoo 19 (saas-18.4)
   * every /json/2/ path is a route of each database, and errors there come back as JSON; an answer
   * that is not (its 404 page) means the request reached no database: Odoo has none by the name in
   * X-Odoo-Database, or its dbfilter hides it. Before that version the same 404 means no JSON-2.
   */
  private json2Failure(error: unknown): unknown {
    if (!isOdooError(error, 'odoo_bad_response') || error.httpStatus !== 404 || !this.detected || !supportsJson2(this.detected)) return error;
    return new OdooError(
      'odoo_unknown_database',
      `Odoo ${this.detected.serverVersion} has no database '${this.settings.database}': check the database name (Odoo's dbfilter may also hide it); its JSON-2 answer was a 404 page`,
      { httpStatus: 404 },
    );
  }

  /** Every public entry point: refuse after close, keep the secret out of what it throws. */
  private guard<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new OdooError('odoo_unreachable', 'This Odoo client is closed'));
    // Not an async wrapper: that would add a promise and microtask turns to every call.
    let pending: Promise<T>;
    try {
      pending = work();
    } catch (error) {
      return Promise.reject(this.withoutSecret(error));
    }
    return pending.catch((error: unknown) => {
      throw this.withoutSecret(error);
    });
  }

  /**
   * OdooErrors as Odoo said them. Masking the secret in them would make every caller a password
   * oracle: Odoo repeats caller text (field, model and method names) in its messages, so a
   * guess that came back as `***` would be the password. Odoo does not echo credentials: the
   * password travels as execute_kw's third argument, which no message quotes, or as a header.
   * Anything else is a bug of the client itself (every network failure is an OdooError already,
   * see http.ts): it stays what it is, so the relay answers 500 internal_error and logs it
   * instead of blaming Odoo with a 502; the secret is masked in its message and stack, which
   * only the log shows.
   */
  private withoutSecret(error: unknown): Error {
    if (error instanceof OdooError) return error;
    const bug = error instanceof Error ? error : new Error(String(error));
    const secret = this.settings.secret;
    if (secret) {
      bug.message = bug.message.split(secret).join('***');
      if (bug.stack) bug.stack = bug.stack.split(secret).join('***');
    }
    return bug;
  }
}


/** Refuses calls that cannot be valid before they cost a round trip (and keeps junk out of JSON-2 URLs). */
function checkCallShape(model: unknown, method: unknown, args: unknown, kwargs: unknown): void {
  if (typeof model !== 'string' || !MODEL_NAME.test(model)) {
    throw new OdooError('odoo_bad_request', `model must be an Odoo model name such as res.partner, got ${JSON.stringify(model)?.slice(0, 80)}`);
  }
  if (typeof method !== 'string' || !METHOD_NAME.test(method)) {
    throw new OdooError('odoo_bad_request', `method must be a method name such as search_read, got ${JSON.stringify(method)?.slice(0, 80)}`);
  }
  if (!Array.isArray(args)) throw new OdooError('odoo_bad_request', 'args must be an array');
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) {
    throw new OdooError('odoo_bad_request', 'kwargs must be an object');
  }
  // On every protocol alike: JSON-2's mapping refuses them anyway, and a workflow must get the
  // same answer from Odoo 18 and 19.
  if (args.length > 0 && takesIdsFirst(method, args) && hasQuotedIds(args[0])) throw quotedIds(method, args[0] as unknown[]);
}
