/**
 * The LLM behind chat, through the AI SDK: any OpenAI-compatible endpoint (OpenAI, Azure
 * OpenAI's v1 API, OpenRouter, Ollama, vLLM, LM Studio) by base URL + key + model, or
 * Anthropic. Also the one place provider failures become relay errors — without the key.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, EmptyResponseBodyError, InvalidResponseDataError, RetryError, type LanguageModel } from 'ai';
import type { Caller } from '../auth/caller.js';
import type { ChatProviderConfig } from '../config.js';
import { secretMask } from '../secrets/secret-mask.js';
import { RelayError } from '../errors/index.js';

/**
 * Which provider answers a caller. Today: the relay-wide one from the environment. This is the
 * seam for per-user providers (a dashboard setting): resolve by `caller.userId` here and
 * nothing else changes.
 */
export type ChatProviderResolver = (caller: Caller) => ChatProviderConfig | null;

export function relayWideProvider(config: ChatProviderConfig | null): ChatProviderResolver {
  return () => config;
}

/** How to turn chat on, for the `chat_not_configured` refusal. */
export const CHAT_SETUP_HINT =
  'Chat is not configured on this relay. Set CHAT_PROVIDER=openai-compatible with CHAT_BASE_URL (e.g. https://api.openai.com/v1 or http://localhost:11434/v1 for Ollama), CHAT_MODEL and CHAT_API_KEY, or CHAT_PROVIDER=anthropic with CHAT_MODEL and CHAT_API_KEY, then restart. See docs/chat.md.';

/** AI SDK model for a provider config (cheap to build; holds no connection). */
export function languageModelFor(config: ChatProviderConfig): LanguageModel {
  if (config.provider === 'anthropic') {
    const anthropic = createAnthropic({ apiKey: config.apiKey, ...(config.baseUrl && { baseURL: config.baseUrl }) });
    return anthropic(config.model);
  }
  const provider = createOpenAICompatible({
    name: 'openai-compatible',
    baseURL: config.baseUrl!,
    ...(config.apiKey && { apiKey: config.apiKey }),
    includeUsage: true,
    // Sends `response_format: json_schema` for format "json"; OpenAI, Ollama, vLLM and LM Studio accept it.
    supportsStructuredOutputs: true,
  });
  return provider.chatModel(config.model);
}

/**
 * A provider failure as a relay error. Only the provider kind and HTTP status are passed on:
 * provider error bodies sometimes quote the key (OpenAI's 401 shows part of it) or the URL.
 */
export function providerFailure(err: unknown, provider: ChatProviderConfig['provider'], secret: string | undefined): RelayError | null {
  // A 200 the SDK could not read (`"choices": []`, a message without content): the provider's
  // fault, as an unreadable body with another status is.
  if (InvalidResponseDataError.isInstance(err) || EmptyResponseBodyError.isInstance(err)) {
    return new RelayError('chat_provider_error', `The LLM provider (${provider}) answered without a usable message`, { provider, reason: 'invalid_response' });
  }
  const apiError = unwrapApiCallError(err);
  if (!apiError) return null;
  const status = apiError.statusCode;
  if (status === undefined) {
    return new RelayError('chat_provider_unreachable', `The LLM provider (${provider}) could not be reached`, { provider });
  }
  if (status === 401 || status === 403) {
    return new RelayError('chat_provider_auth_failed', `The LLM provider (${provider}) refused the relay's API key (HTTP ${status}); check CHAT_API_KEY`, {
      provider,
      status,
    });
  }
  if (status >= 200 && status < 300) {
    return new RelayError('chat_provider_error', `The LLM provider (${provider}) answered in a shape the relay cannot read; is CHAT_BASE_URL an ${provider} endpoint?`, {
      provider,
      status,
      reason: 'invalid_response',
    });
  }
  const hint = status === 404 ? '; check CHAT_BASE_URL and CHAT_MODEL' : status === 429 ? '; the provider is rate limiting or out of quota' : '';
  const details: Record<string, unknown> = { provider, status };
  const headers = status === 429 || status >= 500 ? { 'retry-after': String(providerWait(apiError.responseHeaders?.['retry-after'])) } : undefined;
  const error = new RelayError('chat_provider_error', scrub(`The LLM provider (${provider}) answered HTTP ${status}${hint}`, secret), details, headers);
  return error;
}

/**
 * How long a caller refused for the provider's sake is asked to wait: the provider's own
 * Retry-After in seconds when it gave a sensible one (a rate limit's window can be minutes,
 * and 5 s sent n8n back into it), else 5 s.
 */
function providerWait(retryAfter: string | undefined): number {
  const seconds = Number(retryAfter);
  return Number.isInteger(seconds) && seconds >= 1 && seconds <= 3_600 ? seconds : 5;
}

function unwrapApiCallError(err: unknown): APICallError | null {
  if (APICallError.isInstance(err)) return err;
  if (RetryError.isInstance(err) && APICallError.isInstance(err.lastError)) return err.lastError;
  return null;
}

/**
 * A chat failure the relay has no code for, safe to log and to throw on: its message and stack
 * (its causes' included) with the provider key and base-URL credentials masked, and none of its
 * other properties (AI SDK errors carry request bodies, headers and URLs). fetch's own errors
 * quote the offending value: `Headers.append: "Bearer <key>" is an invalid header value`, or the
 * URL of a request it will not send because the URL holds credentials.
 */
export function maskProviderSecrets(err: unknown, config: Pick<ChatProviderConfig, 'apiKey' | 'baseUrl'>): Error {
  const maskSecrets = secretMask(providerSecrets(config));
  const mask = (text: string) => maskSecrets(text).replace(URL_USERINFO, '$1[redacted]@');
  const chain = causeChain(err);
  const masked = new Error(mask(chain.map((e) => (e instanceof Error ? e.message : String(e))).join(': ')));
  masked.name = err instanceof Error ? err.name : 'Error';
  masked.stack = mask(chain.map((e) => (e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e))).join('\ncaused by: '));
  return masked;
}

/** The user-info part of any URL in a text (`scheme://user:password@`). */
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>]*@/gi;

/**
 * What to mask (secretMask adds their escaped and encoded forms): the key, and each run of it
 * between control characters (fetch quotes a header value it refuses in part), and the URL's
 * user name and password, as written and decoded.
 */
function providerSecrets(config: Pick<ChatProviderConfig, 'apiKey' | 'baseUrl'>): string[] {
  const found: string[] = [];
  const key = config.apiKey;
  if (key) found.push(key, ...key.split(/[\s\u0000-\u001f\u007f]+/));
  if (config.baseUrl) {
    try {
      const url = new URL(config.baseUrl);
      for (const part of [url.username, url.password]) found.push(part, safeDecode(part));
    } catch {
      // not a URL: nothing of it to find
    }
  }
  return found;
}

function causeChain(err: unknown): unknown[] {
  const chain = [err];
  let current = err;
  while (current instanceof Error && current.cause !== undefined && chain.length < 5 && !chain.includes(current.cause)) {
    current = current.cause;
    chain.push(current);
  }
  return chain;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Removes a secret from a text, in case a provider echoed it. */
export function scrub(text: string, secret: string | undefined): string {
  return secret && secret.length >= 4 ? text.split(secret).join('[redacted]') : text;
}
