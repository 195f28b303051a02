import { resultOf, type VerbatimResult } from '../odoo/index.js';

/** What `execute_method` answers: the seed's `{success, result}` plus `meta`. */
export interface ExecuteAnswerMeta {
  odooVersion: string;
  protocol: string;
  odooMs: number;
}

/**
 * An `execute_method` answer that may carry Odoo's own JSON text of its result, which the
 * webhook writes into the reply as it is: serializing again what was parsed from Odoo (or
 * parsing it at all) was one of the largest items of the relay's cost per call. The text is
 * proved to be JSON by the Odoo client. JSON.stringify (the idempotency store) sees exactly
 * `{success, result, meta}`, through toJSON.
 */
export class ExecuteAnswer {
  readonly success = true as const;

  constructor(
    private readonly answer: VerbatimResult,
    readonly meta: ExecuteAnswerMeta,
  ) {}

  /** The result itself (parsed from Odoo's text when it came as text). */
  get result(): unknown {
    return resultOf(this.answer);
  }

  /**
   * The answer's JSON: the same members in the same order as JSON.stringify gives, with
   * Odoo's text for `result` when there is one (it may differ in insignificant whitespace).
   */
  json(): string {
    if (!('json' in this.answer)) return JSON.stringify(this);
    return `{"success":true,"result":${this.answer.json},"meta":${JSON.stringify(this.meta)}}`;
  }

  toJSON(): { success: true; result: unknown; meta: ExecuteAnswerMeta } {
    return { success: true, result: this.result, meta: this.meta };
  }
}
