import type { ApiError } from './api';
import { Button, Notice } from './components';

export type Decision = 'approve' | 'deny';

/**
 * Approve / Deny of an app's access request (OAuth 2.0 and OAuth 1.0a consent), with the
 * relay's refusal above them. While one decision is sent, both buttons are disabled.
 */
export function ConsentButtons(props: { busy: Decision | null; error: ApiError | string | null; onDecide: (approve: boolean) => void }) {
  const { busy } = props;
  return (
    <>
      <Notice error={props.error} />
      <div class="actions">
        <Button variant="primary" busy={busy === 'approve'} disabled={busy !== null} onClick={() => props.onDecide(true)}>
          Approve
        </Button>
        <Button busy={busy === 'deny'} disabled={busy !== null} onClick={() => props.onDecide(false)}>
          Deny
        </Button>
      </div>
    </>
  );
}
