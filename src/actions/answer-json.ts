/** What `execute_method` answers: the seed's `{success, result}` plus `meta`. */
export interface ExecuteAnswerMeta {
  odooVersion: string;
  protocol: string;
  odooMs: number;
}

/**
 * An `execute_method` answer that may carry Odoo's own JSON text of its result, which the
 * webhook writes into the reply as it is. Serializing again what was just parsed from Odoo was
 * one of the largest items of the relay's cost per call; the text was parsed once already,
 * which is what proves it is JSON. The text is a private field, so JSON.stringify (the
 * idempotency store, the usual reply path) sees exactly `{success, result, meta}`.
 */
export class ExecuteAnswer {
  readonly success = true as const;
  readonly result: unknown;
  readonly meta: ExecuteAnswerMeta;
  readonly #resultJson: string | undefined;

  constructor(result: unknown, meta: ExecuteAnswerMeta, resultJson?: string) {
    this.result = result;
    this.meta = meta;
    this.#resultJson = resultJson;
  }

  /**
   * The answer's JSON with Odoo's text for `result`: the same members in the same order as
   * JSON.stringify gives (Odoo's text may differ in insignificant whitespace); undefined when
   * there is no such text.
   */
  json(): string | undefined {
    if (this.#resultJson === undefined) return undefined;
    return `{"success":true,"result":${this.#resultJson},"meta":${JSON.stringify(this.meta)}}`;
  }
}
