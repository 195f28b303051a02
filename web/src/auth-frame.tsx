import type { ComponentChildren } from 'preact';

/** The centered card of the pages outside the dashboard shell: sign-in, first run and app authorization. */
export function AuthFrame(props: { brand?: boolean; labelledBy?: string; children: ComponentChildren }) {
  return (
    <div class="center-screen">
      <main class="card auth-card" aria-labelledby={props.labelledBy}>
        {props.brand !== false && (
          <div class="auth-brand">
            <img src="/favicon.svg" alt="" width={36} height={36} />
            <span>odoo-relay</span>
          </div>
        )}
        {props.children}
      </main>
    </div>
  );
}
