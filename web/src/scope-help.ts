/** What each scope lets an app or key do, in the user's words (shared by the keys, apps and consent pages). */
export const SCOPE_HELP: Record<string, string> = {
  webhook: 'Call any Odoo method through the webhook: read and change data.',
  read: 'Read Odoo data only (search_read, read, …); nothing can be changed.',
  subscriptions: 'Create and manage event subscriptions that send Odoo changes to a URL.',
};
