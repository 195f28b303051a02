import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError } from './api';

/** A labelled input with hint and error wired to aria-describedby / aria-invalid. */
export function Field(props: {
  label: string;
  error?: string;
  hint?: ComponentChildren;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ComponentChildren;
}) {
  const id = useId();
  const hintId = props.hint ? `${id}-hint` : undefined;
  const errId = props.error ? `${id}-err` : undefined;
  const describedBy = [hintId, errId].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${props.error ? ' has-error' : ''}`}>
      <label for={id}>{props.label}</label>
      {props.children({ id, describedBy, invalid: Boolean(props.error) })}
      {props.hint && (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="field-error" id={errId}>
          {props.error}
        </p>
      )}
    </div>
  );
}

type InputProps = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, 'value' | 'onInput'> & {
  label: string;
  value: string;
  onValue: (v: string) => void;
  error?: string;
  hint?: ComponentChildren;
};

export function TextField({ label, value, onValue, error, hint, ...rest }: InputProps) {
  return (
    <Field label={label} error={error} hint={hint}>
      {({ id, describedBy, invalid }) => (
        <input
          id={id}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          value={value}
          onInput={(e) => onValue((e.target as HTMLInputElement).value)}
          {...rest}
        />
      )}
    </Field>
  );
}

type TextAreaProps = Omit<JSX.TextareaHTMLAttributes<HTMLTextAreaElement>, 'value' | 'onInput'> & {
  label: string;
  value: string;
  onValue: (v: string) => void;
  error?: string;
  hint?: ComponentChildren;
};

export function TextAreaField({ label, value, onValue, error, hint, ...rest }: TextAreaProps) {
  return (
    <Field label={label} error={error} hint={hint}>
      {({ id, describedBy, invalid }) => (
        <textarea
          id={id}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          value={value}
          onInput={(e) => onValue((e.target as HTMLTextAreaElement).value)}
          {...rest}
        />
      )}
    </Field>
  );
}

/** An error the page shows, or null for an ended session: the app's sign-in dialog speaks for that one. */
function shownError<E>(error: E): E | null {
  return error instanceof ApiError && error.signedOut ? null : error;
}

/** Form-level outcome: errors are announced assertively, successes politely. */
export function Notice(props: { error?: ApiError | Error | string | null; success?: ComponentChildren }) {
  const { success } = props;
  const error = shownError(props.error);
  return (
    <>
      {/* Focusable (not tabbable) so a form can move the focus to its refusal (useRevealError). */}
      <div role="alert" class={error ? 'notice notice-error' : 'sr-only'} tabIndex={error ? -1 : undefined}>
        {error ? <ErrorText error={error} /> : null}
      </div>
      <div role="status" aria-live="polite" class={success ? 'notice notice-success' : 'sr-only'}>
        {success ?? null}
      </div>
    </>
  );
}

/** Why a page could not load its data; nothing while there is no error. */
export function LoadError(props: { error: ApiError | string | null }) {
  const error = shownError(props.error);
  if (!error) return null;
  return (
    <div class="notice notice-error" role="alert">
      <ErrorText error={error} />
    </div>
  );
}

export function ErrorText({ error }: { error: ApiError | Error | string }) {
  if (typeof error === 'string') return <span>{error}</span>;
  if (error instanceof ApiError) {
    const d = error.details as { name?: string; message?: string } | null;
    return (
      <span>
        <code class="code">{error.code}</code> {error.message}
        {d && typeof d.name === 'string' && d.name && (
          <span class="muted"> ({d.name})</span>
        )}
      </span>
    );
  }
  return <span>{error.message}</span>;
}

export function Spinner() {
  return <span class="spinner" aria-hidden="true" />;
}

export function Button(
  props: JSX.ButtonHTMLAttributes<HTMLButtonElement> & { busy?: boolean; variant?: 'primary' | 'secondary' | 'danger' | 'ghost'; type?: 'button' | 'submit' },
) {
  const { busy, variant = 'secondary', children, type = 'button', disabled, class: cls, ...rest } = props;
  return (
    <button type={type} class={`btn btn-${variant}${cls ? ` ${cls}` : ''}`} disabled={Boolean(disabled) || busy} aria-busy={busy || undefined} {...rest}>
      {busy && <Spinner />}
      {children}
    </button>
  );
}

/** Copies text; falls back to selecting the field when the clipboard is unavailable. */
export function CopyButton(props: { text: string; label?: string; fallbackTarget?: () => HTMLInputElement | HTMLTextAreaElement | null }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const label = props.label ?? 'Copy';
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setState('copied');
    } catch {
      const el = props.fallbackTarget?.();
      if (el) {
        el.focus();
        el.select();
      }
      setState('failed');
    }
    setTimeout(() => setState('idle'), 2500);
  };
  return (
    <>
      <button type="button" class="btn btn-secondary btn-small" onClick={copy}>
        {state === 'copied' ? 'Copied ✓' : label}
      </button>
      <span class="sr-only" role="status" aria-live="polite">
        {state === 'copied' ? 'Copied to clipboard' : state === 'failed' ? 'Copy failed: the text is selected, press Ctrl+C' : ''}
      </span>
    </>
  );
}

/** A read-only value (a secret shown once, an URL) with its copy button. */
export function CopyField(props: { label: string; value: string; testId?: string; secret?: boolean }) {
  const ref = useRef<HTMLInputElement>(null);
  const id = useId();
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <div class="copy-row">
        <input
          id={id}
          ref={ref}
          readOnly
          value={props.value}
          data-testid={props.testId}
          class={props.secret ? 'mono secret' : 'mono'}
          spellcheck={false}
          autoComplete="off"
          onFocus={(e) => (e.target as HTMLInputElement).select()}
        />
        <CopyButton text={props.value} label={`Copy`} fallbackTarget={() => ref.current} />
      </div>
    </div>
  );
}

/**
 * A modal built on <dialog>: focus is trapped by the browser, Escape closes, focus returns to the
 * opener — or to what `returnFocus` names at closing time, when the opener is about to go away.
 */
export function Dialog(props: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ComponentChildren;
  wide?: boolean;
  dismissable?: boolean;
  returnFocus?: () => HTMLElement | null;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<Element | null>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) {
      opener.current = document.activeElement;
      d.showModal();
      // An element marked autofocus wins wherever it is; else the first field, else the main button.
      const first = d.querySelector<HTMLElement>('[autofocus]') ?? d.querySelector<HTMLElement>('input:not([readonly]), select, textarea, button.btn-primary');
      first?.focus();
    } else if (!props.open && d.open) {
      d.close();
    }
  }, [props.open]);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const onClose = () => {
      props.onClose();
      const o = props.returnFocus?.() ?? (opener.current as HTMLElement | null);
      if (o && document.contains(o)) o.focus();
    };
    const onCancel = (e: Event) => {
      if (props.dismissable === false) e.preventDefault();
    };
    d.addEventListener('close', onClose);
    d.addEventListener('cancel', onCancel);
    return () => {
      d.removeEventListener('close', onClose);
      d.removeEventListener('cancel', onCancel);
    };
  }, [props.onClose, props.dismissable, props.returnFocus]);
  return (
    <dialog ref={ref} class={props.wide ? 'dialog dialog-wide' : 'dialog'} aria-labelledby={titleId}>
      {props.open && (
        <>
          <div class="dialog-head">
            <h2 id={titleId}>{props.title}</h2>
            {props.dismissable !== false && (
              <button type="button" class="icon-btn" aria-label="Close" onClick={() => ref.current?.close()}>
                ×
              </button>
            )}
          </div>
          <div class="dialog-body">{props.children}</div>
        </>
      )}
    </dialog>
  );
}

/** The current page's title (PageHeader), which can take the focus. */
export function pageTitle(): HTMLElement | null {
  return document.querySelector<HTMLElement>('#main h1');
}

/** The page title, focused after navigation so screen readers announce the new page. */
export function PageHeader(props: { title: string; intro?: ComponentChildren; actions?: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · odoo-relay`;
    ref.current?.focus();
  }, [props.title]);
  return (
    <header class="page-header">
      <div>
        <h1 ref={ref} tabIndex={-1}>
          {props.title}
        </h1>
        {props.intro && <p class="intro">{props.intro}</p>}
      </div>
      {props.actions && <div class="page-actions">{props.actions}</div>}
    </header>
  );
}

export function Loading(props: { label?: string }) {
  return (
    <p class="loading" role="status">
      <Spinner /> {props.label ?? 'Loading…'}
    </p>
  );
}

export function Badge(props: { tone: 'ok' | 'warn' | 'error' | 'muted' | 'info'; children: ComponentChildren }) {
  return <span class={`badge badge-${props.tone}`}>{props.children}</span>;
}

/** A table's column headings; with `actions`, a last column for the row buttons, named for screen readers only. */
export function TableHead({ columns, actions }: { columns: ComponentChildren[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) => (
          <th scope="col" key={i}>
            {c}
          </th>
        ))}
        {actions && (
          <th scope="col">
            <span class="sr-only">Actions</span>
          </th>
        )}
      </tr>
    </thead>
  );
}
