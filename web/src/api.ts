/** The dashboard's only way to talk to the relay: JSON in, the relay's envelope out, CSRF on writes. */

export interface User {
  id: string;
  username: string;
  role: 'admin' | 'user';
  createdAt: number;
  /** Always null for the signed-in user: a disabled account has no session. */
  disabledAt: number | null;
}

/** What an account owns, which deleting it deletes too (GET /api/dashboard/users/:id). */
export interface AccountHoldings {
  apiKeys: number;
  connections: number;
  subscriptions: number;
  apps: number;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  allowedModels: string[] | null;
  allowedMethods: string[] | null;
  rateLimit: number;
  hmacEnabled: boolean;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
  createdAt: number;
}

export interface OdooConnection {
  id: string;
  name: string;
  url: string;
  database: string;
  login: string;
  protocol: 'auto' | 'jsonrpc' | 'json2';
  timeoutMs: number;
  /** Calls in flight to Odoo at once on this connection; more wait in a bounded queue. */
  maxConcurrent: number;
  updatedAt: number;
}

export interface ConnectionTest {
  serverVersion: string;
  protocol: string;
  uid: number;
  latencyMs: number;
}

/** A key whose calls the request log shows the signed-in user; `owner` names its user for an admin. */
export interface LogKey {
  id: string;
  name: string;
  prefix: string;
  revokedAt: number | null;
  owner: string | null;
}

export interface LogRow {
  id: number;
  createdAt: number;
  requestId: string;
  apiKeyId: string | null;
  keyPrefix: string | null;
  authMethod: string | null;
  action: string | null;
  model: string | null;
  method: string | null;
  status: number;
  code: string | null;
  durationMs: number;
  odooMs: number | null;
  appId: string | null;
  appName: string | null;
  ip: string | null;
}

export type RecordEvent = 'create' | 'write' | 'unlink';
export type DeliveryStatus = 'pending' | 'in_flight' | 'delivered' | 'failed';

/** An outbound-event subscription (GET /api/v1/subscriptions). */
export interface Subscription {
  id: string;
  name: string;
  model: string;
  events: RecordEvent[];
  domain: unknown[] | null;
  changedFields: string[] | null;
  fields: string[] | null;
  targetUrl: string;
  format: 'json' | 'xml';
  timeoutMs: number;
  retries: number;
  headerNames: string[];
  captureMode: 'auto' | 'push' | 'poll';
  captureEffective: 'push' | 'poll';
  captureNote: string | null;
  active: boolean;
  consecutiveFailures: number;
  disabledAt: number | null;
  disabledReason: string | null;
  appId: string | null;
  secretRotatingUntil: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface Delivery {
  id: string;
  eventId: string;
  subscriptionId: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
  eventType: string;
  recordId: number;
}

export interface DeliveryAttempt {
  attempt: number;
  startedAt: number;
  durationMs: number | null;
  status: number | null;
  error: string | null;
  errorMessage: string | null;
  responseHeaders: Record<string, string>;
  responseBody: string | null;
}

/** A refusal from the relay, with its stable code and the offending field(s) when it names them. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
    readonly requestId?: string,
  ) {
    super(message);
  }

  /**
   * The session ended (expired, or signed out elsewhere) and the app has been told (SIGNED_OUT_EVENT):
   * it asks the user to sign in again, so forms and pages show nothing of their own for it.
   */
  signedOut = false;

  /** Field name → problem, from `details.fields[]` or `details.field`. */
  get fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    const d = this.details as { field?: string; fields?: { field: string; problem?: string; message?: string }[] } | null;
    if (d && Array.isArray(d.fields)) for (const f of d.fields) out[f.field.split('.')[0]!] ??= f.problem ?? f.message ?? this.message;
    else if (d && typeof d.field === 'string') out[d.field] = this.message;
    return out;
  }
}

let csrfToken: string | null = null;
/** Whose session the page shows: a session another tab started for someone else is not this page's. */
let signedInUserId: string | null = null;
export function setCsrfToken(token: string | null, userId?: string): void {
  csrfToken = token;
  if (userId !== undefined || token === null) signedInUserId = userId ?? null;
}

/** Fired when the session is gone, so the app can ask the user to sign in again. */
export const SIGNED_OUT_EVENT = 'relay:signed-out';

/**
 * Fired when the browser's session is for another account than the page shows (another tab signed
 * in as someone else), or the account changed (its role): the page must not go on showing (or
 * acting as) what it had.
 */
export const ACCOUNT_CHANGED_EVENT = 'relay:account-changed';

/** What ACCOUNT_CHANGED_EVENT carries: the account the browser's session is now for. */
export interface AccountChangedDetail {
  user: User;
  csrfToken: string;
}

/** What SIGNED_OUT_EVENT carries: why, and whether the refused request was a read (GET). */
export interface SignedOutDetail {
  code: 'unauthenticated' | 'session_expired';
  read: boolean;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export async function api<T = any>(method: Method, path: string, body?: unknown): Promise<T> {
  try {
    return await send<T>(method, path, body);
  } catch (err) {
    // Refused for want of the administrator role the page thought this account had (another
    // administrator changed it meanwhile): the app learns the account as it is now.
    if (err instanceof ApiError && err.code === 'admin_required' && signedInUserId) {
      const me = await currentSession().catch(() => null);
      if (me) announceAccount(me);
      throw err;
    }
    // A write refused for its CSRF token while the browser still has a session: another tab
    // signed in again (a password change, a new sign-in), which replaced the session and its
    // token. Nothing was done; with the new token the request is sent once more.
    if (!(err instanceof ApiError) || err.code !== 'csrf_failed' || method === 'GET' || !signedInUserId) throw err;
    const me = await currentSession();
    if (!me) return signedOut(err, method);
    if (me.user.id !== signedInUserId) {
      setCsrfToken(me.csrfToken, me.user.id);
      err.signedOut = true;
      announceAccount(me);
      throw err;
    }
    setCsrfToken(me.csrfToken);
    return send<T>(method, path, body);
  }
}

/** Tells the app the account the browser's session is for now (ACCOUNT_CHANGED_EVENT). */
function announceAccount(me: AccountChangedDetail): void {
  window.dispatchEvent(new CustomEvent<AccountChangedDetail>(ACCOUNT_CHANGED_EVENT, { detail: me }));
}

/** The browser's session now, or null when it has none. */
async function currentSession(): Promise<AccountChangedDetail | null> {
  try {
    return await send<AccountChangedDetail>('GET', '/api/auth/me');
  } catch (err) {
    if (err instanceof ApiError && (err.code === 'unauthenticated' || err.code === 'session_expired')) return null;
    throw err;
  }
}

function signedOut(err: ApiError, method: Method): never {
  err.signedOut = true;
  const detail: SignedOutDetail = { code: err.code === 'session_expired' ? 'session_expired' : 'unauthenticated', read: method === 'GET' };
  window.dispatchEvent(new CustomEvent(SIGNED_OUT_EVENT, { detail }));
  throw err;
}

async function send<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new ApiError(0, 'network_error', 'The relay cannot be reached. Check that it is running.', null);
  }
  let data: any = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok || !data || data.success !== true) {
    const err = new ApiError(res.status, data?.code ?? 'http_error', data?.error ?? `HTTP ${res.status}`, data?.details ?? null, data?.requestId);
    if ((err.code === 'unauthenticated' || err.code === 'session_expired') && !path.startsWith('/api/auth/')) signedOut(err, method);
    throw err;
  }
  return data as T;
}

export interface ChatStep {
  tool: string;
  args: unknown;
  rowCount: number | null;
  durationMs: number;
  error?: { code: string; message: string };
}

export interface ChatAnswer {
  success: true;
  answer?: string;
  output?: unknown;
  data: unknown[];
  steps: ChatStep[];
  usage: { inputTokens: number; outputTokens: number; totalTokens: number; modelCalls: number; toolCalls: number; durationMs: number };
  conversation_id: string;
  turn: number;
}

/** The webhook's chat action with the session cookie (same origin: the webhook refuses cross-site cookie calls). */
export function askChat(input: { message: string; conversationId: string | null; allowWrites: boolean }): Promise<ChatAnswer> {
  return api<ChatAnswer>('POST', '/api/n8n/webhook', {
    action: 'chat',
    message: input.message,
    ...(input.conversationId && { conversation_id: input.conversationId }),
    ...(input.allowWrites && { allow_writes: true }),
  });
}

/** An OAuth 1.0a request token waiting for the user's consent (GET /api/dashboard/oauth1/authorize). */
export interface OAuth1AuthorizeRequest {
  app: { id: string; name: string };
  scopes: string[];
  /** `oob`, or the origin the user is sent back to. */
  callback: string;
  expiresAt: number;
}

/** The answer to Approve/Deny: where to send the browser, or (oob) the verifier to show. */
export interface OAuth1Decision {
  approved: boolean;
  redirectUrl: string | null;
  verifier?: string;
}

/** The parts of an OpenAPI 3.1 document the API reference page renders. */
export interface OpenApiSchema {
  $ref?: string;
  type?: string | string[];
  description?: string;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  items?: OpenApiSchema;
  enum?: unknown[];
  const?: unknown;
  oneOf?: OpenApiSchema[];
  anyOf?: OpenApiSchema[];
  discriminator?: { propertyName: string };
}

export interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: OpenApiSchema }[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: OpenApiSchema }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: OpenApiSchema }> }>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  tags?: { name: string; description?: string }[];
  paths?: Record<string, Partial<Record<'get' | 'post' | 'put' | 'patch' | 'delete', OpenApiOperation>>>;
  components?: { schemas?: Record<string, OpenApiSchema> };
}
/** A registered third-party app (OAuth 2.0 client + OAuth 1.0a consumer); secrets never appear here. */
export interface RegisteredApp {
  id: string;
  userId: string;
  name: string;
  clientId: string;
  clientType: 'confidential' | 'public';
  consumerKey: string;
  redirectUris: string[];
  scopes: string[];
  allowedModels: string[] | null;
  allowedMethods: string[] | null;
  rateLimit: number;
  createdAt: number;
  updatedAt: number;
}

/** Answered once, by create and rotate. */
export interface AppSecrets {
  clientId: string;
  clientSecret: string | null;
  consumerKey: string;
  consumerSecret: string;
}

/** An app the signed-in user has authorized (OAuth 2.0 consent). */
export interface AuthorizedApp {
  appId: string;
  name: string;
  ownerId: string;
  scopes: string[];
  protocols: ('oauth2' | 'oauth1')[];
  authorizedAt: number;
  updatedAt: number;
}

/** A pending OAuth 2.0 authorization request, as the consent page shows it. */
export interface ConsentRequest {
  id: string;
  app: { id: string; name: string; clientId: string; clientType: 'confidential' | 'public'; owner: string | null };
  scopes: string[];
  redirectUri: string;
  expiresAt: number;
}
