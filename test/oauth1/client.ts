import crypto from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { request as undiciRequest } from 'undici';
import type { HttpAnswer } from '../helpers/relay.js';
import { readAnswer } from '../helpers/relay.js';
import { createApp, type App, type AppInput } from '../../src/apps/store.js';
import type { RunningRelay } from '../../src/server.js';

export type Method = 'HMAC-SHA1' | 'HMAC-SHA256' | 'PLAINTEXT';

export interface Consumer {
  key: string;
  secret: string;
}

export interface Token {
  key: string;
  secret: string;
}

/** Registers an app straight in the store (app management is another capability's pages). */
export async function registerApp(relay: RunningRelay & { admin: { id: string } }, input: Partial<AppInput> = {}): Promise<{ app: App; consumer: Consumer }> {
  const { app, secrets } = await createApp(relay.ctx.storage.db, relay.ctx.box, { userId: relay.admin.id, name: 'Sync app', ...input }, 100);
  return { app, consumer: { key: app.consumerKey, secret: secrets.consumerSecret } };
}

export interface SignOptions {
  /** Extra protocol parameters to sign and send in the header (oauth_callback, oauth_verifier). */
  oauthParams?: Record<string, string>;
  /** Form-encoded body parameters (signed), or a JSON body (not signed). */
  form?: Record<string, string>;
  json?: unknown;
  /** The URL to sign when it differs from the one requested (a proxy's public URL, a tampered query). */
  signUrl?: string;
  timestamp?: number;
  nonce?: string;
  /** Replace the computed signature (wrong-signature tests). */
  signature?: string;
}

/**
 * A client that signs with the `oauth-1.0a` npm library — an implementation independent of
 * the relay's — and sends with undici. HMAC-SHA1/SHA256 hash with node:crypto as the
 * library's README shows.
 */
export function oauthClient(consumer: Consumer, method: Method) {
  const oauth = new OAuth({
    consumer,
    signature_method: method,
    hash_function:
      method === 'PLAINTEXT'
        ? (_base: string, key: string) => key
        : (base: string, key: string) =>
            crypto
              .createHmac(method === 'HMAC-SHA1' ? 'sha1' : 'sha256', key)
              .update(base)
              .digest('base64'),
  });

  /** The Authorization header for a request. */
  function authorization(httpMethod: string, url: string, token: Token | undefined, opts: SignOptions = {}): string {
    if (opts.timestamp !== undefined) oauth.getTimeStamp = () => opts.timestamp!;
    else oauth.getTimeStamp = OAuth.prototype.getTimeStamp;
    if (opts.nonce !== undefined) oauth.getNonce = () => opts.nonce!;
    else oauth.getNonce = OAuth.prototype.getNonce;
    const data = { ...opts.oauthParams, ...opts.form };
    const signed = oauth.authorize({ url: opts.signUrl ?? url, method: httpMethod, data }, token);
    if (opts.signature !== undefined) signed.oauth_signature = opts.signature;
    return oauth.toHeader(signed).Authorization;
  }

  async function send(httpMethod: 'GET' | 'POST', url: string, token?: Token, opts: SignOptions = {}, extraHeaders: Record<string, string> = {}): Promise<HttpAnswer> {
    const headers: Record<string, string> = { authorization: authorization(httpMethod, url, token, opts), ...extraHeaders };
    let body: string | undefined;
    if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    } else if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    }
    const res = await undiciRequest(url, { method: httpMethod, headers, body });
    return readAnswer(res);
  }

  return { oauth, authorization, send };
}

/** A form-encoded answer as an object. */
export function formOf(text: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(text));
}
