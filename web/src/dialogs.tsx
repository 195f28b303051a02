import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from './api';
import { Button, Dialog, Notice, pageTitle } from './components';
import { useRevealError } from './reveal-error';

/**
 * "Are you sure?" for one row (a key, an app, a subscription): the dialog stays open with the
 * relay's refusal if `run` fails; `run` closes it on success. Cancel takes the focus when the
 * action is destructive, so Enter does not destroy by accident. With `removesOpener` (revoke,
 * delete: the row's buttons go away) a confirmed run leaves the focus on the page title; it would
 * otherwise return to the button and fall to <body> when the list reloads without it.
 */
export function ConfirmDialog<T>(props: {
  title: string;
  target: T | null;
  confirm: string;
  variant?: 'primary' | 'danger';
  cancel?: string;
  focusCancel?: boolean;
  removesOpener?: boolean;
  body: (t: T) => ComponentChildren;
  run: (t: T) => Promise<void>;
  onClose: () => void;
}) {
  const { variant = 'danger' } = props;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  // Set before `run`, which closes the dialog; cleared when it opens again, not when it closes
  // (the close event comes after this component's effects).
  const confirmed = useRef(false);
  useEffect(() => {
    setError(null);
    if (props.target !== null) confirmed.current = false;
  }, [props.target]);
  const go = async () => {
    if (props.target === null) return;
    setBusy(true);
    setError(null);
    confirmed.current = true;
    try {
      await props.run(props.target);
    } catch (err) {
      confirmed.current = false;
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={props.target !== null} title={props.title} onClose={props.onClose} returnFocus={props.removesOpener ? () => (confirmed.current ? pageTitle() : null) : undefined}>
      {props.target !== null && (
        <>
          <Notice error={error} />
          {props.body(props.target)}
          <div class="actions">
            <Button variant={variant} busy={busy} onClick={go}>
              {props.confirm}
            </Button>
            <Button onClick={props.onClose} autoFocus={props.focusCancel ?? variant === 'danger'}>
              {props.cancel ?? 'Cancel'}
            </Button>
          </div>
        </>
      )}
    </Dialog>
  );
}

/** What a "shown once" dialog is about: its title and the name of the key, app or subscription. */
export interface ShownOnce {
  title: string;
  name: string;
}

/**
 * Secrets the relay answers once (it keeps only a hash or an encrypted copy): the dialog cannot
 * be dismissed by Escape or a click outside, only by saying they are saved.
 */
export function ShownOnceDialog<T extends ShownOnce>(props: {
  once: T | null;
  testId: string;
  warning: (once: T) => ComponentChildren;
  saved: (once: T) => string;
  extraActions?: ComponentChildren;
  children: (once: T) => ComponentChildren;
  onClose: () => void;
}) {
  const { once, onClose } = props;
  return (
    <Dialog open={once !== null} title={once?.title ?? ''} onClose={onClose} wide dismissable={false}>
      {once && (
        <div data-testid={props.testId}>
          <p class="notice notice-warn" role="alert">
            {props.warning(once)}
          </p>
          <p>
            For <strong>{once.name}</strong>:
          </p>
          {props.children(once)}
          <div class="actions">
            <Button variant="primary" onClick={onClose}>
              {props.saved(once)}
            </Button>
            {props.extraActions}
          </div>
        </div>
      )}
    </Dialog>
  );
}

/**
 * A wide dialog around a form: the relay's refusal on top, the submit and Cancel buttons below the
 * fields. A refusal is brought into view when a submit ends (useRevealError).
 */
export function FormDialog(props: {
  open: boolean;
  title: string;
  submit: string;
  busy: boolean;
  error: ApiError | string | null;
  onSubmit: (e: Event) => void;
  onClose: () => void;
  children: ComponentChildren;
}) {
  const form = useRef<HTMLFormElement>(null);
  useRevealError(form, props.busy, props.error);
  return (
    <Dialog open={props.open} title={props.title} onClose={props.onClose} wide>
      <form ref={form} onSubmit={props.onSubmit} noValidate>
        <Notice error={props.error} />
        {props.children}
        <div class="actions">
          <Button type="submit" variant="primary" busy={props.busy}>
            {props.submit}
          </Button>
          <Button onClick={props.onClose}>Cancel</Button>
        </div>
      </form>
    </Dialog>
  );
}
