/**
 * The seam between the Odoo test server's engine (data, ORM, domains, users, automation rules)
 * and its HTTP front (JSON-RPC, session, JSON-2, XML-RPC, faults). The engine never sees HTTP;
 * the front never touches records directly.
 */

export type OdooMajorVersion = 17 | 18 | 19;

/**
 * An exception as Odoo raises it. `name` is the fully-qualified Python class that Odoo puts in
 * `error.data.name` (JSON-RPC) or `name` (JSON-2), e.g. `odoo.exceptions.AccessError`,
 * `odoo.exceptions.MissingError`, `odoo.exceptions.ValidationError`, `odoo.exceptions.UserError`,
 * `odoo.exceptions.AccessDenied`, `builtins.ValueError`, `builtins.TypeError`,
 * `builtins.AttributeError`, `werkzeug.exceptions.NotFound`, `werkzeug.exceptions.Unauthorized`.
 * `args` is Python's exception `args` (Odoo sends it as `arguments`).
 */
export class OdooException extends Error {
  constructor(
    readonly odooName: string,
    message: string,
    readonly args: unknown[] = [message],
  ) {
    super(message);
    this.name = 'OdooException';
  }
}

/** One POST that an automation rule's webhook server action sends, as Odoo would. */
export interface AutomationWebhookPost {
  url: string;
  body: Record<string, unknown>;
}

export interface SimEngine {
  readonly dbName: string;
  readonly version: OdooMajorVersion;
  /** Password or API key of the login; returns the uid or false, like `common.login`. */
  authenticate(login: string, passwordOrApiKey: string): number | false;
  /** API key alone (JSON-2 bearer); returns the uid or false. */
  authenticateApiKey(apiKey: string): number | false;
  /** `execute_kw` semantics: positional args + kwargs. Throws OdooException. */
  execute(uid: number, model: string, method: string, args: unknown[], kwargs: Record<string, unknown>): unknown;
  /** JSON-2 semantics: named parameters only (`ids`, `context`, then the method's own). Throws OdooException. */
  executeNamed(uid: number, model: string, method: string, params: Record<string, unknown>): unknown;
  /** What `/web/session/authenticate` returns as `result` for this uid (session info). */
  sessionInfo(uid: number): Record<string, unknown>;
  /** Called synchronously after a change commits, once per POST Odoo would send (duplicates included). */
  onAutomationWebhook(listener: (post: AutomationWebhookPost) => void): () => void;
  /** Adds `count` partners quickly for scale tests; returns the new ids' range. */
  seedPartners(count: number): { firstId: number; lastId: number };
}
