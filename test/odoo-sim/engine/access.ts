/**
 * Users' credentials and model access rights (Odoo's ir.model.access, simplified to three roles).
 * Record rules are not simulated: a role either may or may not touch a whole model.
 */
import { accessError } from './errors.js';

export type Role = 'admin' | 'user' | 'reader';
export type Operation = 'read' | 'write' | 'create' | 'unlink';

export interface SimUser {
  uid: number;
  login: string;
  password: string;
  apiKeys: string[];
  role: Role;
}

const VERBS: Record<Operation, string> = { read: 'access', write: 'modify', create: 'create', unlink: 'delete' };

/** Models an internal user may only read (configuration owned by administrators). */
const CONFIG_MODELS = new Set([
  'res.users', 'res.company', 'res.currency', 'res.country', 'res.country.state', 'ir.model', 'ir.model.fields', 'ir.model.data',
  'mail.message.subtype',
]);
/** Models only administrators may see at all. */
const ADMIN_ONLY_MODELS = new Set(['ir.actions.server', 'base.automation']);
/** What the restricted reader may read; everything else is closed to it. */
const READER_MODELS = new Set([
  'res.partner', 'res.partner.category', 'res.country', 'res.country.state', 'res.currency', 'res.company', 'res.users',
  'product.template', 'product.product', 'product.category',
]);

const GROUPS: [prefix: string, group: string][] = [
  ['sale.', 'Sales / User: Own Documents Only'],
  ['crm.', 'Sales / User: Own Documents Only'],
  ['account.', 'Invoicing / Billing'],
  ['stock.', 'Inventory / User'],
  ['product.', 'Role / User'],
  ['ir.', 'Role / Administrator'],
  ['base.', 'Role / Administrator'],
  ['res.users', 'Role / Administrator'],
  ['res.', 'Role / User'],
  ['mail.', 'Role / User'],
];

export class AccessControl {
  private readonly users = new Map<number, SimUser>();

  add(user: SimUser): void {
    this.users.set(user.uid, user);
  }

  get(uid: number): SimUser | undefined {
    return this.users.get(uid);
  }

  all(): SimUser[] {
    return [...this.users.values()];
  }

  /** Like Odoo 14+: the password field accepts the password or one of the user's API keys. */
  authenticate(login: string, secret: string, isActive: (uid: number) => boolean): number | false {
    for (const user of this.users.values()) {
      if (user.login !== login || !isActive(user.uid)) continue;
      if (secret && (secret === user.password || user.apiKeys.includes(secret))) return user.uid;
    }
    return false;
  }

  authenticateApiKey(key: string, isActive: (uid: number) => boolean): number | false {
    if (!key) return false;
    for (const user of this.users.values()) if (user.apiKeys.includes(key) && isActive(user.uid)) return user.uid;
    return false;
  }

  allowed(uid: number, model: string, op: Operation): boolean {
    const user = this.users.get(uid);
    if (!user) return false;
    switch (user.role) {
      case 'admin':
        return true;
      case 'user':
        if (ADMIN_ONLY_MODELS.has(model)) return false;
        return op === 'read' || !CONFIG_MODELS.has(model);
      case 'reader':
        return op === 'read' && READER_MODELS.has(model);
    }
  }

  check(uid: number, model: string, description: string, op: Operation): void {
    if (this.allowed(uid, model, op)) return;
    const group = GROUPS.find(([prefix]) => model.startsWith(prefix))?.[1] ?? 'Role / Administrator';
    throw accessError(
      `You are not allowed to ${VERBS[op]} '${description}' (${model}) records.\n\n` +
        `This operation is allowed for the following groups:\n\t- ${group}\n\n` +
        'Contact your administrator to request access if necessary.',
    );
  }
}
