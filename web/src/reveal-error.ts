import type { RefObject } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

/**
 * Shows the refusal a submit ended with. The notice sits at the top of the form, which in a long
 * dialog is scrolled out of view by then, and the focus was on the submit button, disabled while
 * busy, so it fell to <body>: the user saw nothing happen. Now the notice scrolls into view and
 * the first field marked invalid takes the focus (its message is tied to it), else the notice.
 */
export function useRevealError(form: RefObject<HTMLElement>, busy: boolean, error: unknown): void {
  const wasBusy = useRef(busy);
  useEffect(() => {
    const ended = wasBusy.current && !busy;
    wasBusy.current = busy;
    const root = form.current;
    if (!ended || !error || !root) return;
    const notice = root.querySelector<HTMLElement>('.notice-error');
    notice?.scrollIntoView({ block: 'nearest' });
    const invalid = root.querySelector<HTMLElement>('[aria-invalid="true"]:not(:disabled)');
    if (invalid) invalid.focus();
    else notice?.focus({ preventScroll: true });
  }, [busy, error]);
}
