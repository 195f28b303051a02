import { useState } from 'preact/hooks';
import type { ApiError } from './api';

/**
 * The outcome of a form (dialogs, sign-in, setup, password change): busy while the relay answers, then its refusal as a notice and
 * per-field messages (ApiError.fieldErrors) next to the inputs they name.
 */
export function useFormSubmit() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});

  /** Forgets the last outcome, e.g. when the dialog opens for another row. */
  const reset = () => {
    setError(null);
    setFields({});
  };
  /** Field errors found before asking the relay. */
  const refuse = (byField: Record<string, string>, message: string) => {
    setFields(byField);
    setError(message);
  };
  const submit = (run: () => Promise<void>) => async (e: Event) => {
    e.preventDefault();
    reset();
    setBusy(true);
    try {
      await run();
    } catch (err) {
      setError(err as ApiError);
      setFields((err as ApiError).fieldErrors);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, fields, reset, refuse, submit };
}
