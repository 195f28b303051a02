import { useEffect, useState } from 'preact/hooks';
import { useFormSubmit } from './use-form-submit';

/**
 * The form of a create-or-edit dialog. `target` is the row being edited, 'new', or null while
 * the dialog is closed; opening it fills the form from the row (or blank) and forgets the
 * outcome of the last submit.
 */
export function useEditForm<T, F>(target: T | 'new' | null, blank: () => F, formOf: (row: T) => F) {
  const creating = target === 'new';
  const existing = target !== null && target !== 'new' ? target : null;
  const [form, setForm] = useState<F>(blank);
  const outcome = useFormSubmit();

  useEffect(() => {
    outcome.reset();
    if (existing !== null) setForm(formOf(existing));
    else if (creating) setForm(blank());
  }, [target]);

  /** An input's setter: `onValue={set('name')}`. */
  const set = <K extends keyof F>(k: K) => (v: F[K]) => setForm((f) => ({ ...f, [k]: v }));

  return { creating, existing, form, set, ...outcome };
}
