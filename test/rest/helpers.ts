import { request } from 'undici';
import type { HttpAnswer, TestRelay } from '../helpers/relay.js';
import { readAnswer } from '../helpers/relay.js';

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** One HTTP call to the relay: a JSON body when given (a string is sent as is), the answer parsed. */
export async function call(relay: TestRelay, method: Method, pathname: string, headers: Record<string, string> = {}, body?: unknown): Promise<HttpAnswer> {
  const raw = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const res = await request(relay.url + pathname, {
    method,
    headers: raw === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: raw,
  });
  return readAnswer(res);
}

/** Logs the admin in to the dashboard; the session cookie and its CSRF token. */
export async function login(relay: TestRelay): Promise<{ cookie: string; csrfToken: string }> {
  const res = await request(`${relay.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: relay.admin.username, password: 'correct horse battery' }),
  });
  const setCookie = res.headers['set-cookie'];
  const cookie = String(Array.isArray(setCookie) ? setCookie[0] : setCookie).split(';')[0]!;
  const body = (await res.body.json()) as { csrfToken: string };
  return { cookie, csrfToken: body.csrfToken };
}

/** The request log rows written so far for one API key, oldest first. */
export async function logRows(relay: TestRelay, apiKeyId: string) {
  await relay.ctx.requestLog.flush();
  return relay.ctx.storage.db.selectFrom('request_log').selectAll().where('api_key_id', '=', apiKeyId).orderBy('id').execute();
}
