/**
 * The Odoo test server's engine: in-memory Odoo with demo data, ORM methods, domains, users and
 * automation webhooks. The HTTP front imports only this module and contract.ts.
 */
import type { AutomationWebhookPost, OdooMajorVersion, SimEngine } from './contract.js';
import { AccessControl } from './engine/access.js';
import { AutomationEngine, type AutomationNoise } from './engine/automation.js';
import { Dispatcher } from './engine/dispatch.js';
import { MODELS } from './engine/models/index.js';
import { Orm } from './engine/orm.js';
import { DEMO_USERS, seedDemoData, seedManyPartners } from './engine/seed.js';
import { sessionInfo } from './engine/session-info.js';

export { DEMO_USERS };
export type { AutomationNoise };

export interface SimEngineOptions {
  /** Database name (default "odoo_demo"). `db` is accepted as an alias. */
  dbName?: string;
  db?: string;
  version?: OdooMajorVersion;
  /** An API key for admin (uid 2), usable as password and as JSON-2 bearer. */
  apiKey?: string;
  /** 'odoo' (default) reproduces the duplicate webhook posts real Odoo sends; 'none' sends one per change. */
  automationNoise?: AutomationNoise;
  /** Clock for create_date/write_date; defaults to the real time. */
  now?: () => Date;
}

/** The engine plus a few test-only handles (the ORM itself) beyond the contract. */
export interface SimEngineWithInternals extends SimEngine {
  readonly orm: Orm;
}

export function createSimEngine(options: SimEngineOptions = {}): SimEngineWithInternals {
  const dbName = options.dbName ?? options.db ?? 'odoo_demo';
  const version: OdooMajorVersion = options.version ?? 19;
  const orm = new Orm(MODELS, options.now);
  const access = new AccessControl();
  seedDemoData(orm, access, MODELS, { adminApiKey: options.apiKey });
  const automation = new AutomationEngine(orm, options.automationNoise ?? 'odoo');
  orm.observer = automation;
  const dispatcher = new Dispatcher(orm, access, version);
  const isActive = (uid: number) => orm.row('res.users', uid)?.active !== false;

  return {
    dbName,
    version,
    orm,
    authenticate: (login, secret) => access.authenticate(login, secret, isActive),
    authenticateApiKey: (key) => access.authenticateApiKey(key, isActive),
    execute: (uid, model, method, args, kwargs) => dispatcher.execute(uid, model, method, args ?? [], kwargs ?? {}),
    executeNamed: (uid, model, method, params) => dispatcher.executeNamed(uid, model, method, params ?? {}),
    sessionInfo: (uid) => sessionInfo(orm, access, uid, dbName, version),
    onAutomationWebhook: (listener: (post: AutomationWebhookPost) => void) => automation.subscribe(listener),
    seedPartners: (count) => seedManyPartners(orm, count),
  };
}
