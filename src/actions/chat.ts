import { RelayError } from '../errors/index.js';

/** `chat`: until an LLM provider is configured, a clear refusal that says how to set one up. */
export async function chat(): Promise<never> {
  throw new RelayError(
    'chat_not_configured',
    'Chat is not configured on this relay: no LLM provider is set up. Use execute_method for direct Odoo calls.',
  );
}
