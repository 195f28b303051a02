import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';

describe('chat configuration', () => {
  it('is off by default, with default limits', () => {
    const c = loadConfig({});
    expect(c.chat).toBeNull();
    expect(c.chatLimits).toMatchObject({ maxSteps: 8, maxRowsPerCall: 50, timeoutMs: 60_000, maxTokens: 60_000, maxRetries: 1 });
  });

  it('reads an OpenAI-compatible provider (Ollama needs no key)', () => {
    const c = loadConfig({ CHAT_PROVIDER: 'openai-compatible', CHAT_BASE_URL: 'http://localhost:11434/v1', CHAT_MODEL: 'llama3.1' });
    expect(c.chat).toEqual({ provider: 'openai-compatible', baseUrl: 'http://localhost:11434/v1', apiKey: undefined, model: 'llama3.1' });
  });

  it('names each missing variable of a half-configured provider', () => {
    expect(() => loadConfig({ CHAT_PROVIDER: 'openai-compatible' })).toThrow(/CHAT_MODEL: required[\s\S]*CHAT_BASE_URL: required/);
    expect(() => loadConfig({ CHAT_PROVIDER: 'anthropic', CHAT_MODEL: 'claude' })).toThrow(/CHAT_API_KEY: required for anthropic/);
    expect(() => loadConfig({ CHAT_MODEL: 'gpt-4o-mini' })).toThrow(/CHAT_PROVIDER: required/);
    expect(() => loadConfig({ CHAT_PROVIDER: 'openai' })).toThrow(/CHAT_PROVIDER/);
    expect(() => loadConfig({ CHAT_PROVIDER: 'anthropic', CHAT_MODEL: 'c', CHAT_API_KEY: 'k', CHAT_MAX_STEPS: '0' })).toThrow(/CHAT_MAX_STEPS/);
  });

  it('refuses credentials in CHAT_BASE_URL and control characters in CHAT_API_KEY, naming the variable without echoing the value', () => {
    // Fetch refuses both with an error that quotes them (the URL, or `Bearer <key>`), and that error ends up logged.
    const base = { CHAT_PROVIDER: 'openai-compatible', CHAT_MODEL: 'm' };
    const refusals: [Record<string, string>, RegExp, string][] = [
      [{ ...base, CHAT_BASE_URL: 'https://alice:Pa55-SECRET@llm.example/v1', CHAT_API_KEY: 'k' }, /CHAT_BASE_URL: must not contain a user name or password/, 'Pa55-SECRET'],
      [{ ...base, CHAT_BASE_URL: 'https://only-user-SECRET@llm.example/v1' }, /CHAT_BASE_URL: must not contain a user name or password/, 'only-user-SECRET'],
      [{ ...base, CHAT_BASE_URL: 'https://llm.example/v1', CHAT_API_KEY: 'sk-line-one\nline-two-SECRET' }, /CHAT_API_KEY: contains a control character/, 'line-two-SECRET'],
      [{ CHAT_PROVIDER: 'anthropic', CHAT_MODEL: 'c', CHAT_API_KEY: 'sk-ant-tab\there-SECRET' }, /CHAT_API_KEY: contains a control character/, 'here-SECRET'],
    ];
    for (const [env, message, secret] of refusals) {
      let error: Error | undefined;
      try {
        loadConfig(env);
      } catch (err) {
        error = err as Error;
      }
      expect(error?.message).toMatch(message);
      expect(error?.message).not.toContain(secret);
    }
    // A key with a trailing newline (an editor's, or `echo` into a file) is refused too, and a plain URL still passes.
    expect(() => loadConfig({ ...base, CHAT_BASE_URL: 'https://llm.example/v1', CHAT_API_KEY: 'sk-abc\n' })).toThrow(/CHAT_API_KEY/);
    expect(loadConfig({ ...base, CHAT_BASE_URL: 'https://llm.example/v1', CHAT_API_KEY: 'sk-abc' }).chat?.apiKey).toBe('sk-abc');
  });

  it('never puts the provider key in a configuration error', () => {
    try {
      loadConfig({ CHAT_PROVIDER: 'openai-compatible', CHAT_API_KEY: 'sk-very-SECRET-123', CHAT_BASE_URL: 'not a url', CHAT_MODEL: 'm' });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toContain('CHAT_BASE_URL');
      expect((err as Error).message).not.toContain('sk-very-SECRET-123');
    }
  });
});
