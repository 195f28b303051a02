import * as oauth from 'oauth4webapi';
import { request as undiciRequest } from 'undici';
import { createApp, type AppInput } from '../../src/apps/store.js';
import { readAnswer, type TestRelay } from '../helpers/relay.js';
import { DashboardClient } from '../dashboard/helpers.js';

export const PASSWORD = 'correct horse battery';
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
/** oauth4webapi refuses http:// unless told: the relay listens on loopback http in tests. */
export const INSECURE = { [oauth.allowInsecureRequests]: true } as const;

export interface RegisteredApp {
  id: string;
  client: oauth.Client;
  clientSecret: string | null;
}

/** Registers an app owned by the relay's admin (the store is what the dashboard API calls). */
export async function registerApp(relay: TestRelay, input: Partial<AppInput> = {}): Promise<RegisteredApp> {
  const { app, secrets } = await createApp(
    relay.ctx.storage.db,
    relay.ctx.box,
    { userId: relay.admin.id, name: 'Test app', redirectUris: [REDIRECT_URI], scopes: ['webhook', 'read', 'subscriptions'], ...input },
    100,
  );
  return { id: app.id, client: { client_id: app.clientId }, clientSecret: secrets.clientSecret };
}

/** The relay's metadata, discovered and validated by oauth4webapi as any client would. */
export async function discover(relay: TestRelay): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(relay.url);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...INSECURE, algorithm: 'oauth2' }));
}

export async function signIn(relay: TestRelay): Promise<DashboardClient> {
  const client = new DashboardClient(relay.url);
  await client.login(relay.admin.username, PASSWORD);
  return client;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  text: string;
}

/** A raw request (no redirects followed), for asserting exact status codes and headers. */
export async function raw(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const res = await undiciRequest(url, { method: (init.method ?? 'GET') as any, headers: init.headers, body: init.body });
  return readAnswer(res);
}

/** A form post to an OAuth endpoint, as RFC 6749 wants it. */
export function postForm(url: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Answer> {
  return raw(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
}

export const basic = (clientId: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/**
 * The browser's part of the code flow without a browser: /oauth/authorize (must redirect to the
 * consent page), then the consent decision through the dashboard API. Returns the URL the
 * browser would be sent back to.
 */
export async function authorizeWithConsent(relay: TestRelay, dashboard: DashboardClient, params: Record<string, string>, approve = true): Promise<URL> {
  const started = await raw(`${relay.url}/oauth/authorize?${new URLSearchParams(params)}`);
  if (started.status !== 302) throw new Error(`authorize answered ${started.status}: ${started.text}`);
  const consent = new URL(String(started.headers.location), relay.url);
  if (consent.pathname !== '/oauth/consent') throw new Error(`authorize redirected to ${consent}`);
  const id = consent.searchParams.get('request')!;
  const decided = await dashboard.call('POST', '/api/dashboard/oauth/consent', { request: id, approve });
  if (decided.status !== 200) throw new Error(`consent answered ${decided.status}: ${decided.text}`);
  return new URL(decided.body.redirectTo);
}

/** A fresh PKCE pair and state. */
export async function pkce() {
  const verifier = oauth.generateRandomCodeVerifier();
  return { verifier, challenge: await oauth.calculatePKCECodeChallenge(verifier), state: oauth.generateRandomState() };
}

/** An approved authorization request (S256 PKCE): the redirect back to the app and the PKCE verifier and state it was made with. */
export async function approvedAuthorization(
  relay: TestRelay,
  dashboard: DashboardClient,
  registered: RegisteredApp,
  scope?: string,
): Promise<{ back: URL; verifier: string; state: string }> {
  const { verifier, challenge, state } = await pkce();
  const back = await authorizeWithConsent(relay, dashboard, {
    response_type: 'code',
    client_id: registered.client.client_id,
    redirect_uri: REDIRECT_URI,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
    ...(scope ? { scope } : {}),
  });
  return { back, verifier, state };
}

/** The full authorization code + PKCE flow with oauth4webapi as the client; returns its token response. */
export async function codeFlow(
  relay: TestRelay,
  as: oauth.AuthorizationServer,
  dashboard: DashboardClient,
  registered: RegisteredApp,
  scope?: string,
): Promise<oauth.TokenEndpointResponse> {
  const { back, verifier, state } = await approvedAuthorization(relay, dashboard, registered, scope);
  const params = oauth.validateAuthResponse(as, registered.client, back, state);
  const auth = registered.clientSecret ? oauth.ClientSecretBasic(registered.clientSecret) : oauth.None();
  const response = await oauth.authorizationCodeGrantRequest(as, registered.client, auth, params, REDIRECT_URI, verifier, INSECURE);
  return oauth.processAuthorizationCodeResponse(as, registered.client, response);
}
