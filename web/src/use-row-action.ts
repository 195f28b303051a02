import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { ApiError } from './api';

/**
 * A list page's row actions without a dialog (pause, test, disable…): one runs at a time, named by
 * `busy` for its button; its refusal shows above the table (`error`) and a success may leave a
 * `message`. `after` runs once it ended either way (a page that reloads its list after each action).
 */
export function useRowAction(after?: () => void) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [message, setMessage] = useState<ComponentChildren>(null);
  const act = async (key: string, fn: () => Promise<void>) => {
    setBusy(key);
    setError(null);
    setMessage(null);
    try {
      await fn();
    } catch (e) {
      setError(e as ApiError);
    } finally {
      setBusy(null);
      after?.();
    }
  };
  return { busy, error, setError, message, setMessage, act };
}
